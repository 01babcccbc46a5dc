"""Documents: invoice, credit note and tax certificate PDFs (WeasyPrint), rendered offline."""
