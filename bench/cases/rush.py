"""Opening-day rush (issue 13, point 4): N families (BENCH_RUSH_SIZES, default 1,000, 2,500
and 5,000), each with its own parent account, log in during the minutes before a booking
window opens, as parents do; then, within the first minute after it opens (each at a random
moment of that minute), every parent opens the planning and submits a booking of 10–20 lines
(5–10 days, morning and afternoon) on a period whose places cover ~60 % of the demand.

Measured: the submissions' throughput and latencies (p50/p95/p99 of the answer to the submit
once admitted, and of the whole journey from arrival), errors, the gateway's waiting room
(answers 503 + Retry-After to the API: how many parents waited, how long), and overbooking
counted from the database (cells whose accepted lines pass their places). Targets on this
2-core machine at 5,000: 0 errors, 0 overbooking, p95 of the submit < 1 s once admitted.

Set-up, not timed: the families, their children and the accounts are written in bulk (COPY)
into the read model of reservations and into auth's database — one password hash for all,
never one request each. The sessions are opened for real (auth's POST /sessions), with
Argon2id at OWASP's minimum so that 5,000 logins take a minute of set-up here; what a crowd of
logins costs with the parameters in force is the `login` case's figure.
"""

import asyncio
import os
import random
import resource
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from bench.cases._reservations import CORES, PASSWORD, Parent, log_in, open_days
from bench.common import Run, percentile
from bench.stack import Stack, stack
from gateway.settings import Settings as GatewaySettings
from gateway.waiting_room import TICKET_HEADER
from services.auth.passwords import Passwords
from services.auth.settings import Settings as AuthSettings
from services.common.dates import today
from services.common.db import init_connection
from services.reservations.scale import open_period

SIZES = [int(n) for n in os.environ.get("BENCH_RUSH_SIZES", "1000,2500,5000").split(",")]
RUSH_SECONDS = float(os.environ.get("BENCH_RUSH_SECONDS", "60"))
DAYS = (5, 10)  # days booked by each parent, morning and afternoon: 10–20 lines
COVER = 0.6  # places ÷ demand
OPEN_DAYS = 20
SUBMIT_P95_MS = 1000.0
OWASP_MIN = {"AUTH_ARGON2_MEMORY_COST_KIB": str(19 * 1024), "AUTH_ARGON2_TIME_COST": "2",
             "AUTH_ARGON2_PARALLELISM": "1"}
WORKERS = {"auth": CORES, "reservations": CORES, "gateway": CORES}
TIMEOUT = aiohttp.ClientTimeout(total=300)
# The heavy requests the gateway lets through at once (its setting's default when unset).
CAPACITY = os.environ.get("GATEWAY_WAITING_ROOM_CAPACITY", "")


@dataclass
class Journey:
    """One parent's rush: what they met on the way."""

    waits: int = 0
    waited_s: float = 0.0
    planning_ms: float | None = None
    submit_ms: float | None = None
    journey_ms: float | None = None
    status: int | None = None
    states: dict[str, int] = field(default_factory=dict)
    error: str | None = None


async def main(run: Run) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the parts inherit it
    for size in SIZES:
        await one_rush(run, size)
    run.note(f"Each size: a stack of its own ({WORKERS}), the parents' arrivals spread at "
             f"random over {RUSH_SECONDS:.0f} s; each parent: GET /api/v1/planning then POST "
             f"/api/v1/reservations (bearer token, Idempotency-Key), following the waiting "
             f"room's Retry-After. The load generator runs on the same machine: its CPU per "
             f"second of rush is generator_cpu_per_s. submit_*: the admitted submit's answer; "
             f"journey_*: from arrival to the answer, waits included.")


def period_demand(size: int) -> int:
    """Places per cell so that all of them cover ~COVER of the lines asked for."""
    mean_lines = (DAYS[0] + DAYS[1]) / 2 * 2
    cells = OPEN_DAYS * 2
    return max(1, round(COVER * size * mean_lines / cells))


