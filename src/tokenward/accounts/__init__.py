"""Accounts: the user model, roles, the System user and API permission."""
