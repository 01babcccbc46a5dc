"""Helpers shared by the test levels: isolated settings, served apps, tokens, clean-up."""

import asyncio
import contextlib
import inspect
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, overload

import aio_pika
import asyncpg
import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common import keys
from services.common.bus import Bus, queue_name
from services.common.settings import CommonSettings, ServiceSettings, replace_database
from services.common.tokens import StaticKeys, TokenVerifier

# One id per test run: every database and exchange of the run is named after it.
RUN = uuid.uuid4().hex[:8]
NAMESPACE = f"test_{RUN}"
PG_DSN = CommonSettings().pg_dsn
AMQP_URL = CommonSettings().amqp_url

S = TypeVar("S", bound=ServiceSettings)
T = TypeVar("T")


@overload
async def eventually(condition: Callable[[], Awaitable[T]], *, timeout: float = ...,
                     interval: float = ...) -> T: ...
@overload
async def eventually(condition: Callable[[], T], *, timeout: float = ...,
                     interval: float = ...) -> T: ...
async def eventually(condition: Callable[[], Any], *, timeout: float = 15.0,
                     interval: float = 0.05) -> Any:
    """Wait until `condition()` (sync or async) returns something truthy, and return it;
    fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def settings_for(cls: type[S], *, database: str | None = None, **overrides: Any) -> S:
    """A service's settings for tests: its own database and namespace, quick retries."""
    values: dict[str, Any] = {
        "env": "test",
        "namespace": NAMESPACE,
        "retry_delays": (0.1, 0.3),
        "outbox_poll_seconds": 0.2,
        "log_level": "WARNING",
        # /metrics on an internal port of the system's choosing (read it with `metrics_of`).
        "metrics_port": 0,
    }
    values.update(overrides)
    service = cls.model_fields["service_name"].default
    values["database"] = database or f"test_{RUN}_{service}"
    return cls(**values)


@contextlib.asynccontextmanager
async def serve(app: web.Application, *, delete_queues: bool = True, port: int | None = None
                ) -> AsyncIterator[TestServer]:
    """Run `app` on a free local port, or `port` (its cleanup_ctx included) until the block
    ends. Its consumer starts on fresh queues: what other tests published to the queues the
    topology declared for it before (services.common.events.topology) is not its concern."""
    await delete_consumer_queues(app)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield server
    finally:
        consumer = app.get(keys.CONSUMER)
        if delete_queues and consumer is not None:
            await consumer.delete_queues()
        await server.close()


async def delete_consumer_queues(app: web.Application) -> None:
    """Delete the main queues of the events `app` consumes (before it starts)."""
    if keys.HANDLERS not in app:
        return
    settings = app[keys.SETTINGS]
    assert isinstance(settings, ServiceSettings)
    await delete_queues(settings.amqp_url, [
        queue_name(settings.namespace, settings.service_name, event_type)
        for event_type in app[keys.HANDLERS](app)])


async def delete_queues(amqp_url: str, names: list[str]) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)
    finally:
        await connection.close()


async def metrics_of(app: web.Application) -> str:
    """What a running part's internal `/metrics` site answers (Prometheus text)."""
    import aiohttp

    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{app[keys.METRICS_PORT]}/metrics") as resp:
        assert resp.status == 200
        return await resp.text()


async def drop_test_databases() -> None:
    """Drop every database this run created."""
    conn = await asyncpg.connect(replace_database(PG_DSN, "postgres"))
    try:
        names = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"test_{RUN}_%")
        for row in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()


async def delete_test_exchange() -> None:
    """The run's exchange, and the queues the topology declared in its namespace."""
    await delete_queues(AMQP_URL, Bus(AMQP_URL, NAMESPACE).topology_queues())
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        with contextlib.suppress(Exception):
            await channel.exchange_delete(f"{NAMESPACE}.events")
    finally:
        await connection.close()


class TestTokens:
    """Signs access tokens as auth would, with a key of the test's own."""

    __test__ = False  # not a test class

    def __init__(self, *, issuer: str = "portail-auth", audience: str = "portail") -> None:
        self.kid = f"test-{uuid.uuid4().hex[:8]}"
        self.private_key = Ed25519PrivateKey.generate()
        self.issuer = issuer
        self.audience = audience

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(StaticKeys(self.jwks()), issuer=self.issuer, audience=self.audience)

    def trust(self, app: web.Application) -> None:
        """Make a service (not yet started) accept this signer's tokens."""
        app[keys.VERIFIER] = self.verifier()

    def issue(self, *, role: str = "parent", family_id: uuid.UUID | None = None,
              sub: str | None = None, ttl: int = 600, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "sub": sub or str(uuid.uuid4()), "role": role,
            "family_id": str(family_id) if family_id else None,
            "sid": uuid.uuid4().hex, "iat": now, "exp": now + ttl,
            "iss": self.issuer, "aud": self.audience, **claims,
        }
        return jwt.encode(payload, self.private_key, algorithm="EdDSA",
                          headers={"kid": self.kid})

    def headers(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issue(**kwargs)}"}
