"""A service process killed mid-request (issue 13, point 6): bookings in the middle of their
transaction when reservations is SIGKILLed (its workers with it, no shutdown code) write
nothing; once it is restarted, each booking sent again with the same Idempotency-Key is
recorded exactly once, whole, and a third sending answers that same reservation.

The test holds the lock of the period's cells, so every booking is caught inside its
transaction (its idempotency key claimed, its children locked, waiting for the cells) when
the process dies: the kill lands mid-request by construction, not by timing."""

import asyncio
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from tests.portal import Portal, log_tail, running_portal
from tests.support import eventually

PARENTS = 8  # fewer than one worker's pool: each holds a connection, blocked on the lock
LINES = 4
BLOCKED = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


async def test_a_booking_cut_by_a_killed_process_writes_nothing_and_its_retry_counts_once(
        tmp_path: Path) -> None:
    async with running_portal("killed", tmp_path, parents=PARENTS, days=4, capacity=5) as portal:
        keys = [uuid.uuid4().hex for _ in portal.parents]
        bodies = [portal.booking(p, portal.cells_of(i)) for i, p in enumerate(portal.parents)]
        async with portal.client() as http:

            async def everyone() -> list[tuple[int, Any]]:
                return await asyncio.gather(*(
                    portal.submit(http, p, bodies[i], keys[i])
                    for i, p in enumerate(portal.parents)))

            async with portal.db("reservations") as lock:
                async with lock.transaction():
                    await lock.execute("SELECT 1 FROM cells WHERE period_id = $1 FOR UPDATE",
                                       portal.period_id)
                    first = asyncio.create_task(everyone())
                    await eventually(lambda: _all_blocked(portal), timeout=60)
                    await portal.parts.kill("reservations")
                    cut = await first
                    # Every booking was in flight: each parent is told to try again later.
                    assert Counter(status for status, _ in cut) == {503: PARENTS}, cut[:2]
                # The lock released, the dead process's transactions end (rolled back).
                await eventually(lambda: _no_transaction_left(portal), timeout=60)
            assert await _written(portal) == {"reservations": 0, "lines": 0, "keys": 0}

            await portal.parts.start("reservations")
            again = await everyone()
            assert Counter(status for status, _ in again) == {201: PARENTS}, (
                again[:2], log_tail(portal, "reservations"))
            replayed = await everyone()
            assert Counter(status for status, _ in replayed) == {200: PARENTS}
            assert [a["number"] for _, a in replayed] == [a["number"] for _, a in again]

        assert await _written(portal) == {"reservations": PARENTS, "lines": PARENTS * LINES,
                                          "keys": PARENTS}
        async with portal.db("reservations") as conn:
            whole = await conn.fetch("""
                SELECT r.id, count(l.id) AS lines FROM reservations r
                LEFT JOIN lines l ON l.reservation_id = r.id GROUP BY r.id""")
        assert {r["lines"] for r in whole} == {LINES}
        assert await portal.overbooked_cells() == []
        await portal.every_recap_sent_once()


async def _all_blocked(portal: Portal) -> bool:
    async with portal.db("reservations") as conn:
        return bool(await conn.fetchval(BLOCKED) >= PARENTS)


async def _no_transaction_left(portal: Portal) -> bool:
    """Only the test's own connection is left on the database (the dead process's backends
    have noticed their client is gone)."""
    async with portal.db("reservations") as conn:
        return not await conn.fetchval("""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND xact_start IS NOT NULL""")


async def _written(portal: Portal) -> dict[str, int]:
    async with portal.db("reservations") as conn:
        return {
            "reservations": await conn.fetchval("SELECT count(*) FROM reservations"),
            "lines": await conn.fetchval("SELECT count(*) FROM lines"),
            "keys": await conn.fetchval("SELECT count(*) FROM idempotency_keys"),
        }


async def test_bookings_cut_at_any_point_by_a_kill_are_each_recorded_once_on_their_retry(
        tmp_path: Path) -> None:
    """The same, unblocked: a stream of bookings, reservations killed wherever they are (a
    booking may have committed and lost its answer) and restarted. Each parent not answered
    201 sends their booking again with the same key: each is recorded once (201 if it was
    not, 200 and the same reservation if it was)."""
    parents = 40
    async with running_portal("killed_stream", tmp_path, parents=parents, days=4,
                              capacity=10) as portal:
        keys = [uuid.uuid4().hex for _ in portal.parents]
        bodies = [portal.booking(p, portal.cells_of(i)) for i, p in enumerate(portal.parents)]
        answers: dict[int, tuple[int, Any]] = {}
        async with portal.client() as http:

            async def lane(indexes: list[int]) -> None:
                for i in indexes:
                    answers[i] = await portal.submit(http, portal.parents[i], bodies[i], keys[i])

            stream = asyncio.gather(*(lane(list(range(n, parents, 8))) for n in range(8)))
            await eventually(lambda: len(answers) >= parents // 4, timeout=60)
            await portal.parts.kill("reservations")
            await portal.parts.start("reservations")
            await stream
            statuses = Counter(status for status, _ in answers.values())
            assert set(statuses) <= {201, 503} and statuses[503] > 0, statuses
            retried = {i: await portal.submit(http, portal.parents[i], bodies[i], keys[i])
                       for i, (status, _) in answers.items() if status != 201}
        assert {status for status, _ in retried.values()} <= {200, 201}, retried

        numbers = {i: a["number"] for i, (status, a) in {**answers, **retried}.items()}
        async with portal.db("reservations") as conn:
            rows = await conn.fetch("""
                SELECT r.family_id, r.number, count(l.id) AS lines FROM reservations r
                LEFT JOIN lines l ON l.reservation_id = r.id GROUP BY r.id""")
        recorded = {r["family_id"]: r for r in rows}
        assert len(rows) == len(recorded) == parents  # one reservation per parent
        assert {r["lines"] for r in rows} == {LINES}
        assert {i: recorded[p.family_id]["number"] for i, p in enumerate(portal.parents)
                } == numbers
        assert await portal.overbooked_cells() == []
        await portal.every_recap_sent_once()
