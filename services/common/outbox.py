"""Transactional outbox: events stored with the change, then published by a relay."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from services.common.bus import Bus
from services.common.db import Conn
from services.common.events import Envelope, Event
from services.common.log import current_request_id

log = logging.getLogger(__name__)

CHANNEL = "outbox"

INSERT_EVENT = """
INSERT INTO outbox (id, type, version, occurred_at, producer, data, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
PENDING_BATCH = """
SELECT id, type, version, occurred_at, producer, data, request_id
FROM outbox WHERE published_at IS NULL
ORDER BY created_at
LIMIT $1
"""
MARK_PUBLISHED = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])"
# One relay of a service's database publishes at a time (the others skip their turn), so the
# events leave in the order they were written: per aggregate, that is commit order (a change
# locks its row before it writes its event). Per database: services never wait on each other.
RELAY_LOCK = 0x4F555442  # "OUTB"
TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
UNLOCK = "SELECT pg_advisory_unlock($1)"
# Published rows may carry one-time links for the notifier: keep them only a short while.
PURGE_PUBLISHED = "DELETE FROM outbox WHERE published_at < now() - $1::text::interval"


async def add_event(conn: Conn, event: Event, *, producer: str) -> Envelope:
    """Store `event` in the caller's transaction; it is published only if that commits."""
    if not conn.is_in_transaction():
        raise RuntimeError("add_event must run inside the transaction of the change")
    envelope = event.envelope(producer=producer)
    await conn.execute(
        INSERT_EVENT,
        envelope.id,
        envelope.type,
        envelope.version,
        envelope.occurred_at,
        envelope.producer,
        envelope.data,
        current_request_id(),
    )
    # Delivered to listeners at commit only, and dropped on rollback.
    await conn.execute(f"NOTIFY {CHANNEL}")
    return envelope


async def add_events(conn: Conn, events: Sequence[Event], *, producer: str) -> list[Envelope]:
    """`add_event` for many events at once (an invoicing run issues thousands): one round
    trip for the rows, one NOTIFY."""
    if not conn.is_in_transaction():
        raise RuntimeError("add_events must run inside the transaction of the change")
    envelopes = [event.envelope(producer=producer) for event in events]
    if envelopes:
        request_id = current_request_id()
        await conn.executemany(INSERT_EVENT, [
            (e.id, e.type, e.version, e.occurred_at, e.producer, e.data, request_id)
            for e in envelopes])
        await conn.execute(f"NOTIFY {CHANNEL}")
    return envelopes


class OutboxRelay:
    """Publishes pending outbox rows with publisher confirms, then marks them sent.

    Woken by LISTEN/NOTIFY and, as a fallback, by polling. Several replicas may run one each:
    a session advisory lock gives the turn to one at a time, which publishes in the order
    the rows were written (no event of an aggregate overtakes an older one).
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        bus: Bus,
        *,
        poll_seconds: float = 1.0,
        batch: int = 100,
        keep_published: str = "7 days",
    ) -> None:
        self.pool = pool
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.keep_published = keep_published
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: PoolConnectionProxy | None = None
        self._stopping = asyncio.Event()

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish one batch; return how many rows were published (0 when another relay holds
        the turn). No transaction and no row lock is held while the broker confirms: only a
        session advisory lock, released with the connection should this one die."""
        async with self.pool.acquire() as conn:
            if not await conn.fetchval(TRY_LOCK, RELAY_LOCK):
                return 0
            try:
                rows = await conn.fetch(PENDING_BATCH, self.batch)
                published: list[Any] = []
                try:
                    for row in rows:
                        await self.bus.publish(Envelope(
                            id=row["id"],
                            type=row["type"],
                            version=row["version"],
                            occurred_at=row["occurred_at"],
                            producer=row["producer"],
                            data=row["data"],
                        ), request_id=row["request_id"])
                        published.append(row["id"])
                finally:
                    # What went out is marked even if a later row failed (fewer repeats).
                    if published:
                        await conn.execute(MARK_PUBLISHED, published)
                return len(rows)
            finally:
                await conn.execute(UNLOCK, RELAY_LOCK)

    async def _listen(self) -> None:
        with contextlib.suppress(Exception):
            if self._listener is None or self._listener.is_closed():
                listener = await self.pool.acquire()
                await listener.add_listener(CHANNEL, self._notified)
                self._listener = listener

    async def run(self) -> None:
        failures = 0
        ticks = 0
        while not self._stopping.is_set():
            await self._listen()
            self._wake.clear()
            try:
                while await self.relay_once() == self.batch:
                    pass
                failures = 0
                ticks += 1
                if ticks % 3600 == 0:
                    async with self.pool.acquire() as conn:
                        await conn.execute(PURGE_PUBLISHED, self.keep_published)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: keep the rows, try later
                failures += 1
                log.warning("outbox relay failed, will retry", extra={"error": repr(exc)})
                await self._pause(min(self.poll_seconds * 2**failures, 10.0))
                continue
            await self._pause(self.poll_seconds)

    async def _pause(self, seconds: float) -> None:
        """Until woken (a commit's NOTIFY, a stop) or `seconds` have passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self, *, grace: float = 5.0) -> None:
        """Let a batch in hand finish (published rows marked, so they do not go out again
        after a restart), then stop; cancelled if it takes longer than `grace`."""
        if self._task is not None:
            self._stopping.set()
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), grace)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.remove_listener(CHANNEL, self._notified)
            await self.pool.release(self._listener)
            self._listener = None
