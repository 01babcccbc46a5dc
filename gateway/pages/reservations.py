"""« Nouvelle réservation » and « Demande d'annulation » (guide §7, §9): child → établissement →
période → the planning (a month of cells, each a button toggling the server-side selection),
the recap, the confirmation and the final recap. Every outcome is the reservations service's;
without script each click is a POST and a redirect back to the same cell."""

import asyncio
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from gateway import keys
from gateway.messages import (
    ESTABLISHMENT_KINDS,
    KIND_WORDS,
    OUTCOMES,
    PLANNING_LEGEND,
)
from gateway.pages.family import parent_family
from gateway.planning import (
    CANCEL_OUTCOMES,
    PlanningView,
    bulk_message,
    default_week,
    planning_view,
)
from gateway.render import Form, redirect, render
from gateway.session import upstream
from gateway.templating import PARIS, month_label
from services.common.errors import BadRequest, NotFound, Problem, Unauthorized
from services.common.formats import WEEKDAYS

routes = web.RouteTableDef()

BASE = "/mon-compte/reservations"
KINDS = {"nouvelle": "book", "annulation": "cancel"}
FLOW = BASE + "/{kind:nouvelle|annulation}"
NUMBER_PATTERN = r"R-\d{4}-\d{6}"
NUMBER = "{number:" + NUMBER_PATTERN + "}"
# The script asks for the planning's region only (partial update) with this header.
PARTIAL_HEADER = "X-Partial"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEY = re.compile(r"^[A-Za-z0-9-]{16,64}$")
MAX_UNITS = 20


def kind_of(request: web.Request) -> tuple[str, str]:
    """(`book`|`cancel`, its slug in the address)."""
    slug = request.match_info["kind"]
    return KINDS[slug], slug


def uuid_text(value: Any) -> str | None:
    """The canonical text of an id, or None when `value` is not one."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def required_uuid(values: Mapping[str, Any], name: str) -> str:
    found = uuid_text(values.get(name, ""))
    if found is None:
        raise NotFound("Cette page n'existe pas ou n'existe plus.")
    return found


def month_of(value: Any) -> str | None:
    return value if isinstance(value, str) and _MONTH.match(value) else None


def count_of(value: Any) -> int:
    return min(int(value), 100_000) if isinstance(value, str) and value.isdigit() \
        and len(value) < 7 else 0


def flow_url(slug: str, step: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{BASE}/{slug}/{step}" + (f"?{query}" if query else "")


def full_name(person: Mapping[str, Any] | None) -> str:
    if not person:
        return ""
    return f"{person.get('first_name', '')} {person.get('last_name', '')}".strip()


def find_period(periods: Mapping[str, Any], period_id: str
                ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(establishment, period) of a `periods` answer."""
    for establishment in periods.get("establishments") or []:
        for period in establishment.get("periods") or []:
            if str(period.get("id")) == period_id:
                return establishment, period
    return None, None


# ---- child → établissement → période → « Continuer » --------------------------------------------

