"""Use cases of sessions and passwords: login, refresh, logout, forgotten and changed password."""

import contextlib
import hashlib
import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from services.auth import repo
from services.auth.errors import InvalidCredentials, LinkGone, Locked, SessionExpired, Throttled
from services.auth.passwords import Passwords, policy_errors
from services.auth.schemas import Account, Me, TokenInfo, Tokens
from services.auth.settings import Settings
from services.auth.signing import Signer
from services.auth.throttle import Throttle, account_key
from services.common.db import Conn
from services.common.errors import Unauthorized, ValidationFailed
from services.common.events.auth import PasswordChanged, PasswordResetRequested, SessionRevoked
from services.common.outbox import add_event, add_events

log = logging.getLogger(__name__)

PRODUCER = "auth"
WRONG_CURRENT_PASSWORD = "Le mot de passe actuel est incorrect."  # noqa: S105 - a message
# How long after the last access token's expiry services keep refusing a closed session
# (their clocks may differ a little; verifiers allow a few seconds of leeway).
REVOCATION_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class AuthContext:
    """What the use cases need besides a database: settings, keys, hasher, throttle."""

    settings: Settings
    signer: Signer
    passwords: Passwords
    throttle: Throttle

    @classmethod
    def from_settings(cls, settings: Settings) -> "AuthContext":
        return cls(settings, Signer.from_settings(settings), Passwords.from_settings(settings),
                   Throttle(settings))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def digest(secret: str) -> bytes:
    """What is stored of a refresh or one-time token: its SHA-256 (the token has 256 bits of
    randomness, so no salt or slow hash is needed)."""
    return hashlib.sha256(secret.encode()).digest()


def new_secret() -> tuple[str, bytes]:
    """A fresh token (256 random bits, URL-safe) and its stored digest."""
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


def field_errors(field: str, messages: list[str]) -> list[dict[str, str]]:
    return [{"field": field, "message": m} for m in messages]


async def open_session(ctx: AuthContext, conn: Conn, account: asyncpg.Record) -> Tokens:
    """A new session for `account`, with its first refresh token and an access token."""
    session_id = uuid.uuid4()
    await repo.insert_session(conn, session_id=session_id, account_id=account["id"],
                              lifetime=timedelta(days=ctx.settings.session_days))
    refresh, refresh_hash = new_secret()
    await repo.insert_refresh(conn, refresh_hash, session_id)
    return tokens_for(ctx, account, session_id, refresh)


def tokens_for(ctx: AuthContext, account: asyncpg.Record, session_id: uuid.UUID,
               refresh: str) -> Tokens:
    access = ctx.signer.issue(account_id=account["id"], role=account["role"],
                              family_id=account["family_id"], session_id=session_id)
    return Tokens(access_token=access.token, refresh_token=refresh,
                  expires_in=access.expires_in, account=account_model(account))


def account_model(row: asyncpg.Record, prefix: str = "") -> Account:
    return Account(id=row[prefix + "id"], email=row[prefix + "email"], role=row[prefix + "role"],
                   family_id=row[prefix + "family_id"])


@dataclass
class PasswordCheck:
    """What a use case checks in the account's turn: the connection of the turn, and whether
    the password was right (to be set before the turn ends)."""

    conn: Conn
    right: bool | None = None


@contextlib.asynccontextmanager
async def password_turn(ctx: AuthContext, pool: asyncpg.Pool, *, email: str,
                        address: str | None) -> AsyncIterator[PasswordCheck]:
    """Check a password in the account's turn (see throttle.py): the address counted first,
    then the account's counter checked (429 while delayed or locked), the body verifies and
    sets `right`, and the outcome is recorded in the same transaction."""
    await ctx.throttle.count_address(pool, address)
    try:
        async with ctx.throttle.turn(pool, email) as turn:
            check = PasswordCheck(turn.conn)
            yield check
            if check.right is None:
                raise RuntimeError("a password turn ended without an outcome")
            if check.right:
                await ctx.throttle.succeeded(turn, address)
            else:
                await ctx.throttle.failed(turn)
    except (Locked, Throttled):
        await ctx.throttle.give_back_address(pool, address)  # refused unchecked: not a failure
        raise


