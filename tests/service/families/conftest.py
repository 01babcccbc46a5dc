"""Families service under test: real PostgreSQL and RabbitMQ, and a log of its events."""

import contextlib
from collections.abc import AsyncIterator

import aio_pika
import aiohttp
import pytest
from aio_pika.abc import AbstractIncomingMessage

from services.common.events import Envelope
from services.families.app import create_app
from services.families.settings import Settings
from tests.service.families.helpers import TOKENS, EventLog, Families
from tests.support import AMQP_URL, NAMESPACE, RUN, serve, settings_for


@pytest.fixture(scope="package")
async def events() -> AsyncIterator[EventLog]:
    log = EventLog()
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(f"{NAMESPACE}.events",
                                              aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="families.#")

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
async def families(events: EventLog) -> AsyncIterator[Families]:
    # A consumer name of its own, so another families instance of this run (the e2e stack)
    # never takes its messages.
    settings = settings_for(Settings, service_name="families_svc",
                            database=f"test_{RUN}_families_svc")
    app = create_app(settings=settings)
    TOKENS.trust(app)
    async with serve(app) as server, aiohttp.ClientSession() as http:
        yield Families(server, http)
