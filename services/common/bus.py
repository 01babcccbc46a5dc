"""RabbitMQ event bus: topic exchange, confirmed publishing, idempotent consumers, dead letters."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from services.common.db import Conn
from services.common.events import Envelope
from services.common.log import request_id_var

log = logging.getLogger(__name__)

Handler = Callable[[Conn, Envelope], Awaitable[None]]

ATTEMPT_HEADER = "x-attempt"
ERROR_HEADER = "x-error"

MARK_PROCESSED = """
INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING RETURNING 1
"""


def queue_name(namespace: str, consumer: str, event_type: str) -> str:
    """`{namespace}.{consumer}.{event_type}`: who consumes what, readable in the broker."""
    return f"{namespace}.{consumer}.{event_type}"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dead"


def retry_queue(queue: str, delay: float) -> str:
    return f"{queue}.retry.{int(delay * 1000)}ms"


def to_message(envelope: Envelope, *, request_id: str | None, headers: dict[str, Any] | None = None
               ) -> aio_pika.Message:
    return aio_pika.Message(
        body=envelope.model_dump_json().encode(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=str(envelope.id),
        type=envelope.type,
        correlation_id=request_id,
        timestamp=datetime.now(UTC),
        headers=headers or {},
    )


def copy_message(message: AbstractIncomingMessage, headers: dict[str, Any]
                 ) -> aio_pika.Message:
    """The same event, persistent, with other headers (retries, dead letters, replays)."""
    return aio_pika.Message(
        body=message.body,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        type=message.type,
        correlation_id=message.correlation_id,
        headers=headers,
    )


class Bus:
    """One robust connection; a publisher-confirm channel bound to the topic exchange."""

    def __init__(self, amqp_url: str, namespace: str) -> None:
        self.amqp_url = amqp_url
        self.namespace = namespace
        self.exchange_name = f"{namespace}.events"
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractChannel | None = None
        self.exchange: AbstractExchange | None = None

    async def connect(self, *, timeout: float = 10.0) -> None:
        self.connection = await aio_pika.connect_robust(self.amqp_url, timeout=timeout)
        self.channel = await self.connection.channel(publisher_confirms=True)
        self.exchange = await self.channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None

    @property
    def is_connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed and (
            self.channel is not None and not self.channel.is_closed
        )

    async def publish(self, envelope: Envelope, *, request_id: str | None = None,
                      timeout: float = 10.0) -> None:
        """Publish and wait for the broker's confirmation (raises if it does not come)."""
        if self.exchange is None:
            raise RuntimeError("bus not connected")
        await self.exchange.publish(
            to_message(envelope, request_id=request_id),
            routing_key=envelope.type,
            timeout=timeout,
        )

    async def send_to_queue(self, queue: str, message: aio_pika.Message,
                            timeout: float = 10.0) -> None:
        """Put a message straight into a named queue (retries, dead letters, replays)."""
        if self.channel is None:
            raise RuntimeError("bus not connected")
        await self.channel.default_exchange.publish(message, routing_key=queue, timeout=timeout)


@dataclass
class Subscription:
    event_type: str
    handler: Handler
    queue: str
    consumer_tag: str | None = None
    queues: list[AbstractQueue] = field(default_factory=list)


