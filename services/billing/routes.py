"""HTTP routes of the billing service."""

from aiohttp import web

routes = web.RouteTableDef()


def setup_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
