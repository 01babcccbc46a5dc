"""« Mes informations »: the family form (only changed fields go to the service, which makes
them a change request), « Mes demandes de modification », the RGPD download (guide §4)."""

import asyncio
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from gateway import keys
from gateway.export import french
from gateway.messages import CIVILITIES, REQUEST_STATES, REQUEST_SUBJECTS, field_label
from gateway.render import PARENT_HOME, Form, flash, redirect, render
from gateway.session import require_session, upstream
from gateway.templating import PARIS
from services.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    Unauthorized,
    ValidationFailed,
)
from services.common.validation import digits

routes = web.RouteTableDef()

FAMILY_FORM = "/mon-compte/famille"
REQUESTS = "/mon-compte/demandes"
EXPORT = "/mon-compte/mes-donnees"

# The file's single values, named as the families service names them.
ADDRESS = "address."
SCALARS = ("name", "address.line1", "address.line2", "address.postal_code", "address.city",
           "phone_home", "phone_mobile", "phone_work", "caf_number")
GUARDIAN_KEYS = ("civility", "last_name", "first_name", "relationship", "phone_mobile",
                 "phone_home", "phone_work", "email", "employer")
CONTACT_KEYS = ("name", "relationship", "phone")


@dataclass(frozen=True)
class ListSpec:
    """A list of persons, edited without script as a fixed number of rows (empty ones
    ignored)."""

    name: str
    keys: tuple[str, ...]
    max_rows: int
    min_rows: int


LISTS = (
    ListSpec("guardians", GUARDIAN_KEYS, max_rows=2, min_rows=2),
    ListSpec("emergency_contacts", CONTACT_KEYS, max_rows=10, min_rows=2),
    ListSpec("authorized_pickups", CONTACT_KEYS, max_rows=10, min_rows=2),
)


@dataclass(frozen=True)
class Section:
    """A part of the family file that opens on its own, with its own « Enregistrer » (a few
    phone screens at most): its single fields, its lists of persons, the fieldsets shown."""

    slug: str
    title: str
    scalars: tuple[str, ...]
    lists: tuple[str, ...]
    fieldsets: tuple[str, ...]


SECTIONS = (
    Section("adresse", "Adresse et téléphones", SCALARS[:8], (),
            ("famille", "adresse", "telephones")),
    Section("responsables", "Responsables légaux", (), ("guardians",), ("guardians",)),
    Section("urgence", "Personnes à prévenir en cas d'urgence", (), ("emergency_contacts",),
            ("emergency_contacts",)),
    Section("autorises", "Personnes autorisées à récupérer les enfants", (),
            ("authorized_pickups",), ("authorized_pickups",)),
    Section("caf", "Allocataire CAF", ("caf_number",), (), ("caf",)),
)
SECTION_BY_SLUG = {section.slug: section for section in SECTIONS}
WHOLE = Section("", "Modifier les informations de la famille", SCALARS,
                tuple(spec.name for spec in LISTS), ())


async def parent_family(request: web.Request) -> uuid.UUID:
    """The family of the logged-in parent (from the session's token, never from the page)."""
    who = (await require_session(request)).principal
    if who.role != "parent" or who.family_id is None:
        raise Forbidden("Cette page est réservée aux familles.")
    return who.family_id


# ---- the file as values, as form fields, as a change ------------------------------------------

def file_values(family: Mapping[str, Any]) -> dict[str, Any]:
    """The file in force, by field name (`address.city`), lists whole."""
    address = family.get("address") or {}
    values: dict[str, Any] = {}
    for field in SCALARS:
        values[field] = (address.get(field.removeprefix(ADDRESS))
                         if field.startswith(ADDRESS) else family.get(field))
    for spec in LISTS:
        values[spec.name] = list(family.get(spec.name) or [])
    return values


def pending_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """field → value awaiting validation (`pending` of a family or child answer)."""
    pending = record.get("pending") or {}
    return {field: p.get("value") for field, p in pending.items() if isinstance(p, dict)}


def proposed_values(family: Mapping[str, Any]) -> dict[str, Any]:
    """What the parent last asked for: values in force overlaid with those awaiting
    validation (the form starts from these, and only what differs from them is sent)."""
    return file_values(family) | pending_of(family)


