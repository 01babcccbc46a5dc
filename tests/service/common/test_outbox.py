"""Transactional outbox: an event is published if and only if its transaction commits."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import ClassVar

import asyncpg
import pytest

from services.common.bus import Bus
from services.common.events import Envelope, Event
from services.common.outbox import OutboxRelay, add_event
from tests.service.common.conftest import Probe, unique_type


def event_class(type_: str) -> type[Event]:
    class Happened(Event):
        TYPE: ClassVar[str] = type_
        n: int

    return Happened


async def unpublished(pool: asyncpg.Pool, event_type: str) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE type = $1 AND published_at IS NULL", event_type))


class Boom(Exception):
    pass


async def test_event_of_a_rolled_back_transaction_is_never_published(
        pool: asyncpg.Pool, bus: Bus, probe: Callable[[str], Awaitable[Probe]]) -> None:
    happened = event_class(unique_type())
    seen = await probe(happened.TYPE)
    relay = OutboxRelay(pool, bus, poll_seconds=0.1)
    await relay.start()
    try:
        async with pool.acquire() as conn:
            with pytest.raises(Boom):
                async with conn.transaction():
                    await add_event(conn, happened(n=1), producer="kernel")
                    raise Boom
            async with conn.transaction():
                await add_event(conn, happened(n=2), producer="kernel")
        received = await seen.wait_for(1)
        # The committed event came through; by then the relay has seen every committed row.
        await relay.relay_once()
    finally:
        await relay.stop()
    assert [e.data["n"] for e in received] == [2]
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT data FROM outbox WHERE type = $1", happened.TYPE)
    assert [r["data"]["n"] for r in rows] == [2]


async def test_committed_events_are_published_in_order_and_marked_sent(
        pool: asyncpg.Pool, bus: Bus, probe: Callable[[str], Awaitable[Probe]]) -> None:
    happened = event_class(unique_type())
    seen = await probe(happened.TYPE)
    async with pool.acquire() as conn, conn.transaction():
        for n in range(5):
            await add_event(conn, happened(n=n), producer="kernel")
    relay = OutboxRelay(pool, bus, poll_seconds=0.1)
    await relay.start()
    try:
        received = await seen.wait_for(5)
    finally:
        await relay.stop()
    assert [e.data["n"] for e in received] == [0, 1, 2, 3, 4]
    assert {e.producer for e in received} == {"kernel"}
    assert await unpublished(pool, happened.TYPE) == 0


class SlowBus(Bus):
    """The real broker, each publish a little slow: a stop lands mid-batch."""

    async def publish(self, envelope: Envelope, *, request_id: str | None = None,
                      timeout: float = 10.0) -> None:
        await asyncio.sleep(0.1)
        await super().publish(envelope, request_id=request_id, timeout=timeout)


async def test_a_stop_mid_batch_marks_what_went_out(
        pool: asyncpg.Pool, bus: Bus, probe: Callable[[str], Awaitable[Probe]]) -> None:
    # A relay stopped between a publish and its marking sent the rows again after a restart
    # (seen as a flaky count of unpublished rows right after every event had arrived).
    happened = event_class(unique_type())
    seen = await probe(happened.TYPE)
    async with pool.acquire() as conn, conn.transaction():
        for n in range(5):
            await add_event(conn, happened(n=n), producer="kernel")
    slow = SlowBus(bus.amqp_url, bus.namespace)
    await slow.connect()
    relay = OutboxRelay(pool, slow, poll_seconds=0.1)
    try:
        await relay.start()
        await seen.wait_for(1)
        await relay.stop()
        received = await seen.wait_for(5)
    finally:
        await slow.close()
    assert [e.data["n"] for e in received] == [0, 1, 2, 3, 4]
    assert await unpublished(pool, happened.TYPE) == 0


async def test_an_event_cannot_be_written_outside_a_transaction(pool: asyncpg.Pool) -> None:
    happened = event_class(unique_type())
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            await add_event(conn, happened(n=1), producer="kernel")


async def test_two_relays_publish_each_event_once(
        pool: asyncpg.Pool, bus: Bus, probe: Callable[[str], Awaitable[Probe]]) -> None:
    happened = event_class(unique_type())
    seen = await probe(happened.TYPE)
    async with pool.acquire() as conn, conn.transaction():
        for n in range(200):
            await add_event(conn, happened(n=n), producer="kernel")
    relays = [OutboxRelay(pool, bus, poll_seconds=0.05, batch=7) for _ in range(2)]
    for relay in relays:
        await relay.start()
    try:
        await seen.wait_for(200)
        assert await relays[0].relay_once() == 0  # nothing left behind
    finally:
        for relay in relays:
            await relay.stop()
    numbers = [e.data["n"] for e in seen.received]
    # Each once, and in the order written: one relay at a time has the turn.
    assert numbers == list(range(200))


class PausingBus(Bus):
    """The real bus, whose publishing waits until the test opens the gate."""

    def __init__(self, bus: Bus) -> None:
        super().__init__(bus.amqp_url, bus.namespace)
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    async def publish(self, envelope: Envelope, *, request_id: str | None = None,
                      timeout: float = 10.0) -> None:
        self.entered.set()
        await self.gate.wait()
        await super().publish(envelope, request_id=request_id, timeout=timeout)


async def test_the_relay_holds_no_row_lock_while_the_broker_confirms(
        pool: asyncpg.Pool, bus: Bus, probe: Callable[[str], Awaitable[Probe]]) -> None:
    happened = event_class(unique_type())
    seen = await probe(happened.TYPE)
    async with pool.acquire() as conn, conn.transaction():
        for n in range(3):
            await add_event(conn, happened(n=n), producer="kernel")
    pausing = PausingBus(bus)
    await pausing.connect()
    relay = OutboxRelay(pool, pausing, poll_seconds=0.1)
    publishing = asyncio.create_task(relay.relay_once())
    try:
        await asyncio.wait_for(pausing.entered.wait(), 10)
        # The batch is in hand and waits on the broker: its rows are not locked meanwhile.
        async with pool.acquire() as conn, conn.transaction():
            locked = await conn.fetch(
                "SELECT id FROM outbox WHERE type = $1 FOR UPDATE NOWAIT", happened.TYPE)
        pausing.gate.set()
        assert await publishing == 3
        await seen.wait_for(3)
    finally:
        pausing.gate.set()
        await pausing.close()
    assert len(locked) == 3
