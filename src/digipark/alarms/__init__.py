"""Alarm rules, their evaluation on every incoming reading, the alarm lifecycle and notifications."""
