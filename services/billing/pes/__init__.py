"""PES V2 ORMC export of invoices to the public accountant (Trésor public, Hélios)."""
