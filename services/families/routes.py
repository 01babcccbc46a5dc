"""HTTP routes of the families service: thin handlers (guard → use case → answer)."""

import json
import uuid
from dataclasses import dataclass

from aiohttp import web

from services.common.api import api, json_response
from services.common.errors import Forbidden
from services.common.routing import before, connection, if_match
from services.common.tokens import (
    Principal,
    own_family,
    principal,
    require_family,
    require_staff,
)
from services.common.validation import path_uuid
from services.families import change_requests, households, service
from services.families.accounts import refuse_staff_email
from services.families.schemas import (
    AuditPage,
    AuditQuery,
    ChangeRequestList,
    ChangeRequestOut,
    ChangeRequestPage,
    ChildCreate,
    ChildHouseholds,
    ChildLookup,
    ChildMatches,
    ChildOut,
    ChildPatch,
    ChildrenOut,
    CustodyIn,
    Decision,
    FamilyCreate,
    FamilyOut,
    FamilyPage,
    FamilyPatch,
    FamilySearch,
    LinkChild,
    QfUpdate,
    QueueQuery,
    UnlinkChild,
)
from services.families.service import Actor

routes = web.RouteTableDef()

FAMILY = "/families/{family_id}"
CHILD = FAMILY + "/children/{child_id}"


@dataclass(frozen=True)
class Access:
    who: Principal
    # The family every query is scoped to: for a parent, the one in their token.
    family_id: uuid.UUID
    # Health data (allergies, PAI, doctor) only for the family's parent and staff.
    health: bool

    @property
    def actor(self) -> Actor:
        return Actor(sub=self.who.sub, role=self.who.role)


def family_access(request: web.Request, *, integrator_reads: bool = False) -> Access:
    """Staff, or the parent of this family (another family's id: 404, as if it did not exist);
    integrators may read the file without health data where `integrator_reads`."""
    family_id = path_uuid(request, "family_id")
    who = principal(request)
    if who.role == "integrator":
        if not integrator_reads:
            raise Forbidden()
        return Access(who, family_id, health=False)
    who = require_family(request, family_id)
    if who.is_staff:
        return Access(who, family_id, health=True)
    return Access(who, own_family(request), health=True)


def staff_actor(request: web.Request) -> Actor:
    who = require_staff(request)
    return Actor(sub=who.sub, role=who.role)


def reader_access(request: web.Request) -> Access:
    return family_access(request, integrator_reads=True)


# ---- the family file -----------------------------------------------------------------------

@routes.get(FAMILY)
@before(reader_access)
@api(summary="The family file in force, with the values awaiting validation",
     response=FamilyOut, tags=("families",))
async def get_family(request: web.Request) -> FamilyOut:
    access = reader_access(request)
    async with connection(request) as conn:
        return await service.read_family(conn, family_id=access.family_id)


@routes.patch(FAMILY)
@before(family_access)
@api(summary="Change the family file: a change request (202) for a parent, applied at once "
             "(200, the file) for staff", body=FamilyPatch, response=ChangeRequestOut,
     status=202, also={200: FamilyOut}, tags=("families",))
async def patch_family(request: web.Request, body: FamilyPatch) -> web.Response:
    access = family_access(request)
    version = if_match(request)
    async with connection(request) as conn:
        if access.who.is_staff:
            family = await service.change_family(conn, family_id=access.family_id, patch=body,
                                                 actor=access.actor, version=version)
            return json_response(family, status=200)
        proposal = await change_requests.request_family_change(
            conn, family_id=access.family_id, patch=body, actor=access.actor, version=version)
    return json_response(proposal, status=202)


@routes.put(FAMILY + "/qf")
@before(family_access, staff_actor)
@api(summary="Set the quotient familial (staff; audited)", body=QfUpdate, response=FamilyOut,
     tags=("families",))
async def put_qf(request: web.Request, body: QfUpdate) -> FamilyOut:
    access = family_access(request)
    async with connection(request) as conn:
        return await service.set_qf(conn, family_id=access.family_id, body=body,
                                    actor=staff_actor(request), version=if_match(request))


