"""The planning under load (issue 8, point 11): 50 logged-in parents (BENCH_PARENTS) each
opening the planning month of one of their children, round the months of the period — the
page through the gateway (HTML, the session's cookie) and the planning API (the gateway's
`GET /api/v1/planning`, a bearer token), then the reservations service's route alone (what
the gateway adds is the difference). Targets on the project's 2-core machine: the page
≥ 120/s with p95 < 300 ms.
"""

import os
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bench.cases._reservations import PARENTS, SECONDS, WORKERS, Setup, reservations_stack
from bench.common import Run, closed_loop

PAGE_TARGET = 120.0
PAGE_P95_MS = 300.0


async def main(run: Run) -> None:
    async with reservations_stack() as setup:
        await measure(run, setup)
    run.note(f"{PARENTS} parents, closed loop, {SECONDS:.0f} s after 1 s of warm-up each; "
             f"workers {WORKERS}; the load generator runs on the same machine "
             f"(generator_cpu_per_s: its CPU per second); cpu_s_per_s: each part's CPU per "
             f"second of run, all its workers.")


def month_query(setup: Setup, client: int, turn: int) -> tuple[Any, str, str]:
    parent = setup.parents[client]
    child = parent.children[turn % len(parent.children)]
    month = setup.months[turn % len(setup.months)]
    return parent, str(child), month


async def measure(run: Run, setup: Setup) -> None:
    turns = [0] * len(setup.parents)
    sessions = []
    for parent in setup.parents:
        jar = aiohttp.CookieJar(unsafe=True)
        jar.update_cookies({"pf_access": parent.access_token})
        sessions.append(aiohttp.ClientSession(cookie_jar=jar))
    try:
        async def page(client: int) -> bool:
            turns[client] += 1
            _, child, month = month_query(setup, client, turns[client])
            query = urlencode({"enfant": child, "periode": str(setup.period_id), "mois": month})
            async with sessions[client].get(setup.url(
                    "gateway", f"/mon-compte/reservations/nouvelle/planning?{query}"),
                    allow_redirects=False) as resp:
                body = await resp.text()
                return resp.status == 200 and "Valider le planning" in body

        async def api(client: int) -> bool:
            turns[client] += 1
            parent, child, month = month_query(setup, client, turns[client])
            query = urlencode({"child_id": child, "period_id": str(setup.period_id),
                               "month": month})
            async with sessions[client].get(setup.url("gateway", f"/api/v1/planning?{query}"),
                                            headers=parent.bearer) as resp:
                await resp.read()
                return resp.status == 200

        async def service(client: int) -> bool:
            turns[client] += 1
            parent, child, month = month_query(setup, client, turns[client])
            query = urlencode({"child_id": child, "period_id": str(setup.period_id),
                               "month": month})
            async with sessions[client].get(setup.url(
                    "reservations", f"/families/{parent.family_id}/planning?{query}"),
                    headers=parent.bearer) as resp:
                await resp.read()
                return resp.status == 200

        for name, request, target in (
                ("planning page (gateway, HTML)", page,
                 f"≥ {PAGE_TARGET:.0f}/s, p95 < {PAGE_P95_MS:.0f} ms"),
                ("planning API (gateway, GET /api/v1/planning)", api, None),
                ("planning, reservations service alone", service, None)):
            cpu0 = setup.parts.cpu()
            load = await closed_loop(name, clients=len(setup.parents), seconds=SECONDS,
                                     request=request)
            cpu = {k: round((v - cpu0[k]) / load.seconds, 2)
                   for k, v in setup.parts.cpu().items()}
            met = None
            if target is not None:
                met = (load.errors == 0 and load.throughput >= PAGE_TARGET
                       and load.p95_ms < PAGE_P95_MS)
            run.record({**asdict(load), "cpu_s_per_s": cpu,
                        "load_1m_after": round(os.getloadavg()[0], 1)}, target=target, met=met)
    finally:
        for session in sessions:
            await session.close()
