"""Invoicing: tariffs, pricing, the monthly run, invoices and credit notes."""
