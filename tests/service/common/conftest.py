"""Fixtures of the kernel tests: a scratch database with the kernel tables, a bus, a probe."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from services.common.bus import Bus
from services.common.db import COMMON_MIGRATIONS, create_pool, ensure_database, migrate
from services.common.events import Envelope
from services.common.settings import ServiceSettings
from tests.support import AMQP_URL, NAMESPACE, eventually, settings_for


class KernelSettings(ServiceSettings):
    service_name: str = "kernel"


@pytest.fixture(scope="session")
def kernel_settings() -> KernelSettings:
    return settings_for(KernelSettings)


@pytest.fixture(scope="session")
async def pool(kernel_settings: KernelSettings) -> AsyncIterator[asyncpg.Pool]:
    await ensure_database(kernel_settings.pg_dsn, kernel_settings.database)
    conn = await asyncpg.connect(kernel_settings.database_dsn())
    try:
        await migrate(conn, [COMMON_MIGRATIONS, Path("/nonexistent")])
    finally:
        await conn.close()
    pool = await create_pool(kernel_settings)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def bus() -> AsyncIterator[Bus]:
    bus = Bus(AMQP_URL, NAMESPACE)
    await bus.connect()
    yield bus
    await bus.close()


class Probe:
    """An exclusive queue bound to some event types, collecting what the exchange routes."""

    def __init__(self, queue: AbstractQueue) -> None:
        self.queue = queue
        self.received: list[Envelope] = []

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        async with message.process():
            self.received.append(Envelope.model_validate_json(message.body))

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Envelope]:
        await eventually(lambda: len(self.received) >= count, timeout=timeout)
        return self.received


@pytest.fixture
async def probe(bus: Bus) -> AsyncIterator[Callable[[str], Awaitable[Probe]]]:
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()

    async def make(routing_key: str) -> Probe:
        exchange = await channel.declare_exchange(
            bus.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=routing_key)
        found = Probe(queue)
        await queue.consume(found.on_message)
        return found

    yield make
    await connection.close()


def unique_type() -> str:
    """An event type no other test uses, so probes see only their own events."""
    return f"kernel.t{uuid.uuid4().hex[:12]}"
