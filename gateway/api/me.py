"""The parent's own data in one call: `GET /api/v1/me/dashboard`."""

from aiohttp import web

from gateway.dashboard import Dashboard, load_dashboard
from services.common.api import api

routes = web.RouteTableDef()


@routes.get("/api/v1/me/dashboard")
@api(summary="Account, family, children, reservations, invoices and payments",
     response=Dashboard, tags=("me",))
async def dashboard(request: web.Request) -> Dashboard:
    return await load_dashboard(request)
