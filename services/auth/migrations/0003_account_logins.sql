-- An account's latest logins (the staff's account list shows them): sessions by account,
-- newest first.
CREATE INDEX sessions_account_recent ON sessions (account_id, created_at DESC);
