"""« Espace gestion » — separated parents (issue 11): link a child of another family to this
one (found by its exact identity), a child's households side by side (names and links only,
never one household's file in the other's page), its custody, and « Détacher de ce foyer ».
The families service decides everything; these pages show its answers and refusals."""

import uuid
from typing import Any

from aiohttp import web

from gateway import keys
from gateway.pages.staff import (
    FAMILIES,
    T,
    render_staff,
    staff_load,
    staff_session,
    uuid_in,
)
from gateway.render import STAFF_HOME, Form, flash, read_form, redirect
from gateway.session import upstream
from services.common.errors import Problem, Unauthorized

routes = web.RouteTableDef()

LINK = FAMILIES + "/{family_id}/rattacher"
CHILD = STAFF_HOME + "/enfants/{child_id}"
LOOKUP_FIELDS = ("last_name", "first_name", "birth_date")
CUSTODY_CHOICES = [("free", "Libre : chaque foyer réserve les jours qu'il veut"),
                   ("alternate_weeks", "Semaines alternées")]


# ---- « Rattacher un enfant d'une autre famille » ------------------------------------------------

def _query_form(request: web.Request) -> Form:
    return Form(values={name: request.query.get(name, "").strip() for name in LOOKUP_FIELDS})


async def link_page(request: web.Request, family_id: uuid.UUID, search: Form, *,
                    confirm: Form | None = None, status: int = 200) -> web.Response:
    """The search form and, once all three are given, the children found (their households'
    names only), each with « Rattacher à cette famille » and its reason."""
    clients = request.app[keys.CLIENTS]
    asked = any(search.values.values())
    problem: Problem | None = None

    async def load(token: str) -> T:
        nonlocal problem
        family = await clients.families.family(token, family_id)
        found: list[dict[str, Any]] = []
        if asked:
            try:
                found = (await clients.families.lookup_children(
                    token, **search.values)).get("items", [])
            except Unauthorized:
                raise
            except Problem as refused:  # a name or the birth date missing or wrong
                problem = refused
        return {"family": family, "found": found}

    data = await staff_load(request, load)
    if problem is not None:
        search.fail(problem, LOOKUP_FIELDS)
        status = problem.status
    return render_staff(request, "gestion/family_link.html", {
        **data, "search": search, "asked": asked and problem is None,
        "confirm": confirm or Form()}, status=status)


@routes.get(LINK)
async def link_form(request: web.Request) -> web.StreamResponse:
    family_id = uuid_in(request, "family_id")
    return await link_page(request, family_id, _query_form(request))


@routes.post(LINK)
async def link_child(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    family_id = uuid_in(request, "family_id")
    form = await read_form(request, "child_id", "reason", *LOOKUP_FIELDS)
    families = request.app[keys.CLIENTS].families
    try:
        await upstream(request, lambda token: families.link_child(
            token, family_id, child_id=form.values["child_id"], reason=form.values["reason"]))
    except Unauthorized:
        raise
    except Problem as problem:  # no reason, already linked, two households already
        confirm = Form(values={"child_id": form.values["child_id"],
                               "reason": form.values["reason"]})
        confirm.fail(problem, ("reason",))
        search = Form(values={name: form.values[name].strip() for name in LOOKUP_FIELDS})
        return await link_page(request, family_id, search, confirm=confirm,
                               status=problem.status)
    flash(request, "child_linked")
    return redirect(f"{FAMILIES}/{family_id}")


# ---- a child's households ----------------------------------------------------------------------

async def child_page(request: web.Request, child_id: uuid.UUID, *,
                     custody: Form | None = None, unlink: Form | None = None,
                     status: int = 200) -> web.Response:
    families = request.app[keys.CLIENTS].families

    async def load(token: str) -> T:
        return {"child": await families.child_households(token, child_id)}

    data = await staff_load(request, load)
    child = data["child"]
    current = child.get("custody") or {}
    return render_staff(request, "gestion/child_households.html", {
        **data,
        "custody_form": custody or Form(values={
            "pattern": str(current.get("pattern") or "free"),
            "even_weeks_family_id": str(current.get("even_weeks_family_id") or "")}),
        "unlink_form": unlink or Form(),
        "custody_choices": CUSTODY_CHOICES,
        "household_choices": [(str(h.get("family_id")), str(h.get("name")))
                              for h in child.get("households", [])],
    }, status=status)


@routes.get(CHILD)
async def child_households(request: web.Request) -> web.StreamResponse:
    return await child_page(request, uuid_in(request, "child_id"))


@routes.post(CHILD + "/garde")
async def set_custody(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    child_id = uuid_in(request, "child_id")
    form = await read_form(request, "pattern", "even_weeks_family_id")
    families = request.app[keys.CLIENTS].families
    try:
        await upstream(request, lambda token: families.set_custody(
            token, child_id, pattern=form.values["pattern"],
            even_weeks_family_id=form.values["even_weeks_family_id"] or None))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, ("pattern", "even_weeks_family_id"))
        return await child_page(request, child_id, custody=form, status=problem.status)
    flash(request, "custody_set")
    return redirect(CHILD.format(child_id=child_id))


@routes.post(CHILD + "/foyers/{family_id}/detacher")
async def unlink_child(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    child_id = uuid_in(request, "child_id")
    family_id = uuid_in(request, "family_id")
    form = await read_form(request, "reason")
    families = request.app[keys.CLIENTS].families
    try:
        await upstream(request, lambda token: families.unlink_child(
            token, family_id, child_id, reason=form.values["reason"]))
    except Unauthorized:
        raise
    except Problem as problem:  # no reason, its last household
        form.values["family_id"] = str(family_id)
        form.fail(problem, ("reason",))
        return await child_page(request, child_id, unlink=form, status=problem.status)
    flash(request, "child_unlinked")
    return redirect(CHILD.format(child_id=child_id))
