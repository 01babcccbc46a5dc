"""SQL of the auth service: accounts, sessions, refresh tokens and one-time tokens."""

import uuid
from datetime import datetime, timedelta

import asyncpg

from services.common.db import Conn

ACCOUNT_COLUMNS = "id, email, password_hash, role, family_id, status, created_at, updated_at"

SELECT_ACCOUNT_BY_EMAIL = f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1"
SELECT_ACCOUNT_BY_EMAIL_FOR_UPDATE = SELECT_ACCOUNT_BY_EMAIL + " FOR UPDATE"
SELECT_ACCOUNT = f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
SELECT_ACCOUNT_FOR_UPDATE = SELECT_ACCOUNT + " FOR UPDATE"
INSERT_ACCOUNT = f"""
INSERT INTO accounts (id, email, password_hash, role, family_id, status)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING {ACCOUNT_COLUMNS}
"""
# The demo seed: the same accounts, active, with the demo password, however often it runs.
UPSERT_ACCOUNT = f"""
INSERT INTO accounts (id, email, password_hash, role, family_id, status)
VALUES ($1, $2, $3, $4, $5, 'active')
ON CONFLICT (email) DO UPDATE
SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
    family_id = EXCLUDED.family_id, status = 'active', updated_at = now()
RETURNING {ACCOUNT_COLUMNS}
"""
UPDATE_CREDENTIAL = """
UPDATE accounts
SET password_hash = $2, updated_at = now(),
    status = CASE WHEN status = 'invited' THEN 'active' ELSE status END
WHERE id = $1
"""
SET_EMAIL = """
UPDATE accounts SET email = $2, updated_at = now(), email_version = email_version + 1
WHERE id = $1 RETURNING email_version
"""
LINK_FAMILY = """
UPDATE accounts SET family_id = $2, updated_at = now() WHERE id = $1 AND family_id IS NULL
"""
EMAIL_TAKEN = "SELECT EXISTS (SELECT 1 FROM accounts WHERE email = $1 AND id <> $2)"
# Staff listing: the pending invitation and e-mail change of each account come along.
SELECT_ACCOUNTS = """
SELECT a.id, a.email, a.display_name, a.role, a.family_id, a.status, a.created_at,
       (SELECT max(t.expires_at) FROM one_time_tokens t
         WHERE t.account_id = a.id AND t.kind = 'invitation' AND t.used_at IS NULL
           AND t.invalidated_at IS NULL) AS invitation_expires_at,
       (SELECT t.new_email FROM one_time_tokens t
         WHERE t.account_id = a.id AND t.kind = 'email_change' AND t.used_at IS NULL
           AND t.invalidated_at IS NULL AND t.expires_at > now()
         ORDER BY t.created_at DESC LIMIT 1) AS pending_email,
       ARRAY(SELECT s.created_at FROM sessions s WHERE s.account_id = a.id
             ORDER BY s.created_at DESC LIMIT 5) AS recent_logins
FROM accounts a
WHERE ($1::uuid IS NULL OR a.family_id = $1)
  AND ($3::uuid[] IS NULL OR a.id = ANY($3::uuid[]))
  AND (NOT $4::boolean OR a.role IN ('staff', 'admin'))
ORDER BY a.email
LIMIT $2
"""

INSERT_SESSION = """
INSERT INTO sessions (id, account_id, expires_at) VALUES ($1, $2, now() + $3::interval)
"""
# What a bearer of an access token may still do: its session open, its account active.
SESSION_IS_OPEN = """
SELECT EXISTS (
    SELECT 1 FROM sessions s JOIN accounts a ON a.id = s.account_id
    WHERE s.id = $1 AND s.account_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
      AND a.status = 'active'
)
"""
TOUCH_SESSION = "UPDATE sessions SET last_used_at = now() WHERE id = $1"
REVOKE_SESSION = """
UPDATE sessions SET revoked_at = now(), revoked_reason = $2
WHERE id = $1 AND revoked_at IS NULL
"""
REVOKE_ACCOUNT_SESSIONS = """
UPDATE sessions SET revoked_at = now(), revoked_reason = $3
WHERE account_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2)
RETURNING id
"""

INSERT_REFRESH = "INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)"
SELECT_REFRESH_FOR_UPDATE = """
SELECT r.session_id, r.rotated_at, clock_timestamp() - r.rotated_at AS rotated_ago,
       s.account_id, s.revoked_at, s.expires_at <= now() AS expired
FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
WHERE r.token_hash = $1
FOR UPDATE OF r, s
"""
ROTATE_REFRESH = "UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1"

