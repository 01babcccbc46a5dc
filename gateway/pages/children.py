"""« Mes enfants »: a child's file (health data included, for its own family only), adding a
child and changing one — both change requests the service validates (guide §3)."""

import uuid
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from gateway import keys
from gateway.messages import DIETS, SCHOOL_LEVELS, SEXES, field_label
from gateway.pages.family import nothing_changed, parent_family, pending_of, read_fields, version_of
from gateway.render import PARENT_HOME, Form, flash, redirect, render
from gateway.session import upstream
from services.common.errors import NotFound, Problem, Unauthorized

routes = web.RouteTableDef()

ADD = "/mon-compte/enfants/ajouter"
CHILD = "/mon-compte/enfants/{child_id}"

# A child's fields, named as the families service names them, in the order of the form.
CHILD_FIELDS = ("last_name", "first_name", "birth_date", "sex", "school", "school_level",
                "diet", "diet_detail", "allergies", "pai", "pai_details", "doctor_name",
                "doctor_phone", "image_rights_consent", "allowed_to_leave_alone")
YES_NO_FIELDS = frozenset({"pai", "image_rights_consent", "allowed_to_leave_alone"})
# A child's file by section, each opening on its own (issue 10, point 2): slug → (title,
# fields, fieldsets of the form).
CHILD_SECTIONS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "identite": ("Identité et scolarité", CHILD_FIELDS[:6], ("enfant", "scolarite")),
    "sante": ("Repas et santé", CHILD_FIELDS[6:13], ("repas", "sante")),
    "autorisations": ("Autorisations", CHILD_FIELDS[13:], ("autorisations",)),
}
# The form says yes or no in words; the service takes booleans.
YES, NO = "oui", "non"


def child_id_of(request: web.Request) -> uuid.UUID:
    """The child of the address; not an id at all is a page that does not exist."""
    try:
        return uuid.UUID(request.match_info["child_id"])
    except ValueError as exc:
        raise NotFound("Cette page n'existe pas ou n'existe plus.") from exc


def child_values(child: Mapping[str, Any]) -> dict[str, Any]:
    """What the parent last asked for: the child in force and the values awaiting validation."""
    return {field: child.get(field) for field in CHILD_FIELDS} | pending_of(child)


def form_values(values: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for field in CHILD_FIELDS:
        value = values.get(field)
        if isinstance(value, bool):
            out[field] = YES if value else NO
        else:
            out[field] = "" if value is None else str(value)
    return out


def _typed(field: str, text: str) -> Any:
    if field in YES_NO_FIELDS:
        return {YES: True, NO: False}.get(text, text)
    return text


def child_body(values: Mapping[str, str], baseline: Mapping[str, Any] | None,
               fields: tuple[str, ...] = CHILD_FIELDS) -> dict[str, Any]:
    """The JSON for the service: with a `baseline`, only the fields changed from it among
    `fields` (those the page showed); without (a new child), every field filled in."""
    body: dict[str, Any] = {}
    for field in fields:
        text = values.get(field, "").strip()
        if baseline is None:
            if text:
                body[field] = _typed(field, text)
            continue
        before = baseline.get(field)
        if _typed(field, text) == (before if isinstance(before, bool) else
                                   "" if before is None else str(before)):
            continue
        # An emptied field is sent as null: the service clears it, or says it is required.
        body[field] = _typed(field, text) if text else None
    return body


def form_context(form: Form) -> dict[str, Any]:
    return {
        "form": form,
        "sexes": list(SEXES.items()),
        "yes_no": [(YES, "Oui"), (NO, "Non")],
        "levels": list(SCHOOL_LEVELS.items()),
        "diets": list(DIETS.items()),
    }


# ---- a child's file ----------------------------------------------------------------------------

@routes.get(ADD)
async def add_page(request: web.Request) -> web.StreamResponse:
    await parent_family(request)
    form = Form(values={"diet": "none"})
    return render(request, "family/child_form.html", {**form_context(form), "child": None})


@routes.post(ADD)
async def add(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    families = request.app[keys.CLIENTS].families
    form = read_fields(await request.post(), CHILD_FIELDS)
    body = child_body(form.values, None)
    try:
        await upstream(request, lambda token: families.add_child(token, family_id, body))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, CHILD_FIELDS)
        form.name_fields(field_label)
        return render(request, "family/child_form.html",
                      {**form_context(form), "child": None}, status=problem.status)
    flash(request, "child_add_requested")
    return redirect(PARENT_HOME)


@routes.get(CHILD)
async def child_page(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    child_id = child_id_of(request)
    families = request.app[keys.CLIENTS].families
    child = await upstream(request, lambda token: families.child(token, family_id, child_id))
    return render(request, "family/child.html", {"child": child})


def edit_page(request: web.Request, child: Mapping[str, Any], form: Form, *,
              version: int | None, section: str = "", notice: str | None = None,
              status: int = 200) -> web.Response:
    title, _, fieldsets = CHILD_SECTIONS.get(section, ("", CHILD_FIELDS, ()))
    return render(request, "family/child_form.html", {
        **form_context(form), "child": child, "version": version,
        "pending": pending_of(child), "notice": notice, "section": section,
        "section_title": title, "only": fieldsets}, status=status)


def section_of(request: web.Request) -> str:
    section = request.match_info.get("section", "")
    if section and section not in CHILD_SECTIONS:
        raise NotFound("Cette partie de la fiche n'existe pas.")
    return section


async def show_change(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    child_id = child_id_of(request)
    section = section_of(request)
    families = request.app[keys.CLIENTS].families
    child = await upstream(request, lambda token: families.child(token, family_id, child_id))
    form = Form(values=form_values(child_values(child)))
    return edit_page(request, child, form, version=child.get("version"), section=section)


async def save_change(request: web.Request) -> web.StreamResponse:
    """The fields of the section shown only (all without one): what the page did not show is
    never sent, so never changed."""
    family_id = await parent_family(request)
    child_id = child_id_of(request)
    section = section_of(request)
    fields = CHILD_SECTIONS[section][1] if section else CHILD_FIELDS
    families = request.app[keys.CLIENTS].families
    data = await request.post()
    form = read_fields(data, fields)
    version = version_of(data)
    child = await upstream(request, lambda token: families.child(token, family_id, child_id))
    body = child_body(form.values, child_values(child), fields)
    try:
        answer = await upstream(request, lambda token: families.change_child(
            token, family_id, child_id, body, version=version))
    except Unauthorized:
        raise
    except Problem as problem:
        if nothing_changed(problem):
            return edit_page(request, child, form, version=version, section=section,
                             notice=problem.title, status=problem.status)
        form.fail(problem, fields)
        form.name_fields(field_label)
        return edit_page(request, child, form, version=version, section=section,
                         status=problem.status)
    flash(request, "request_withdrawn" if answer.get("state") == "withdrawn"
          else "child_change_requested")
    return redirect(PARENT_HOME)


@routes.get(CHILD + "/modifier")
async def change_page(request: web.Request) -> web.StreamResponse:
    return await show_change(request)


@routes.post(CHILD + "/modifier")
async def change(request: web.Request) -> web.StreamResponse:
    return await save_change(request)


@routes.get(CHILD + "/modifier/{section}")
async def change_section_page(request: web.Request) -> web.StreamResponse:
    return await show_change(request)


@routes.post(CHILD + "/modifier/{section}")
async def change_section(request: web.Request) -> web.StreamResponse:
    return await save_change(request)
