"""RabbitMQ event bus: topic exchange, confirmed publishing, idempotent consumers, dead letters."""

import asyncio
import contextlib
import json
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aio_pika.exceptions
import aiormq.abc
import aiormq.exceptions
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
from services.common.events.topology import CONSUMERS
from services.common.log import request_id_var

log = logging.getLogger(__name__)

Handler = Callable[[Conn, Envelope], Awaitable[None]]

ATTEMPT_HEADER = "x-attempt"
# Pauses before declaring a consumer's queues again after a NOT_FOUND (see
# Consumer._declare_retrying).
DECLARE_PAUSES = (0.2, 0.5, 1.0, 2.0)
ERROR_HEADER = "x-error"

MARK_PROCESSED = """
INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING RETURNING 1
"""
WAS_PROCESSED = "SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2"
PURGE_PROCESSED = "DELETE FROM processed_events WHERE processed_at < now() - $1::text::interval"

Topology = Mapping[str, Iterable[str]]


class Unroutable(Exception):
    """The broker returned a message: no queue was bound to take it. The publisher keeps it
    (an outbox row stays unpublished, a failed event stays in its queue) and tries again."""


# Errors of the infrastructure, not of the handler: the database or the broker is away (or
# its pool has no connection to lend in time). Waiting helps; retrying at once does not, and
# counting these as attempts would dead-letter every event in flight during an outage.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted
    socket.gaierror,  # the host's name does not resolve (yet)
    TimeoutError,  # a pool's acquire timeout, a connection attempt that never answers
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    aio_pika.exceptions.AMQPConnectionError,
    aio_pika.exceptions.ChannelClosed,
    aio_pika.exceptions.ChannelInvalidStateError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether `exc`, or what caused it, says the infrastructure is away (see
    TRANSIENT_ERRORS); "connection is closed" from asyncpg too."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # A bare OSError: "connect call failed", host or network unreachable (a subclass such
        # as FileNotFoundError is a defect, not an outage).
        if isinstance(current, TRANSIENT_ERRORS) or type(current) is OSError:
            return True
        if isinstance(current, asyncpg.InterfaceError) and "closed" in str(current):
            return True
        # What it was raised from; what it was raised during, unless hidden (`from None`: a
        # handler saying its own failure is no outage, the notifier's MailNotSent).
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__)
    return False


def attempts_of(headers: Mapping[str, Any]) -> int | None:
    """The `x-attempt` count a message carries (0 when absent); None when it is not a count
    (a negative number, text, anything else): such a message goes to the dead letters."""
    value = headers.get(ATTEMPT_HEADER, 0)
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        return value
    return None


