"""Accounts, sessions, one-time links and login throttling."""
