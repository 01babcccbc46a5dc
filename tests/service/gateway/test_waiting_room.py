"""The virtual waiting room (SPEC §7b « Opening-day rush », issue 13 point 3): beyond the
capacity, parents wait on a light page in arrival order, keep their place, enter in that
order; the API answers 503 with Retry-After; the rest of the portal never waits."""

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from gateway.settings import Settings
from gateway.waiting_room import ADMISSION_COOKIE, TICKET_COOKIE, TICKET_HEADER
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.waiting_room_gateway import (
    CAPACITY,
    PID_HEADER,
    SLOW_API,
    SLOW_PAGE,
    room_settings,
    slowed_gateway,
)
from tests.support import eventually, free_port, metrics_of

ROOT = Path(__file__).resolve().parents[3]
POSITION = re.compile(r'class="waiting-position">(\d+)<')


@dataclass
class Room:
    """The slowed gateway in this process: each heavy request waits until the test lets it go."""

    base: str = ""
    app: web.Application | None = None
    held: list[asyncio.Event] = field(default_factory=list)
    requests: list[asyncio.Task[Any]] = field(default_factory=list)

    async def wait(self) -> None:
        gate = asyncio.Event()
        self.held.append(gate)
        await gate.wait()

    def release_all(self) -> None:
        for gate in self.held:
            gate.set()


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    state = Room()
    server = TestServer(slowed_gateway(room_settings(), state.wait), host="127.0.0.1")
    await server.start_server()
    state.base = str(server.make_url("")).rstrip("/")
    state.app = server.app
    try:
        yield state
    finally:
        state.release_all()
        await server.close()


@contextlib.asynccontextmanager
async def parents(room: Room, count: int) -> AsyncIterator[list[Browser]]:
    async with contextlib.AsyncExitStack() as stack:
        try:
            yield [Browser(await stack.enter_async_context(browser_session()), room.base)
                   for _ in range(count)]
        finally:  # the requests still held end before their browsers close
            room.release_all()
            await asyncio.gather(*room.requests, return_exceptions=True)


@dataclass
class Visit:
    status: int = 0
    position: int | None = None  # on the waiting page
    html: str = ""
    inside: asyncio.Task[Any] | None = None  # let in: the request being served


async def visit(room: Room, parent: Browser, path: str = SLOW_PAGE) -> Visit:
    """One request, told apart: the waiting page, or let in (held by the slowed handler)."""
    before = len(room.held)
    task = asyncio.create_task(parent.get(path))
    room.requests.append(task)
    await eventually(lambda: task.done() or len(room.held) > before, timeout=10,
                     interval=0.002)
    if not task.done():
        return Visit(inside=task)
    resp, html = task.result()
    match = POSITION.search(html)
    return Visit(resp.status, int(match.group(1)) if match else None, html)


async def fill(room: Room, crowd: list[Browser]) -> list[Visit]:
    """The parents arrive one after the other (their arrival order is the list's)."""
    return [await visit(room, parent) for parent in crowd]


async def test_a_crowd_waits_in_arrival_order_then_enters_one_by_one_in_that_order(
        room: Room) -> None:
    async with parents(room, 20) as crowd:
        arrivals = await fill(room, crowd)
        assert all(v.inside for v in arrivals[:CAPACITY])
        waiting = arrivals[CAPACITY:]
        assert [v.status for v in waiting] == [200] * 18  # nobody gets an error
        assert [v.position for v in waiting] == list(range(1, 19))
        assert room.app is not None
        figures = await metrics_of(room.app)
        assert "gateway_waiting_room_waiting 18.0" in figures
        assert "gateway_waiting_room_in_flight 2.0" in figures
        line = list(range(CAPACITY, 20))  # who still waits, in arrival order
        entered: list[int] = []
        served = [v.inside for v in arrivals[:CAPACITY]]
        for freed in range(18):
            room.held[freed].set()  # one place frees
            done = served[freed]
            assert done is not None
            resp, body = await done
            assert (resp.status, body) == (200, "servi")
            # Everybody refreshes, the last arrived first: only the head of the line enters.
            positions: dict[int, int] = {}
            for index in reversed(line):
                seen = await visit(room, crowd[index])
                if seen.inside:
                    entered.append(index)
                    served.append(seen.inside)
                else:
                    assert seen.status == 200 and seen.position is not None
                    positions[index] = seen.position
            line = [i for i in line if i not in entered]
            assert [positions[i] for i in line] == list(range(1, len(line) + 1))
        assert entered == list(range(CAPACITY, 20))  # arrival order
        room.release_all()
        for task in served[18:]:
            assert task is not None
            resp, body = await task
            assert (resp.status, body) == (200, "servi")


