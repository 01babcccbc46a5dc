"""HTTP routes of the waiting list: offer replies (portal, e-mailed link), a cell's queue."""

from aiohttp import web

from services.common import keys
from services.common.api import api
from services.common.validation import path_uuid
from services.reservations.access import access, family_access, guard, staff_only
from services.reservations.keys import CLOCK
from services.reservations.waitlist import service
from services.reservations.waitlist.schemas import (
    OfferReply,
    OfferReplyOut,
    OfferTokenReply,
    WaitingCellsOut,
    WaitingCellsQuery,
    WaitingListOut,
    WaitingListQuery,
)

routes = web.RouteTableDef()


@routes.post("/families/{family_id}/offers/{line_id}")
@guard(family_access)
@api(summary="Accept or decline a place offered to a waiting line (from the portal)",
     body=OfferReply, response=OfferReplyOut, tags=("waiting list",))
async def reply(request: web.Request, body: OfferReply) -> OfferReplyOut:
    who = access(request)
    async with request.app[keys.DB].acquire() as conn:
        return await service.reply_for_family(
            conn, family_id=who.family_id, line_id=path_uuid(request, "line_id"),
            accept=body.accept, now=request.app[CLOCK](), by=who.who.sub)


@routes.post("/offers/reply")
@api(summary="Accept or decline an offer with the e-mailed one-time token (no session); "
             "410 when used, expired or unknown", body=OfferTokenReply, response=OfferReplyOut,
     tags=("waiting list",), auth=False)
async def reply_with_token(request: web.Request, body: OfferTokenReply) -> OfferReplyOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.reply_with_token(conn, token=body.token, accept=body.accept,
                                              now=request.app[CLOCK]())


@routes.get("/waiting-lists")
@guard(staff_only)
@api(summary="A cell's waiting list (staff): offered and waiting lines in order",
     query=WaitingListQuery, response=WaitingListOut, tags=("waiting list",))
async def waiting_list(request: web.Request, query: WaitingListQuery) -> WaitingListOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.waiting_list(conn, period_id=query.period_id,
                                          unit_id=query.unit_id, day=query.date)


@routes.get("/waiting-lists/cells")
@guard(staff_only)
@api(summary="The cells with a waiting list (staff), by day then unit: waiting and offered "
             "lines counted, the nearest offer deadline", query=WaitingCellsQuery,
     response=WaitingCellsOut, tags=("waiting list",))
async def waiting_cells(request: web.Request, query: WaitingCellsQuery) -> WaitingCellsOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.waiting_cells(conn, query)