async def seed(parts: Stack, size: int) -> tuple[list[Parent], uuid.UUID, list[date],
                                                 list[uuid.UUID], int, datetime]:
    conn = await asyncpg.connect(parts.database_dsn("reservations"))
    await init_connection(conn)
    try:
        start = today() + timedelta(days=21)
        days = open_days(start, start + timedelta(days=40))[:OPEN_DAYS]
        places = period_demand(size)
        now = datetime.now(UTC)
        # The window opens once every parent is logged in: created in the future, opened by
        # the bench when the rush starts (the service reads the period at each request).
        period_id, units = await open_period(
            conn, name="Été du banc", units=[("MATIN", "Matin"), ("APREM", "Après-midi")],
            capacity=places, start=days[0], end=days[-1], opens_at=now + timedelta(days=1),
            closes_at=now + timedelta(days=20), now=now)
        parents, family_rows, child_rows, member_rows = [], [], [], []
        for i in range(size):
            family_id, child_id = uuid.uuid4(), uuid.uuid4()
            email = f"rush.{i}.{family_id.hex[:6]}@example.org"
            family_rows.append((family_id, f"Famille Rush {i}", email, 1))
            child_rows.append((child_id, "Enfant", f"Rush{i}",
                               today() - timedelta(days=365 * 7 + i % 700), None, 1))
            member_rows.append((family_id, child_id))
            parents.append(Parent(email, family_id, [child_id]))
        await conn.copy_records_to_table("families", records=family_rows,
                                         columns=("id", "name", "email", "version"))
        await conn.copy_records_to_table("children", records=child_rows, columns=(
            "id", "first_name", "last_name", "birth_date", "school_level", "version"))
        await conn.copy_records_to_table("memberships", records=member_rows,
                                         columns=("family_id", "child_id"))
    finally:
        await conn.close()
    password_hash = Passwords.from_settings(AuthSettings(
        argon2_memory_cost_kib=19 * 1024, argon2_time_cost=2, argon2_parallelism=1,
    )).hasher.hash(PASSWORD)
    auth = await asyncpg.connect(parts.database_dsn("auth"))
    try:
        await auth.copy_records_to_table("accounts", records=[
            (uuid.uuid4(), p.email, password_hash, "parent", p.family_id, "active")
            for p in parents], columns=("id", "email", "password_hash", "role", "family_id",
                                        "status"))
    finally:
        await auth.close()
    return parents, period_id, days, units, places, now


