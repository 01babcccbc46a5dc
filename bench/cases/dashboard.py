"""The price of the service split (issue 13, point 4): 50 logged-in parents (BENCH_PARENTS)
asking for their dashboard — `GET /api/v1/me/dashboard` through the gateway (seven calls to
auth, families, reservations and billing in parallel) — and the same answer from a reference
handler in the same run: one aiohttp process running the same use cases on the same databases
(`bench/reference.py`, what a monolith would cost). Target: the gateway ≥ 0.5 of the reference.

Set-up, not timed: every part started as `make run` starts it; BENCH_PARENTS families created
with the families service's own use case (their events make auth's accounts and the read
models of reservations and billing, as in production), each family's parent given a password
and logged in for real, one booking of ten lines each through the gateway, and last month's
billable lines invoiced by billing's run, so that every section of the dashboard has rows.
"""

import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import aiohttp
import asyncpg

from bench.cases._reservations import (
    CORES,
    PASSWORD,
    SECONDS,
    Parent,
    log_in,
    open_days,
    seed_catalogue,
)
from bench.common import Run, closed_loop
from bench.stack import ROOT, Stack, free_port, process_tree_cpu, stack, wait_ready
from services.auth.passwords import Passwords
from services.auth.settings import Settings as AuthSettings
from services.billing.invoicing import repo as invoicing_repo
from services.billing.invoicing import run as invoicing_run
from services.billing.repo import LINE_COLUMNS
from services.billing.scale import generate
from services.billing.seed import demo_tariffs
from services.common.dates import today
from services.common.db import init_connection
from services.common.settings import CommonSettings
from services.families import service as families
from services.families.schemas import ChildCreate, FamilyCreate
from services.families.seed import SEED

PARENTS = int(os.environ.get("BENCH_PARENTS", "50"))
TARGET_RATIO = 0.5
WORKERS = {"auth": int(os.environ.get("BENCH_AUTH_WORKERS", "1")),
           "families": int(os.environ.get("BENCH_FAMILIES_WORKERS", "1")),
           "reservations": int(os.environ.get("BENCH_RESERVATIONS_WORKERS", "1")),
           "billing": int(os.environ.get("BENCH_BILLING_WORKERS", "1")),
           "notifier": 1,
           "gateway": int(os.environ.get("BENCH_GATEWAY_WORKERS", str(CORES)))}


def family_body(index: int, name: str, email: str, qf: int | None) -> FamilyCreate:
    return FamilyCreate.model_validate({
        "name": name, "email": email, "qf": qf,
        "address": {"line1": f"{index % 200 + 1} rue des Oliviers", "postal_code": "34800",
                    "city": "Clermont-l'Hérault"},
        "phone_mobile": "06 12 34 56 78",
        "guardians": [{"civility": "Madame", "last_name": name.split()[1],
                       "first_name": "Claire", "relationship": "mère",
                       "phone_mobile": "06 12 34 56 78", "email": email}],
    })


async def poll(what: str, check: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"set-up: {what} not reached in {timeout:.0f} s")
        await asyncio.sleep(0.5)


async def seed(parts: Stack) -> list[Parent]:
    """BENCH_PARENTS families with their children, accounts, a booking and an invoice each."""
    month = (today().replace(day=1) - timedelta(days=1)).replace(day=1)
    family_rows, line_rows = generate(month, PARENTS, min_lines=4, max_lines=12)
    children: dict[uuid.UUID, dict[uuid.UUID, tuple[str, date]]] = {}
    for line in line_rows:
        children.setdefault(line[3], {})[line[4]] = (line[5], line[7])
    connections = {name: await asyncpg.connect(parts.database_dsn(name))
                   for name in ("auth", "families", "reservations", "billing")}
    for conn in connections.values():
        await init_connection(conn)  # the services' codecs (json, jsonb)
    try:
        parents = []
        for index, row in enumerate(family_rows):
            family_id, name, email, qf = row[0], row[1], row[2], row[7]
            await families.create_family(connections["families"], family_id=family_id,
                                         body=family_body(index, name, email, qf), actor=SEED)
            for rank, (child_id, (first, _)) in enumerate(children[family_id].items()):
                # Between 5 and 9 years old: every child may be booked on the bench's period.
                born = today().replace(day=1, month=3) - timedelta(days=365 * (5 + 2 * rank))
                await families.create_child(
                    connections["families"], family_id=family_id, child_id=child_id,
                    actor=SEED, body=ChildCreate.model_validate({
                        "last_name": name.split()[1], "first_name": first,
                        "birth_date": born.isoformat(), "sex": "F",
                        "image_rights_consent": True}))
            parents.append(Parent(email, family_id, list(children[family_id])))
        total_children = sum(len(c) for c in children.values())

        async def propagated() -> bool:
            accounts = await connections["auth"].fetchval(
                "SELECT count(*) FROM accounts WHERE role = 'parent'")
            kids = await connections["reservations"].fetchval("SELECT count(*) FROM children")
            billed = await connections["billing"].fetchval("SELECT count(*) FROM families")
            return bool(accounts == PARENTS and kids == total_children and billed == PARENTS)

        await poll("the families' events applied by auth, reservations and billing",
                   propagated)
        password_hash = Passwords.from_settings(AuthSettings()).hasher.hash(PASSWORD)
        await connections["auth"].execute(
            "UPDATE accounts SET password_hash = $1, status = 'active' WHERE role = 'parent'",
            password_hash)
        billing = connections["billing"]
        for tariff in demo_tariffs():
            await invoicing_repo.insert_tariff(billing, uuid.uuid4(), tariff)
        await billing.copy_records_to_table("lines", records=line_rows, columns=LINE_COLUMNS)
        await invoicing_run.issue(billing, month=month, actor="bench", due_days=30)
        period_id, units, start, end = await seed_catalogue(connections["reservations"])
    finally:
        for conn in connections.values():
            await conn.close()
    await log_in(parts, parents)
    days = open_days(start, end)
    async with aiohttp.ClientSession() as http:
        for index, parent in enumerate(parents):
            cells = [(d, units[(index + i) % len(units)]) for i, d in enumerate(days[:10])]
            async with http.post(parts.url("gateway") + "/api/v1/reservations", json={
                    "child_id": str(parent.children[0]), "period_id": str(period_id),
                    "kind": "book",
                    "lines": [{"date": d.isoformat(), "unit_id": str(u)} for d, u in cells]},
                    headers={**parent.bearer, "Idempotency-Key": uuid.uuid4().hex}) as resp:
                if resp.status != 201:
                    raise RuntimeError(f"set-up booking: {resp.status} {await resp.text()}")
    return parents


