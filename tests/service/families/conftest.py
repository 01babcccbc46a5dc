"""Families service under test: real PostgreSQL and RabbitMQ, and a log of its events."""

import contextlib
from collections.abc import AsyncIterator

import aio_pika
import aiohttp
import pytest
from aio_pika.abc import AbstractIncomingMessage
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.auth.app import create_app as create_auth
from services.auth.settings import Settings as AuthSettings
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
async def auth() -> AsyncIterator[TestServer]:
    """The auth service families asks whether an address is a staff account's (it trusts
    the tests' tokens)."""
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    settings = settings_for(AuthSettings, service_name="auth_for_families",
                            database=f"test_{RUN}_auth_for_families", signing_key=key,
                            argon2_time_cost=1, argon2_memory_cost_kib=8192,
                            argon2_parallelism=1)
    app = create_auth(settings=settings)
    TOKENS.trust(app)
    async with serve(app) as server:
        yield server


@pytest.fixture(scope="package")
async def families(events: EventLog, auth: TestServer) -> AsyncIterator[Families]:
    # A consumer name of its own, so another families instance of this run (the e2e stack)
    # never takes its messages.
    settings = settings_for(Settings, service_name="families_svc",
                            database=f"test_{RUN}_families_svc",
                            auth_url=str(auth.make_url("")).rstrip("/"))
    app = create_app(settings=settings)
    TOKENS.trust(app)
    async with serve(app) as server, aiohttp.ClientSession() as http:
        yield Families(server, http)
