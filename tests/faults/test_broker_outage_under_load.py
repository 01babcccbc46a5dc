"""RabbitMQ away during a stream of reservations (issue 13, point 6): the parts reach the
broker through a proxy the test cuts (the shared broker itself is never stopped). Parents go
on booking meanwhile; once it is back, every event is delivered and every recap mailed exactly
once, nothing dead-lettered."""

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.portal import log_tail, running_portal
from tests.proxy import tcp_proxy, via
from tests.support import AMQP_URL, eventually

PARENTS = 60
BROKER = urlsplit(AMQP_URL)


async def test_bookings_go_on_while_the_broker_is_away_and_every_recap_goes_out_once_after(
        tmp_path: Path) -> None:
    async with tcp_proxy(BROKER.hostname or "127.0.0.1", BROKER.port or 5672) as proxy, \
            running_portal("broker", tmp_path, parents=PARENTS, days=4, capacity=20,
                           env={"PORTAIL_AMQP_URL": via(AMQP_URL, proxy)}) as portal:
        answers: list[tuple[int, Any]] = []
        async with portal.client() as http:
            task = asyncio.create_task(portal.stream(http, answers))
            await eventually(lambda: len(answers) >= PARENTS // 4, timeout=60)
            await proxy.cut()
            cut_at = len(answers)
            # The parts know: not ready (the broker is one of their checks).
            await eventually(lambda: _unready(portal), timeout=60)
            await eventually(lambda: len(answers) >= 3 * PARENTS // 4, timeout=60)
            during = len(answers) - cut_at
            # Written meanwhile, kept in the outbox.
            async with portal.db("reservations") as conn:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            await proxy.restore()
            await task
        statuses = Counter(status for status, _ in answers)
        assert statuses == {201: PARENTS}, (statuses, log_tail(portal, "reservations"))
        assert during > 0 and waiting > 0

        await portal.every_recap_sent_once()
        async with portal.db("reservations") as conn:
            unpublished = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        assert unpublished == 0
        assert await portal.dead_letters() == {}
        assert await portal.overbooked_cells() == []


async def _unready(portal: Any) -> bool:
    return all([await portal.readiness(part) == 503 for part in ("reservations", "notifier")])
