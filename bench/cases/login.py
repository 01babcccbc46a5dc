"""Logins: what a crowd of logins costs with the Argon2id parameters in force.

The auth service runs as `make run` runs it (a real process, `AUTH_WORKERS`, default 1: the
hashing runs in threads that release the GIL, so one process already uses every core), with
its production Argon2id parameters (services/auth/settings.py). Measured: correct logins of
50 parents each with their own account (closed loop, straight to auth's `POST /sessions`),
then the same through the gateway's `POST /api/v1/session` (tokens in the body), and 20
simultaneous logins of one account (all must succeed, issue 13). Accounts are written
straight into auth's database, all with one hash of the same password (set-up, not timed).
"""

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict

import aiohttp
import asyncpg

from bench.common import Run, closed_loop
from bench.stack import stack
from services.auth import repo
from services.auth.passwords import Passwords
from services.auth.settings import Settings

# A few clients are enough to keep every core hashing; more only queue (and the gateway gives
# up on auth after its upstream timeout, 8 s).
CLIENTS = int(os.environ.get("BENCH_LOGIN_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
WORKERS = int(os.environ.get("BENCH_AUTH_WORKERS", "1"))
GATEWAY_WORKERS = int(os.environ.get("BENCH_GATEWAY_WORKERS", str(len(os.sched_getaffinity(0)))))
PASSWORD = "une phrase de passe de banc d'essai"  # noqa: S105 - a bench's
CROWD = 20
# OWASP's Password Storage Cheat Sheet, Argon2id minimum: m=19 MiB, t=2, p=1 (or m=46 MiB, t=1).
OWASP_MIN = {"memory_cost_kib": 19 * 1024, "time_cost": 2, "parallelism": 1}


async def main(run: Run) -> None:
    settings = Settings()
    in_force = {"memory_cost_kib": settings.argon2_memory_cost_kib,
                "time_cost": settings.argon2_time_cost,
                "parallelism": settings.argon2_parallelism}
    run.record({"name": "Argon2id parameters in force", **in_force, "owasp_minimum": OWASP_MIN},
               target="≥ OWASP's minimum",
               met=in_force["memory_cost_kib"] >= OWASP_MIN["memory_cost_kib"]
               and in_force["time_cost"] >= OWASP_MIN["time_cost"])
    await measure(run, "in force", in_force, gateway=True)
    await measure(run, "OWASP minimum", OWASP_MIN, gateway=False)
    run.note(f"closed loop, {CLIENTS} clients (enough to keep every core hashing), "
             f"{SECONDS:.0f} s after 1 s of warm-up, on this machine with the generator; "
             f"cpu_ms_per_login: CPU of each part (all its workers) per login; "
             f"one_verification_ms: one hash timed alone in the bench's process. One account's "
             f"simultaneous logins take turns (issue 13): their time is about {CROWD} "
             f"verifications one after the other.")


async def measure(run: Run, label: str, params: dict[str, int], *, gateway: bool) -> None:
    passwords = Passwords(time_cost=params["time_cost"], memory_cost=params["memory_cost_kib"],
                          parallelism=params["parallelism"])
    started = time.perf_counter()
    password_hash = passwords.hasher.hash(PASSWORD)
    one_ms = round((time.perf_counter() - started) * 1000, 1)
    env = {"AUTH_ARGON2_MEMORY_COST_KIB": str(params["memory_cost_kib"]),
           "AUTH_ARGON2_TIME_COST": str(params["time_cost"]),
           "AUTH_ARGON2_PARALLELISM": str(params["parallelism"])}
    workers = {"auth": WORKERS, **({"gateway": GATEWAY_WORKERS} if gateway else {})}
    async with stack(workers, env=env) as parts:
        conn = await asyncpg.connect(parts.database_dsn("auth"))
        try:
            emails = [f"banc.{i}.{uuid.uuid4().hex[:6]}@example.org" for i in range(CLIENTS + 1)]
            for email in emails:
                await repo.insert_account(conn, account_id=uuid.uuid4(), email=email,
                                          password_hash=password_hash, role="parent",
                                          family_id=uuid.uuid4(), status="active")
        finally:
            await conn.close()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:

            def login(url: str, body: dict[str, object]) -> Callable[[int], Awaitable[bool]]:
                async def one(client: int) -> bool:
                    async with http.post(url, json={"email": emails[client],
                                                    "password": PASSWORD, **body}) as resp:
                        await resp.read()
                        return resp.status == 201

                return one

            routes: list[tuple[str, str, dict[str, object]]] = [
                ("auth POST /sessions", parts.url("auth") + "/sessions", {})]
            if gateway:
                routes.append(("gateway POST /api/v1/session",
                               parts.url("gateway") + "/api/v1/session", {"token": True}))
            for route, url, body in routes:
                cpu0 = parts.cpu()
                load = await closed_loop(f"logins, Argon2id {label}, {route}", clients=CLIENTS,
                                         seconds=SECONDS, request=login(url, body))
                cpu = {k: round((v - cpu0[k]) / max(load.requests, 1) * 1000, 1)
                       for k, v in parts.cpu().items()}
                run.record({**asdict(load), "one_verification_ms": one_ms,
                            "cpu_ms_per_login": cpu, "auth_workers": WORKERS,
                            "load_1m_after": round(os.getloadavg()[0], 1),
                            **({"gateway_workers": GATEWAY_WORKERS} if gateway else {})})

            async def same_account() -> int:
                async with http.post(parts.url("auth") + "/sessions", json={
                        "email": emails[CLIENTS], "password": PASSWORD}) as resp:
                    return resp.status

            started = time.perf_counter()
            statuses = await asyncio.gather(*(same_account() for _ in range(CROWD)))
            elapsed = time.perf_counter() - started
            counted = Counter(statuses)
            run.record({"name": f"{CROWD} simultaneous correct logins of one account, "
                                f"Argon2id {label}",
                        "answers": dict(counted), "seconds": round(elapsed, 2)},
                       target=f"{CROWD} × 201", met=counted == {201: CROWD})
