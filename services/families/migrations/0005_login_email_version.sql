-- The version of the parent's login (auth.email_changed's entity_version) the contact e-mail
-- follows: an older or repeated change never overwrites a newer one.
ALTER TABLE families ADD COLUMN login_email_version integer NOT NULL DEFAULT 0;
