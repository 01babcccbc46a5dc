"""A request id follows the work: from HTTP to the next HTTP call, and through events."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp import web

from services.common.bus import Bus, Consumer
from services.common.db import Conn
from services.common.events import Envelope
from services.common.http import client_session
from services.common.log import REQUEST_ID_HEADER, current_request_id, request_id_var
from services.common.outbox import OutboxRelay, add_event
from services.common.web import request_id_middleware
from tests.service.common.conftest import unique_type
from tests.service.common.test_outbox import event_class
from tests.support import eventually, serve


@pytest.fixture
async def echo_server() -> AsyncIterator[str]:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"seen": request.headers.get(REQUEST_ID_HEADER)})

    app = web.Application(middlewares=[request_id_middleware])
    app.router.add_get("/echo", echo)
    async with serve(app) as server:
        yield str(server.make_url("/echo"))


async def test_outgoing_calls_carry_the_current_request_id(echo_server: str) -> None:
    token = request_id_var.set("req-http-1")
    try:
        async with client_session() as session, session.get(echo_server) as resp:
            body = await resp.json()
            assert resp.headers[REQUEST_ID_HEADER] == "req-http-1"
    finally:
        request_id_var.reset(token)
    assert body == {"seen": "req-http-1"}


async def test_an_event_handler_runs_under_the_request_id_of_the_change(
        pool: asyncpg.Pool, bus: Bus) -> None:
    happened = event_class(unique_type())
    seen: list[str | None] = []

    async def handler(conn: Conn, envelope: Envelope) -> None:
        seen.append(current_request_id())

    consumer = Consumer(bus, pool, name="rid", retry_delays=(0.05,))
    consumer.subscribe(happened.TYPE, handler)
    await consumer.start()
    relay = OutboxRelay(pool, bus, poll_seconds=0.1)
    await relay.start()
    try:
        token = request_id_var.set("req-event-1")
        try:
            async with pool.acquire() as conn, conn.transaction():
                await add_event(conn, happened(n=1), producer="kernel")
        finally:
            request_id_var.reset(token)
        await eventually(lambda: seen)
    finally:
        await relay.stop()
        await consumer.stop()
        await consumer.delete_queues()
    assert seen == ["req-event-1"]
