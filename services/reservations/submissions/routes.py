"""HTTP routes of previews, submissions and the family's reservations."""

import re

from aiohttp import web

from services.common import keys
from services.common.api import api, json_response
from services.common.errors import BadRequest, NotFound
from services.reservations.access import access, family_access, guard
from services.reservations.keys import CLOCK
from services.reservations.submissions import service
from services.reservations.submissions.schemas import (
    PreviewOut,
    ReservationOut,
    ReservationPage,
    ReservationsQuery,
    SubmissionIn,
)

routes = web.RouteTableDef()
FAMILY = "/families/{family_id}"
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
_NUMBER = re.compile(r"^R-\d{4}-\d{6,9}$")


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.match(key):
        raise BadRequest("L'en-tête Idempotency-Key est invalide (1 à 200 caractères parmi "
                         "lettres, chiffres, « . », « _ », « : » et « - »).")
    return key


@routes.post(FAMILY + "/reservations/preview")
@guard(family_access)
@api(summary="The outcome each line would get now (without lines: the selection)",
     body=SubmissionIn, response=PreviewOut, tags=("reservations",))
async def preview(request: web.Request, body: SubmissionIn) -> PreviewOut:
    async with request.app[keys.DB].acquire() as conn:
        return await service.preview(conn, family_id=access(request).family_id, body=body,
                                     now=request.app[CLOCK]())


@routes.post(FAMILY + "/reservations")
@guard(family_access)
@api(summary="Submit a booking or a cancellation request: 201 with every line decided now; "
             "the same Idempotency-Key again answers the same reservation (200)",
     body=SubmissionIn, response=ReservationOut, status=201, tags=("reservations",))
async def submit(request: web.Request, body: SubmissionIn) -> web.Response:
    key = idempotency_key(request)
    who = access(request)
    async with request.app[keys.DB].acquire() as conn:
        reservation, created = await service.submit(
            conn, family_id=who.family_id, body=body, actor_sub=who.who.sub, key=key,
            now=request.app[CLOCK]())
    return json_response(reservation, status=201 if created else 200)


@routes.get(FAMILY + "/reservations")
@guard(family_access)
@api(summary="The family's reservations, newest first (keyset pages)",
     query=ReservationsQuery, response=ReservationPage, tags=("reservations",))
async def list_reservations(request: web.Request, query: ReservationsQuery) -> ReservationPage:
    async with request.app[keys.DB].acquire() as conn:
        return await service.list_reservations(conn, family_id=access(request).family_id,
                                               query=query)


@routes.get(FAMILY + "/reservations/{number}")
@guard(family_access)
@api(summary="A reservation by its number, with every line", response=ReservationOut,
     tags=("reservations",))
async def get_reservation(request: web.Request) -> ReservationOut:
    number = request.match_info["number"]
    if not _NUMBER.match(number):
        raise NotFound(service.RESERVATION_NOT_FOUND)
    async with request.app[keys.DB].acquire() as conn:
        return await service.read_reservation(conn, family_id=access(request).family_id,
                                              number=number)