@routes.get(FLOW)
async def choose(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    kind, slug = kind_of(request)
    clients = request.app[keys.CLIENTS]
    child_id = uuid_text(request.query.get("enfant", ""))
    establishment_id = uuid_text(request.query.get("etablissement", ""))
    period_id = uuid_text(request.query.get("periode", ""))

    children = (await upstream(request, lambda t: clients.families.children_page(
        t, family_id)))["items"]
    child = next((c for c in children if str(c.get("id")) == child_id), None)
    periods: dict[str, Any] = {}
    establishments: list[dict[str, Any]] = []
    establishment: dict[str, Any] | None = None
    if child is not None and child_id is not None:
        periods = await upstream(request, lambda t: clients.reservations.periods(
            t, family_id, child_id=child_id, kind=kind))
        establishments = [e for e in periods.get("establishments") or [] if e.get("periods")]
        if len(establishments) == 1 and establishment_id is None:
            establishment_id = str(establishments[0].get("id"))
        establishment = next((e for e in establishments
                              if str(e.get("id")) == establishment_id), None)
        if establishment is not None and period_id is not None:
            found = next((p for p in establishment.get("periods") or []
                          if str(p.get("id")) == period_id), None)
            if found is not None:
                return redirect(flow_url(slug, "planning", enfant=child_id, periode=period_id))
    return render(request, "reservations/choose.html", {
        "kind": kind, "slug": slug, "words": KIND_WORDS[kind], "children": children,
        "child": child, "establishments": establishments, "establishment": establishment,
        "establishment_kinds": ESTABLISHMENT_KINDS,
        "chosen": {"enfant": child_id, "etablissement": establishment_id,
                   "periode": period_id},
    })


# ---- the planning ----------------------------------------------------------------------------

def planning_context(request: web.Request, planning: Mapping[str, Any], view: PlanningView, *,
                     kind: str, slug: str, message: str | None = None,
                     error: str | None = None) -> dict[str, Any]:
    child = planning.get("child") or {}
    period = planning.get("period") or {}
    today = datetime.now(PARIS).date()
    weekdays = [d for d in period.get("weekdays") or [1, 2, 3, 4, 5]
                if isinstance(d, int) and 1 <= d <= 7]
    return {
        "kind": kind, "slug": slug, "words": KIND_WORDS[kind], "view": view,
        "child": child, "child_name": full_name(child), "period": period,
        "child_id": str(child.get("id", "")), "period_id": str(period.get("id", "")),
        "month_label": month_label(view.month), "message": message, "error": error,
        "weekdays": [(d, WEEKDAYS[d - 1]) for d in weekdays],
        "week": default_week(view, today),
        "legend": PLANNING_LEGEND,
        "flow_url": flow_url,
    }


def render_planning(request: web.Request, planning: Mapping[str, Any], *, kind: str, slug: str,
                    message: str | None = None, error: str | None = None,
                    status: int = 200) -> web.Response:
    """The whole page, or only the planning's region when the script asks for it."""
    view = planning_view(planning, kind=kind)
    context = planning_context(request, planning, view, kind=kind, slug=slug, message=message,
                               error=error)
    partial = request.headers.get(PARTIAL_HEADER) == "planning"
    template = "reservations/_planning.html" if partial else "reservations/planning.html"
    return render(request, template, context, status=status)


@routes.get(FLOW + "/planning")
async def planning_page(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    kind, slug = kind_of(request)
    child_id = required_uuid(request.query, "enfant")
    period_id = required_uuid(request.query, "periode")
    month = month_of(request.query.get("mois"))
    reservations = request.app[keys.CLIENTS].reservations
    planning = await upstream(request, lambda t: reservations.planning(
        t, family_id, child_id=child_id, period_id=period_id, month=month, kind=kind))
    message = None
    if "fait" in request.query:
        message = bulk_message(count_of(request.query.get("fait")),
                               count_of(request.query.get("ignores")), kind=kind)
    return render_planning(request, planning, kind=kind, slug=slug, message=message)


def selection_body(data: MultiDictProxy[Any], *, kind: str, child_id: str, period_id: str,
                   month: str | None) -> tuple[dict[str, Any], str]:
    """The service's selection call for what was pressed, and the anchor to come back to:
    a cell (`l` = « date.column », the column's unit in `u<column>`), or a unit's bulk action
    (`action` = `periode` | `mois` | `auto`, with `unite`)."""
    body: dict[str, Any] = {"child_id": child_id, "period_id": period_id, "kind": kind}
    cell = data.get("l")
    if isinstance(cell, str) and cell:
        day, _, column = cell.partition(".")
        unit_id = uuid_text(data.get(f"u{column}", "")) if column.isdigit() \
            and int(column) < MAX_UNITS else None
        if not _DAY.match(day) or unit_id is None:
            raise BadRequest("Cette case n'existe pas. Rechargez la page du planning.")
        body.update(action="toggle", lines=[{"date": day, "unit_id": unit_id}])
        return body, f"c-{day}-{column}"
    action = data.get("action")
    unit_id = uuid_text(data.get("unite", ""))
    if action not in ("periode", "mois", "auto") or unit_id is None:
        raise BadRequest("Cette action n'existe pas. Rechargez la page du planning.")
    body.update(action="add", unit_id=unit_id)
    if action == "periode":
        body["scope"] = "period"
    elif action == "mois":
        body.update(scope="month", month=month)
    else:
        days = sorted({int(d) for d in data.getall("jours", []) if isinstance(d, str)
                       and d.isdigit() and 1 <= int(d) <= 7})
        if not days:
            raise BadRequest("Cochez au moins un jour de la semaine.")
        body["weekdays"] = days
        week = data.get("semaine")
        if data.get("portee") == "semaine":
            if not (isinstance(week, str) and _DAY.match(week)):
                raise BadRequest("Choisissez la semaine.")
            body.update(scope="week", week_of=week)
        else:
            body["scope"] = "period"
    return body, "planning"


@routes.post(FLOW + "/selection")
async def change_selection(request: web.Request) -> web.StreamResponse:
    """A cell pressed (toggle) or a unit's bulk action; back to the same month and place."""
    family_id = await parent_family(request)
    kind, slug = kind_of(request)
    data = await request.post()
    child_id = required_uuid(data, "enfant")
    period_id = required_uuid(data, "periode")
    month = month_of(data.get("mois"))
    reservations = request.app[keys.CLIENTS].reservations
    partial = request.headers.get(PARTIAL_HEADER) == "planning"
    # A form that names no cell was not made by the planning: an error page, not the planning.
    body, anchor = selection_body(data, kind=kind, child_id=child_id, period_id=period_id,
                                  month=month)
    error: Problem | None = None
    answer: dict[str, Any] = {}
    try:
        answer = await upstream(request, lambda t: reservations.change_selection(
            t, family_id, body))
    except Unauthorized:
        raise
    except Problem as problem:
        error = problem
    bulk = error is None and anchor == "planning"
    message = bulk_message(count_of(str(answer.get("changed", 0))),
                           count_of(str(answer.get("skipped", 0))), kind=kind) if bulk else None
    if error is None and not partial:
        params = {"enfant": child_id, "periode": period_id, "mois": month}
        if bulk:
            params.update(fait=str(answer.get("changed", 0)),
                          ignores=str(answer.get("skipped", 0)))
        return redirect(flow_url(slug, "planning", **params) + f"#{anchor}")
    # A refusal (or the script's partial update) is shown at once, on the planning itself.
    planning = await upstream(request, lambda t: reservations.planning(
        t, family_id, child_id=child_id, period_id=period_id, month=month, kind=kind))
    return render_planning(request, planning, kind=kind, slug=slug, message=message,
                           error=error.title if error else None,
                           status=error.status if error else 200)


@routes.get(FLOW + "/selection-automatique")
async def automatic_selection(request: web.Request) -> web.StreamResponse:
    """« Sélection automatique des jours » as a page of its own (the script shows the same
    form in a dialog over the planning)."""
    family_id = await parent_family(request)
    kind, slug = kind_of(request)
    child_id = required_uuid(request.query, "enfant")
    period_id = required_uuid(request.query, "periode")
    month = month_of(request.query.get("mois"))
    reservations = request.app[keys.CLIENTS].reservations
    planning = await upstream(request, lambda t: reservations.planning(
        t, family_id, child_id=child_id, period_id=period_id, month=month, kind=kind))
    view = planning_view(planning, kind=kind)
    context = planning_context(request, planning, view, kind=kind, slug=slug)
    context["unit_id"] = uuid_text(request.query.get("unite", ""))
    return render(request, "reservations/automatic.html", context)


# ---- the recap, the confirmation, the final recap ------------------------------------------------

async def recap_data(request: web.Request, family_id: uuid.UUID, *, kind: str, child_id: str,
                     period_id: str) -> dict[str, Any]:
    """The outcome each selected line would get now, and the names of child and period."""
    reservations = request.app[keys.CLIENTS].reservations
    body = {"child_id": child_id, "period_id": period_id, "kind": kind,
            "all_or_nothing": False}

    async def load(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        preview, periods = await asyncio.gather(
            reservations.preview(token, family_id, body),
            reservations.periods(token, family_id, child_id=child_id, kind=kind))
        return preview, periods

    preview, periods = await upstream(request, load)
    establishment, period = find_period(periods, period_id)
    lines = [line for line in preview.get("lines") or [] if isinstance(line, dict)]
    first = min((str(line.get("date")) for line in lines), default=None)
    return {"lines": lines, "child": periods.get("child") or {},
            "child_name": full_name(periods.get("child")), "establishment": establishment,
            "period": period or {"id": period_id}, "back_month": first[:7] if first else None}


def render_recap(request: web.Request, data: Mapping[str, Any], *, kind: str, slug: str,
                 child_id: str, period_id: str, form: Form | None = None, status: int = 200
                 ) -> web.Response:
    return render(request, "reservations/recap.html", {
        **data, "kind": kind, "slug": slug, "words": KIND_WORDS[kind], "form": form or Form(),
        "child_id": child_id, "period_id": period_id,
        "outcomes": OUTCOMES, "outcomes_cancel": CANCEL_OUTCOMES,
        # A new key per recap shown: a double click (or a retried POST) of this confirmation
        # gives the service the same key, hence one reservation.
        "key": str(uuid.uuid4()),
        "back": flow_url(slug, "planning", enfant=child_id, periode=period_id,
                         mois=data.get("back_month")),
    }, status=status)


@routes.get(FLOW + "/recapitulatif")
async def recap(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    kind, slug = kind_of(request)
    child_id = required_uuid(request.query, "enfant")
    period_id = required_uuid(request.query, "periode")
    data = await recap_data(request, family_id, kind=kind, child_id=child_id,
                            period_id=period_id)
    return render_recap(request, data, kind=kind, slug=slug, child_id=child_id,
                        period_id=period_id)


@routes.post(FLOW + "/confirmation")
async def confirm(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    kind, slug = kind_of(request)
    data = await request.post()
    child_id = required_uuid(data, "enfant")
    period_id = required_uuid(data, "periode")
    key = data.get("cle")
    if not (isinstance(key, str) and _KEY.match(key)):
        raise BadRequest("Le formulaire a expiré. Revenez au planning et validez-le de "
                         "nouveau.")
    reservations = request.app[keys.CLIENTS].reservations
    body = {"child_id": child_id, "period_id": period_id, "kind": kind,
            "all_or_nothing": False}
    try:
        _, reservation = await upstream(request, lambda t: reservations.submit(
            t, family_id, body, idempotency_key=key))
    except Unauthorized:
        raise
    except Problem as problem:
        form = Form()
        form.fail(problem, ())
        recap_values = await recap_data(request, family_id, kind=kind, child_id=child_id,
                                        period_id=period_id)
        return render_recap(request, recap_values, kind=kind, slug=slug, child_id=child_id,
                            period_id=period_id, form=form, status=problem.status)
    number = str(reservation.get("number", ""))
    if not re.fullmatch(NUMBER_PATTERN, number):
        raise NotFound()
    return redirect(f"{BASE}/{number}/enregistree")