def form_values(values: Mapping[str, Any]) -> dict[str, str]:
    """Values as the form's fields hold them (`guardians.0.last_name`)."""
    out = {field: _text(values.get(field)) for field in SCALARS}
    for spec in LISTS:
        for index, item in enumerate(values.get(spec.name) or []):
            for key in spec.keys:
                out[f"{spec.name}.{index}.{key}"] = _text(item.get(key))
    return out


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def field_names(*extra: str, section: Section = WHOLE) -> tuple[str, ...]:
    """Every field of the family form, or of one section (each list row included)."""
    names = [*extra, *section.scalars]
    for spec in LISTS:
        if spec.name in section.lists:
            names += [f"{spec.name}.{i}.{key}" for i in range(spec.max_rows)
                      for key in spec.keys]
    return tuple(names)


def read_fields(data: MultiDictProxy[Any], names: tuple[str, ...]) -> Form:
    values = {}
    for name in names:
        value = data.get(name)
        values[name] = value if isinstance(value, str) else ""
    return Form(values=values)


def row_counts(values: Mapping[str, str]) -> dict[str, int]:
    """Rows to show per list: the filled ones and at least one empty row to add a person."""
    counts = {}
    for spec in LISTS:
        filled = [i for i in range(spec.max_rows)
                  if any(values.get(f"{spec.name}.{i}.{k}", "").strip() for k in spec.keys)]
        last = max(filled, default=-1)
        counts[spec.name] = min(spec.max_rows, max(spec.min_rows, last + 2))
    return counts


@dataclass
class Submission:
    """A form turned into the service's JSON body; `rows` maps each sent list item back to
    its row in the form (empty rows are skipped), so an error lands by the right field."""

    body: dict[str, Any]
    rows: dict[str, list[int]]

    def form_field(self, field: str) -> str:
        parts = field.split(".")
        sent = digits(parts[1]) if len(parts) > 1 else None
        if sent is not None and parts[0] in self.rows:
            rows = self.rows[parts[0]]
            if sent < len(rows):
                parts[1] = str(rows[sent])
        return ".".join(parts)

    def show(self, form: Form, problem: Problem, names: tuple[str, ...]) -> None:
        """The service's refusal by the form's fields (its field paths mapped to rows)."""
        if problem.errors:
            problem.errors = [{**e, "field": self.form_field(str(e.get("field", "")))}
                              for e in problem.errors]
        form.fail(problem, names)
        form.name_fields(field_label)


def _persons(values: Mapping[str, str], spec: ListSpec) -> tuple[list[dict[str, str]], list[int]]:
    persons, rows = [], []
    for index in range(spec.max_rows):
        person = {key: value for key in spec.keys
                  if (value := values.get(f"{spec.name}.{index}.{key}", "").strip())}
        if person:
            persons.append(person)
            rows.append(index)
    return persons, rows


def _comparable(persons: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{key: item.get(key) for key in keys if item.get(key) not in (None, "")}
            for item in persons or [] if isinstance(item, dict)]


def family_submission(values: Mapping[str, str], baseline: Mapping[str, Any] | None,
                      *, extra: tuple[str, ...] = (), section: Section = WHOLE) -> Submission:
    """The body for the families service. With a `baseline` (what the form started from):
    only the fields the parent changed, among those of the `section` shown. Without: a new
    file, every filled field (`extra` fields such as the e-mail included)."""
    body: dict[str, Any] = {}
    address: dict[str, Any] = {}
    for field in (*extra, *section.scalars):
        new = values.get(field, "").strip()
        if baseline is None and not new:
            continue  # a new file: what is filled in
        if baseline is not None and new == _text(baseline.get(field)).strip():
            continue  # unchanged
        # An emptied field is sent as null: the service clears it, or says it is required.
        if field.startswith(ADDRESS):
            address[field.removeprefix(ADDRESS)] = new or None
        else:
            body[field] = new or None
    if address or baseline is None:
        body["address"] = address
    rows: dict[str, list[int]] = {}
    for spec in LISTS:
        if spec.name not in section.lists:
            continue
        persons, rows[spec.name] = _persons(values, spec)
        if baseline is None:
            if persons:
                body[spec.name] = persons
        elif persons != _comparable(baseline.get(spec.name), spec.keys):
            body[spec.name] = persons
    return Submission(body, rows)