async def test_a_refresh_keeps_the_place_and_an_altered_ticket_goes_to_the_end(
        room: Room) -> None:
    async with parents(room, CAPACITY + 3) as crowd:
        arrivals = await fill(room, crowd)
        first, second, third = crowd[CAPACITY:]
        assert [v.position for v in arrivals[CAPACITY:]] == [1, 2, 3]
        for _ in range(3):
            assert (await visit(room, second)).position == 2
        ticket = second.cookie(TICKET_COOKIE)
        assert ticket is not None
        value, _, mac = ticket.rpartition(".")
        room_id, _, number = value.partition(":")
        assert number == "2"  # the second ticket handed out
        forged = f"{room_id}:1.{mac}"  # the first place, with the old signature
        second.http.cookie_jar.update_cookies({TICKET_COOKIE: forged}, URL(room.base))
        again = await visit(room, second)
        assert again.position == 4  # behind the third, who came later
        assert second.cookie(TICKET_COOKIE) not in (forged, ticket)
        second.http.cookie_jar.update_cookies({TICKET_COOKIE: "n'importe quoi"},
                                              URL(room.base))
        assert (await visit(room, second)).position == 5
        assert (await visit(room, first)).position == 1
        assert (await visit(room, third)).position == 3


async def test_the_waiting_page_refreshes_itself_without_script_and_stays_light(
        room: Room) -> None:
    async with parents(room, CAPACITY + 1) as crowd:
        waiting = (await fill(room, crowd))[-1]
        assert waiting.status == 200
        assert "<h1>Salle d'attente</h1>" in waiting.html
        assert f'<meta http-equiv="refresh" content="1; url={SLOW_PAGE}">' in waiting.html
        assert f'href="{SLOW_PAGE}">Actualiser maintenant</a>' in waiting.html
        assert len(waiting.html.encode()) <= 10 * 1024, len(waiting.html.encode())
        resp, _ = await crowd[-1].get(SLOW_PAGE)
        assert resp.headers["Cache-Control"] == "no-store"
        assert "Temps d'attente estimé" in waiting.html
        # A form sent while full is not sent: the page says so and leads back to a page.
        resp, html = await crowd[-1].post_form(SLOW_PAGE, {"jour": "2026-09-01"}, csrf=None)
        assert resp.status == 200 and "n'a pas encore été envoyée" in html
        assert '<meta http-equiv="refresh" content="1; url=/mon-compte">' in html


async def test_the_parent_may_stop_the_automatic_refresh_and_keeps_the_place(
        room: Room) -> None:
    async with parents(room, CAPACITY + 2) as crowd:
        await fill(room, crowd)
        parent = crowd[-1]
        resp, _ = await parent.post_form("/salle-d-attente/actualisation",
                                         {"auto": "0", "retour": SLOW_PAGE}, page=SLOW_PAGE)
        assert (resp.status, resp.headers["Location"]) == (303, SLOW_PAGE)
        manual = await visit(room, parent)
        assert manual.position == 2
        assert 'http-equiv="refresh"' not in manual.html and "data-refresh" not in manual.html
        assert "Actualiser automatiquement</button>" in manual.html
        resp, _ = await parent.post_form("/salle-d-attente/actualisation",
                                         {"auto": "1", "retour": "//ailleurs.example"},
                                         page=SLOW_PAGE)
        assert (resp.status, resp.headers["Location"]) == (303, "/mon-compte")
        assert 'http-equiv="refresh"' in (await visit(room, parent)).html


async def test_the_api_answers_503_with_retry_after_and_the_position(room: Room) -> None:
    async with parents(room, CAPACITY + 1) as crowd:
        await fill(room, crowd[:CAPACITY])
        client = crowd[-1]
        resp, body = await client.api("GET", SLOW_API)
        assert resp.status == 503
        assert resp.content_type == "application/problem+json"
        assert resp.headers["Retry-After"] == "1"
        assert body["position"] == 1 and body["type"] == "/problems/waiting-room"
        assert "file d'attente" in body["title"] and "position 1" in body["title"]
        resp, again = await client.api("GET", SLOW_API)  # the cookie keeps the place
        assert (resp.status, again["position"]) == (503, 1)
        async with browser_session() as http:  # an app without cookies sends the header
            no_jar = Browser(http, room.base)
            resp, other = await no_jar.api("GET", SLOW_API)
            assert other["position"] == 2
            resp, kept = await no_jar.api("GET", SLOW_API,
                                          headers={TICKET_HEADER: body["ticket"]})
            assert kept["position"] == 1


