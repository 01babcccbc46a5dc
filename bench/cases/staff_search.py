"""Staff search and deep pages at city scale: 50,000 generated families (BENCH_FAMILIES), the
families service's routes served over HTTP, its search and lists timed, and the key lines of
the plans of the statements each request ran (EXPLAIN ANALYZE). A database of its own, dropped
afterwards.
"""

import contextlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlencode

import aiohttp
import asyncpg
import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import Run, closed_loop
from services.common import keys
from services.common.db import Conn, create_pool, drop_database, prepare_database
from services.common.errors import problem_middleware
from services.common.pagination import encode_cursor
from services.common.tokens import StaticKeys, TokenVerifier
from services.common.web import base_app, database_context, verify_token
from services.families import change_requests, service
from services.families import keys as families_keys
from services.families.app import MIGRATIONS
from services.families.routes import setup_routes
from services.families.scale import seed_scale
from services.families.schemas import AuditQuery, FamilySearch, QueueQuery
from services.families.settings import Settings

FAMILIES = int(os.environ.get("BENCH_FAMILIES", "50000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
PAGE = 20
SEARCH_TARGET_MS = 50.0
# What an agent types: a common name, an accented name typed without its accents, a child's
# first name (accented too), a postal code shared by a third of the families, nothing known.
QUERIES = [("common name", "martin"), ("accented name typed without accents", "lefevre"),
           ("child's first name", "helene"), ("postal code", "34800"),
           ("name found nowhere", "tartempion")]
# Where the deep pages start: the key of the row just before them (page 2,000 of the list).
DEEP = {
    "families list, page 2,000": """
        SELECT search_name, id FROM families ORDER BY search_name, id OFFSET $1 LIMIT 1""",
    "validation queue, page 1,000": """
        SELECT created_at, id FROM change_requests WHERE state = 'pending'
        ORDER BY created_at, id OFFSET $1 LIMIT 1""",
    "journal, page 2,000": """
        SELECT at, id FROM audit_entries ORDER BY at DESC, id DESC OFFSET $1 LIMIT 1""",
    "search « 34800 », page 500": """
        SELECT 'named', 2, search_name, id FROM families
        WHERE search_text LIKE '%34800%' AND search_name NOT LIKE '% 34800%'
        ORDER BY search_name, id OFFSET $1 LIMIT 1""",
}
DEEP_ROWS = {"families list, page 2,000": 1999 * PAGE, "validation queue, page 1,000": 999 * PAGE,
             "journal, page 2,000": 1999 * PAGE, "search « 34800 », page 500": 499 * PAGE}
PATHS = {"families list, page 2,000": ("/families", {}),
         "validation queue, page 1,000": ("/change-requests", {}),
         "journal, page 2,000": ("/audit", {}),
         "search « 34800 », page 500": ("/families", {"q": "34800"})}
# The plan lines worth quoting: how each table is read, its index condition, the sort, the
# time taken (and JIT, were it ever there).
KEY_LINE = re.compile(r"(Scan on|Scan using|Index Cond|Sort Method|Execution Time|JIT)")
LONG_LIST = re.compile(r"'\{[^}]{40,}\}'")
TIMING = re.compile(r"\(actual time=[\d.]+\.\.([\d.]+) rows=(\d+) loops=(\d+)\)")


class Recorder:
    """A connection that records the statements run through it (to explain them after)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def transaction(self, **kwargs: Any) -> Any:
        return self.conn.transaction(**kwargs)

    async def execute(self, sql: str, *args: Any) -> str:
        return await self.conn.execute(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self.statements.append((sql, args))
        return await self.conn.fetch(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.statements.append((sql, args))
        return await self.conn.fetchval(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        self.statements.append((sql, args))
        return await self.conn.fetchrow(sql, *args)


async def key_lines(conn: Conn, statements: list[tuple[str, tuple[Any, ...]]]
                    ) -> str:
    """The key lines of the plans of `statements`, as the service runs them (custom plans)."""
    out = []
    for sql, args in statements:
        async with conn.transaction():
            await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            plan = await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + sql, *args)
        lines = [LONG_LIST.sub("'{…}'", TIMING.sub(r"(\2 rows in \1 ms, loops \3)",
                                                  r[0].strip().removeprefix("->  ")))
                 for r in plan if KEY_LINE.search(r[0])]
        out.append(" · ".join(lines))
    return " ‖ ".join(out)


def staff_token(private_key: Ed25519PrivateKey, kid: str, settings: Settings) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "bench-agent", "role": "staff", "family_id": None,
                       "sid": secrets.token_hex(8), "iat": now, "exp": now + 3600,
                       "iss": settings.token_issuer, "aud": settings.token_audience},
                      private_key, algorithm="EdDSA", headers={"kid": kid})


def families_app(settings: Settings, verifier: TokenVerifier) -> web.Application:
    """The families service's routes, middlewares and pool, without the event bus: nothing is
    written while measuring, so nothing is published or consumed, and the bench needs no
    broker (nor leaves queues behind)."""
    app = base_app(settings, title="families (bench)",
                   middlewares=(problem_middleware, verify_token))
    app[keys.VERIFIER] = verifier
    app[families_keys.SETTINGS] = settings
    app.cleanup_ctx.append(database_context(settings, MIGRATIONS))
    setup_routes(app)
    return app


@contextlib.asynccontextmanager
async def families_service(settings: Settings) -> AsyncIterator[tuple[TestServer, str]]:
    """The families service on a free port, trusting a key of the bench's own, and a staff
    token signed with it."""
    private_key, kid = Ed25519PrivateKey.generate(), f"bench-{secrets.token_hex(4)}"
    public = jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    verifier = TokenVerifier(
        StaticKeys({"keys": [{**public, "kid": kid, "alg": "EdDSA", "use": "sig"}]}),
        issuer=settings.token_issuer, audience=settings.token_audience)
    server = TestServer(families_app(settings, verifier), host="127.0.0.1")
    await server.start_server()
    try:
        yield server, staff_token(private_key, kid, settings)
    finally:
        await server.close()


async def main(run: Run) -> None:
    tag = secrets.token_hex(4)
    settings = Settings(database=f"bench_staff_search_{tag}", env="test", log_level="WARNING")
    try:
        await prepare_database(settings, MIGRATIONS)
        # The service's own pool settings (codecs, no JIT) for seeding and explaining.
        pool = await create_pool(settings)
        try:
            async with pool.acquire() as conn:
                seeded = await seed_scale(conn, families=FAMILIES)
                run.record({"name": "seed-scale", **asdict(seeded)}, target="≤ ~60 s",
                           met=seeded.seconds <= 60)
                async with families_service(settings) as (server, token):
                    await measure(run, conn, server, token)
        finally:
            await pool.close()
    finally:
        await drop_database(settings.pg_dsn, settings.database)


async def measure(run: Run, conn: Conn, server: TestServer, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as http:

        def getter(path: str, query: dict[str, str]) -> Any:
            url = server.make_url(f"{path}?{urlencode({**query, 'page_size': str(PAGE)})}")

            async def get(_: int) -> bool:
                async with http.get(url) as resp:
                    await resp.read()
                    return resp.status == 200

            return get

        def use_case(path: str, query: dict[str, str], cursor: str | None = None) -> Any:
            async def run_it(_: int) -> bool:
                await page_of(conn, path, query, cursor)
                return True

            return run_it

        async def timed(name: str, path: str, query: dict[str, str],
                        cursor: str | None = None) -> dict[str, Any]:
            """Over HTTP, and the use case alone (the database and the service's Python,
            without HTTP, token and JSON: what the machine's load weighs on less)."""
            over_http = await closed_loop(name, clients=1, seconds=SECONDS, request=getter(
                path, {**query, "cursor": cursor} if cursor else query))
            alone = await closed_loop(name, clients=1, seconds=SECONDS / 2,
                                      request=use_case(path, query, cursor))
            return {**asdict(over_http), "use_case_p50_ms": alone.p50_ms,
                    "use_case_p95_ms": alone.p95_ms}

        for label, q in QUERIES:
            load = await timed(f"search « {q} » ({label})", "/families", {"q": q})
            run.record(load, target=f"p50 < {SEARCH_TARGET_MS:.0f} ms",
                       met=load["errors"] == 0 and load["p50_ms"] < SEARCH_TARGET_MS)
            recorder = Recorder(conn)
            found = await service.search(cast(Conn, recorder),
                                         FamilySearch(q=q, page_size=PAGE))
            run.note(f"« {q} »: {len(found.items)} on page 1, total {found.total} — plans: "
                     + await key_lines(conn, recorder.statements))

        for label, sql in DEEP.items():
            path, query = PATHS[label]
            key = await conn.fetchrow(sql, DEEP_ROWS[label])
            if key is None:
                run.note(f"{label}: not measured, {FAMILIES} families are too few")
                continue
            cursor = encode_cursor(list(key))
            first = await timed(f"{label.split(',')[0]}, page 1", path, query)
            deep = await timed(label, path, query, cursor)
            run.record(first)
            run.record(deep, target="p50 ≤ 1.5 × page 1's + 2 ms",
                       met=deep["errors"] == 0
                       and deep["p50_ms"] <= 1.5 * first["p50_ms"] + 2)
            for name, at in (("page 1", None), (label.split(", ")[-1], cursor)):
                recorder = Recorder(conn)
                await page_of(cast(Conn, recorder), path, query, at)
                run.note(f"{label.split(',')[0]}, {name} — plans: "
                         + await key_lines(conn, recorder.statements))
    run.note(f"{FAMILIES} families; each figure: one client, back to back, {SECONDS:.0f} s "
             f"after 1 s of warm-up, over HTTP to the families service (token checked, JSON), "
             f"then {SECONDS / 2:.1f} s of the use case alone (use_case_*: its statements and "
             f"Python, no HTTP); measured {datetime.now(UTC).isoformat(timespec='seconds')}")


async def page_of(conn: Conn, path: str, query: dict[str, str], cursor: str | None) -> None:
    """The use case behind `path`, run on `conn` (to record its statements)."""
    if path == "/families":
        await service.search(conn, FamilySearch(q=query.get("q"), cursor=cursor,
                                                page_size=PAGE))
    elif path == "/change-requests":
        await change_requests.validation_queue(conn, QueueQuery(cursor=cursor, page_size=PAGE))
    else:
        await service.audit_page(conn, AuditQuery(cursor=cursor, page_size=PAGE))