def nothing_changed(problem: Problem) -> bool:
    """The service's « Aucune modification. »: a refusal about no field in particular."""
    return isinstance(problem, ValidationFailed) and not problem.errors


def version_of(data: MultiDictProxy[Any]) -> int | None:
    value = data.get("version")
    return digits(value) if isinstance(value, str) else None


# ---- « Modifier les informations de la famille » ----------------------------------------------

@dataclass(frozen=True)
class Editor:
    """Who edits the family file: its parent (a change request, from the values they last
    asked for) or staff (applied at once and audited, from the values in force)."""

    family_id: uuid.UUID
    staff: bool
    base: str  # the form's address; a section's is base/<slug>
    back: tuple[str, str]
    done: str  # where a saved change leads
    flash: str  # the message shown there


def parent_editor(family_id: uuid.UUID) -> Editor:
    return Editor(family_id, False, FAMILY_FORM, ("/mon-compte", "Retour à mon compte"),
                  PARENT_HOME, "family_change_requested")


def family_form_page(request: web.Request, family: Mapping[str, Any], form: Form, *,
                     version: int | None, editor: Editor, section: Section = WHOLE,
                     notice: str | None = None, status: int = 200,
                     extra: Mapping[str, Any] | None = None) -> web.Response:
    heading = f"Modifier : {section.title}" if section.slug else section.title
    if editor.staff:
        heading = f"{heading} — {family.get('name', '')}"
    return render(request, "gestion/family_edit.html" if editor.staff
                  else "family/family_form.html", {
        **(extra or {}),
        "family": family,
        "form": form,
        "version": version,
        "in_force": file_values(family),
        "pending": {} if editor.staff else pending_of(family),
        "family_has_pending": bool(pending_of(family)),
        "rows": row_counts(form.values),
        "civilities": [(c, c) for c in CIVILITIES],
        "notice": notice,
        "section": section,
        "heading": heading,
        "only": section.fieldsets,
        "action": f"{editor.base}/{section.slug}" if section.slug else editor.base,
        "staff": editor.staff,
        "back": editor.back,
    }, status=status)


def section_of(request: web.Request) -> Section:
    section = SECTION_BY_SLUG.get(request.match_info.get("section", ""))
    if section is None:
        raise NotFound("Cette partie du dossier n'existe pas.")
    return section


def starting_values(family: Mapping[str, Any], editor: Editor) -> dict[str, Any]:
    return file_values(family) if editor.staff else proposed_values(family)


async def show_form(request: web.Request, editor: Editor, section: Section, *,
                    extra: Mapping[str, Any] | None = None) -> web.StreamResponse:
    families = request.app[keys.CLIENTS].families
    family = await upstream(request, lambda token: families.family(token, editor.family_id))
    form = Form(values=form_values(starting_values(family, editor)))
    return family_form_page(request, family, form, version=family.get("version"),
                            editor=editor, section=section, extra=extra)


async def save_form(request: web.Request, editor: Editor, section: Section, *,
                    extra: Mapping[str, Any] | None = None) -> web.StreamResponse:
    """The fields of `section` only: what it does not show is never sent, so never changed."""
    families = request.app[keys.CLIENTS].families
    data = await request.post()
    names = field_names(section=section)
    form = read_fields(data, names)
    version = version_of(data)
    family = await upstream(request, lambda token: families.family(token, editor.family_id))
    submission = family_submission(form.values, starting_values(family, editor),
                                   section=section)
    try:
        answer = await upstream(request, lambda token: families.change_family(
            token, editor.family_id, submission.body, version=version))
    except Unauthorized:
        raise
    except Problem as problem:
        if nothing_changed(problem):
            return family_form_page(request, family, form, version=version, editor=editor,
                                    section=section, notice=problem.title,
                                    status=problem.status, extra=extra)
        submission.show(form, problem, names)
        return family_form_page(request, family, form, version=version, editor=editor,
                                section=section, status=problem.status, extra=extra)
    flash(request, "request_withdrawn" if answer.get("state") == "withdrawn"
          else editor.flash)
    return redirect(editor.done)


