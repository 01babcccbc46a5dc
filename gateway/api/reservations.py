"""Reservations in the JSON API (SPEC §8), always for the family of the caller's token: queries
are checked for their shape, bodies go to the reservations service as sent, and its answers
and problems (French messages) come back unchanged — it alone decides every outcome."""

import re
import uuid
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from gateway import keys
from gateway.api.family import FAMILY, JsonObject, parents_only, path_id
from gateway.session import upstream
from services.common.api import api, json_response
from services.common.errors import BadRequest, NotFound

routes = web.RouteTableDef()
TAGS = ("reservations",)
NUMBER = re.compile(r"^R-\d{4}-\d{6}$")
# Printable ASCII, as an HTTP header value allows: passed on, never interpreted here.
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class _Query(BaseModel):
    # Extra query parameters (cache busters…) are ignored, not refused.
    model_config = ConfigDict(extra="ignore")


class PeriodsQuery(_Query):
    child_id: uuid.UUID
    kind: Literal["book", "cancel"] = "book"


class PlanningQuery(_Query):
    child_id: uuid.UUID
    period_id: uuid.UUID
    month: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    kind: Literal["book", "cancel"] = "book"


class SelectionQuery(_Query):
    child_id: uuid.UUID
    period_id: uuid.UUID
    kind: Literal["book", "cancel"] = "book"


class ListQuery(_Query):
    cursor: str | None = Field(None, max_length=512)


class _Answer(BaseModel):
    # The reservations service's answer, passed through: these fields and any it adds.
    model_config = ConfigDict(extra="allow")


class Periods(_Answer):
    """`{child, establishments: [{id, name, kind, periods: [{id, name, start_date, end_date,
    window, months}]}]}`: where this child can book (`kind=book`) or cancel (`kind=cancel`)."""

    child: dict[str, Any]
    establishments: list[dict[str, Any]]


class Planning(_Answer):
    """One month: `days: [{date, offered, cells: [{unit_id, state, selected, outcome, reason,
    position, deadline}]}]`, with `units`, `months`, `previous_month`, `next_month`. A child of
    two households: `other_household` is a day the other household booked, `other_custody` a
    day of its weeks under alternate weeks (« garde de l'autre parent », not bookable). A
    lottery period not drawn yet gives the outcome `drawing` and its requested days the state
    `drawing` (« en attente du tirage au sort »); `period.draw_at` says until when requests
    enter the draw."""

    month: str
    units: list[dict[str, Any]]
    days: list[dict[str, Any]]


class Selection(_Answer):
    items: list[dict[str, Any]]


class Preview(_Answer):
    """`lines: [{child_id, date, unit_id, unit_label, outcome, reason, position}]`."""

    lines: list[dict[str, Any]]


class Reservation(_Answer):
    """A numbered reservation (`R-YYYY-NNNNNN`) and its lines with their states."""

    number: str
    state: str
    lines: list[dict[str, Any]]


class Reservations(_Answer):
    items: list[dict[str, Any]]
    next_cursor: str | None = None


class OfferResult(_Answer):
    """The service's answer about the line offered (its new state)."""


class OfferAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accept: bool


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise BadRequest("L'en-tête Idempotency-Key est invalide (1 à 200 caractères "
                         "imprimables).")
    return key


@routes.get("/api/v1/periods")
@parents_only
@api(summary="Establishments and their periods open to this child (to book, or to cancel "
             "with kind=cancel)", query=PeriodsQuery, response=Periods, tags=TAGS)
async def periods(request: web.Request, query: PeriodsQuery) -> web.StreamResponse:
    family_id = request[FAMILY]
    reservations = request.app[keys.CLIENTS].reservations
    return json_response(await upstream(request, lambda t: reservations.periods(
        t, family_id, child_id=str(query.child_id), kind=query.kind)))


@routes.get("/api/v1/planning")
@parents_only
@api(summary="A month of a period for a child: each cell's state, expected outcome, waiting "
             "position and deadline", query=PlanningQuery, response=Planning, tags=TAGS)
