"""Reservations service under test: real PostgreSQL and RabbitMQ, a movable clock, and a log of
its events."""

import contextlib
from collections.abc import AsyncIterator

import aio_pika
import aiohttp
import pytest
from aio_pika.abc import AbstractIncomingMessage

from services.common.events import Envelope
from services.reservations import keys
from services.reservations.app import create_app
from services.reservations.settings import Settings
from tests.service.reservations.helpers import TOKENS, Catalogue, Clock, EventLog, Reservations
from tests.support import AMQP_URL, NAMESPACE, RUN, serve, settings_for


@pytest.fixture(scope="package")
async def events() -> AsyncIterator[EventLog]:
    log = EventLog()
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(f"{NAMESPACE}.events",
                                              aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="reservations.#")

    async def on_message(message: AbstractIncomingMessage) -> None:
        async with message.process():
            log.received.append(Envelope.model_validate_json(message.body))

    await queue.consume(on_message)
    try:
        yield log
    finally:
        with contextlib.suppress(Exception):
            await connection.close()


@pytest.fixture(scope="package")
async def reservations(events: EventLog) -> AsyncIterator[Reservations]:
    # A consumer name of its own, so another reservations instance of this run (the e2e
    # stack) never takes its messages.
    settings = settings_for(Settings, service_name="reservations_svc",
                            database=f"test_{RUN}_reservations_svc",
                            offer_expiry_seconds=0.2, pool_max_size=20)
    app = create_app(settings=settings)
    clock = Clock()
    app[keys.CLOCK] = clock
    TOKENS.trust(app)
    async with serve(app) as server, aiohttp.ClientSession() as http:
        yield Reservations(server, http, clock)


@pytest.fixture
async def catalogue(reservations: Reservations) -> Catalogue:
    """A fresh establishment and period per test, so tests never share places."""
    return await reservations.catalogue()


@pytest.fixture(autouse=True)
def _real_time(reservations: Reservations) -> None:
    reservations.clock.set(None)
