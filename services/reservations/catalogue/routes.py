"""HTTP routes of the catalogue: any token reads, staff write."""

from aiohttp import web

from services.common import keys
from services.common.api import api
from services.common.tokens import principal
from services.common.validation import path_uuid
from services.reservations.access import any_token, guard, staff_only
from services.reservations.catalogue import service
from services.reservations.catalogue.schemas import (
    CapacitiesIn,
    EstablishmentIn,
    EstablishmentList,
    EstablishmentOut,
    EstablishmentPatch,
    PeriodIn,
    PeriodList,
    PeriodOut,
    PeriodPatch,
    PeriodsQuery,
    UnitIn,
    UnitOut,
    UnitPatch,
)
from services.reservations.keys import CLOCK

routes = web.RouteTableDef()


def actor(request: web.Request) -> service.Actor:
    who = principal(request)
    return service.Actor(sub=who.sub, role=who.role)


@routes.get("/establishments")
@guard(any_token)
@api(summary="Establishments and their units", response=EstablishmentList, tags=("catalogue",))
async def list_establishments(request: web.Request) -> EstablishmentList:
    async with request.app[keys.DB].acquire() as conn:
        return await service.list_establishments(conn)


@routes.post("/establishments")
@guard(staff_only)
@api(summary="Create an establishment (staff)", body=EstablishmentIn,
     response=EstablishmentOut, status=201, tags=("catalogue",))
async def create_establishment(request: web.Request, body: EstablishmentIn) -> EstablishmentOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.create_establishment(conn, body=body, actor=actor(request))


@routes.patch("/establishments/{establishment_id}")
@guard(staff_only)
@api(summary="Change an establishment (staff)", body=EstablishmentPatch,
     response=EstablishmentOut, tags=("catalogue",))
async def change_establishment(request: web.Request, body: EstablishmentPatch
                               ) -> EstablishmentOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.change_establishment(
            conn, establishment_id=path_uuid(request, "establishment_id"), body=body,
            actor=actor(request))


@routes.post("/establishments/{establishment_id}/units")
@guard(staff_only)
@api(summary="Add a unit to an establishment (staff); exclusions are symmetric",
     body=UnitIn, response=UnitOut, status=201, tags=("catalogue",))
async def create_unit(request: web.Request, body: UnitIn) -> UnitOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.create_unit(
            conn, establishment_id=path_uuid(request, "establishment_id"), body=body,
            actor=actor(request))


@routes.patch("/units/{unit_id}")
@guard(staff_only)
@api(summary="Change a unit (staff); `excludes` replaces its exclusions, both ways",
     body=UnitPatch, response=UnitOut, tags=("catalogue",))
async def change_unit(request: web.Request, body: UnitPatch) -> UnitOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.change_unit(conn, unit_id=path_uuid(request, "unit_id"),
                                         body=body, actor=actor(request))


@routes.get("/periods")
@guard(any_token)
@api(summary="Periods (of an establishment)", query=PeriodsQuery, response=PeriodList,
     tags=("catalogue",))
async def list_periods(request: web.Request, query: PeriodsQuery) -> PeriodList:
    async with request.app[keys.DB].acquire() as conn:
        return await service.list_periods(conn, query.establishment_id)


@routes.get("/periods/{period_id}")
@guard(any_token)
@api(summary="A period: calendar, units and capacities, eligibility, window, rules",
     response=PeriodOut, tags=("catalogue",))
async def get_period(request: web.Request) -> PeriodOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.read_period(conn, path_uuid(request, "period_id"))


@routes.post("/periods")
@guard(staff_only)
@api(summary="Create a period (staff); French public holidays are never offered",
     body=PeriodIn, response=PeriodOut, status=201, tags=("catalogue",))
async def create_period(request: web.Request, body: PeriodIn) -> PeriodOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.create_period(conn, body=body, actor=actor(request),
                                           now=request.app[CLOCK]())


@routes.patch("/periods/{period_id}")
@guard(staff_only)
@api(summary="Change a period (staff); fields sent replace the current ones",
     body=PeriodPatch, response=PeriodOut, tags=("catalogue",))
async def change_period(request: web.Request, body: PeriodPatch) -> PeriodOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.change_period(conn, period_id=path_uuid(request, "period_id"),
                                           body=body, actor=actor(request),
                                           now=request.app[CLOCK]())


@routes.put("/periods/{period_id}/capacities")
@guard(staff_only)
@api(summary="Capacities per unit, or one day's (staff); raised places go to the waiting "
             "lists at once", body=CapacitiesIn, response=PeriodOut, tags=("catalogue",))
async def set_capacities(request: web.Request, body: CapacitiesIn) -> PeriodOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.set_capacities(conn, period_id=path_uuid(request, "period_id"),
                                            body=body, actor=actor(request),
                                            now=request.app[CLOCK]())
