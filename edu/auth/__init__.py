"""Accounts, roles, login sessions and password resets."""