@contextlib.asynccontextmanager
async def reference(parts: Stack) -> AsyncIterator[tuple[str, int]]:
    """The monolith yardstick as a process of its own (one process, one event loop)."""
    port = free_port()
    settings = CommonSettings()
    env = {**os.environ, "BENCH_REF_PORT": str(port), "BENCH_REF_DSN": settings.pg_dsn,
           "BENCH_REF_AUTH_URL": parts.url("auth"),
           "BENCH_REF_ISSUER": settings.token_issuer,
           "BENCH_REF_AUDIENCE": settings.token_audience}
    for name in ("auth", "families", "reservations", "billing"):
        database = parts.parts[name].database
        assert database is not None
        env[f"BENCH_REF_{name.upper()}_DATABASE"] = database
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.reference", cwd=ROOT, env=env)
    try:
        from bench.stack import Part

        probe = Part("reference", port, 1, process)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            await wait_ready(http, probe)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        await process.wait()


async def main(run: Run) -> None:
    async with stack(WORKERS) as parts:
        started = time.perf_counter()
        parents = await seed(parts)
        run.note(f"set-up (not timed): {PARENTS} families, accounts, bookings and invoices in "
                 f"{time.perf_counter() - started:.0f} s")
        async with reference(parts) as (reference_url, reference_pid):
            await measure(run, parts, parents, reference_url, reference_pid)
    run.note(f"{PARENTS} parents, closed loop, {SECONDS:.0f} s after 1 s of warm-up each; "
             f"workers {WORKERS}; the reference is one process; the load generator runs on "
             f"the same machine (generator_cpu_per_s: its CPU per second); cpu_s_per_s: each "
             f"part's CPU per second of run, all its workers.")


async def measure(run: Run, parts: Stack, parents: list[Parent], reference_url: str,
                  reference_pid: int) -> None:
    async with aiohttp.ClientSession() as http:

        def getter(base: str) -> Any:
            async def one(client: int) -> bool:
                parent = parents[client]
                async with http.get(base + "/api/v1/me/dashboard",
                                    headers=parent.bearer) as resp:
                    body = await resp.json(content_type=None)
                    return bool(resp.status == 200 and body["family"] and body["children"]
                                and body["reservations"] and body["invoices"]
                                and not body["unavailable"])
            return one

        results = {}
        for name, base in (("dashboard, reference monolith (one process)", reference_url),
                           ("dashboard (gateway, GET /api/v1/me/dashboard)",
                            parts.url("gateway"))):
            cpu0 = {**parts.cpu(), "reference": process_tree_cpu(reference_pid)}
            load = await closed_loop(name, clients=len(parents), seconds=SECONDS,
                                     request=getter(base))
            cpu1 = {**parts.cpu(), "reference": process_tree_cpu(reference_pid)}
            cpu = {k: round((v - cpu0[k]) / load.seconds, 2) for k, v in cpu1.items()}
            results[base] = load
            # CPU per answer, every process of the path together: steadier than throughput
            # on a shared machine.
            per_answer = sum(cpu.values()) * load.seconds / max(load.requests, 1) * 1000
            run.record({**asdict(load), "cpu_s_per_s": cpu,
                        "cpu_ms_per_answer": round(per_answer, 2),
                        "load_1m_after": round(os.getloadavg()[0], 1)})
    ratio = results[parts.url("gateway")].throughput / max(results[reference_url].throughput,
                                                            0.1)
    errors = sum(load.errors for load in results.values())
    run.record({"name": "gateway ÷ reference (throughput)", "ratio": round(ratio, 2),
                "errors": errors}, target=f"≥ {TARGET_RATIO}",
               met=ratio >= TARGET_RATIO and errors == 0)
