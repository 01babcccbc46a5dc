"""Shared kernel: infrastructure only (settings, logs, database, events, tokens, errors, web)."""
