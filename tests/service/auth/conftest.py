"""Auth service under test: real PostgreSQL and RabbitMQ, helpers to log in and watch events."""

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aio_pika
import aiohttp
import asyncpg
import pytest
from aio_pika.abc import AbstractIncomingMessage
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.auth import keys, repo
from services.auth.app import create_app
from services.auth.settings import Settings
from services.common.settings import replace_database
from tests.support import AMQP_URL, NAMESPACE, PG_DSN, RUN, serve, settings_for

T = TypeVar("T")

SIGNING_KEY = Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption()).decode()
PASSWORD = "une phrase de passe assez longue"
# Cheap Argon2 so the suite stays fast; production keeps argon2-cffi's defaults.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 8192, "argon2_parallelism": 1}


async def eventually(check: Callable[[], Awaitable[T | None]], *, timeout: float = 10.0,
                     interval: float = 0.05) -> T:
    """Poll `check` until it returns something truthy (or fail after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def auth_settings(name: str, **overrides: Any) -> Settings:
    """Settings of one auth instance with its own database and queues (`name` tells them
    apart), so a module's throttling or clock changes never leak into another's."""
    values: dict[str, Any] = {
        **FAST_HASHING,
        "signing_key": SIGNING_KEY,
        # Every test request comes from 127.0.0.1: the address limit must not get in the way
        # except where a test is about it.
        "address_lock_after": 10_000,
        **overrides,
    }
    return settings_for(Settings, service_name=f"auth_{name}",
                        database=f"test_{RUN}_auth_{name}", **values)


@dataclass
class Auth:
    """A running auth service, a client for it and a connection to its database."""

    server: TestServer
    http: aiohttp.ClientSession
    db: asyncpg.Pool
    settings: Settings
    _counter: int = field(default=0)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def call(self, method: str, path: str, *, json_body: Any = None,
                   token: str | None = None, headers: dict[str, str] | None = None
                   ) -> tuple[int, Any, aiohttp.ClientResponse]:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.url(path), json=json_body,
                                     headers=all_headers) as resp:
            text = await resp.text()
            return resp.status, json.loads(text) if text else None, resp

    def new_email(self, prefix: str = "parent") -> str:
        self._counter += 1
        return f"{prefix}.{self._counter}.{uuid.uuid4().hex[:6]}@example.org"

    async def create_account(self, *, email: str | None = None, password: str = PASSWORD,
                             role: str = "parent", family_id: uuid.UUID | None = None,
                             status: str = "active") -> dict[str, Any]:
        """An account written straight into the database (set-up, not under test)."""
        ctx = self.server.app[keys.CONTEXT]
        email = email or self.new_email(role)
        if role == "parent" and family_id is None:
            family_id = uuid.uuid4()
        async with self.db.acquire() as conn:
            row = await repo.insert_account(
                conn, account_id=uuid.uuid4(), email=email,
                password_hash=await ctx.passwords.hash(password) if status != "invited"
                else None, role=role, family_id=family_id, status=status)
        return dict(row)

    async def login(self, email: str, password: str = PASSWORD,
                    headers: dict[str, str] | None = None) -> dict[str, Any]:
        status, body, _ = await self.call("POST", "/sessions",
                                          json_body={"email": email, "password": password},
                                          headers=headers)
        assert status == 201, body
        assert isinstance(body, dict)
        return body


@contextlib.asynccontextmanager
async def running_auth(settings: Settings) -> AsyncIterator[Auth]:
    app = create_app(settings=settings)
    async with serve(app) as server, aiohttp.ClientSession() as http:
        pool = await asyncpg.create_pool(replace_database(PG_DSN, settings.database),
                                         min_size=1, max_size=4)
        assert pool is not None
        try:
            yield Auth(server, http, pool, settings)
        finally:
            await pool.close()


@pytest.fixture(scope="module")
async def auth(request: pytest.FixtureRequest) -> AsyncIterator[Auth]:
    """One auth service per test module (the module's name tells its database apart)."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    overrides = getattr(request.module, "SETTINGS", {})
    async with running_auth(auth_settings(name, **overrides)) as service:
        yield service


class EventTap:
    """A temporary queue of our own on the test exchange: the events auth really published."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def start(self) -> None:
        self.connection = await aio_pika.connect_robust(AMQP_URL)
        channel = await self.connection.channel()
        exchange = await channel.declare_exchange(f"{NAMESPACE}.events",
                                                  aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="auth.#")
        await queue.consume(self._on_message, no_ack=True)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self.received.append(json.loads(message.body))

    async def stop(self) -> None:
        if self.connection is not None:
            await self.connection.close()

    def matching(self, event_type: str, **data: Any) -> list[dict[str, Any]]:
        return [e for e in self.received if e["type"] == event_type
                and all(e["data"].get(k) == v for k, v in data.items())]

    async def wait_for(self, event_type: str, *, timeout: float = 10.0,
                       **data: Any) -> dict[str, Any]:
        """The first event of `event_type` whose data has the given values."""

        async def found() -> dict[str, Any] | None:
            events = self.matching(event_type, **data)
            return events[0] if events else None

        return await eventually(found, timeout=timeout)


@pytest.fixture(scope="module")
async def events(auth: Auth) -> AsyncIterator[EventTap]:
    tap = EventTap()
    await tap.start()
    try:
        yield tap
    finally:
        await tap.stop()
