"""HTTP routes of the planning (the family's parent, or staff): periods, a month, the
selection."""

from aiohttp import web

from services.common import keys
from services.common.api import api
from services.reservations.access import access, family_access, guard
from services.reservations.keys import CLOCK
from services.reservations.planning import service
from services.reservations.planning.schemas import (
    PeriodsOut,
    PeriodsQuery,
    PlanningOut,
    PlanningQuery,
    SelectionIn,
    SelectionOut,
    SelectionQuery,
)

routes = web.RouteTableDef()
FAMILY = "/families/{family_id}"


@routes.get(FAMILY + "/periods")
@guard(family_access)
@api(summary="Establishments and periods a child may book (kind=book) or cancel "
             "(kind=cancel)", query=PeriodsQuery, response=PeriodsOut, tags=("planning",))
async def periods(request: web.Request, query: PeriodsQuery) -> PeriodsOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.periods_for(conn, family_id=access(request).family_id,
                                         child_id=query.child_id, kind=query.kind,
                                         now=request.app[CLOCK]())


@routes.get(FAMILY + "/planning")
@guard(family_access)
@api(summary="A month of the planning: every cell's state, what a click gives now, waiting "
             "position and deadline", query=PlanningQuery, response=PlanningOut,
     tags=("planning",))
async def planning(request: web.Request, query: PlanningQuery) -> PlanningOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.planning(conn, family_id=access(request).family_id, query=query,
                                      now=request.app[CLOCK]())


@routes.get(FAMILY + "/selection")
@guard(family_access)
@api(summary="The server-side selection of a child on a period", query=SelectionQuery,
     response=SelectionOut, tags=("planning",))
async def read_selection(request: web.Request, query: SelectionQuery) -> SelectionOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.read_selection(conn, family_id=access(request).family_id,
                                            query=query)


@routes.post(FAMILY + "/selection")
@guard(family_access)
@api(summary="Change the selection: toggle, add, remove or clear cells, or a unit's days over "
             "a scope (period, month, week) and weekdays", body=SelectionIn,
     response=SelectionOut, tags=("planning",))
async def change_selection(request: web.Request, body: SelectionIn) -> SelectionOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.change_selection(conn, family_id=access(request).family_id,
                                              body=body, now=request.app[CLOCK]())