async def login(ctx: AuthContext, pool: asyncpg.Pool, *, email: str, password: str,
                address: str | None) -> Tokens:
    """Open a session; one generic refusal whatever is wrong, in about the same time."""
    email = normalise_email(email)
    async with password_turn(ctx, pool, email=email, address=address) as check:
        account = await repo.account_by_email(check.conn, email)
        # An unknown account, or one without a password yet, is checked against a dummy hash.
        stored = account["password_hash"] if account is not None else None
        matches = await ctx.passwords.verify(stored, password)
        check.right = account is not None and matches and account["status"] == "active"
        if check.right:
            assert account is not None
            if ctx.passwords.needs_rehash(account["password_hash"]):
                await repo.set_password(check.conn, account["id"],
                                        await ctx.passwords.hash(password))
            tokens = await open_session(ctx, check.conn, account)
    if not check.right:
        log.info("login refused", extra={"known": account is not None})
        raise InvalidCredentials()
    assert account is not None
    log.info("login", extra={"account_id": str(account["id"])})
    return tokens


async def refresh(ctx: AuthContext, pool: asyncpg.Pool, *, refresh_token: str) -> Tokens:
    """Rotate the refresh token; one presented a second time revokes its whole session."""
    token_hash = digest(refresh_token)
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.refresh_for_update(conn, token_hash)
        if row is None:
            raise SessionExpired()
        grace = timedelta(seconds=ctx.settings.refresh_reuse_grace_seconds)
        concurrent = row["rotated_at"] is not None and row["rotated_ago"] <= grace
        reused = row["rotated_at"] is not None and not concurrent
        if reused:
            if await repo.revoke_session(conn, row["session_id"], reason="refresh_reuse"):
                await sessions_revoked(ctx, conn, [row["session_id"]])
        elif row["revoked_at"] is None and not row["expired"]:
            account = await repo.account(conn, row["account_id"])
            if account is None or account["status"] != "active":
                raise SessionExpired()
            if not concurrent:
                await repo.rotate_refresh(conn, token_hash)
            fresh, fresh_hash = new_secret()
            await repo.insert_refresh(conn, fresh_hash, row["session_id"])
            await repo.touch_session(conn, row["session_id"])
            return tokens_for(ctx, account, row["session_id"], fresh)
    if reused:
        # Committed above: whoever holds the newer token is logged out too.
        log.warning("refresh token reused, session revoked",
                    extra={"session_id": str(row["session_id"])})
    raise SessionExpired()


async def sessions_revoked(ctx: AuthContext, conn: Conn, session_ids: list[uuid.UUID]
                           ) -> None:
    """Tell every service that these sessions are closed (`auth.session_revoked`, in the
    caller's transaction): they refuse the sessions' access tokens until those expire."""
    # Tokens issued up to now expire within their lifetime (plus the verifiers' leeway).
    expires_at = datetime.now(UTC) + timedelta(
        seconds=ctx.settings.access_token_seconds + REVOCATION_MARGIN_SECONDS)
    await add_events(conn, [SessionRevoked(sid=str(s), expires_at=expires_at)
                            for s in session_ids], producer=PRODUCER)


async def authenticated(pool: asyncpg.Pool, *, sub: str, sid: str | None
                        ) -> tuple[uuid.UUID, uuid.UUID]:
    """(account id, session id) of a verified access token whose session is still open.
    Auth checks this on each of its own calls; other services refuse the tokens of a closed
    session once its `auth.session_revoked` reaches them (a moment after)."""
    try:
        account_id, session_id = uuid.UUID(sub), uuid.UUID(str(sid))
    except ValueError as exc:
        raise Unauthorized() from exc
    async with pool.acquire() as conn:
        if not await repo.session_is_open(conn, session_id, account_id):
            raise Unauthorized()
    return account_id, session_id


async def logout(ctx: AuthContext, pool: asyncpg.Pool, *, sid: str | None) -> None:
    try:
        session_id = uuid.UUID(str(sid))
    except ValueError:
        return  # a token without a session (an integrator's): nothing to close
    async with pool.acquire() as conn, conn.transaction():
        if await repo.revoke_session(conn, session_id, reason="logout"):
            await sessions_revoked(ctx, conn, [session_id])


async def me(pool: asyncpg.Pool, *, account_id: uuid.UUID) -> Me:
    async with pool.acquire() as conn:
        account = await repo.account(conn, account_id)
        if account is None:
            raise Unauthorized()
        pending = await repo.pending_email_change(conn, account_id)
    return Me(**account_model(account).model_dump(),
              pending_email=pending["new_email"] if pending else None,
              pending_email_expires_at=pending["expires_at"] if pending else None)


