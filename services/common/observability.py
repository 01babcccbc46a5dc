"""What operators watch on every service's /metrics, besides the per-route latency histogram:
the outbox backlog and lag, consumer failures (retried or dead-lettered) and the size of the
dead-letter queues. Names are the ones deploy/prometheus/alerts.yaml alerts on."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

import aio_pika.exceptions
import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

from services.common import keys
from services.common.bus import Bus, dead_letter_queue, queue_name
from services.common.settings import ServiceSettings

log = logging.getLogger(__name__)

OUTBOX_PENDING = "portail_outbox_pending_events"
OUTBOX_LAG = "portail_outbox_lag_seconds"
DEAD_LETTERS = "portail_dead_letter_messages"
CONSUMER_FAILURES = "portail_consumer_failures"
# How often the gauges are refreshed (a scrape every 15-30 s reads at most this old a value).
SAMPLE_SECONDS = 15.0


OUTBOX_BACKLOG = """
SELECT count(*) AS pending,
       coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS lag
FROM outbox WHERE published_at IS NULL
"""


class ServiceMetrics:
    """The gauges and counters of one service, in its app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.outbox_pending = Gauge(
            OUTBOX_PENDING, "Events in the outbox not yet published", registry=registry)
        self.outbox_lag = Gauge(
            OUTBOX_LAG, "Age of the oldest unpublished outbox event (0 when none)",
            registry=registry)
        self.dead_letters = Gauge(
            DEAD_LETTERS, "Messages waiting in a dead-letter queue (replay them once fixed)",
            ["queue"], registry=registry)
        self.consumer_failures = Counter(
            CONSUMER_FAILURES, "Event handler failures, by what became of the message",
            ["queue", "outcome"], registry=registry)

    def consumer_failed(self, queue: str, outcome: str) -> None:
        self.consumer_failures.labels(queue, outcome).inc()

    async def sample_outbox(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire(timeout=5) as conn:
            row = await conn.fetchrow(OUTBOX_BACKLOG)
        assert row is not None
        self.outbox_pending.set(row["pending"])
        self.outbox_lag.set(row["lag"])

    async def sample_dead_letters(self, bus: Bus, queues: Iterable[str]) -> None:
        if bus.connection is None:
            return
        for queue in queues:
            self.dead_letters.labels(queue).set(await _message_count(bus, dead_letter_queue(queue)))


async def _message_count(bus: Bus, queue: str) -> int:
    """Messages ready in `queue` (0 when it does not exist yet), on a channel of its own: a
    passive declaration of a missing queue closes its channel."""
    assert bus.connection is not None
    channel = await bus.connection.channel()
    try:
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
    except aio_pika.exceptions.ChannelClosed:
        return 0
    finally:
        with contextlib.suppress(Exception):
            await channel.close()


SERVICE_METRICS = web.AppKey("service_metrics", ServiceMetrics)


def consumed_queues(app: web.Application) -> list[str]:
    """The main queues of the events this service consumes."""
    if keys.HANDLERS not in app:
        return []
    settings = app[keys.SETTINGS]
    assert isinstance(settings, ServiceSettings)
    return [queue_name(settings.namespace, settings.service_name, event_type)
            for event_type in app[keys.HANDLERS](app)]


async def sample(app: web.Application) -> None:
    metrics = app[SERVICE_METRICS]
    await metrics.sample_outbox(app[keys.DB])
    await metrics.sample_dead_letters(app[keys.BUS], consumed_queues(app))


async def sampler_context(app: web.Application) -> AsyncIterator[None]:
    """Refresh the gauges every SAMPLE_SECONDS while the service runs; a failed sample (the
    database or broker away) leaves the last values and is retried at the next tick."""

    async def loop() -> None:
        while True:
            try:
                await sample(app)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("metrics sample failed", extra={"error": repr(exc)})
            await asyncio.sleep(SAMPLE_SECONDS)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
