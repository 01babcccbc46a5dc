"""Payments: online (through a provider, PayFiP in production) and recorded by staff."""