async def rush(parts: Stack, parents: list[Parent], period_id: uuid.UUID, days: list[date],
               units: list[uuid.UUID]) -> tuple[list[Journey], float, float]:
    rng = random.Random(len(parents))
    gateway = parts.url("gateway")
    months = sorted({d.strftime("%Y-%m") for d in days})
    journeys = [Journey() for _ in parents]

    async def parent_rush(index: int, at: float) -> None:
        await asyncio.sleep(at)
        parent, journey = parents[index], journeys[index]
        arrived = time.perf_counter()
        chosen = sorted(rng.sample(days, rng.randint(*DAYS)))
        body = {"child_id": str(parent.children[0]), "period_id": str(period_id),
                "kind": "book",
                "lines": [{"date": d.isoformat(), "unit_id": str(u)}
                          for d in chosen for u in units]}
        key = uuid.uuid4().hex
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=TIMEOUT) as http:

            async def admitted(method: str, url: str, **kwargs: Any
                               ) -> tuple[int, Any, float]:
                """The answer once the waiting room lets the parent in (its Retry-After
                followed, the ticket kept in the cookie jar)."""
                headers = {**parent.bearer, **kwargs.pop("headers", {})}
                while True:
                    started = time.perf_counter()
                    async with http.request(method, url, headers=headers, **kwargs) as resp:
                        answer = await resp.json(content_type=None)
                        if resp.status == 503 and "Retry-After" in resp.headers:
                            # The ticket comes back with the next try (the cookie jar has
                            # it too): the parent keeps their place in the line.
                            headers[TICKET_HEADER] = resp.headers.get(TICKET_HEADER, "")
                            journey.waits += 1
                            pause = float(resp.headers["Retry-After"])
                            journey.waited_s += pause
                            await asyncio.sleep(pause)
                            continue
                        return resp.status, answer, (time.perf_counter() - started) * 1000

            try:
                status, _, journey.planning_ms = await admitted(
                    "GET", f"{gateway}/api/v1/planning?child_id={parent.children[0]}"
                    f"&period_id={period_id}&month={months[0]}")
                if status != 200:
                    journey.error = f"planning {status}"
                    return
                status, answer, journey.submit_ms = await admitted(
                    "POST", f"{gateway}/api/v1/reservations", json=body,
                    headers={"Idempotency-Key": key})
                journey.status = status
                journey.journey_ms = (time.perf_counter() - arrived) * 1000
                if status != 201:
                    journey.error = f"submit {status}: {str(answer)[:160]}"
                    return
                for line in answer["lines"]:
                    journey.states[line["state"]] = journey.states.get(line["state"], 0) + 1
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                journey.error = repr(exc)[:200]

    arrivals = [rng.uniform(0, RUSH_SECONDS) for _ in parents]
    cpu0 = _cpu()
    started = time.perf_counter()
    await asyncio.gather(*(parent_rush(i, at) for i, at in enumerate(arrivals)))
    elapsed = time.perf_counter() - started
    return journeys, elapsed, (_cpu() - cpu0) / elapsed


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_rush(run: Run, size: int) -> None:
    env = dict(OWASP_MIN)
    if CAPACITY:
        env["GATEWAY_WAITING_ROOM_CAPACITY"] = CAPACITY
    async with stack(WORKERS, env=env) as parts:
        parents, period_id, days, units, places, _ = await seed(parts, size)
        started = time.perf_counter()
        await log_in(parts, parents)
        login_s = time.perf_counter() - started
        conn = await asyncpg.connect(parts.database_dsn("reservations"))
        try:
            # The window opens now.
            await conn.execute("UPDATE periods SET opens_at = now() WHERE id = $1", period_id)
            cpu0 = parts.cpu()
            journeys, elapsed, generator = await rush(parts, parents, period_id, days, units)
            cpu = {k: round((v - cpu0[k]) / elapsed, 2) for k, v in parts.cpu().items()}
            over = await conn.fetchval("""
                SELECT count(*) FROM (
                    SELECT unit_id, day, count(*) AS taken FROM lines
                    WHERE period_id = $1 AND kind = 'book' AND state = 'accepted'
                    GROUP BY unit_id, day) t
                WHERE taken > $2""", period_id, places)
            in_db: dict[str, int] = {row["state"]: row["count"] for row in await conn.fetch(
                "SELECT state, count(*) FROM lines WHERE period_id = $1 GROUP BY state",
                period_id)}
        finally:
            await conn.close()
    done = [j for j in journeys if j.error is None]
    errors = [j.error for j in journeys if j.error is not None]
    submits = [j.submit_ms for j in done if j.submit_ms is not None]
    whole = [j.journey_ms for j in done if j.journey_ms is not None]
    plannings = [j.planning_ms for j in journeys if j.planning_ms is not None]
    waited = [j for j in journeys if j.waits]
    answered: dict[str, int] = {}
    for journey in done:
        for state, count in journey.states.items():
            answered[state] = answered.get(state, 0) + count
    p95 = percentile(submits, 95)
    run.record({
        "name": f"rush, {size} parents", "parents": size,
        "waiting_room_capacity": int(CAPACITY or GatewaySettings().waiting_room_capacity),
        "login_s": round(login_s, 1),
        "places_per_cell": places, "cells": len(days) * len(units),
        "submitted": len(done), "errors": len(errors), "error_samples": errors[:5],
        "rush_s": round(elapsed, 1), "submits_per_s": round(len(done) / elapsed, 1),
        "planning_p95_ms": round(percentile(plannings, 95), 1),
        "submit_p50_ms": round(percentile(submits, 50), 1), "submit_p95_ms": round(p95, 1),
        "submit_p99_ms": round(percentile(submits, 99), 1),
        "journey_p95_ms": round(percentile(whole, 95), 1),
        "waiting_room_parents": len(waited),
        "waiting_room_answers": sum(j.waits for j in journeys),
        "max_wait_s": round(max((j.waited_s for j in journeys), default=0.0), 1),
        "lines_answered": answered, "lines_in_database": in_db,
        "cells_overbooked": over, "generator_cpu_per_s": round(generator, 2),
        "cpu_s_per_s": cpu,
    }, target=f"0 errors, 0 overbooking, submit p95 < {SUBMIT_P95_MS:.0f} ms"
       if size >= 5000 else None,
       met=(not errors and over == 0 and p95 < SUBMIT_P95_MS) if size >= 5000 else None)
