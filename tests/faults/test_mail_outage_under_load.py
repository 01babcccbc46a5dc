"""The mail server away for a while during a stream of reservations (issue 13, point 6): the
notifier's sends fail and are retried (its retry ladder outlasts the outage, as in production
where it lasts about 40 minutes); once the server is back every recap arrives, none twice,
nothing dead-lettered."""

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from tests.portal import log_tail, running_portal
from tests.support import eventually

PARENTS = 60
# Longer in all than the outage below (about 31 s against a few), short enough that a mail
# waits little once the server is back.
LADDER = {"NOTIFIER_RETRY_DELAYS": "[0.5, 1, 2, 4, 8, 16]"}


async def test_recaps_written_while_the_mail_server_is_away_all_arrive_once_when_it_is_back(
        tmp_path: Path) -> None:
    async with running_portal("mail", tmp_path, parents=PARENTS, days=4, capacity=20,
                              env=LADDER) as portal:
        answers: list[tuple[int, Any]] = []
        async with portal.client() as http:
            task = asyncio.create_task(portal.stream(http, answers))
            await eventually(lambda: len(answers) >= PARENTS // 4, timeout=60)
            portal.stop_mail()
            received = len(portal.mails())
            await eventually(lambda: len(answers) >= 3 * PARENTS // 4, timeout=60)
            # The notifier tried and failed meanwhile: its readiness says the server is away.
            state = await eventually(lambda: _smtp_state(portal, "degraded"), timeout=30)
            assert len(portal.mails()) == received
            portal.start_mail()
            await task
        statuses = Counter(status for status, _ in answers)
        assert statuses == {201: PARENTS}, (statuses, log_tail(portal, "reservations"))
        assert state["waiting_mails"] > 0

        mails = await portal.every_recap_sent_once()
        assert Counter(str(m["To"]) for m in mails) == Counter(p.email for p in portal.parents)
        assert await portal.dead_letters() == {}
        await eventually(lambda: _smtp_state(portal, "up"), timeout=30)


async def _smtp_state(portal: Any, status: str) -> dict[str, Any] | None:
    async with aiohttp.ClientSession() as http, \
            http.get(portal.url("notifier", "/readyz")) as resp:
        assert resp.status == 200  # the notifier stays ready: mails wait in the queues
        smtp: dict[str, Any] = (await resp.json())["checks"]["smtp"]
    return smtp if smtp["status"] == status else None