class Consumer:
    """Consumes events for one service: each handler runs in a transaction that also records
    the event id, so a redelivered event has no second effect; the message is acked after
    the commit. A failing handler is retried after growing delays, then dead-lettered."""

    def __init__(
        self,
        bus: Bus,
        pool: asyncpg.Pool,
        *,
        name: str,
        retry_delays: Iterable[float] = (1.0, 5.0, 30.0, 120.0),
        prefetch: int = 16,
        queue_type: str = "quorum",
    ) -> None:
        self.bus = bus
        self.pool = pool
        self.name = name
        self.retry_delays = tuple(retry_delays)
        self.prefetch = prefetch
        self.queue_type = queue_type
        self.subscriptions: list[Subscription] = []
        self.channel: AbstractChannel | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        # Told of each handler failure: (main queue, "retried" | "dead_lettered") — metrics.
        self.on_failure: Callable[[str, str], None] | None = None

    def subscribe(self, event_type: str, handler: Handler) -> None:
        queue = queue_name(self.bus.namespace, self.name, event_type)
        self.subscriptions.append(Subscription(event_type, handler, queue))

    def queue_names(self) -> list[str]:
        """Every queue this consumer declares (main, retry and dead-letter)."""
        names: list[str] = []
        for sub in self.subscriptions:
            names.append(sub.queue)
            names.extend(retry_queue(sub.queue, d) for d in self.retry_delays)
            names.append(dead_letter_queue(sub.queue))
        return names

    async def declare(self) -> None:
        """Declare every queue and binding (idempotent)."""
        if self.bus.connection is None:
            raise RuntimeError("bus not connected")
        if self.channel is None:
            self.channel = await self.bus.connection.channel()
            await self.channel.set_qos(prefetch_count=self.prefetch)
        durable: dict[str, Any] = {"x-queue-type": self.queue_type}
        exchange = await self.channel.declare_exchange(
            self.bus.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        for sub in self.subscriptions:
            main = await self.channel.declare_queue(sub.queue, durable=True, arguments=durable)
            await main.bind(exchange, routing_key=sub.event_type)
            sub.queues = [main]
            for delay in self.retry_delays:
                # Same TTL for every message of a retry queue, so none waits behind another.
                sub.queues.append(await self.channel.declare_queue(
                    retry_queue(sub.queue, delay),
                    durable=True,
                    arguments={
                        "x-message-ttl": int(delay * 1000),
                        "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": sub.queue,
                    },
                ))
            # A classic queue: listing it requeues messages, which must not count as deliveries.
            sub.queues.append(await self.channel.declare_queue(
                dead_letter_queue(sub.queue), durable=True
            ))

    async def start(self) -> None:
        await self.declare()
        for sub in self.subscriptions:
            sub.consumer_tag = await sub.queues[0].consume(self._callback(sub))

    async def stop(self, *, grace: float = 10.0) -> None:
        """Stop taking messages, let the ones in hand finish (their ack needs the channel
        open), then close the channel."""
        for sub in self.subscriptions:
            if sub.consumer_tag and sub.queues:
                with contextlib.suppress(Exception):
                    await sub.queues[0].cancel(sub.consumer_tag)
            sub.consumer_tag = None
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=grace)
        if self.channel is not None:
            with contextlib.suppress(Exception):
                await self.channel.close()
            self.channel = None

    async def delete_queues(self) -> None:
        """Remove every queue of this consumer (test clean-up)."""
        if self.bus.connection is None:
            return
        channel = await self.bus.connection.channel()
        try:
            for name in self.queue_names():
                with contextlib.suppress(Exception):
                    await channel.queue_delete(name)
        finally:
            await channel.close()

    def _callback(self, sub: Subscription) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        async def on_message(message: AbstractIncomingMessage) -> None:
            await self.handle(sub, message)

        return on_message

    async def handle(self, sub: Subscription, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        token = request_id_var.set(message.correlation_id)
        try:
            try:
                envelope = Envelope.model_validate_json(message.body)
            except ValueError as exc:  # unreadable: no retry can help
                await self._failed(sub, message, exc, final=True)
                return
            try:
                await self._process(sub, envelope)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._failed(sub, message, exc)
            else:
                await message.ack()
        finally:
            request_id_var.reset(token)
            if task is not None:
                self._inflight.discard(task)

    async def _process(self, sub: Subscription, envelope: Envelope) -> None:
        consumer = sub.queue.removeprefix(self.bus.namespace + ".")
        async with self.pool.acquire() as conn, conn.transaction():
            first_time = await conn.fetchval(MARK_PROCESSED, consumer, envelope.id)
            if first_time:
                await sub.handler(conn, envelope)
            else:
                log.info("event already processed", extra={"event_id": str(envelope.id)})

    async def _failed(self, sub: Subscription, message: AbstractIncomingMessage,
                      exc: Exception, *, final: bool = False) -> None:
        headers = dict(message.headers or {})
        attempt = int(str(headers.get(ATTEMPT_HEADER, 0))) + 1
        headers[ATTEMPT_HEADER] = attempt
        headers[ERROR_HEADER] = repr(exc)[:500]
        retry = copy_message(message, headers)
        if not final and attempt <= len(self.retry_delays):
            target = retry_queue(sub.queue, self.retry_delays[attempt - 1])
            level = logging.WARNING
        else:
            target = dead_letter_queue(sub.queue)
            level = logging.ERROR
        if self.on_failure is not None:
            self.on_failure(sub.queue, "retried" if level == logging.WARNING else "dead_lettered")
        log.log(level, "event handler failed", extra={
            "queue": sub.queue, "event_id": message.message_id, "attempt": attempt,
            "to": target, "error": repr(exc),
        })
        try:
            await self.bus.send_to_queue(target, retry)
        except Exception:
            # Could not park it: leave it in the queue rather than lose it.
            await message.nack(requeue=True)
            raise
        await message.ack()


@dataclass
class DeadLetter:
    queue: str
    message_id: str | None
    type: str | None
    attempts: int
    error: str


async def list_dead_letters(bus: Bus, queues: Iterable[str]) -> list[DeadLetter]:
    """What sits in the dead-letter queues of `queues` (left in place)."""
    return await _walk_dead_letters(bus, queues, replay=lambda _: False)


async def replay_dead_letters(bus: Bus, queues: Iterable[str],
                              message_id: str | None = None) -> list[DeadLetter]:
    """Send dead letters (all, or the one with `message_id`) back to their queue for a new try."""
    return await _walk_dead_letters(
        bus, queues, replay=lambda m: message_id is None or m.message_id == message_id
    )


async def _walk_dead_letters(bus: Bus, queues: Iterable[str],
                             replay: Callable[[AbstractIncomingMessage], bool]
                             ) -> list[DeadLetter]:
    if bus.connection is None:
        raise RuntimeError("bus not connected")
    seen: list[DeadLetter] = []
    channel = await bus.connection.channel(publisher_confirms=True)
    try:
        for main in queues:
            dlq = await channel.get_queue(dead_letter_queue(main), ensure=True)
            kept: list[AbstractIncomingMessage] = []
            while (message := await dlq.get(no_ack=False, fail=False)) is not None:
                headers = message.headers or {}
                item = DeadLetter(
                    queue=main,
                    message_id=message.message_id,
                    type=message.type,
                    attempts=int(str(headers.get(ATTEMPT_HEADER, 0))),
                    error=str(headers.get(ERROR_HEADER, "")),
                )
                if replay(message):
                    fresh = {k: v for k, v in headers.items()
                             if k not in (ATTEMPT_HEADER, ERROR_HEADER)}
                    await channel.default_exchange.publish(copy_message(message, fresh),
                                                           routing_key=main)
                    await message.ack()
                else:
                    kept.append(message)
                seen.append(item)
            for message in kept:  # back in the dead-letter queue, untouched
                await message.nack(requeue=True)
    finally:
        await channel.close()
    return seen
