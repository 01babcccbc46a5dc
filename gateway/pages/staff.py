"""« Espace gestion »: the staff's home, the validation queue of change requests and the audit
trail. Families have their pages in `staff_families`. Every rule is the families service's."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from gateway import keys
from gateway.clients import FamiliesClient
from gateway.messages import (
    AUDIT_ACTIONS,
    CONFLICT_TITLE,
    CUSTODY_PATTERNS,
    REFUSAL_REASONS,
    REQUEST_STATES,
    ROLES,
)
from gateway.pages.family import request_subject
from gateway.render import STAFF_HOME, Form, flash, read_form, redirect, render, safe_next
from gateway.session import Session, require_session, upstream
from gateway.templating import family_value
from services.common.errors import BadRequest, Forbidden, NotFound, Problem, Unauthorized

routes = web.RouteTableDef()

QUEUE = STAFF_HOME + "/demandes"
AUDIT = STAFF_HOME + "/journal"
FAMILIES = STAFF_HOME + "/familles"
STAFF_ONLY = "Cet espace est réservé aux agents du service."

T = dict[str, Any]


async def staff_session(request: web.Request) -> Session:
    """Staff and admins only: a parent gets a « forbidden » page, a visitor the login page."""
    session = await require_session(request)
    if not session.principal.is_staff:
        raise Forbidden(STAFF_ONLY)
    return session


def uuid_in(request: web.Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError as exc:
        raise NotFound("Cette page n'existe pas ou n'existe plus.") from exc


def uuid_query(request: web.Request, name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.query.get(name, ""))
    except ValueError:
        return None


def cursor_query(request: web.Request) -> str | None:
    """The page's cursor (`?curseur=`), passed to the service as it came: the service says
    when it is not one of its own."""
    return request.query.get("curseur") or None


def pager(data: Mapping[str, Any], path: str, **params: str | None) -> dict[str, Any]:
    """« Page précédente » / « Page suivante » links of a `{next_cursor, previous_cursor}`
    answer, keeping the filters."""
    kept = {k: v for k, v in params.items() if v}

    def link(cursor: Any) -> str | None:
        if not isinstance(cursor, str) or not cursor:
            return None
        return f"{path}?{urlencode({**kept, 'curseur': cursor})}"

    return {"previous": link(data.get("previous_cursor")), "next": link(data.get("next_cursor")),
            "first": f"{path}?{urlencode(kept)}" if kept else path}


async def list_load(request: web.Request, load: Callable[[str], Awaitable[T]], first: str
                    ) -> T | web.Response:
    """`staff_load` of a list page; a page link the service refuses (a tampered cursor) gives
    a French error page that leads back to the list's first page."""
    try:
        return await staff_load(request, load)
    except BadRequest as problem:
        if cursor_query(request) is None:
            raise
        return render(request, "error.html", {
            "heading": "Lien de pagination invalide", "problem": problem, "first_page": first},
            status=problem.status)


async def _pending_total(families: FamiliesClient, token: str) -> int | None:
    """The number of requests awaiting validation, for the navigation (None if unknown)."""
    try:
        page = await families.queue(token, page_size=1)
    except Unauthorized:
        raise
    except Problem:
        return None
    total = page.get("total")
    return total if isinstance(total, int) else None


async def staff_load(request: web.Request, load: Callable[[str], Awaitable[T]]) -> T:
    """`load(token)` and, in parallel, the count of requests to validate (`pending_total`)."""
    await staff_session(request)
    families = request.app[keys.CLIENTS].families

    async def both(token: str) -> T:
        data, total = await asyncio.gather(load(token), _pending_total(families, token))
        return {**data, "pending_total": total}

    return await upstream(request, both)


def is_uuid(text: str) -> bool:
    """Account ids are; "system" and other actors are not looked up in auth."""
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def nothing(token: str) -> T:
    return {}


def render_staff(request: web.Request, template: str, context: Mapping[str, Any], *,
                 status: int = 200) -> web.Response:
    return render(request, template, {"states": REQUEST_STATES, **context}, status=status)


# ---- home ---------------------------------------------------------------------------------------

@routes.get(STAFF_HOME)
async def staff_home(request: web.Request) -> web.StreamResponse:
    data = await staff_load(request, nothing)
    return render_staff(request, "gestion/home.html", data)


# ---- validation queue ---------------------------------------------------------------------------

