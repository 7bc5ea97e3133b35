"""On-duty rosters: teams, members, shifts, date overrides; who is on duty now."""
