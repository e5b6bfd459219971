"""Organisations, users, roles, login, API tokens and the audit log."""
