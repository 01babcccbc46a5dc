"""The family file in the JSON API, always the caller's token's family: bodies go to the
families service as sent, its answers and problems (French field messages) come back unchanged."""

import functools
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, RootModel

from gateway import keys
from gateway.session import require_session, upstream
from services.common.api import api, json_response
from services.common.errors import BadRequest, Forbidden, NotFound

routes = web.RouteTableDef()
TAGS = ("family",)


class JsonObject(RootModel[dict[str, Any]]):
    """A JSON object, passed to the families service as it is (its fields: see the families
    service's OpenAPI document, `FamilyPatch`, `ChildCreate`, `ChildPatch`)."""


class _Answer(BaseModel):
    # The families service's answer, passed through: these fields and any it adds.
    model_config = ConfigDict(extra="allow")


class PendingValue(_Answer):
    value: Any
    label: str
    change_request_id: uuid.UUID


class FamilyFile(_Answer):
    """The family file in force; `pending`: field → value awaiting validation."""

    id: uuid.UUID
    name: str
    version: int
    pending: dict[str, PendingValue] = Field(default_factory=dict)


class Child(_Answer):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: str
    version: int
    pending: dict[str, PendingValue] = Field(default_factory=dict)


class PendingChild(_Answer):
    change_request_id: uuid.UUID
    created_at: str
    values: dict[str, Any]


class Children(_Answer):
    items: list[Child]
    pending_children: list[PendingChild]


class FieldChange(_Answer):
    field: str
    label: str
    old: Any = None
    new: Any = None


class ChangeRequest(_Answer):
    """A change request: `state` pending, approved, rejected or superseded; `comment` from
    staff."""

    id: uuid.UUID
    target: str
    child_id: uuid.UUID | None = None
    state: str
    changes: list[FieldChange]
    created_at: str
    comment: str | None = None


class ChangeRequests(_Answer):
    items: list[ChangeRequest]


FAMILY: web.RequestKey[uuid.UUID] = web.RequestKey("family_id", uuid.UUID)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_VERSION = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


def parents_only(handler: Handler) -> Handler:
    """The caller's family, from their token (this API is the parents'), found before the
    body is even read: an anonymous or staff caller is told so whatever they send."""
    @functools.wraps(handler)  # keeps the `@api` declaration for /openapi.json
    async def endpoint(request: web.Request) -> web.StreamResponse:
        who = (await require_session(request)).principal
        if who.role != "parent" or who.family_id is None:
            raise Forbidden("Cette fonction est réservée aux familles.")
        request[FAMILY] = who.family_id
        return await handler(request)

    return endpoint


def path_id(request: web.Request, name: str) -> uuid.UUID:
    # Checked here so that nothing but an id ever reaches the service's path.
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError as exc:
        raise NotFound() from exc


def if_match(request: web.Request) -> int | None:
    """The version the client edited (`If-Match: "3"`), passed on to the service."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    found = _VERSION.match(header)
    if found is None:
        raise BadRequest("L'en-tête If-Match est invalide.")
    return int(found.group(1))


@routes.get("/api/v1/family")
@parents_only
@api(summary="The family file in force, with the values awaiting validation",
     response=FamilyFile, tags=TAGS)
async def get_family(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    families = request.app[keys.CLIENTS].families
    return json_response(await upstream(request, lambda t: families.family(t, family_id)))


@routes.patch("/api/v1/family")
@parents_only
@api(summary="Propose changes to the family file (only the fields sent; lists whole): "
             "a change request, applied once staff approve it", body=JsonObject,
     response=ChangeRequest, status=202, tags=TAGS)
async def change_family(request: web.Request, body: JsonObject) -> web.StreamResponse:
    family_id = request[FAMILY]
    families = request.app[keys.CLIENTS].families
    version = if_match(request)
    answer = await upstream(request, lambda t: families.change_family(
        t, family_id, body.root, version=version))
    return json_response(answer, status=202)


@routes.get("/api/v1/children")
@parents_only
@api(summary="The family's children, and the children awaiting validation",
     response=Children, tags=TAGS)
async def list_children(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    families = request.app[keys.CLIENTS].families
    return json_response(await upstream(request, lambda t: families.children_page(t, family_id)))


@routes.post("/api/v1/children")
@parents_only
@api(summary="Ask to add a child: a change request, the child exists once staff approve it",
     body=JsonObject, response=ChangeRequest, status=202, tags=TAGS)
async def add_child(request: web.Request, body: JsonObject) -> web.StreamResponse:
    family_id = request[FAMILY]
    families = request.app[keys.CLIENTS].families
    answer = await upstream(request, lambda t: families.add_child(t, family_id, body.root))
    return json_response(answer, status=202)


@routes.get("/api/v1/children/{child_id}")
@parents_only
@api(summary="A child of the family (health data included: it is the family's own)",
     response=Child, tags=TAGS)
async def get_child(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    child_id = path_id(request, "child_id")
    families = request.app[keys.CLIENTS].families
    return json_response(await upstream(request, lambda t: families.child(t, family_id,
                                                                          child_id)))


@routes.patch("/api/v1/children/{child_id}")
@parents_only
@api(summary="Propose changes to a child (only the fields sent): a change request",
     body=JsonObject, response=ChangeRequest, status=202, tags=TAGS)
async def change_child(request: web.Request, body: JsonObject) -> web.StreamResponse:
    family_id = request[FAMILY]
    child_id = path_id(request, "child_id")
    families = request.app[keys.CLIENTS].families
    version = if_match(request)
    answer = await upstream(request, lambda t: families.change_child(
        t, family_id, child_id, body.root, version=version))
    return json_response(answer, status=202)


@routes.get("/api/v1/change-requests")
@parents_only
@api(summary="The family's change requests and their states, newest first",
     response=ChangeRequests, tags=TAGS)
async def change_requests(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    families = request.app[keys.CLIENTS].families
    items = await upstream(request, lambda t: families.change_requests(t, family_id))
    return json_response({"items": items})


@routes.post("/api/v1/change-requests/{request_id}/withdrawal")
@parents_only
@api(summary="Withdraw a change request staff have not decided yet", response=ChangeRequest,
     tags=TAGS)
async def withdraw_change_request(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    request_id = path_id(request, "request_id")
    families = request.app[keys.CLIENTS].families
    return json_response(await upstream(
        request, lambda t: families.withdraw_request(t, family_id, request_id)))