def parse_envelope(body: bytes) -> Envelope:
    """The envelope of a received message; ValueError when it is not one. An id is
    required: inventing one would give the same bytes delivered twice two ids (two mails)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"unreadable JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict) or "id" not in data:
        raise ValueError("envelope without an id")
    return Envelope.model_validate(data)


def main_queue_arguments(queue_type: str = "quorum") -> dict[str, Any]:
    """Arguments of a consumer's main queue: the same wherever it is declared (a second
    declaration with other arguments is refused by the broker)."""
    return {"x-queue-type": queue_type}


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

    def __init__(self, amqp_url: str, namespace: str, *, topology: Topology | None = None
                 ) -> None:
        self.amqp_url = amqp_url
        self.namespace = namespace
        self.exchange_name = f"{namespace}.events"
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractChannel | None = None
        self.exchange: AbstractExchange | None = None
        # Who consumes what (services.common.events.topology): their queues are declared
        # before an event type is first published, so no event is routed nowhere.
        self.topology: dict[str, tuple[str, ...]] = {
            name: tuple(types) for name, types in (CONSUMERS if topology is None
                                                   else topology).items()}
        self._declared: set[str] = set()

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
        self._declared.clear()

    def consumers_of(self, event_type: str) -> list[str]:
        return [name for name, types in self.topology.items() if event_type in types]

    def topology_queues(self) -> list[str]:
        """The main queue of every consumer of the topology."""
        return [queue_name(self.namespace, name, event_type)
                for name, types in self.topology.items() for event_type in types]

    async def declare_topology(self, event_type: str) -> None:
        """Declare and bind the main queue of every consumer of `event_type` (idempotent;
        once per connection and type)."""
        if event_type in self._declared:
            return
        if self.channel is None or self.exchange is None:
            raise RuntimeError("bus not connected")
        for consumer in self.consumers_of(event_type):
            queue = await self.channel.declare_queue(
                queue_name(self.namespace, consumer, event_type), durable=True,
                arguments=main_queue_arguments())
            await queue.bind(self.exchange, routing_key=event_type)
        self._declared.add(event_type)

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
        await self.declare_topology(envelope.type)
        result = await self.exchange.publish(
            to_message(envelope, request_id=request_id),
            routing_key=envelope.type,
            timeout=timeout,
        )
        if isinstance(result, aiormq.abc.DeliveredMessage):  # returned: routed nowhere
            if self.consumers_of(envelope.type):
                # A consumer's queue is missing (deleted by hand?): declare it again next
                # time, and fail now so that the event is kept.
                self._declared.discard(envelope.type)
                raise Unroutable(f"no queue bound for {envelope.type}")
            log.info("event published that no service consumes",
                     extra={"event_type": envelope.type, "event_id": str(envelope.id)})

    async def send_to_queue(self, queue: str, message: aio_pika.Message,
                            timeout: float = 10.0) -> None:
        """Put a message straight into a named queue (retries, dead letters, replays)."""
        if self.channel is None:
            raise RuntimeError("bus not connected")
        result = await self.channel.default_exchange.publish(message, routing_key=queue,
                                                             timeout=timeout)
        if isinstance(result, aiormq.abc.DeliveredMessage):
            raise Unroutable(f"no queue {queue}")


class OwnTransactions:
    """A handler that must not run inside the consumer's transaction: one that waits on
    something slow between its writes (a mail server) and opens its own short transactions.
    The consumer lends it no connection; it records the event as processed once the handler
    returned, so the handler itself must tolerate a second run (the notifier's sent log)."""

    def __init__(self, run: Callable[[Envelope], Awaitable[None]]) -> None:
        self.run = run

    async def __call__(self, conn: Conn, envelope: Envelope) -> None:
        await self.run(envelope)


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
    the commit. A failing handler is retried after growing delays, then dead-lettered; an
    outage of the database or the broker is waited out and never counts as an attempt; what
    cannot be handled at all (unreadable, no id, a malformed header) is dead-lettered at once
    with the reason. Nothing a message carries stops the consumer."""

    def __init__(
        self,
        bus: Bus,
        pool: asyncpg.Pool,
        *,
        name: str,
        retry_delays: Iterable[float] = (1.0, 5.0, 30.0, 120.0),
        prefetch: int = 16,
        queue_type: str = "quorum",
        outage_delays: tuple[float, float] = (0.5, 30.0),
        park_delay: float = 5.0,
        keep_processed: str = "30 days",
        purge_seconds: float = 3600.0,
    ) -> None:
        self.bus = bus
        self.pool = pool
        self.name = name
        self.retry_delays = tuple(retry_delays)
        # Capped at the pool's size when declared (see `declare`).
        self.prefetch = prefetch
        self.queue_type = queue_type
        # First and longest wait between two tries during an outage (doubling in between).
        self.outage_delays = outage_delays
        # Wait before putting back a message that could not be parked in a retry queue.
        self.park_delay = park_delay
        # processed_events older than this are purged (an event redelivered later than this
        # — a dead letter replayed after weeks — would be applied again).
        self.keep_processed = keep_processed
        self.purge_seconds = purge_seconds
        self.subscriptions: list[Subscription] = []
        self.channel: AbstractChannel | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._purger: asyncio.Task[None] | None = None
        self._own_locks: dict[tuple[str, uuid.UUID], asyncio.Lock] = {}
        self._own_users: dict[tuple[str, uuid.UUID], int] = {}
        self._stopping = False
        # Messages settled (acked after success, parked or dead-lettered): tests wait on it.
        self.settled = 0
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
            # Never more messages in hand than connections to handle them: the others would
            # wait for a connection and hold every one, leaving none to /readyz.
            self.prefetch = max(1, min(self.prefetch, self.pool.get_max_size()))
            self.channel = await self.bus.connection.channel()
            await self.channel.set_qos(prefetch_count=self.prefetch)
        exchange = await self.channel.declare_exchange(
            self.bus.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        for sub in self.subscriptions:
            main = await self.channel.declare_queue(
                sub.queue, durable=True, arguments=main_queue_arguments(self.queue_type))
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
        self._stopping = False
        await self._declare_retrying()
        for sub in self.subscriptions:
            sub.consumer_tag = await sub.queues[0].consume(self._callback(sub))
        if self._purger is None:
            self._purger = asyncio.create_task(self._purge_loop(), name="processed-purge")

    async def _declare_retrying(self) -> None:
        """`declare`, again after a pause when the broker answers NOT_FOUND: replicas (the
        workers of one part) starting together declare the same new queues at the same
        instant, and RabbitMQ may answer one that a queue another is creating has its « home
        node down or inaccessible », closing the channel — the whole start-up failed."""
        for pause in (*DECLARE_PAUSES, None):
            try:
                await self.declare()
                return
            except aiormq.exceptions.ChannelNotFoundEntity as exc:
                if pause is None:
                    raise
                log.warning("queue declaration refused, declared again", extra={
                    "consumer": self.name, "error": str(exc)[:300], "retry_in": pause})
                channel, self.channel = self.channel, None
                if channel is not None:
                    with contextlib.suppress(Exception):
                        await channel.close()
                await asyncio.sleep(pause)

    async def stop(self, *, grace: float = 10.0) -> None:
        """Stop taking messages, let the ones in hand finish (their ack needs the channel
        open), then close the channel. A message waiting out an outage is given back."""
        self._stopping = True
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
            self._purger = None
        for sub in self.subscriptions:
            if sub.consumer_tag and sub.queues:
                with contextlib.suppress(Exception):
                    await sub.queues[0].cancel(sub.consumer_tag)
            sub.consumer_tag = None
        if self._inflight:
            _, pending = await asyncio.wait(set(self._inflight), timeout=grace)
            for task in pending:  # unacked: the broker delivers them again
                task.cancel()
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

    async def purge_processed(self) -> int:
        """Forget the events processed longer than `keep_processed` ago; how many."""
        async with self.pool.acquire() as conn:
            status = await conn.execute(PURGE_PROCESSED, self.keep_processed)
        return int(status.rsplit(" ", 1)[-1])

    async def _purge_loop(self) -> None:
        while True:
            try:
                purged = await self.purge_processed()
                if purged:
                    log.info("processed events purged", extra={"count": purged})
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away: next time
                log.warning("processed events purge failed", extra={"error": repr(exc)})
            await asyncio.sleep(self.purge_seconds)

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
            await self._handle(sub, message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a defect of ours: never leave the message held for good
            log.exception("event handling failed", extra={
                "queue": sub.queue, "event_id": message.message_id, "error": repr(exc)})
            await self._give_back(message)
        finally:
            request_id_var.reset(token)
            if task is not None:
                self._inflight.discard(task)

    async def _handle(self, sub: Subscription, message: AbstractIncomingMessage) -> None:
        attempt = attempts_of(message.headers or {})
        if attempt is None:
            value = (message.headers or {}).get(ATTEMPT_HEADER)
            await self._failed(sub, message, f"{ATTEMPT_HEADER} header is not a count: "
                               f"{str(value)[:50]!r}", attempt=0, final=True)
            return
        try:
            envelope = parse_envelope(message.body)
        except ValueError as exc:  # unreadable: no retry can help
            await self._failed(sub, message, f"not an event: {exc}"[:500], attempt=attempt,
                               final=True)
            return
        waited = 0
        while True:
            try:
                await self._process(sub, envelope)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_transient(exc):
                    await self._failed(sub, message, repr(exc), attempt=attempt)
                    return
                if self._stopping:
                    await self._give_back(message, wait=False)
                    return
                delay = min(self.outage_delays[0] * 2**waited, self.outage_delays[1])
                waited += 1
                log.warning("infrastructure unavailable, event waits", extra={
                    "queue": sub.queue, "event_id": str(envelope.id), "waited": waited,
                    "retry_in": delay, "error": repr(exc)})
                await asyncio.sleep(delay)
            else:
                await self._settle(message)
                return

    async def _settle(self, message: AbstractIncomingMessage) -> None:
        try:
            await message.ack()
        except Exception as exc:  # channel gone: the broker delivers it again (no effect)
            log.warning("ack failed", extra={"event_id": message.message_id,
                                             "error": repr(exc)})
            return
        self.settled += 1

    async def _give_back(self, message: AbstractIncomingMessage, *, wait: bool = True) -> None:
        """Requeue `message` after `park_delay`: never at once, which would loop hot."""
        if wait:
            await asyncio.sleep(self.park_delay)
        with contextlib.suppress(Exception):
            await message.nack(requeue=True)

    async def _process(self, sub: Subscription, envelope: Envelope) -> None:
        consumer = sub.queue.removeprefix(self.bus.namespace + ".")
        if isinstance(sub.handler, OwnTransactions):
            # Two deliveries of one event in hand at once take turns (no transaction here
            # serialises them on processed_events' key).
            key = (consumer, envelope.id)
            lock = self._own_locks.setdefault(key, asyncio.Lock())
            self._own_users[key] = self._own_users.get(key, 0) + 1
            try:
                async with lock:
                    await self._process_own(sub.handler, consumer, envelope)
            finally:
                self._own_users[key] -= 1
                if not self._own_users[key]:
                    del self._own_users[key], self._own_locks[key]
            return
        async with self.pool.acquire() as conn, conn.transaction():
            first_time = await conn.fetchval(MARK_PROCESSED, consumer, envelope.id)
            if first_time:
                await sub.handler(conn, envelope)
            else:
                log.info("event already processed", extra={"event_id": str(envelope.id)})

    async def _process_own(self, handler: OwnTransactions, consumer: str,
                           envelope: Envelope) -> None:
        async with self.pool.acquire() as conn:
            done = await conn.fetchval(WAS_PROCESSED, consumer, envelope.id)
        if done:
            log.info("event already processed", extra={"event_id": str(envelope.id)})
            return
        await handler.run(envelope)
        async with self.pool.acquire() as conn:
            await conn.execute(MARK_PROCESSED, consumer, envelope.id)

    async def _failed(self, sub: Subscription, message: AbstractIncomingMessage,
                      error: str, *, attempt: int, final: bool = False) -> None:
        headers = dict(message.headers or {})
        attempt += 1
        headers[ATTEMPT_HEADER] = attempt
        headers[ERROR_HEADER] = error[:500]
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
            "to": target, "error": error[:500],
        })
        try:
            await self.bus.send_to_queue(target, retry)
        except Exception as exc:
            # Could not park it: leave it in the queue rather than lose it, after a pause.
            log.error("could not park a failed event, put back after a pause", extra={
                "queue": sub.queue, "event_id": message.message_id, "to": target,
                "error": repr(exc), "pause": self.park_delay})
            await self._give_back(message)
            return
        await self._settle(message)


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
                    attempts=attempts_of(headers) or 0,
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
