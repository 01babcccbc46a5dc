"""HTTP routes of the lottery (staff): a period's draw, its state and its audit."""

from aiohttp import web

from services.common import keys
from services.common.api import api
from services.common.tokens import principal
from services.common.validation import path_uuid
from services.reservations.access import guard, staff_only
from services.reservations.catalogue.service import Actor
from services.reservations.keys import CLOCK
from services.reservations.lottery import service
from services.reservations.lottery.schemas import DrawOut

routes = web.RouteTableDef()


@routes.get("/periods/{period_id}/draw")
@guard(staff_only)
@api(summary="A lottery period: requests awaiting the draw, then the draw's record (seed, "
             "algorithm, who and when, order, results per unit)",
     response=DrawOut, tags=("staff",))
async def get_draw(request: web.Request) -> DrawOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.read_draw(conn, period_id=path_uuid(request, "period_id"))


@routes.post("/periods/{period_id}/draw")
@guard(staff_only)
@api(summary="Draw the period now (once: 409 when drawn, not a lottery, or before its "
             "deadline); results mailed to every family that took part",
     response=DrawOut, tags=("staff",))
async def make_draw(request: web.Request) -> DrawOut:
    who = principal(request)
    async with request.app[keys.DB].acquire() as conn:
        return await service.draw(conn, period_id=path_uuid(request, "period_id"),
                                  actor=Actor(sub=who.sub, role=who.role),
                                  now=request.app[CLOCK]())
