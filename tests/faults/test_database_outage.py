"""A database outage longer than the whole retry ladder: the consumer waits it out, nothing
goes to the dead letters, every event is applied once when PostgreSQL is back."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from services.common.bus import Bus, Consumer, list_dead_letters
from services.common.db import Conn, create_pool
from services.common.events import Envelope
from tests.service.common.conftest import KernelSettings, unique_type
from tests.support import eventually, free_port


class Proxy:
    """A TCP relay in front of PostgreSQL that a test shuts (every connection cut, new ones
    refused) and opens again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def shut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}


@pytest.fixture
async def proxied_pool(kernel_settings: KernelSettings, pool: asyncpg.Pool
                       ) -> AsyncIterator[tuple[Proxy, asyncpg.Pool]]:
    """A pool on the kernel database (migrated by `pool`) that goes through a Proxy."""
    parts = urlsplit(kernel_settings.database_dsn())
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.open()
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    dsn = urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))
    settings = kernel_settings.model_copy(update={"pg_dsn": dsn, "pool_max_size": 4})
    through = await create_pool(settings)
    try:
        yield proxy, through
    finally:
        if proxy.server is None:
            await proxy.open()
        await through.close()
        await proxy.shut()


async def test_an_outage_longer_than_the_retry_ladder_dead_letters_nothing(
        pool: asyncpg.Pool, bus: Bus, proxied_pool: tuple[Proxy, asyncpg.Pool],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="services.common.bus")
    proxy, through = proxied_pool
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS outage_effects (event_id uuid NOT NULL)")
    event_type = unique_type()

    async def handler(conn: Conn, envelope: Envelope) -> None:
        await conn.execute("INSERT INTO outage_effects (event_id) VALUES ($1)", envelope.id)

    async def applied(ids: list[uuid.UUID]) -> list[int]:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT event_id, count(*) AS n FROM outage_effects WHERE event_id = ANY($1) "
                "GROUP BY event_id", ids)
        return [r["n"] for r in rows]

    # The whole ladder lasts 0.15 s; the outage lasts ten times as long.
    c = Consumer(bus, through, name=f"c{uuid.uuid4().hex[:8]}", retry_delays=(0.05, 0.1),
                 outage_delays=(0.05, 0.2))
    c.subscribe(event_type, handler)
    await c.start()
    queue = c.subscriptions[0].queue
    try:
        first = Envelope(type=event_type, producer="kernel", data={})
        await bus.publish(first)
        await eventually(lambda: applied([first.id]))

        await proxy.shut()
        during = [Envelope(type=event_type, producer="kernel", data={}) for _ in range(10)]
        for envelope in during:
            await bus.publish(envelope)
        await asyncio.sleep(1.5)
        waits = [r for r in caplog.records
                 if r.getMessage() == "infrastructure unavailable, event waits"]
        assert len(waits) >= 10
        assert await applied([e.id for e in during]) == []

        await proxy.open()
        ids = [e.id for e in during]
        await eventually(lambda: _all(applied(ids), len(ids)), timeout=30)
        letters = await list_dead_letters(bus, [queue])
    finally:
        await c.stop()
        await c.delete_queues()
    assert letters == []
    assert await applied([first.id, *ids]) == [1] * 11


async def _all(counts: Awaitable[list[int]], expected: int) -> bool:
    return len(await counts) == expected