@routes.get(FAMILY + "/export")
@before(family_access)
@api(summary="Everything held about the family, as a JSON file (RGPD)", tags=("families",))
async def export_family(request: web.Request) -> web.Response:
    access = family_access(request)
    async with connection(request) as conn:
        data = await service.export(conn, family_id=access.family_id)
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="famille-{access.family_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@routes.get("/families")
@before(staff_actor)
@api(summary="Search families by name, e-mail, postal code or child's name (staff)",
     query=FamilySearch, response=FamilyPage, tags=("families",))
async def search_families(request: web.Request, query: FamilySearch) -> FamilyPage:
    async with connection(request) as conn:
        return await service.search(conn, query)


@routes.post("/families")
@before(staff_actor)
@api(summary="Open a family file (staff); the parent's account follows from the event",
     body=FamilyCreate, response=FamilyOut, status=201, tags=("families",))
async def create_family(request: web.Request, body: FamilyCreate) -> FamilyOut:
    await refuse_staff_email(request, body.email)
    async with connection(request) as conn:
        return await service.create_family(conn, body=body, actor=staff_actor(request))


# ---- children ------------------------------------------------------------------------------

@routes.get(FAMILY + "/children")
@before(reader_access)
@api(summary="The family's children, and the children awaiting validation",
     response=ChildrenOut, tags=("children",))
async def list_children(request: web.Request) -> ChildrenOut:
    access = reader_access(request)
    async with connection(request) as conn:
        return await service.read_children(conn, family_id=access.family_id,
                                           health=access.health)


@routes.post(FAMILY + "/children")
@before(family_access)
@api(summary="Add a child: a change request (202) for a parent, created at once (201) for "
             "staff", body=ChildCreate, response=ChangeRequestOut, status=202,
     also={201: ChildOut}, tags=("children",))
async def add_child(request: web.Request, body: ChildCreate) -> web.Response:
    access = family_access(request)
    async with connection(request) as conn:
        if access.who.is_staff:
            child = await service.create_child(conn, family_id=access.family_id, body=body,
                                               actor=access.actor)
            return json_response(child, status=201)
        proposal = await change_requests.request_new_child(
            conn, family_id=access.family_id, body=body, actor=access.actor)
    return json_response(proposal, status=202)


@routes.get(CHILD)
@before(reader_access)
@api(summary="A child (health data for the family and staff only)", response=ChildOut,
     tags=("children",))
async def get_child(request: web.Request) -> web.Response:
    access = reader_access(request)
    async with connection(request) as conn:
        child = await service.read_child(conn, family_id=access.family_id,
                                         child_id=path_uuid(request, "child_id"),
                                         health=access.health)
    return json_response(child)


@routes.patch(CHILD)
@before(family_access)
@api(summary="Change a child: a change request (202) for a parent, applied at once (200) for "
             "staff", body=ChildPatch, response=ChangeRequestOut, status=202,
     also={200: ChildOut}, tags=("children",))
async def patch_child(request: web.Request, body: ChildPatch) -> web.Response:
    access = family_access(request)
    child_id = path_uuid(request, "child_id")
    version = if_match(request)
    async with connection(request) as conn:
        if access.who.is_staff:
            child = await service.change_child(conn, family_id=access.family_id,
                                               child_id=child_id, patch=body,
                                               actor=access.actor, version=version)
            return json_response(child, status=200)
        proposal = await change_requests.request_child_change(
            conn, family_id=access.family_id, child_id=child_id, patch=body,
            actor=access.actor, version=version)
    return json_response(proposal, status=202)


# ---- households (separated parents) ------------------------------------------------------

@routes.get("/children")
@before(staff_actor)
@api(summary="Children of an exact identity (both names and the birth date), with their "
             "households' names, to link one to another household (staff)",
     query=ChildLookup, response=ChildMatches, tags=("households",))
async def lookup_children(request: web.Request, query: ChildLookup) -> ChildMatches:
    async with connection(request) as conn:
        return await households.lookup(conn, query)


@routes.post(FAMILY + "/linked-children")
@before(family_access, staff_actor)
@api(summary="Link an existing child to this household, its second (staff; audited)",
     body=LinkChild, response=ChildOut, status=201, tags=("households",))
async def link_child(request: web.Request, body: LinkChild) -> web.Response:
    access = family_access(request)
    async with connection(request) as conn:
        child = await households.link_child(conn, family_id=access.family_id,
                                            child_id=body.child_id, reason=body.reason,
                                            actor=staff_actor(request))
    return json_response(child, status=201)


