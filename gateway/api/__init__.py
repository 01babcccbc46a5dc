"""The parent JSON API `/api/v1`, one module per area; each module has `routes`."""

from aiohttp import web

from gateway.api import billing, family, me, reservations, session

PREFIX = "/api/v1"
# Add an area's module here.
AREAS = [session, me, family, reservations, billing]


def setup_api(app: web.Application) -> None:
    for area in AREAS:
        app.router.add_routes(area.routes)