async def planning(request: web.Request, query: PlanningQuery) -> web.StreamResponse:
    family_id = request[FAMILY]
    reservations = request.app[keys.CLIENTS].reservations
    return json_response(await upstream(request, lambda t: reservations.planning(
        t, family_id, child_id=str(query.child_id), period_id=str(query.period_id),
        month=query.month, kind=query.kind)))


@routes.get("/api/v1/selection")
@parents_only
@api(summary="The planning's server-side selection (kept across months and the recap)",
     query=SelectionQuery, response=Selection, tags=TAGS)
async def selection(request: web.Request, query: SelectionQuery) -> web.StreamResponse:
    family_id = request[FAMILY]
    reservations = request.app[keys.CLIENTS].reservations
    return json_response(await upstream(request, lambda t: reservations.selection(
        t, family_id, child_id=str(query.child_id), period_id=str(query.period_id),
        kind=query.kind)))


@routes.post("/api/v1/selection")
@parents_only
@api(summary="Change the selection: toggle cells, or add a unit's days of the period, month or "
             "week (days that cannot be booked are skipped and counted)", body=JsonObject,
     response=Selection, tags=TAGS)
async def change_selection(request: web.Request, body: JsonObject) -> web.StreamResponse:
    family_id = request[FAMILY]
    reservations = request.app[keys.CLIENTS].reservations
    return json_response(await upstream(request, lambda t: reservations.change_selection(
        t, family_id, body.root)))


@routes.post("/api/v1/reservations/preview")
@parents_only
@api(summary="The outcome each line would get now (same body as a reservation; nothing is "
             "recorded)", body=JsonObject, response=Preview, tags=TAGS)
async def preview(request: web.Request, body: JsonObject) -> web.StreamResponse:
    family_id = request[FAMILY]
    reservations = request.app[keys.CLIENTS].reservations
    return json_response(await upstream(request, lambda t: reservations.preview(
        t, family_id, body.root)))


@routes.post("/api/v1/reservations")
@parents_only
@api(summary="Book (or ask to cancel) days, atomically: 201 with the number, the state and each "
             "line's state; with an Idempotency-Key already used, 200 and the same reservation",
     body=JsonObject, response=Reservation, status=201, tags=TAGS)
async def submit(request: web.Request, body: JsonObject) -> web.StreamResponse:
    family_id = request[FAMILY]
    key = idempotency_key(request)
    reservations = request.app[keys.CLIENTS].reservations
    status, answer = await upstream(request, lambda t: reservations.submit(
        t, family_id, body.root, idempotency_key=key))
    return json_response(answer, status=status)


@routes.get("/api/v1/reservations")
@parents_only
@api(summary="The family's reservations, newest first (`cursor` for the next page)",
     query=ListQuery, response=Reservations, tags=TAGS)
async def reservations_list(request: web.Request, query: ListQuery) -> web.StreamResponse:
    family_id = request[FAMILY]
    reservations = request.app[keys.CLIENTS].reservations
    return json_response(await upstream(request, lambda t: reservations.reservations(
        t, family_id, cursor=query.cursor)))


@routes.get("/api/v1/reservations/{number}")
@parents_only
@api(summary="A reservation of the family and every line (date, unit, kind, state, comment)",
     response=Reservation, tags=TAGS)
async def reservation(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    number = request.match_info["number"]
    if not NUMBER.match(number):
        raise NotFound()
    reservations = request.app[keys.CLIENTS].reservations
    return json_response(await upstream(request, lambda t: reservations.reservation(
        t, family_id, number)))


@routes.post("/api/v1/offers/{line_id}")
@parents_only
@api(summary="Take (accept: true) or let go (accept: false) a place offered from the waiting "
             "list", body=OfferAnswer, response=OfferResult, tags=TAGS)
async def answer_offer(request: web.Request, body: OfferAnswer) -> web.StreamResponse:
    family_id = request[FAMILY]
    line_id = path_id(request, "line_id")
    reservations = request.app[keys.CLIENTS].reservations
    return json_response(await upstream(request, lambda t: reservations.answer_offer(
        t, family_id, line_id, accept=body.accept)))
