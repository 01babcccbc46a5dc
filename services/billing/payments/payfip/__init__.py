"""PayFiP (DGFiP), the production payment provider: SOAP client, field rules, and the local
sandbox that speaks the same protocol in development and tests."""