async def forgot_password(ctx: AuthContext, pool: asyncpg.Pool, *, email: str) -> None:
    """Mail a reset link if the account exists. The caller answers the same either way, and
    both cases run the same statements (on no row for an unknown e-mail), so they also take
    the same time; only the outbox row differs."""
    email = normalise_email(email)
    token, token_hash = new_secret()
    expires_at = datetime.now(UTC) + timedelta(minutes=ctx.settings.reset_token_minutes)
    async with pool.acquire() as conn, conn.transaction():
        recent = await repo.log_reset_request(conn, account_key(email),
                                              purge=secrets.randbelow(200) == 0)
        account = await repo.account_by_email(conn, email, for_update=True)
        send = (account is not None and account["status"] != "disabled"
                and recent <= ctx.settings.reset_requests_per_hour)
        await repo.replace_reset_token(conn, account["id"] if send and account else None,
                                       token_hash, expires_at)
        if account is None or not send:
            if account is not None:
                log.warning("reset link not sent", extra={"account_id": str(account["id"]),
                                                          "requests_this_hour": recent})
            return
        await add_event(conn, PasswordResetRequested(
            account_id=account["id"], email=account["email"], token=token,
            expires_at=expires_at), producer=PRODUCER)


async def check_link(pool: asyncpg.Pool, *, token: str) -> TokenInfo:
    """What a set-password link is for, while it is usable (410 otherwise)."""
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.one_time_for_update(conn, digest(token), ["reset", "invitation"])
    if row is None:
        raise LinkGone()
    return TokenInfo(email=row["account_email"], kind=row["kind"])


async def reset_password(ctx: AuthContext, pool: asyncpg.Pool, *, token: str, password: str
                         ) -> Tokens:
    """Set the password from a reset or invitation link, close every other session and log
    in."""
    token_hash = digest(token)
    kinds = ["reset", "invitation"]
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.one_time_for_update(conn, token_hash, kinds)
    if row is None:
        raise LinkGone()
    errors = policy_errors(password, email=row["account_email"])
    if errors:
        raise ValidationFailed(errors=field_errors("password", errors))
    new_hash = await ctx.passwords.hash(password)
    async with pool.acquire() as conn, conn.transaction():
        # Checked again under lock: the link may have been used while we were hashing.
        row = await repo.one_time_for_update(conn, token_hash, kinds)
        if row is None:
            raise LinkGone()
        account_id = row["account_id"]
        await repo.set_password(conn, account_id, new_hash)
        await repo.use_one_time(conn, token_hash)
        await repo.void_links(conn, account_id)
        await sessions_revoked(ctx, conn, await repo.revoke_account_sessions(
            conn, account_id, keep=None, reason="password_reset"))
        await ctx.throttle.clear_account(conn, row["account_email"])
        if row["kind"] == "reset":
            await add_event(conn, PasswordChanged(
                account_id=account_id, email=row["account_email"],
                changed_at=datetime.now(UTC)), producer=PRODUCER)
        account = await repo.account(conn, account_id)
        assert account is not None
        tokens = await open_session(ctx, conn, account)
    log.info("password set from a link", extra={"account_id": str(account_id),
                                                "kind": row["kind"]})
    return tokens


async def change_password(ctx: AuthContext, pool: asyncpg.Pool, *, account_id: uuid.UUID,
                          session_id: uuid.UUID, current_password: str, new_password: str,
                          address: str | None) -> None:
    """Change the password knowing the current one (throttled like a login); every other
    session is closed, pending links die, a notice is mailed."""
    async with pool.acquire() as conn:
        account = await repo.account(conn, account_id)
    if account is None:
        raise Unauthorized()
    errors: list[dict[str, str]] = []
    async with password_turn(ctx, pool, email=account["email"], address=address) as check:
        check.right = await ctx.passwords.verify(account["password_hash"], current_password)
    if not check.right:
        errors += field_errors("current_password", [WRONG_CURRENT_PASSWORD])
    errors += field_errors("new_password", policy_errors(new_password, email=account["email"]))
    if errors:
        raise ValidationFailed(errors=errors)
    new_hash = await ctx.passwords.hash(new_password)
    async with pool.acquire() as conn, conn.transaction():
        await repo.set_password(conn, account_id, new_hash)
        await sessions_revoked(ctx, conn, await repo.revoke_account_sessions(
            conn, account_id, keep=session_id, reason="password_changed"))
        # A login change asked before must not switch the login (and open a session) after it.
        await repo.void_links(conn, account_id)
        await add_event(conn, PasswordChanged(
            account_id=account_id, email=account["email"], changed_at=datetime.now(UTC)),
            producer=PRODUCER)
    log.info("password changed", extra={"account_id": str(account_id)})
