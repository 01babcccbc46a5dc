"""What thin service handlers share: guards run before the body is read, a connection for the
request, the version a client edited (ids from the path: `validation.path_uuid`)."""

import functools
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from asyncpg.pool import PoolAcquireContext

from services.common import keys
from services.common.errors import BadRequest
from services.common.settings import ServiceSettings

_VERSION = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def before(*checks: Callable[[web.Request], object]) -> Callable[[Handler], Handler]:
    """Run access checks before the body is even parsed: a parent probing another family
    gets 404 (and a parent on a staff route 403) whatever they send."""
    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)  # keeps the `@api` declaration for /openapi.json
        async def endpoint(request: web.Request) -> web.StreamResponse:
            for check in checks:
                check(request)
            return await handler(request)

        return endpoint

    return wrap


def connection(request: web.Request) -> PoolAcquireContext:
    """A connection lent by the pool for this request (use cases open their transactions)."""
    # A pool that lends no connection in time (the database away or overwhelmed) raises
    # TimeoutError: a 503 rather than a request left waiting.
    settings = request.app[keys.SETTINGS]
    assert isinstance(settings, ServiceSettings)
    return request.app[keys.DB].acquire(timeout=settings.pool_acquire_seconds)


def if_match(request: web.Request) -> int | None:
    """The version the client edited (`If-Match: "3"`), when it says so."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    found = _VERSION.match(header.strip())
    if found is None:
        raise BadRequest("L'en-tête If-Match est invalide.")
    return int(found.group(1))