@routes.post(CHILD + "/unlinking")
@before(family_access, staff_actor)
@api(summary="Unlink the child from this household; it stays in its other one (staff; "
             "audited)", body=UnlinkChild, response=ChildHouseholds, tags=("households",))
async def unlink_child(request: web.Request, body: UnlinkChild) -> ChildHouseholds:
    access = family_access(request)
    async with connection(request) as conn:
        return await households.unlink_child(conn, family_id=access.family_id,
                                             child_id=path_uuid(request, "child_id"),
                                             reason=body.reason, actor=staff_actor(request))


@routes.get("/children/{child_id}/households")
@before(staff_actor)
@api(summary="The child's households side by side (names only), custody and history (staff)",
     response=ChildHouseholds, tags=("households",))
async def child_households(request: web.Request) -> ChildHouseholds:
    async with connection(request) as conn:
        return await households.read_households(conn, child_id=path_uuid(request, "child_id"))


@routes.put("/children/{child_id}/custody")
@before(staff_actor)
@api(summary="Set the child's custody: free, or alternate weeks (staff; audited)",
     body=CustodyIn, response=ChildHouseholds, tags=("households",))
async def put_custody(request: web.Request, body: CustodyIn) -> ChildHouseholds:
    async with connection(request) as conn:
        return await households.set_custody(conn, child_id=path_uuid(request, "child_id"),
                                            body=body, actor=staff_actor(request),
                                            version=if_match(request))


# ---- change requests and audit -------------------------------------------------------------

@routes.get(FAMILY + "/change-requests")
@before(family_access)
@api(summary="The family's change requests and their states, newest first",
     response=ChangeRequestList, tags=("change requests",))
async def family_change_requests(request: web.Request) -> ChangeRequestList:
    access = family_access(request)
    async with connection(request) as conn:
        items = await change_requests.family_requests(conn, family_id=access.family_id)
    return ChangeRequestList(items=items)


@routes.post(FAMILY + "/change-requests/{request_id}/withdrawal")
@before(family_access)
@api(summary="Withdraw a change request not yet decided (the family's parent)",
     response=ChangeRequestOut, tags=("change requests",))
async def withdraw_change_request(request: web.Request) -> ChangeRequestOut:
    access = family_access(request)
    if access.who.is_staff:
        raise Forbidden()  # staff reject, with a comment; withdrawing is the parent's
    request_id = path_uuid(request, "request_id")
    async with connection(request) as conn:
        return await change_requests.withdraw_request(
            conn, family_id=access.family_id, request_id=request_id, actor=access.actor)


@routes.get("/change-requests")
@before(staff_actor)
@api(summary="Validation queue (staff): oldest first, conflicts flagged", query=QueueQuery,
     response=ChangeRequestPage, tags=("change requests",))
async def queue(request: web.Request, query: QueueQuery) -> ChangeRequestPage:
    async with connection(request) as conn:
        return await change_requests.validation_queue(conn, query)


@routes.get("/change-requests/{request_id}")
@before(staff_actor)
@api(summary="A change request with the values in force (staff)", response=ChangeRequestOut,
     tags=("change requests",))
async def get_change_request(request: web.Request) -> ChangeRequestOut:
    async with connection(request) as conn:
        return await change_requests.read_request(conn,
                                                  request_id=path_uuid(request, "request_id"))


@routes.post("/change-requests/{request_id}/decision")
@before(staff_actor)
@api(summary="Approve (applied at once, 409 on conflict) or reject (comment required)",
     body=Decision, response=ChangeRequestOut, tags=("change requests",))
async def decide(request: web.Request, body: Decision) -> ChangeRequestOut:
    async with connection(request) as conn:
        return await change_requests.decide(conn, request_id=path_uuid(request, "request_id"),
                                            body=body, actor=staff_actor(request))


@routes.get("/audit")
@before(staff_actor)
@api(summary="Audit trail (staff), newest first", query=AuditQuery, response=AuditPage,
     tags=("audit",))
async def audit_trail(request: web.Request, query: AuditQuery) -> AuditPage:
    async with connection(request) as conn:
        return await service.audit_page(conn, query)


def setup_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
