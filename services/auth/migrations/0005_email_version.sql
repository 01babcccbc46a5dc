-- Each login change numbers the account's address (auth.email_changed carries it), so a
-- consumer applies a change only when it is newer than the one it holds (issue 7, point 4).
ALTER TABLE accounts ADD COLUMN email_version integer NOT NULL DEFAULT 0;
