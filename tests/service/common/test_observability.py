"""The operators' metrics: outbox backlog and lag, consumer failures, dead-letter queue sizes."""

import uuid

import asyncpg
from prometheus_client import CollectorRegistry

from services.common.bus import Bus, Consumer
from services.common.db import Conn
from services.common.events import Envelope
from services.common.observability import (
    CONSUMER_FAILURES,
    DEAD_LETTERS,
    OUTBOX_LAG,
    OUTBOX_PENDING,
    ServiceMetrics,
)
from tests.service.common.conftest import unique_type
from tests.support import eventually


async def test_outbox_backlog_and_lag_of_unpublished_events(pool: asyncpg.Pool) -> None:
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry)
    event_id = uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO outbox (id, type, version, occurred_at, producer, data, created_at) "
            "VALUES ($1, 'test.stuck', 1, now(), 'kernel', '{}', now() - interval '90 seconds')",
            event_id)
    try:
        await metrics.sample_outbox(pool)
        assert (registry.get_sample_value(OUTBOX_PENDING) or 0) >= 1
        assert (registry.get_sample_value(OUTBOX_LAG) or 0) >= 90
        async with pool.acquire() as conn:
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = $1", event_id)
            others = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        await metrics.sample_outbox(pool)
        assert registry.get_sample_value(OUTBOX_PENDING) == others
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM outbox WHERE id = $1", event_id)


async def test_failures_are_counted_and_dead_letters_measured(pool: asyncpg.Pool,
                                                               bus: Bus) -> None:
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry)
    event_type = unique_type()

    async def handler(conn: Conn, envelope: Envelope) -> None:
        raise RuntimeError("always")

    consumer = Consumer(bus, pool, name=f"c{uuid.uuid4().hex[:8]}", retry_delays=(0.05,))
    consumer.on_failure = metrics.consumer_failed
    consumer.subscribe(event_type, handler)
    queue = consumer.subscriptions[0].queue
    await metrics.sample_dead_letters(bus, [queue])
    assert registry.get_sample_value(DEAD_LETTERS, {"queue": queue}) == 0
    await consumer.start()
    try:
        await bus.publish(Envelope(type=event_type, producer="kernel", data={}))

        async def dead_lettered() -> bool:
            await metrics.sample_dead_letters(bus, [queue])
            return registry.get_sample_value(DEAD_LETTERS, {"queue": queue}) == 1

        await eventually(dead_lettered)
    finally:
        await consumer.stop()
        await consumer.delete_queues()
    failures = CONSUMER_FAILURES + "_total"
    assert registry.get_sample_value(failures, {"queue": queue, "outcome": "retried"}) == 1
    assert registry.get_sample_value(failures, {"queue": queue, "outcome": "dead_lettered"}) == 1


async def test_a_dead_letter_queue_not_declared_yet_counts_zero(bus: Bus) -> None:
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry)
    queue = f"never-declared-{uuid.uuid4().hex}"
    await metrics.sample_dead_letters(bus, [queue])
    assert registry.get_sample_value(DEAD_LETTERS, {"queue": queue}) == 0
