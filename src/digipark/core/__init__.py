"""Shared foundations; imports no domain."""
