"""PostgreSQL unreachable for a service: every request that needs it is a 503
`/problems/unavailable` with `Retry-After`, logged once as a warning for the whole outage (no
traceback per request); the service answers again when the database is back."""

import logging
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from services.common import keys
from services.common.errors import PROBLEM_JSON
from services.common.routing import connection
from services.common.settings import ServiceSettings
from services.common.web import service_app
from tests.proxy import tcp_proxy
from tests.support import PG_DSN, RUN, eventually, serve, settings_for


class OutageSettings(ServiceSettings):
    service_name: str = "outage"


async def now(request: web.Request) -> web.Response:
    async with connection(request) as conn:
        return web.json_response({"one": await conn.fetchval("SELECT 1")})


async def test_a_database_outage_is_a_503_with_retry_after_logged_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    postgres = URL(PG_DSN)
    async with tcp_proxy(postgres.host or "127.0.0.1", postgres.port or 5432) as proxy:
        through = str(postgres.with_host("127.0.0.1").with_port(proxy.port))
        settings = settings_for(OutageSettings, pg_dsn=through, pool_acquire_seconds=2,
                                database=f"test_{RUN}_outage")
        app = service_app(settings, title="Panne", migrations=tmp_path)
        app.router.add_get("/now", now)
        async with serve(app) as server, aiohttp.ClientSession() as http:
            async with http.get(server.make_url("/now")) as resp:
                assert resp.status == 200

            await proxy.cut()  # PostgreSQL is unreachable for this service from now on
            caplog.clear()
            with caplog.at_level(logging.INFO):
                for _ in range(20):
                    async with http.get(server.make_url("/now")) as resp:
                        assert resp.status == 503
                        assert resp.content_type == PROBLEM_JSON
                        assert resp.headers["Retry-After"] == "5"
                        body = await resp.json()
                        assert body["type"] == "/problems/unavailable"
                        assert body["title"].startswith("Le service est momentanément")
            ours = [r for r in caplog.records if r.name.startswith("services.common.errors")]
            assert [(r.levelno, r.exc_info) for r in ours] == [(logging.WARNING, None)]

            await proxy.restore()

            async def answers() -> bool:
                async with http.get(server.make_url("/now")) as resp:
                    return resp.status == 200

            # The pool replaces its broken connections: the service answers again.
            await eventually(answers)


async def test_no_pooled_connection_in_time_is_a_503(tmp_path: Path) -> None:
    settings = settings_for(OutageSettings, pool_min_size=1, pool_max_size=2,
                            pool_acquire_seconds=0.3, database=f"test_{RUN}_outage")
    app = service_app(settings, title="Panne", migrations=tmp_path)
    app.router.add_get("/now", now)
    async with serve(app) as server, aiohttp.ClientSession() as http:
        # The pool lends its other connection to the outbox relay's listener; this one held:
        async with app[keys.DB].acquire(), http.get(server.make_url("/now")) as resp:
            assert resp.status == 503
            assert resp.headers["Retry-After"] == "5"
        async with http.get(server.make_url("/now")) as resp:
            assert resp.status == 200
