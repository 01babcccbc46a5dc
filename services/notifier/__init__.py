"""Notifier: turns events into e-mails, each sent once."""
