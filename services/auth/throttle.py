"""Login throttling per account and per client address, counted in the shared database."""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.auth.errors import Locked, Throttled
from services.auth.settings import Settings
from services.common.db import Conn

ENSURE_ROW = """
INSERT INTO login_throttle (scope, key) VALUES ($1, $2) ON CONFLICT DO NOTHING
"""
LOCK_ROW = """
SELECT failures, last_failure_at, locked_until, now() AS now
FROM login_throttle WHERE scope = $1 AND key = $2
FOR UPDATE
"""
SAVE_ROW = """
UPDATE login_throttle SET failures = $3, last_failure_at = $4, locked_until = $5
WHERE scope = $1 AND key = $2
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
class Attempt:
    """An attempt counted as a failure until it is reported a success."""

    account_key: str
    address: str | None


def account_key(email: str) -> str:
    """Accounts are throttled by e-mail, existing or not; only its digest is stored."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class Throttle:
    def __init__(self, settings: Settings) -> None:
        window = timedelta(minutes=settings.failure_window_minutes)
        lock = timedelta(minutes=settings.lock_minutes)
        self.lock_minutes = settings.lock_minutes
        self.account = Rule("account", settings.account_lock_after,
                            settings.account_delay_after, settings.throttle_delay_seconds,
                            lock, window)
        self.address = Rule("address", settings.address_lock_after, None, 0.0, lock, window)

    async def attempt(self, conn: Conn, *, email: str, address: str | None) -> Attempt:
        """Count an attempt for the e-mail and the address, or refuse it (429) while either
        is delayed or locked. Call inside a short transaction of its own, committed before
        the password is checked, so concurrent guesses queue on the row lock."""
        attempt = Attempt(account_key(email), address)
        # Address first, then account: every caller locks rows in the same order.
        if address is not None:
            await self._count(conn, self.address, address)
        await self._count(conn, self.account, attempt.account_key)
        if secrets.randbelow(200) == 0:
            await conn.execute(PURGE_STALE, self.account.window + self.account.lock)
        return attempt

    async def succeeded(self, conn: Conn, attempt: Attempt) -> None:
        """The password was right: the account's counter is cleared, the address's attempt
        given back."""
        await conn.execute(CLEAR_ACCOUNT, attempt.account_key)
        if attempt.address is not None:
            await conn.execute(TAKE_BACK_ADDRESS, attempt.address, self.address.lock_after)

    async def clear_account(self, conn: Conn, email: str) -> None:
        await conn.execute(CLEAR_ACCOUNT, account_key(email))

    async def _count(self, conn: Conn, rule: Rule, key: str) -> None:
        await conn.execute(ENSURE_ROW, rule.scope, key)
        row = await conn.fetchrow(LOCK_ROW, rule.scope, key)
        assert row is not None
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
        failures += 1
        lock = now + rule.lock if failures >= rule.lock_after else None
        await conn.execute(SAVE_ROW, rule.scope, key, failures, now, lock)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