INSERT_ONE_TIME = """
INSERT INTO one_time_tokens (token_hash, account_id, kind, new_email, expires_at)
VALUES ($1, $2, $3, $4, $5)
"""
# A one-time token still usable, with its account; locked so it is used only once.
SELECT_ONE_TIME_FOR_UPDATE = f"""
SELECT t.kind, t.new_email, t.account_id, t.expires_at,
       {", ".join("a." + c + " AS account_" + c for c in ACCOUNT_COLUMNS.split(", "))}
FROM one_time_tokens t JOIN accounts a ON a.id = t.account_id
WHERE t.token_hash = $1 AND t.kind = ANY($2::text[])
  AND t.used_at IS NULL AND t.invalidated_at IS NULL AND t.expires_at > now()
  AND a.status <> 'disabled'
FOR UPDATE OF t, a
"""
USE_ONE_TIME = "UPDATE one_time_tokens SET used_at = now() WHERE token_hash = $1"
INVALIDATE_ONE_TIME = """
UPDATE one_time_tokens SET invalidated_at = now()
WHERE account_id = $1 AND kind = ANY($2::text[]) AND used_at IS NULL AND invalidated_at IS NULL
"""
# Logs a "forgotten password" request; answers how many there were within the last hour,
# this one included (the CTE's insert is not visible to the count).
LOG_RESET_REQUEST = """
WITH logged AS (INSERT INTO reset_requests (email_key) VALUES ($1))
SELECT count(*) + 1 FROM reset_requests
WHERE email_key = $1 AND requested_at > now() - interval '1 hour'
"""
PURGE_RESET_REQUESTS = "DELETE FROM reset_requests WHERE requested_at < now() - interval '1 day'"
# The new reset link replaces older ones. Run with a NULL account too (unknown e-mail): it
# then changes nothing, but costs the same.
REPLACE_RESET_LINK = """
WITH invalidated AS (
    UPDATE one_time_tokens SET invalidated_at = now()
    WHERE account_id = $1 AND kind = 'reset' AND used_at IS NULL AND invalidated_at IS NULL
)
INSERT INTO one_time_tokens (token_hash, account_id, kind, expires_at)
SELECT $2, $1, 'reset', $3 WHERE $1::uuid IS NOT NULL
"""
PENDING_EMAIL = """
SELECT new_email, expires_at FROM one_time_tokens
WHERE account_id = $1 AND kind = 'email_change' AND used_at IS NULL
  AND invalidated_at IS NULL AND expires_at > now()
ORDER BY created_at DESC LIMIT 1
"""

ALL_TOKEN_KINDS = ["reset", "invitation", "email_change"]


async def account_by_email(conn: Conn, email: str, *, for_update: bool = False
                           ) -> asyncpg.Record | None:
    query = SELECT_ACCOUNT_BY_EMAIL_FOR_UPDATE if for_update else SELECT_ACCOUNT_BY_EMAIL
    return await conn.fetchrow(query, email)


async def account(conn: Conn, account_id: uuid.UUID, *, for_update: bool = False
                  ) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ACCOUNT_FOR_UPDATE if for_update else SELECT_ACCOUNT,
                               account_id)


async def insert_account(conn: Conn, *, account_id: uuid.UUID, email: str,
                         password_hash: str | None, role: str, family_id: uuid.UUID | None,
                         status: str) -> asyncpg.Record:
    row = await conn.fetchrow(INSERT_ACCOUNT, account_id, email, password_hash, role, family_id,
                              status)
    assert row is not None
    return row


async def upsert_active_account(conn: Conn, *, account_id: uuid.UUID, email: str,
                                password_hash: str, role: str, family_id: uuid.UUID | None
                                ) -> asyncpg.Record:
    row = await conn.fetchrow(UPSERT_ACCOUNT, account_id, email, password_hash, role, family_id)
    assert row is not None
    return row


async def set_password(conn: Conn, account_id: uuid.UUID, password_hash: str) -> None:
    await conn.execute(UPDATE_CREDENTIAL, account_id, password_hash)


async def set_email(conn: Conn, account_id: uuid.UUID, email: str) -> int:
    """Change the login; the address's new version (the account row is locked by the
    caller, so versions follow the order of the changes)."""
    return int(await conn.fetchval(SET_EMAIL, account_id, email))


async def link_family(conn: Conn, account_id: uuid.UUID, family_id: uuid.UUID) -> bool:
    return await conn.execute(LINK_FAMILY, account_id, family_id) == "UPDATE 1"


