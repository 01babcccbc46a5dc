-- Accounts, sessions with rotating refresh tokens, one-time links and login throttling.
-- Secrets are never stored in clear: passwords as Argon2id hashes, refresh and one-time
-- tokens as SHA-256 digests, throttled e-mails as SHA-256 digests too (they may be mistyped
-- addresses of people who have no account).
CREATE TABLE accounts (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash text,
    role text NOT NULL CHECK (role IN ('parent', 'staff', 'admin')),
    family_id uuid,
    status text NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_family ON accounts (family_id) WHERE family_id IS NOT NULL;

-- A session is what a login opens and a logout or a password change closes; access tokens
-- carry its id (`sid`).
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_reason text
);
CREATE INDEX sessions_account ON sessions (account_id) WHERE revoked_at IS NULL;

-- Every refresh token a session has had: a rotated one (`rotated_at` set) presented again
-- reveals a theft, and the whole session is revoked.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    rotated_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Links sent by e-mail: password reset (30 min), invitation (7 days), e-mail change (24 h).
CREATE TABLE one_time_tokens (
    token_hash bytea PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    kind text NOT NULL CHECK (kind IN ('reset', 'invitation', 'email_change')),
    new_email text CHECK ((kind = 'email_change') = (new_email IS NOT NULL)),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    invalidated_at timestamptz
);
CREATE INDEX one_time_tokens_pending ON one_time_tokens (account_id, kind)
    WHERE used_at IS NULL AND invalidated_at IS NULL;

-- Failed logins per account (key: SHA-256 of the e-mail) and per client address, shared by
-- every replica. An attempt is counted before the password is checked, so parallel guesses
-- cannot slip past the limit; a success takes it back.
CREATE TABLE login_throttle (
    scope text NOT NULL CHECK (scope IN ('account', 'address')),
    key text NOT NULL,
    failures integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz,
    locked_until timestamptz,
    PRIMARY KEY (scope, key)
);