def with_subjects(items: list[T]) -> list[T]:
    return [{**item, "subject": request_subject(item, {})} for item in items]


# The queue's filters (issue 10, point 12): kind of change and age, as the page names them.
QUEUE_KINDS = {"famille": ("family", "Informations de la famille"),
               "enfant": ("child", "Informations d'un enfant"),
               "ajout": ("new_child", "Ajout d'un enfant")}
QUEUE_AGES = {"3": "depuis 3 jours ou plus", "7": "depuis 7 jours ou plus",
              "15": "depuis 15 jours ou plus", "30": "depuis 30 jours ou plus"}


@routes.get(QUEUE)
async def queue(request: web.Request) -> web.StreamResponse:
    family_id = uuid_query(request, "famille")
    cursor = cursor_query(request)
    families = request.app[keys.CLIENTS].families
    # Unknown filter values are ignored (a hand-edited link shows the whole queue).
    name = " ".join(request.query.get("nom", "").split())[:100] or None
    kind = request.query.get("type") if request.query.get("type") in QUEUE_KINDS else None
    age = request.query.get("anciennete") if request.query.get("anciennete") in QUEUE_AGES \
        else None
    compact = request.query.get("vue") == "compacte"
    filters = {"famille": str(family_id) if family_id else None, "nom": name, "type": kind,
               "anciennete": age, "vue": "compacte" if compact else None}

    async def load(token: str) -> T:
        return {"queue": await families.queue(
            token, family_id=family_id, cursor=cursor, q=name,
            target=QUEUE_KINDS[kind][0] if kind else None,
            older_than_days=int(age) if age else None)}

    kept = {k: v for k, v in filters.items() if v}
    first = f"{QUEUE}?{urlencode(kept)}" if kept else QUEUE
    data = await list_load(request, load, first)
    if isinstance(data, web.Response):
        return data
    items = with_subjects(data["queue"].get("items", []))
    other_view = {**kept, "vue": "complete" if compact else "compacte"}
    return render_staff(request, "gestion/queue.html", {
        **data, "items": items, "family_id": family_id, "here": first, "filters": filters,
        "kinds": QUEUE_KINDS, "ages": QUEUE_AGES, "compact": compact,
        "other_view": f"{QUEUE}?{urlencode(other_view)}",
        "pager": pager(data["queue"], QUEUE, **filters),
        "conflict_title": CONFLICT_TITLE, "reasons": REFUSAL_REASONS})


def request_page(request: web.Request, data: T, form: Form, back: str, *, status: int = 200
                 ) -> web.Response:
    item = with_subjects([data["item"]])[0]
    return render_staff(request, "gestion/request.html", {
        **data, "item": item, "form": form, "back": back, "conflict_title": CONFLICT_TITLE,
        "reasons": REFUSAL_REASONS}, status=status)


@routes.get(QUEUE + "/{request_id}")
async def one_request(request: web.Request) -> web.StreamResponse:
    request_id = uuid_in(request, "request_id")
    families = request.app[keys.CLIENTS].families

    async def load(token: str) -> T:
        return {"item": await families.change_request(token, request_id)}

    data = await staff_load(request, load)
    return request_page(request, data, Form(), QUEUE)


@routes.post(QUEUE + "/{request_id}/decision")
async def decide(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    request_id = uuid_in(request, "request_id")
    families = request.app[keys.CLIENTS].families
    form = await read_form(request, "decision", "comment", "retour", "motif", "confirme")
    back = safe_next(form.values["retour"])
    back = back if back and back.startswith(QUEUE) else QUEUE
    decision = form.values["decision"]
    comment = refusal_comment(form.values["motif"], form.values["comment"])
    refused, corrections = field_choices(await request.post())
    if decision == "reject" and comment and form.values["confirme"] != "oui":
        # A refusal is final for the family: said again with its comment before it is sent.
        async def load_one(token: str) -> T:
            return {"item": await families.change_request(token, request_id)}

        data = await staff_load(request, load_one)
        item = with_subjects([data["item"]])[0]
        return render_staff(request, "gestion/refusal_confirm.html", {
            **data, "item": item, "comment": comment, "back": back,
            "conflict_title": CONFLICT_TITLE})
    try:
        await upstream(request, lambda token: families.decide(
            token, request_id, decision=decision, comment=comment,
            refused=refused if decision == "approve" else None,
            corrections=corrections if decision == "approve" else None))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, ("comment",))

        async def load(token: str) -> T:
            return {"item": await families.change_request(token, request_id)}

        data = await staff_load(request, load)
        return request_page(request, data, form, back, status=problem.status)
    flash(request, "request_approved" if decision == "approve" else "request_rejected")
    return redirect(back)


