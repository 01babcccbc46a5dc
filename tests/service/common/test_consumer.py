"""Consumers: one effect per event, retries with back-off, then a replayable dead letter."""

import asyncio
import itertools
import json
import uuid
from typing import Any

import aio_pika
import asyncpg

from services.common.bus import (
    Bus,
    Consumer,
    dead_letter_queue,
    list_dead_letters,
    replay_dead_letters,
    retry_queue,
)
from services.common.db import Conn
from services.common.events import Envelope
from tests.service.common.conftest import unique_type
from tests.support import AMQP_URL, NAMESPACE, delete_queues, eventually

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
        # Every delivery settled (acked), the second of `other` included: only then count.
        await eventually(lambda: c.settled == 5)
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


async def test_an_event_published_before_its_consumer_ever_started_reaches_it(
        pool: asyncpg.Pool) -> None:
    """The topology the publisher declares holds the event until its consumer's first start."""
    event_type = unique_type()
    name = f"c{uuid.uuid4().hex[:8]}"
    publisher = Bus(AMQP_URL, NAMESPACE, topology={name: (event_type,)})
    await publisher.connect()
    got: list[uuid.UUID] = []

    async def handler(conn: Conn, envelope: Envelope) -> None:
        got.append(envelope.id)

    c = Consumer(publisher, pool, name=name, retry_delays=(0.05,))
    try:
        envelope = Envelope(type=event_type, producer="kernel", data={})
        await publisher.publish(envelope)  # no consumer has ever declared its queue
        c.subscribe(event_type, handler)
        await c.start()
        await eventually(lambda: got)
    finally:
        await c.stop()
        await c.delete_queues()
        await publisher.close()
    assert got == [envelope.id]


async def test_a_publish_that_no_consumer_queue_takes_fails_instead_of_losing_the_event(
        pool: asyncpg.Pool) -> None:
    event_type = unique_type()
    name = f"c{uuid.uuid4().hex[:8]}"
    publisher = Bus(AMQP_URL, NAMESPACE, topology={name: (event_type,)})
    await publisher.connect()
    try:
        await publisher.publish(Envelope(type=event_type, producer="kernel", data={}))
        queue = f"{NAMESPACE}.{name}.{event_type}"
        await delete_queues(AMQP_URL, [queue])  # gone behind the publisher's back
        raised = None
        try:
            await publisher.publish(Envelope(type=event_type, producer="kernel", data={}))
        except Exception as exc:
            raised = exc
        # The next try declares the queue again and goes through.
        await publisher.publish(Envelope(type=event_type, producer="kernel", data={}))
    finally:
        await delete_queues(AMQP_URL, [f"{NAMESPACE}.{name}.{event_type}"])
        await publisher.close()
    assert type(raised).__name__ == "Unroutable"


async def test_malformed_messages_are_dead_lettered_with_the_reason_and_never_stop_a_consumer(
        pool: asyncpg.Pool, bus: Bus) -> None:
    event_type = unique_type()
    handled: list[uuid.UUID] = []

    async def handler(conn: Conn, envelope: Envelope) -> None:
        handled.append(envelope.id)

    c = Consumer(bus, pool, name=f"c{uuid.uuid4().hex[:8]}", retry_delays=(0.05,), prefetch=4)
    c.subscribe(event_type, handler)
    await c.start()
    queue = c.subscriptions[0].queue
    good = Envelope(type=event_type, producer="kernel", data={})
    without_id = json.dumps({"type": event_type, "producer": "kernel", "data": {}}).encode()
    bad: list[tuple[bytes, dict[str, Any]]] = [
        (good.model_dump_json().encode(), {"x-attempt": "abc"}),
        (good.model_dump_json().encode(), {"x-attempt": -3}),
        (good.model_dump_json().encode(), {"x-attempt": [1]}),
        (without_id, {}),
        (b"[" * 5000, {}),
    ]
    try:
        assert bus.exchange is not None
        for n in range(20):
            body, headers = bad[n % len(bad)]
            await bus.exchange.publish(
                aio_pika.Message(body, message_id=f"bad-{n}", headers=headers),
                routing_key=event_type)
        goods = [Envelope(type=event_type, producer="kernel", data={}) for _ in range(5)]
        for envelope in goods:
            await bus.publish(envelope)
        await eventually(lambda: len(handled) == 5)
        letters = await eventually(
            lambda: _when(list_dead_letters(bus, [queue]), lambda found: len(found) == 20))
    finally:
        await c.stop()
        await c.delete_queues()
    assert sorted(handled) == sorted(e.id for e in goods)
    reasons = {d.message_id: d.error for d in letters}
    assert sorted(reasons) == sorted(f"bad-{n}" for n in range(20))
    assert reasons["bad-0"] == "x-attempt header is not a count: 'abc'"
    assert reasons["bad-1"] == "x-attempt header is not a count: '-3'"
    assert reasons["bad-3"] == "not an event: envelope without an id"
    assert reasons["bad-4"].startswith("not an event: unreadable JSON")


