-- Every "forgotten password" request, existing account or not (key: SHA-256 of the e-mail).
-- It caps the links mailed per address and hour (no mail bombing), and it makes both cases
-- write the same rows, so they answer in the same time.
CREATE TABLE reset_requests (
    email_key text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reset_requests_key ON reset_requests (email_key, requested_at);
