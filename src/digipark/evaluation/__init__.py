"""The guide's evaluation: the four construction standards as indicators, annual assessments, reports."""
