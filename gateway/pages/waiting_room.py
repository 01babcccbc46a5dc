"""The waiting room's one control (`gateway/waiting_room.py`): stop or restart the automatic
refresh of the page, a time limit the visitor may turn off (RGAA 13.1, WCAG 2.2.1)."""

from aiohttp import web

from gateway.render import PARENT_HOME, redirect, safe_next
from gateway.security import delete_cookie, set_cookie
from gateway.waiting_room import MANUAL_COOKIE

routes = web.RouteTableDef()


@routes.post("/salle-d-attente/actualisation")
async def refresh_choice(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if form.get("auto") == "1":
        delete_cookie(request, MANUAL_COOKIE)
    else:
        set_cookie(request, MANUAL_COOKIE, "1")
    back = form.get("retour")
    return redirect(safe_next(back if isinstance(back, str) else None) or PARENT_HOME)
