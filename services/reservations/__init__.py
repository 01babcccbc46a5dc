"""Reservations: catalogue, planning, reservations and waiting list."""