@routes.get(FAMILY_FORM)
async def family_form(request: web.Request) -> web.StreamResponse:
    return await show_form(request, parent_editor(await parent_family(request)), WHOLE)


@routes.post(FAMILY_FORM)
async def family_change(request: web.Request) -> web.StreamResponse:
    return await save_form(request, parent_editor(await parent_family(request)), WHOLE)


@routes.get(FAMILY_FORM + "/{section}")
async def family_section_form(request: web.Request) -> web.StreamResponse:
    editor = parent_editor(await parent_family(request))
    return await show_form(request, editor, section_of(request))


@routes.post(FAMILY_FORM + "/{section}")
async def family_section_change(request: web.Request) -> web.StreamResponse:
    editor = parent_editor(await parent_family(request))
    return await save_form(request, editor, section_of(request))


# ---- « Mes demandes de modification » ---------------------------------------------------------

def request_subject(item: Mapping[str, Any], child_names: Mapping[str, str]) -> str:
    """« Informations de l'enfant Léa Martin », « Ajout d'un enfant : Jules Martin »…"""
    subject = REQUEST_SUBJECTS.get(str(item.get("target")), "Demande")
    if item.get("target") == "new_child":
        values = {c.get("field"): c.get("new") for c in item.get("changes") or []}
        new = f"{values.get('first_name') or ''} {values.get('last_name') or ''}".strip()
        return f"{subject} : {new}" if new else subject
    name = item.get("child_name") or child_names.get(str(item.get("child_id")))
    return f"{subject} {name}" if item.get("target") == "child" and name else subject


def state_legend() -> list[tuple[str, str]]:
    return [(icon, f"{label} : {text}") for icon, label, text in REQUEST_STATES.values()]


@routes.get(REQUESTS)
async def change_requests(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    families = request.app[keys.CLIENTS].families

    async def load(token: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        items, children = await asyncio.gather(families.change_requests(token, family_id),
                                               families.children_page(token, family_id))
        return items, children

    items, children = await upstream(request, load)
    names = {str(c.get("id")): f"{c.get('first_name', '')} {c.get('last_name', '')}".strip()
             for c in children["items"]}
    made_on = {str(item.get("id")): item.get("created_at") for item in items}
    return render(request, "family/requests.html", {
        "requests": [{**item, "subject": request_subject(item, names),
                      "replaced_on": made_on.get(str(item.get("superseded_by")))}
                     for item in items],
        "states": REQUEST_STATES,
        "legend": state_legend(),
    })


@routes.post(REQUESTS + "/{request_id}/retrait")
async def withdraw_change_request(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    try:
        request_id = uuid.UUID(request.match_info["request_id"])
    except ValueError as exc:
        raise web.HTTPNotFound() from exc
    families = request.app[keys.CLIENTS].families
    try:
        await upstream(request, lambda token: families.withdraw_request(
            token, family_id, request_id))
    except Conflict:
        flash(request, "request_already_decided")
    else:
        flash(request, "request_withdrawn")
    return redirect(REQUESTS)


# ---- « Télécharger mes données » (RGPD) --------------------------------------------------------

def export_response(data: Mapping[str, Any], filename: str) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def my_data(request: web.Request) -> dict[str, Any]:
    """Everything the service holds on the parent's family, with French keys."""
    family_id = await parent_family(request)
    families = request.app[keys.CLIENTS].families
    data = french(await upstream(request, lambda token: families.export(token, family_id)))
    return data if isinstance(data, dict) else {}


@routes.get(EXPORT)
async def export(request: web.Request) -> web.StreamResponse:
    data = await my_data(request)
    day = datetime.now(PARIS).date().isoformat()
    return export_response(data, f"portail-famille-mes-donnees-{day}.json")


@routes.get(EXPORT + "/imprimer")
async def export_page(request: web.Request) -> web.StreamResponse:
    """The same content as a page to read or print (« Imprimer » of the browser)."""
    return render(request, "family/my_data.html", {"data": await my_data(request)})
