"""Consumers: one effect per event, retries with back-off, then a replayable dead letter."""

import uuid

import aio_pika
import asyncpg

from services.common.bus import Bus, Consumer, list_dead_letters, replay_dead_letters
from services.common.db import Conn
from services.common.events import Envelope
from tests.service.common.conftest import unique_type
from tests.support import eventually

CREATE_EFFECTS = """
CREATE TABLE IF NOT EXISTS effects (id serial PRIMARY KEY, event_id uuid NOT NULL, note text)
"""


async def effects_of(pool: asyncpg.Pool, event_id: uuid.UUID) -> int:
    async with pool.acquire() as conn:
        await conn.execute(CREATE_EFFECTS)
        count: int = await conn.fetchval("SELECT count(*) FROM effects WHERE event_id = $1",
                                         event_id)
        return count


def consumer(bus: Bus, pool: asyncpg.Pool, delays: tuple[float, ...] = (0.05, 0.1)) -> Consumer:
    return Consumer(bus, pool, name=f"c{uuid.uuid4().hex[:8]}", retry_delays=delays)


async def test_a_redelivered_event_has_one_effect(pool: asyncpg.Pool, bus: Bus) -> None:
    event_type = unique_type()
    calls: list[uuid.UUID] = []

    async def handler(conn: Conn, envelope: Envelope) -> None:
        calls.append(envelope.id)
        await conn.execute("INSERT INTO effects (event_id) VALUES ($1)", envelope.id)

    await effects_of(pool, uuid.uuid4())  # creates the table
    c = consumer(bus, pool)
    c.subscribe(event_type, handler)
    await c.start()
    try:
        envelope = Envelope(type=event_type, producer="kernel", data={})
        for _ in range(3):  # the broker may deliver a message again: same event id
            await bus.publish(envelope)
        other = Envelope(type=event_type, producer="kernel", data={})
        await bus.publish(other)
        await eventually(lambda: other.id in calls)
        await bus.publish(other)
        await eventually(lambda: len(calls) >= 2)
    finally:
        await c.stop()
        await c.delete_queues()
    assert calls.count(envelope.id) == 1
    assert await effects_of(pool, envelope.id) == 1
    assert await effects_of(pool, other.id) == 1


async def test_a_handler_that_fails_for_a_while_is_retried_until_it_succeeds(
        pool: asyncpg.Pool, bus: Bus) -> None:
    event_type = unique_type()
    attempts: list[int] = []

    async def flaky(conn: Conn, envelope: Envelope) -> None:
        attempts.append(1)
        # The write of a failed attempt is rolled back with it.
        await conn.execute("INSERT INTO effects (event_id, note) VALUES ($1, 'try')",
                           envelope.id)
        if len(attempts) < 3:
            raise RuntimeError("not yet")

    await effects_of(pool, uuid.uuid4())
    c = consumer(bus, pool)
    c.subscribe(event_type, flaky)
    await c.start()
    try:
        envelope = Envelope(type=event_type, producer="kernel", data={})
        await bus.publish(envelope)
        await eventually(lambda: len(attempts) >= 3)
        letters = await list_dead_letters(bus, [c.subscriptions[0].queue])
    finally:
        await c.stop()
        await c.delete_queues()
    assert len(attempts) == 3
    assert await effects_of(pool, envelope.id) == 1
    assert letters == []


async def test_a_handler_that_keeps_failing_ends_in_the_dead_letter_queue_and_can_be_replayed(
        pool: asyncpg.Pool, bus: Bus) -> None:
    event_type = unique_type()
    broken = True
    attempts: list[uuid.UUID] = []

    async def handler(conn: Conn, envelope: Envelope) -> None:
        attempts.append(envelope.id)
        if broken:
            raise RuntimeError("mail server down")
        await conn.execute("INSERT INTO effects (event_id) VALUES ($1)", envelope.id)

    await effects_of(pool, uuid.uuid4())
    c = consumer(bus, pool, delays=(0.05, 0.1, 0.2))
    c.subscribe(event_type, handler)
    await c.start()
    queue = c.subscriptions[0].queue
    try:
        envelope = Envelope(type=event_type, producer="kernel", data={})
        await bus.publish(envelope)
        await eventually(lambda: len(attempts) >= 4)  # first try + one per delay

        letters = await eventually(lambda: list_dead_letters(bus, [queue]))
        assert [(d.message_id, d.attempts) for d in letters] == [(str(envelope.id), 4)]
        assert "mail server down" in letters[0].error
        # Listing leaves the letter in place.
        assert len(await list_dead_letters(bus, [queue])) == 1
        assert await effects_of(pool, envelope.id) == 0

        broken = False
        replayed = await replay_dead_letters(bus, [queue])
        assert [d.message_id for d in replayed] == [str(envelope.id)]
        await eventually(lambda: effects_of(pool, envelope.id))
        assert await list_dead_letters(bus, [queue]) == []
    finally:
        await c.stop()
        await c.delete_queues()
    assert len(attempts) == 5
    assert await effects_of(pool, envelope.id) == 1


async def test_an_unreadable_message_is_dead_lettered_at_once(
        pool: asyncpg.Pool, bus: Bus) -> None:
    event_type = unique_type()

    async def handler(conn: Conn, envelope: Envelope) -> None:
        raise AssertionError("never called")

    c = consumer(bus, pool, delays=(0.05,))
    c.subscribe(event_type, handler)
    await c.start()
    queue = c.subscriptions[0].queue
    try:
        assert bus.exchange is not None
        await bus.exchange.publish(aio_pika.Message(b"not json", message_id="junk"),
                                   routing_key=event_type)
        found = await eventually(lambda: list_dead_letters(bus, [queue]))
    finally:
        await c.stop()
        await c.delete_queues()
    assert [(d.message_id, d.attempts) for d in found] == [("junk", 1)]
