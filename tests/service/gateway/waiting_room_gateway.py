"""A gateway whose heavy page and API call wait as long as a test says, for the waiting room's
tests. `python -m tests.service.gateway.waiting_room_gateway` serves it from
`GATEWAY_WORKERS` processes, each heavy request held until the file `GATE_FILE` exists."""

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.app import create_app
from gateway.settings import Settings
from services.common.log import setup_logging
from services.common.web import run
from tests.support import free_port

SLOW_PAGE = "/mon-compte/reservations/essai-lent"
SLOW_API = "/api/v1/reservations/essai-lent"
PID_HEADER = "X-Worker-Pid"
CAPACITY = 2


def room_settings(**overrides: Any) -> Settings:
    """The gateway alone (no service answers: none is asked), its waiting room on, small."""
    values: dict[str, Any] = {
        "env": "test", "log_level": "WARNING", "waiting_room": True, "metrics_port": 0,
        "waiting_room_capacity": CAPACITY, "waiting_room_refresh_seconds": 1,
        "auth_url": f"http://127.0.0.1:{free_port()}"}
    return Settings(**{**values, **overrides})


def slowed_gateway(settings: Settings, wait: Callable[[], Awaitable[None]]) -> web.Application:
    """The real gateway plus two heavy routes that last until `wait()` returns."""
    app = create_app(settings=settings)

    async def page(request: web.Request) -> web.Response:
        await wait()
        return web.Response(text="servi")

    async def api(request: web.Request) -> web.Response:
        await wait()
        return web.json_response({"servi": True})

    async def tell_pid(request: web.Request, response: web.StreamResponse) -> None:
        response.headers[PID_HEADER] = str(os.getpid())

    app.router.add_route("*", SLOW_PAGE, page)
    app.router.add_route("*", SLOW_API, api)
    app.on_response_prepare.append(tell_pid)
    return app


def main() -> int:
    settings = Settings()
    setup_logging(settings.service_name, settings.log_level)
    gate = Path(os.environ["GATE_FILE"])

    async def until_open() -> None:
        # The test opens the gate for every worker process at once: a file they all see.
        while not gate.exists():  # noqa: ASYNC110, ASYNC240 (a stat, polled across processes)
            await asyncio.sleep(0.01)

    app = slowed_gateway(settings, until_open)
    return run(app, host=settings.host, port=settings.port, workers=settings.workers)


if __name__ == "__main__":
    sys.exit(main())
