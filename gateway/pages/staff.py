"""« Espace gestion »: the staff's entry (a placeholder until the back-office areas land)."""

from aiohttp import web

from gateway.render import STAFF_HOME, render
from gateway.session import require_session
from services.common.errors import Forbidden

routes = web.RouteTableDef()


@routes.get(STAFF_HOME)
async def staff_home(request: web.Request) -> web.StreamResponse:
    session = await require_session(request)
    if not session.principal.is_staff:
        raise Forbidden("Cet espace est réservé aux agents du service.")
    return render(request, "staff.html")