async def email_taken(conn: Conn, email: str, *, by_other_than: uuid.UUID) -> bool:
    return bool(await conn.fetchval(EMAIL_TAKEN, email, by_other_than))


SET_STATUS = "UPDATE accounts SET status = $2, updated_at = now() WHERE id = $1"


async def set_display_name(conn: Conn, account_id: uuid.UUID, name: str) -> None:
    await conn.execute("UPDATE accounts SET display_name = $2 WHERE id = $1", account_id, name)


async def set_status(conn: Conn, account_id: uuid.UUID, status: str) -> None:
    await conn.execute(SET_STATUS, account_id, status)


async def accounts(conn: Conn, *, family_id: uuid.UUID | None, limit: int,
                   ids: list[uuid.UUID] | None = None, staff: bool = False
                   ) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ACCOUNTS, family_id, limit, ids, staff)


async def insert_session(conn: Conn, *, session_id: uuid.UUID, account_id: uuid.UUID,
                         lifetime: timedelta) -> None:
    await conn.execute(INSERT_SESSION, session_id, account_id, lifetime)


async def session_is_open(conn: Conn, session_id: uuid.UUID, account_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(SESSION_IS_OPEN, session_id, account_id))


async def touch_session(conn: Conn, session_id: uuid.UUID) -> None:
    await conn.execute(TOUCH_SESSION, session_id)


async def revoke_session(conn: Conn, session_id: uuid.UUID, *, reason: str) -> bool:
    """Close the session; whether it was open."""
    return await conn.execute(REVOKE_SESSION, session_id, reason) == "UPDATE 1"


async def revoke_account_sessions(conn: Conn, account_id: uuid.UUID, *,
                                  keep: uuid.UUID | None, reason: str) -> list[uuid.UUID]:
    """Close the account's open sessions but `keep`; the ids of those closed."""
    return [r["id"] for r in await conn.fetch(REVOKE_ACCOUNT_SESSIONS, account_id, keep, reason)]


async def insert_refresh(conn: Conn, token_hash: bytes, session_id: uuid.UUID) -> None:
    await conn.execute(INSERT_REFRESH, token_hash, session_id)


async def refresh_for_update(conn: Conn, token_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_REFRESH_FOR_UPDATE, token_hash)


async def rotate_refresh(conn: Conn, token_hash: bytes) -> None:
    await conn.execute(ROTATE_REFRESH, token_hash)


async def insert_one_time(conn: Conn, *, token_hash: bytes, account_id: uuid.UUID, kind: str,
                          expires_at: datetime, new_email: str | None = None) -> None:
    await conn.execute(INSERT_ONE_TIME, token_hash, account_id, kind, new_email, expires_at)


async def one_time_for_update(conn: Conn, token_hash: bytes, kinds: list[str]
                              ) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ONE_TIME_FOR_UPDATE, token_hash, kinds)


async def use_one_time(conn: Conn, token_hash: bytes) -> None:
    await conn.execute(USE_ONE_TIME, token_hash)


async def invalidate_one_time(conn: Conn, account_id: uuid.UUID, kinds: list[str]) -> None:
    await conn.execute(INVALIDATE_ONE_TIME, account_id, kinds)


async def void_links(conn: Conn, account_id: uuid.UUID) -> None:
    """Every outstanding one-time link of the account dies (reset, invitation, login change):
    what a credential change must do, so a link mailed before it cannot undo it."""
    await conn.execute(INVALIDATE_ONE_TIME, account_id, ALL_TOKEN_KINDS)


async def log_reset_request(conn: Conn, email_key: str, *, purge: bool) -> int:
    """Record a reset request; return how many the e-mail made within the hour."""
    if purge:
        await conn.execute(PURGE_RESET_REQUESTS)
    return int(await conn.fetchval(LOG_RESET_REQUEST, email_key))


async def replace_reset_token(conn: Conn, account_id: uuid.UUID | None, token_hash: bytes,
                              expires_at: datetime) -> None:
    await conn.execute(REPLACE_RESET_LINK, account_id, token_hash, expires_at)


async def pending_email(conn: Conn, account_id: uuid.UUID) -> str | None:
    value = await conn.fetchval(PENDING_EMAIL, account_id)
    return str(value) if value is not None else None


async def pending_email_change(conn: Conn, account_id: uuid.UUID) -> asyncpg.Record | None:
    """The login change awaiting confirmation (new_email, expires_at), if any."""
    return await conn.fetchrow(PENDING_EMAIL, account_id)
