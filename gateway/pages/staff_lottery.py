"""« Espace gestion » — a lottery period's draw (issue 13): the requests awaiting it, the draw
button with its confirmation, then the draw's audit (seed, date, agent, algorithm) and its
results per unit. The reservations service draws, records and refuses (a second draw, before
the deadline, a first-come period); this page shows its answers."""

import uuid
from typing import Any

from aiohttp import web

from gateway import keys
from gateway.pages.staff import T, render_staff, staff_load, staff_session, uuid_in
from gateway.pages.staff_catalogue import PERIOD
from gateway.render import Form, flash, read_form, redirect
from gateway.session import upstream
from services.common.errors import Problem, Unauthorized

routes = web.RouteTableDef()

DRAW = PERIOD + "/tirage"
CONFIRM = "Cochez la case pour confirmer le tirage au sort : il ne peut pas être refait."


async def load_draw(request: web.Request, period_id: uuid.UUID) -> T:
    client = request.app[keys.CLIENTS].reservations

    async def load(token: str) -> T:
        period = await client.period(token, period_id)
        draw: dict[str, Any] | None = None
        if period.get("allocation") == "lottery":
            draw = await client.draw(token, period_id)
        return {"period": period, "draw": draw}

    return await staff_load(request, load)


def draw_page(request: web.Request, data: T, form: Form, *, status: int = 200
              ) -> web.Response:
    return render_staff(request, "gestion/reservations/draw.html",
                        {**data, "form": form, "action": request.path}, status=status)


@routes.get(DRAW)
async def draw(request: web.Request) -> web.StreamResponse:
    data = await load_draw(request, uuid_in(request, "period_id"))
    return draw_page(request, data, Form())


@routes.post(DRAW)
async def make_draw(request: web.Request) -> web.StreamResponse:
    """Draw once, after the agent ticked the confirmation; a refusal of the service (drawn
    already, too early) is shown on the page, nothing drawn."""
    await staff_session(request)
    period_id = uuid_in(request, "period_id")
    form = await read_form(request, "confirm")
    if form.values["confirm"] != "1":
        form.add("confirm", CONFIRM)
        return draw_page(request, await load_draw(request, period_id), form, status=422)
    client = request.app[keys.CLIENTS].reservations
    try:
        await upstream(request, lambda token: client.make_draw(token, period_id))
    except Unauthorized:
        raise
    except Problem as problem:
        if problem.status >= 500 or problem.status in (401, 403, 404):
            raise
        form.fail(problem, ())
        return draw_page(request, await load_draw(request, period_id), form,
                         status=problem.status)
    flash(request, "draw_made")
    return redirect(request.path)
