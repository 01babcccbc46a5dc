"""PostgreSQL going away and coming back under load (issue 13, point 6): every part reaches
the server through a proxy the test cuts (the shared server is never restarted), right after a
stream of bookings, while their recaps are being mailed. Meanwhile every service's /readyz says
503 and a booking is answered 503, never 500; once the server is back every service recovers by
itself (no restart), bookings succeed again, nothing is dead-lettered and every recap goes out
exactly once."""

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.portal import Portal, log_tail, running_portal
from tests.proxy import tcp_proxy, via
from tests.support import PG_DSN, eventually

PARENTS = 40
SERVICES = ("auth", "reservations", "notifier")
SERVER = urlsplit(PG_DSN)


async def test_every_service_waits_out_a_database_restart_and_recovers_by_itself(
        tmp_path: Path) -> None:
    async with tcp_proxy(SERVER.hostname or "127.0.0.1", SERVER.port or 5432) as proxy, \
            running_portal("database", tmp_path, parents=PARENTS, days=4, capacity=10,
                           env={"PORTAIL_PG_DSN": via(PG_DSN, proxy)}) as portal:
        before: list[tuple[int, Any]] = []
        after: list[tuple[int, Any]] = []
        async with portal.client() as http:
            await portal.stream(http, before, parents=slice(0, PARENTS // 2))
            await proxy.cut()
            await eventually(lambda: _readiness(portal, 503), timeout=60)
            parent = portal.parents[-1]
            status, problem = await portal.submit(
                http, parent, portal.booking(parent, portal.cells_of(PARENTS - 1)), "pendant")
            assert status == 503, problem
            # Long enough for the consumers, relays and pools to meet the outage.
            await asyncio.sleep(2)
            await proxy.restore()
            await eventually(lambda: _readiness(portal, 200), timeout=90)
            await portal.stream(http, after, parents=slice(PARENTS // 2, None))
        statuses = Counter(status for status, _ in before + after)
        assert statuses == {201: PARENTS}, (statuses, log_tail(portal, "reservations"))

        await portal.every_recap_sent_once(timeout=90)
        assert await portal.dead_letters() == {}
        assert await portal.overbooked_cells() == []


async def _readiness(portal: Portal, status: int) -> bool:
    return all([await portal.readiness(part) == status for part in SERVICES])
