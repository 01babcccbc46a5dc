"""HTTP routes of the staff: requests queue, decisions, attendance."""

from aiohttp import web

from services.common import keys
from services.common.api import api
from services.common.tokens import principal
from services.common.validation import path_uuid
from services.reservations.access import guard, staff_only
from services.reservations.catalogue.service import Actor
from services.reservations.keys import CLOCK
from services.reservations.staff import service
from services.reservations.staff.schemas import (
    AttendanceOut,
    AttendanceQuery,
    DecidedLine,
    DecisionIn,
    RequestPage,
    RequestsQuery,
)

routes = web.RouteTableDef()


@routes.get("/requests")
@guard(staff_only)
@api(summary="Lines awaiting a staff decision, oldest first (keyset pages)",
     query=RequestsQuery, response=RequestPage, tags=("staff",))
async def requests_queue(request: web.Request, query: RequestsQuery) -> RequestPage:
    async with request.app[keys.DB].acquire() as conn:
        return await service.requests_queue(conn, query)


@routes.post("/lines/{line_id}/decision")
@guard(staff_only)
@api(summary="Accept or refuse a requested line (comment required to refuse); places "
             "re-checked now (409 when the cell has none left)", body=DecisionIn,
     response=DecidedLine, tags=("staff",))
async def decide(request: web.Request, body: DecisionIn) -> DecidedLine:
    who = principal(request)
    async with request.app[keys.DB].acquire() as conn:
        return await service.decide_line(conn, line_id=path_uuid(request, "line_id"),
                                         body=body, actor=Actor(sub=who.sub, role=who.role),
                                         now=request.app[CLOCK]())


@routes.get("/attendance")
@guard(staff_only)
@api(summary="Children expected per establishment, day (and unit); no health data",
     query=AttendanceQuery, response=AttendanceOut, tags=("staff",))
async def attendance(request: web.Request, query: AttendanceQuery) -> AttendanceOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.attendance(conn, query)