def field_choices(data: MultiDictProxy[Any]) -> tuple[list[str], dict[str, str]]:
    """The request page's field-by-field choices: the fields left unticked (refused) among
    those it listed, and the corrected values typed (issue 10, point 10). None without them."""
    listed = [str(v) for v in data.getall("champ", []) if isinstance(v, str)]
    kept = {str(v) for v in data.getall("appliquer", []) if isinstance(v, str)}
    refused = [f for f in listed if f not in kept]
    corrections = {}
    for field in listed:
        value = data.get(f"corriger.{field}")
        if field in kept and isinstance(value, str) and value.strip():
            corrections[field] = value.strip()
    return refused, corrections


def refusal_comment(reason: str, comment: str) -> str | None:
    """The comment the family reads: the ready-made reason chosen, then the agent's words."""
    parts = [REFUSAL_REASONS[reason]] if reason in REFUSAL_REASONS else []
    if comment.strip():
        parts.append(comment.strip())
    return " ".join(parts) or None


# ---- audit trail --------------------------------------------------------------------------------

def _change_line(change: Mapping[str, Any]) -> str:
    field = str(change.get("field", ""))
    before = family_value(change.get("old"), field).replace("\n", " ; ")
    after = family_value(change.get("new"), field).replace("\n", " ; ")
    return f"{change.get('label', field)} : {before} → {after}"


def audit_lines(entry: Mapping[str, Any]) -> list[str]:
    """What an audit entry's details say, in French lines."""
    details = entry.get("details") or {}
    lines: list[str] = []
    values = details.get("values")
    if isinstance(values, dict):
        if values.get("name"):
            lines.append(f"Famille : {values['name']}")
        if values.get("first_name") or values.get("last_name"):
            lines.append(f"Enfant : {values.get('first_name', '')} "
                         f"{values.get('last_name', '')}".rstrip())
    if details.get("email"):
        lines.append(f"Adresse mail : {details['email']}")
    for change in details.get("changes") or []:
        if isinstance(change, dict):
            lines.append(_change_line(change))
    old, new = details.get("old"), details.get("new")
    if isinstance(old, dict) and isinstance(new, dict):  # a custody change
        lines.append(f"Garde : {CUSTODY_PATTERNS.get(str(old.get('pattern')), '')} → "
                     f"{CUSTODY_PATTERNS.get(str(new.get('pattern')), '')}")
    elif "old" in details or "new" in details:
        lines.append(f"{family_value(old)} → {family_value(new)}")
    if details.get("reason"):
        lines.append(f"Motif : {details['reason']}")
    if details.get("comment"):
        lines.append(f"Commentaire : {details['comment']}")
    return lines


@routes.get(AUDIT)
async def audit(request: web.Request) -> web.StreamResponse:
    family_id = uuid_query(request, "famille")
    cursor = cursor_query(request)
    families = request.app[keys.CLIENTS].families

    auth = request.app[keys.CLIENTS].auth

    async def load(token: str) -> T:
        trail = await families.audit(token, family_id=family_id, cursor=cursor)
        actors = sorted({sub for e in trail.get("items", [])
                         if is_uuid(sub := str(e.get("actor_sub")))})
        try:
            names = await auth.names_of(token, actors)
        except Problem:  # auth unavailable: the trail still shows, with account ids
            names = {}
        return {"audit": trail, "names": names}

    data = await list_load(request, load, f"{AUDIT}?famille={family_id}" if family_id else AUDIT)
    if isinstance(data, web.Response):
        return data
    entries = [{**entry, "lines": audit_lines(entry),
                "actor_name": data["names"].get(str(entry.get("actor_sub"))),
                "action_label": AUDIT_ACTIONS.get(str(entry.get("action")), entry.get("action")),
                "role_label": ROLES.get(str(entry.get("actor_role")), entry.get("actor_role"))}
               for entry in data["audit"].get("items", [])]
    return render_staff(request, "gestion/audit.html", {
        **data, "entries": entries, "family_id": family_id,
        "pager": pager(data["audit"], AUDIT, famille=str(family_id) if family_id else None)})
