"""Billing: tariffs, invoices, credit notes and payments."""