async def test_an_admitted_parent_goes_on_without_waiting_again(room: Room) -> None:
    async with parents(room, CAPACITY + 2) as crowd:
        admitted, *others = crowd
        first = await visit(room, admitted)
        assert first.inside is not None
        room.held[0].set()
        await first.inside
        assert admitted.cookie(ADMISSION_COOKIE)
        arrivals = await fill(room, others)
        assert arrivals[-1].position == 1  # full, and somebody waits
        booking = asyncio.create_task(admitted.api("POST", SLOW_API, body={}))
        await eventually(lambda: len(room.held) == CAPACITY + 2)  # let in, not queued
        room.release_all()
        resp, body = await booking
        assert (resp.status, body) == (200, {"servi": True})


async def test_static_files_login_legal_pages_and_health_never_wait(room: Room) -> None:
    async with parents(room, CAPACITY + 2) as crowd:
        arrivals = await fill(room, crowd)
        assert arrivals[-1].position == 2
        late = crowd[-1]
        for path in ("/static/css/portail.css", "/connexion", "/mentions-legales", "/healthz"):
            resp, _ = await late.get(path)
            assert resp.status == 200, path


async def test_the_room_is_off_unless_configured() -> None:
    assert Settings().waiting_room  # production and `make run`
    state = Room()
    app = slowed_gateway(room_settings(waiting_room=False), state.wait)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.base = str(server.make_url("")).rstrip("/")
    try:
        async with parents(state, CAPACITY + 3) as crowd:
            assert all(v.inside for v in await fill(state, crowd))
    finally:
        state.release_all()
        await server.close()


# ---- several worker processes ---------------------------------------------------------------

@contextlib.asynccontextmanager
async def gateway_with_workers(workers: int, gate: Path) -> AsyncIterator[str]:
    port = free_port()
    env = {**os.environ, "PORTAIL_ENV": "test", "PORTAIL_LOG_LEVEL": "WARNING",
           "GATEWAY_PORT": str(port), "GATEWAY_WORKERS": str(workers),
           "GATEWAY_WAITING_ROOM": "true", "GATEWAY_WAITING_ROOM_CAPACITY": str(CAPACITY),
           "GATEWAY_WAITING_ROOM_REFRESH_SECONDS": "1", "GATE_FILE": str(gate),
           "PORTAIL_AUTH_URL": f"http://127.0.0.1:{free_port()}"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.service.gateway.waiting_room_gateway", cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def ready() -> bool:
                assert process.returncode is None, "the gateway stopped"
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(url + "/healthz") as resp:
                        return resp.status == 200
                return False

            await eventually(ready, timeout=60)
        yield url
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


def fresh_connections() -> aiohttp.ClientSession:
    """A browser opening a new connection per request: the kernel picks the worker each time."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 connector=aiohttp.TCPConnector(force_close=True))


async def test_several_workers_share_one_line_in_arrival_order(tmp_path: Path) -> None:
    count, gate = 10, tmp_path / "open"
    async with gateway_with_workers(2, gate) as url, contextlib.AsyncExitStack() as stack:
        crowd = [Browser(await stack.enter_async_context(fresh_connections()), url)
                 for _ in range(count)]
        pids: set[str] = set()
        inside = []
        for parent in crowd[:CAPACITY]:  # held until the gate opens
            inside.append(asyncio.create_task(parent.get(SLOW_PAGE)))
            await asyncio.sleep(0.3)
        positions = []
        for _ in range(2):  # arrival, then a refresh: the same places, whichever worker answers
            seen = []
            for parent in crowd[CAPACITY:]:
                resp, html = await parent.get(SLOW_PAGE)
                assert resp.status == 200
                pids.add(resp.headers[PID_HEADER])
                match = POSITION.search(html)
                assert match, html
                seen.append(int(match.group(1)))
            positions.append(seen)
        assert positions == [list(range(1, count - CAPACITY + 1))] * 2
        assert len(pids) == 2, pids  # both workers answered, one line
        gate.touch()
        for task in inside:
            resp, body = await task
            assert (resp.status, body) == (200, "servi")
        line = list(range(CAPACITY, count))
        entered: list[int] = []
        for _ in range(20):
            if not line:
                break
            newly = []
            for index in reversed(line):  # the last arrived first
                resp, body = await crowd[index].get(SLOW_PAGE)
                assert resp.status == 200
                if body == "servi":
                    newly.append(index)
            entered.extend(sorted(newly))
            line = [i for i in line if i not in newly]
            # Nobody ever enters before everyone who came earlier.
            assert entered == list(range(CAPACITY, CAPACITY + len(entered)))
        assert entered == list(range(CAPACITY, count))
