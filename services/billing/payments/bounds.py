"""What an online payment may be: PayFiP's advertised bounds, 1.00 € ≤ amount < 100,000 €."""

ONLINE_MIN_CENTS = 100
ONLINE_MAX_CENTS = 10_000_000  # excluded


def online_amount_allowed(cents: int) -> bool:
    return ONLINE_MIN_CENTS <= cents < ONLINE_MAX_CENTS
