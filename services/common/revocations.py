"""Closed sessions, refused by every process at once: a bounded in-memory set fed by
`auth.session_revoked`.

Access tokens are checked locally (signature, expiry); without this set a token of a session
closed by a logout or a password change would still open every service until it expires.
Each process binds an exclusive, auto-delete queue of its own to the event, so every worker
of a service hears every revocation (the service's shared queues would give each message to
one worker only). A process that starts, or reconnects to the broker, misses the revocations
published while it was away: its set starts empty, and such tokens lapse with their ~10
minutes."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from aiohttp import web
from pydantic import ValidationError

from services.common import keys
from services.common.events import Envelope
from services.common.events.auth import SessionRevoked

log = logging.getLogger(__name__)


class RevokedSessions:
    """Session ids refused until their tokens' expiry; at most `limit` of them (when full,
    those that expire first make room, with a warning)."""

    def __init__(self, *, limit: int = 100_000) -> None:
        self.limit = limit
        self._until: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._until)

    def revoke(self, sid: str, expires_at: datetime) -> None:
        until = expires_at.timestamp()
        now = time.time()
        if until <= now:
            return
        if sid not in self._until and len(self._until) >= self.limit:
            self._forget_expired(now)
            if len(self._until) >= self.limit:
                soonest = min(self._until, key=self._until.__getitem__)
                del self._until[soonest]
                log.warning("revoked sessions full, the one expiring first forgotten",
                            extra={"limit": self.limit})
        self._until[sid] = max(until, self._until.get(sid, 0.0))

    def __contains__(self, sid: object) -> bool:
        if not isinstance(sid, str):
            return False
        until = self._until.get(sid)
        if until is None:
            return False
        if until <= time.time():
            del self._until[sid]
            return False
        return True

    def _forget_expired(self, now: float) -> None:
        for sid in [s for s, until in self._until.items() if until <= now]:
            del self._until[sid]


REVOKED = web.AppKey("revoked_sessions", RevokedSessions)


def revoked_sessions(app: web.Application) -> RevokedSessions:
    """The process's set (created on first use, so the token check can rely on it)."""
    if REVOKED not in app:
        app[REVOKED] = RevokedSessions()
    return app[REVOKED]


async def revocations_context(app: web.Application) -> AsyncIterator[None]:
    """Listen to `auth.session_revoked` on a queue of this process's own, once the bus is
    connected; the queue goes with the connection."""
    revoked = revoked_sessions(app)
    bus = app[keys.BUS]
    if bus.connection is None:
        raise RuntimeError("bus not connected")
    channel = await bus.connection.channel()
    exchange = await channel.declare_exchange(bus.exchange_name, aio_pika.ExchangeType.TOPIC,
                                              durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key=SessionRevoked.TYPE)

    async def on_message(message: AbstractIncomingMessage) -> None:
        try:
            event = SessionRevoked.of(Envelope.model_validate_json(message.body))
        except (ValidationError, ValueError) as exc:
            log.warning("unreadable session revocation ignored", extra={"error": repr(exc)})
            return
        revoked.revoke(event.sid, event.expires_at)

    tag = await queue.consume(on_message, no_ack=True)
    try:
        yield
    finally:
        try:
            await queue.cancel(tag)
            await channel.close()
        except (aio_pika.exceptions.AMQPError, asyncio.CancelledError, RuntimeError) as exc:
            log.info("revocations listener closed uncleanly", extra={"error": repr(exc)})
