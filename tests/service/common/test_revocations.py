"""Revoked sessions: every process hears every `auth.session_revoked` (a queue of its own),
and keeps each one until the session's tokens expire, within a bound."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from aiohttp import web

from services.common import keys
from services.common.bus import Bus
from services.common.events.auth import SessionRevoked
from services.common.revocations import RevokedSessions, revocations_context, revoked_sessions
from tests.support import AMQP_URL, NAMESPACE, eventually


@contextlib.asynccontextmanager
async def process() -> AsyncIterator[RevokedSessions]:
    """What one worker process of a service runs: its bus and its revocations listener."""
    bus = Bus(AMQP_URL, NAMESPACE)
    await bus.connect()
    app = web.Application()
    app[keys.BUS] = bus
    listening = revocations_context(app)
    try:
        await anext(listening)
        yield revoked_sessions(app)
    finally:
        with contextlib.suppress(StopAsyncIteration):
            await anext(listening)
        await bus.close()


async def test_every_process_hears_every_revocation(bus: Bus) -> None:
    async with process() as first, process() as second:
        sids = [uuid.uuid4().hex for _ in range(5)]
        expires_at = datetime.now(UTC) + timedelta(minutes=11)
        for sid in sids:
            await bus.publish(SessionRevoked(sid=sid, expires_at=expires_at)
                              .envelope(producer="auth"))
        await eventually(lambda: all(s in first and s in second for s in sids))
        assert uuid.uuid4().hex not in first


def test_a_revocation_is_kept_until_the_tokens_expire_and_the_set_is_bounded() -> None:
    revoked = RevokedSessions(limit=3)
    now = datetime.now(UTC)
    revoked.revoke("past", now - timedelta(seconds=1))
    assert "past" not in revoked and len(revoked) == 0
    for i, minutes in enumerate((5, 1, 9)):
        revoked.revoke(f"s{i}", now + timedelta(minutes=minutes))
    revoked.revoke("s3", now + timedelta(minutes=7))
    # Full: the one whose tokens expire first (s1) made room.
    assert [s for s in ("s0", "s1", "s2", "s3") if s in revoked] == ["s0", "s2", "s3"]
    assert len(revoked) == 3
