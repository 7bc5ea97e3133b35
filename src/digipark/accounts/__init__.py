"""Accounts over HTTP: user management (users, roles, enterprise links) and reading and verifying the audit log."""
