"""Login throttling per account and per client address, counted in the shared database.

The attempts of one account take turns: a transaction-scoped advisory lock on the account's
key (and, within a process, an asyncio lock, so waiting attempts hold no pool connection) is
held from the check of its counter to the recording of the outcome, password verification
included. A correct password is therefore never refused because other attempts of the same
account are in flight (a double click, two devices of one family), and parallel guesses still
cannot slip past the limit: each sees the failures of the ones before it.

A client address is shared by many accounts (a school's or a company's network), so its
attempts are not serialised: each is counted before its password is checked, and a success
gives it back.
"""

import asyncio
import contextlib
import hashlib
import math
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from services.auth.errors import Locked, Throttled
from services.auth.settings import Settings
from services.common.db import Conn

# The two-key form of PostgreSQL's advisory locks: this class id keeps the logins' keys apart
# from any other advisory lock of the auth database (its migrations use the one-key form).
TURN_CLASS = 0x4C4F47  # "LOG"
TAKE_TURN = "SELECT pg_advisory_xact_lock($1::int, hashtext($2))"
ENSURE_ROW = """
INSERT INTO login_throttle (scope, key) VALUES ($1, $2) ON CONFLICT DO NOTHING
"""
# The clock at the statement (not the transaction's start: a turn may wait for the lock).
LOCK_ROW = """
SELECT failures, last_failure_at, locked_until, clock_timestamp() AS now
FROM login_throttle WHERE scope = $1 AND key = $2
FOR UPDATE
"""
READ_ROW = """
SELECT failures, last_failure_at, locked_until, clock_timestamp() AS now
FROM login_throttle WHERE scope = $1 AND key = $2
"""
SAVE_ROW = """
INSERT INTO login_throttle (scope, key, failures, last_failure_at, locked_until)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (scope, key) DO UPDATE
SET failures = excluded.failures, last_failure_at = excluded.last_failure_at,
    locked_until = excluded.locked_until
"""
CLEAR_ACCOUNT = "DELETE FROM login_throttle WHERE scope = 'account' AND key = $1"
# A success gives back the attempt counted for the address (and any lock it just set).
TAKE_BACK_ADDRESS = """
UPDATE login_throttle
SET failures = greatest(failures - 1, 0),
    locked_until = CASE WHEN failures - 1 >= $2 THEN locked_until END
WHERE scope = 'address' AND key = $1
"""
PURGE_STALE = """
DELETE FROM login_throttle
WHERE (last_failure_at IS NULL OR last_failure_at < now() - $1::interval)
  AND (locked_until IS NULL OR locked_until < now())
"""


@dataclass(frozen=True)
class Rule:
    scope: str
    lock_after: int
    # From this many failures, each attempt waits `delay_seconds` × 2^(failures - delay_after).
    delay_after: int | None
    delay_seconds: float
    lock: timedelta
    window: timedelta


@dataclass(frozen=True)
class Counter:
    """A counter as read: its failures still in force (0 after a lock or the window) and the
    database's clock."""

    failures: int
    now: datetime


@dataclass(frozen=True)
class Turn:
    """An account's turn: the connection holding its lock and its counter as read."""

    conn: Conn
    key: str
    counter: Counter | None


def account_key(email: str) -> str:
    """Accounts are throttled by e-mail, existing or not; only its digest is stored."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class KeyedLocks:
    """One asyncio lock per key while someone holds or awaits it (then forgotten)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Throttle:
    def __init__(self, settings: Settings) -> None:
        window = timedelta(minutes=settings.failure_window_minutes)
        lock = timedelta(minutes=settings.lock_minutes)
        self.lock_minutes = settings.lock_minutes
        self.account = Rule("account", settings.account_lock_after,
                            settings.account_delay_after, settings.throttle_delay_seconds,
                            lock, window)
        self.address = Rule("address", settings.address_lock_after, None, 0.0, lock, window)
        self.turns = KeyedLocks()

    async def count_address(self, pool: asyncpg.Pool, address: str | None) -> None:
        """Count an attempt from `address` before its password is checked (429 while the
        address is locked), in a transaction of its own committed at once."""
        if address is None:
            return
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(ENSURE_ROW, self.address.scope, address)
            row = await conn.fetchrow(LOCK_ROW, self.address.scope, address)
            assert row is not None
            counter = self._check(self.address, row)
            await self._record(conn, self.address, address, counter)
            if secrets.randbelow(200) == 0:
                await conn.execute(PURGE_STALE, self.account.window + self.account.lock)

    async def give_back_address(self, pool: asyncpg.Pool, address: str | None) -> None:
        """The attempt counted for `address` was not a failure (refused before its password
        was checked)."""
        if address is not None:
            async with pool.acquire() as conn:
                await conn.execute(TAKE_BACK_ADDRESS, address, self.address.lock_after)

    @contextlib.asynccontextmanager
    async def turn(self, pool: asyncpg.Pool, email: str) -> AsyncIterator[Turn]:
        """The account's turn: a connection in a transaction holding the account's advisory
        lock, once its counter allows an attempt (429 while delayed or locked). Record the
        outcome with `failed` or `succeeded` before leaving."""
        key = account_key(email)
        async with self.turns.hold(key), pool.acquire() as conn, conn.transaction():
            await conn.execute(TAKE_TURN, TURN_CLASS, key)
            row = await conn.fetchrow(READ_ROW, self.account.scope, key)
            yield Turn(conn, key, None if row is None else self._check(self.account, row))

    async def failed(self, turn: Turn) -> None:
        """A wrong password in this turn."""
        counter = turn.counter or Counter(0, await turn.conn.fetchval("SELECT clock_timestamp()"))
        await self._record(turn.conn, self.account, turn.key, counter)

    async def succeeded(self, turn: Turn, address: str | None) -> None:
        """The password was right: the account's counter is cleared, the address's attempt
        given back."""
        await turn.conn.execute(CLEAR_ACCOUNT, turn.key)
        if address is not None:
            await turn.conn.execute(TAKE_BACK_ADDRESS, address, self.address.lock_after)

    async def clear_account(self, conn: Conn, email: str) -> None:
        await conn.execute(CLEAR_ACCOUNT, account_key(email))

    def _check(self, rule: Rule, row: asyncpg.Record) -> Counter:
        """The counter's failures in force, or 429 while delayed or locked."""
        now: datetime = row["now"]
        failures: int = row["failures"]
        last: datetime | None = row["last_failure_at"]
        locked_until: datetime | None = row["locked_until"]
        if locked_until is not None and locked_until > now:
            raise Locked(_seconds(locked_until - now), minutes=self.lock_minutes)
        if locked_until is not None or last is None or now - last > rule.window:
            failures = 0  # the lock is over, or the failures are old: a fresh start
        if rule.delay_after is not None and last is not None and failures >= rule.delay_after:
            wait = timedelta(seconds=rule.delay_seconds * 2 ** (failures - rule.delay_after))
            if last + wait > now:
                raise Throttled(_seconds(last + wait - now))
        return Counter(failures, now)

    async def _record(self, conn: Conn, rule: Rule, key: str, counter: Counter) -> None:
        failures = counter.failures + 1
        lock = counter.now + rule.lock if failures >= rule.lock_after else None
        await conn.execute(SAVE_ROW, rule.scope, key, failures, counter.now, lock)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
