"""Bookings under load (issue 8, point 11): 50 logged-in parents (BENCH_PARENTS), each with
their own family, submitting bookings of 6–20 lines (days × units of one child, never the
same cell twice) through the gateway's `POST /api/v1/reservations` (a bearer token, an
Idempotency-Key each), then straight to the reservations service (what the gateway adds is
the difference). Every line must be accepted (places for everyone); the database is checked
after: as many accepted lines as the answers said, no cell over its places. Target on the
project's 2-core machine: ≥ 320 bookings/s.
"""

import os
import random
import uuid
from dataclasses import asdict
from typing import Any

import aiohttp

from bench.cases._reservations import PARENTS, SECONDS, WORKERS, Setup, reservations_stack
from bench.common import Run, closed_loop

TARGET = 320.0
LINES = (6, 20)


async def main(run: Run) -> None:
    async with reservations_stack() as setup:
        await measure(run, setup)
    run.note(f"{PARENTS} parents, closed loop, {SECONDS:.0f} s after 1 s of warm-up each; "
             f"{LINES[0]}–{LINES[1]} lines a booking; workers {WORKERS}; the load generator "
             f"runs on the same machine (generator_cpu_per_s: its CPU per second); "
             f"cpu_s_per_s: each part's CPU per second of run, all its workers.")


def next_booking(setup: Setup, client: int, rng: random.Random) -> tuple[str, dict[str, Any]]:
    """The next booking of this parent: one child in turn, the next free cells of that child."""
    parent = setup.parents[client]
    parent.turn += 1
    child = parent.children[parent.turn % len(parent.children)]
    free = parent.free[child]
    count = min(rng.randint(*LINES), len(free))
    if count == 0:
        raise RuntimeError("the bench's period is full for this child: lengthen it")
    cells, parent.free[child] = free[:count], free[count:]
    return str(child), {"child_id": str(child), "period_id": str(setup.period_id),
                        "kind": "book",
                        "lines": [{"date": d.isoformat(), "unit_id": str(u)} for d, u in cells]}


async def measure(run: Run, setup: Setup) -> None:
    rng = random.Random(13)
    answered = {"lines": 0, "accepted": 0}
    async with aiohttp.ClientSession() as http:

        def submit(url_of: Any) -> Any:
            async def one(client: int) -> bool:
                parent = setup.parents[client]
                _, body = next_booking(setup, client, rng)
                headers = {**parent.bearer, "Idempotency-Key": uuid.uuid4().hex}
                async with http.post(url_of(parent), json=body, headers=headers) as resp:
                    answer = await resp.json(content_type=None)
                    if resp.status != 201:
                        return False
                    lines = answer["lines"]
                    answered["lines"] += len(lines)
                    answered["accepted"] += sum(1 for x in lines if x["state"] == "accepted")
                    return len(lines) == len(body["lines"]) and all(
                        x["state"] == "accepted" for x in lines)

            return one

        for name, url_of, target in (
                ("booking (gateway, POST /api/v1/reservations)",
                 lambda p: setup.url("gateway", "/api/v1/reservations"), f"≥ {TARGET:.0f}/s"),
                ("booking, reservations service alone",
                 lambda p: setup.url("reservations", f"/families/{p.family_id}/reservations"),
                 None)):
            cpu0 = setup.parts.cpu()
            load = await closed_loop(name, clients=len(setup.parents), seconds=SECONDS,
                                     request=submit(url_of))
            cpu = {k: round((v - cpu0[k]) / load.seconds, 2)
                   for k, v in setup.parts.cpu().items()}
            run.record({**asdict(load), "cpu_s_per_s": cpu,
                        "load_1m_after": round(os.getloadavg()[0], 1)}, target=target,
                       met=None if target is None else
                       load.errors == 0 and load.throughput >= TARGET)
    async with setup.pool.acquire() as conn:
        accepted = await conn.fetchval("SELECT count(*) FROM lines WHERE state = 'accepted'")
        over = await conn.fetchval("""
            SELECT count(*) FROM (SELECT day, unit_id, count(*) AS taken FROM lines
                                  WHERE state = 'accepted' GROUP BY day, unit_id) t
            WHERE taken > $1""", 1000)
    run.record({"name": "checked in the database (warm-up and both runs)",
                "accepted_lines": accepted, "lines_answered_accepted": answered["accepted"],
                "cells_over_their_places": over},
               target="every answered acceptance in the database, no cell over",
               met=accepted >= answered["accepted"] and over == 0)
