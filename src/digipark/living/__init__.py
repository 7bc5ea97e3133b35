"""Living services."""
