"""Safety and emergency: risk register, major hazard sources, hidden dangers, early warning, emergency response."""