async def _when(found: Any, condition: Any) -> Any:
    result = await found
    return result if condition(result) else None


async def test_a_failed_message_that_cannot_be_parked_is_put_back_after_a_pause(
        pool: asyncpg.Pool, bus: Bus) -> None:
    event_type = unique_type()
    tries: list[float] = []
    loop = asyncio.get_running_loop()

    async def handler(conn: Conn, envelope: Envelope) -> None:
        tries.append(loop.time())
        raise RuntimeError("broken")

    c = Consumer(bus, pool, name=f"c{uuid.uuid4().hex[:8]}", retry_delays=(0.05,),
                 park_delay=0.3)
    c.subscribe(event_type, handler)
    await c.start()
    queue = c.subscriptions[0].queue
    try:
        # Neither the retry queue nor the dead-letter queue can take it any more.
        await delete_queues(AMQP_URL, [retry_queue(queue, 0.05), dead_letter_queue(queue)])
        await bus.publish(Envelope(type=event_type, producer="kernel", data={}))
        await eventually(lambda: len(tries) >= 4)
    finally:
        await c.stop()
        await c.delete_queues()
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert min(gaps) >= 0.3, gaps


async def test_processed_events_are_forgotten_after_the_retention_window(
        pool: asyncpg.Pool, bus: Bus) -> None:
    name = f"c{uuid.uuid4().hex[:8]}"
    old, recent = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES "
            "($1, $2, now() - interval '2 hours'), ($1, $3, now())", f"{name}.x", old, recent)

    async def remaining() -> set[uuid.UUID]:
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT event_id FROM processed_events WHERE consumer = $1",
                                    f"{name}.x")
        return {r["event_id"] for r in rows}

    c = Consumer(bus, pool, name=name, keep_processed="1 hour", purge_seconds=0.1,
                 prefetch=500)
    c.subscribe(unique_type(), lambda conn, envelope: asyncio.sleep(0))
    await c.start()
    try:
        await eventually(lambda: _when(remaining(), lambda ids: old not in ids))
        assert await remaining() == {recent}
    finally:
        await c.stop()
        await c.delete_queues()
    # Never more messages in hand than connections to handle them.
    assert c.prefetch == pool.get_max_size()


class RefusedOnce(Consumer):
    """Its first declaration is refused NOT_FOUND by the broker (as when a replica starting at
    the same instant is creating the same queue), the channel closed."""

    refused = False

    async def declare(self) -> None:
        if not self.refused:
            self.refused = True
            assert self.bus.connection is not None
            self.channel = await self.bus.connection.channel()
            await self.channel.declare_queue(f"{NAMESPACE}.absent.{uuid.uuid4().hex}",
                                             passive=True)
        await super().declare()


async def test_a_consumer_whose_queue_declaration_is_refused_once_declares_again_and_starts(
        pool: asyncpg.Pool, bus: Bus) -> None:
    event_type = unique_type()
    seen: list[uuid.UUID] = []

    async def handler(conn: Conn, envelope: Envelope) -> None:
        seen.append(envelope.id)

    c = RefusedOnce(bus, pool, name=f"c{uuid.uuid4().hex[:8]}", retry_delays=(0.05,))
    c.subscribe(event_type, handler)
    await c.start()
    try:
        assert c.refused
        envelope = Envelope(type=event_type, producer="kernel", data={})
        await bus.publish(envelope)
        await eventually(lambda: envelope.id in seen)
    finally:
        await c.stop()
        await c.delete_queues()
