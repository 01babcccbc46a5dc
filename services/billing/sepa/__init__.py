"""SEPA direct debit: mandates signed online, debits, batches (pain.008) and the bank's returns."""
