"""The scale fixture (issue 15, point 3): N families, their children and a reservation each in
bulk SQL, consistent with what the service itself keeps (numbers from the year's sequence, one
live booking per child, unit and day, every line's place counted, no cell over its places)."""

import asyncio
import json
import os
import re
import sys

from services.reservations.scale import seed_scale
from tests.service.reservations.helpers import Reservations, staff
from tests.support import NAMESPACE, RUN


async def test_seed_scale_writes_consistent_families_children_and_reservations(
        reservations: Reservations) -> None:
    async with reservations.db.acquire() as conn:
        seeded = await seed_scale(conn, families=300)
        period = seeded.period_id
        assert 300 <= seeded.children <= 900 and seeded.reservations == seeded.children
        assert 2 * seeded.children <= seeded.lines <= 8 * seeded.children
        numbers = await conn.fetch(
            "SELECT number FROM reservations WHERE period_id = $1", period)
        assert len({r["number"] for r in numbers}) == seeded.reservations
        assert all(re.fullmatch(r"R-\d{4}-\d{6}", r["number"]) for r in numbers)
        over = await conn.fetchval("""
            SELECT count(*) FROM cells c WHERE c.period_id = $1 AND (c.taken > c.capacity
               OR c.taken <> (SELECT count(*) FROM lines l WHERE l.period_id = c.period_id
                              AND l.unit_id = c.unit_id AND l.day = c.day))""", period)
        assert over == 0
        assert await conn.fetchval("""
            SELECT count(*) FROM lines l LEFT JOIN memberships m
              ON m.child_id = l.child_id AND m.family_id = l.family_id
            WHERE l.period_id = $1 AND m.child_id IS NULL""", period) == 0
    # The staff's queue lists the requests it made, through the service's own route.
    answer = await reservations.call("GET", "/requests?limit=100", headers=staff())
    assert answer.status == 200
    assert seeded.requested_lines > 0 and answer.body["items"]


async def test_the_seed_scale_command_refuses_production_and_bad_counts() -> None:
    base = {**os.environ, "PORTAIL_NAMESPACE": NAMESPACE, "PORTAIL_LOG_LEVEL": "WARNING",
            "RESERVATIONS_DATABASE": f"test_{RUN}_reservations_scale_command"}

    async def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.reservations", "seed-scale", *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        return process.returncode or 0, out.decode(), err.decode()

    code, out, err = await run({**base, "PORTAIL_ENV": "test"}, "--families", "20")
    assert code == 0, err
    assert json.loads(out)["families"] == 20
    code, _, err = await run({**base, "PORTAIL_ENV": "test"}, "--families", "0")
    assert code == 2 and "1 to 1,000,000" in err
    code, _, err = await run({**base, "PORTAIL_ENV": "production"}, "--families", "5")
    assert code == 2 and "refuses to run in production" in err
