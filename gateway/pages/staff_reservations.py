"""« Espace gestion » — reservations (guide §8): the queue of requests (accept or refuse each
line, with a comment), the waiting lists of the cells, the attendance lists (a printable page
and a CSV for Excel) with the children's PAI and allergies read from families. Every rule,
place count and refusal is the reservations service's; health data is asked of families
at each display and never leaves this page."""

import asyncio
import csv
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from aiohttp import web

from gateway import keys
from gateway.clients import FamiliesClient
from gateway.messages import DIETS, LINE_KINDS, LINE_STATES
from gateway.pages.staff import (
    T,
    list_load,
    render_staff,
    staff_load,
    staff_session,
    uuid_in,
    uuid_query,
)
from gateway.render import STAFF_HOME, Form, flash, read_form, redirect, safe_next
from gateway.session import upstream
from services.common.errors import BadRequest, Problem, Unauthorized

routes = web.RouteTableDef()

BASE = STAFF_HOME + "/reservations"
REQUESTS = BASE
DECISION = BASE + "/demandes/{line_id}/decision"
WAITING = BASE + "/listes-attente"
WAITING_CELL = WAITING + "/cellule"
ATTENDANCE = BASE + "/presences"
ATTENDANCE_CSV = BASE + "/presences.csv"
DECISIONS = {"accept": "line_accepted", "refuse": "line_refused"}
BAD_DAY = "Indiquez une date valide (jj/mm/aaaa)."
# Families asked at once for the children's health flags of one attendance list.
HEALTH_CONCURRENCY = 8


def day_query(request: web.Request, name: str) -> date | None:
    """A `YYYY-MM-DD` of the query (what a date field sends), None when absent; a BadRequest
    in French when it is not a date."""
    text = request.query.get(name, "").strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(BAD_DAY) from exc


async def catalogue(request: web.Request, token: str) -> dict[str, Any]:
    """The choices of the filters: establishments with their units, and the periods."""
    client = request.app[keys.CLIENTS].reservations
    establishments, periods = await asyncio.gather(client.establishments(token),
                                                   client.catalogue_periods(token))
    return {"establishments": establishments, "periods": periods}


# ---- the queue of requests ----------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters, as its address carries them (`?etablissement=&periode=`)."""

    establishment_id: uuid.UUID | None = None
    period_id: uuid.UUID | None = None

    @classmethod
    def of(cls, query: Mapping[str, str]) -> "QueueFilter":
        def uuid_of(name: str) -> uuid.UUID | None:
            try:
                return uuid.UUID(query.get(name, ""))
            except ValueError:
                return None

        return cls(uuid_of("etablissement"), uuid_of("periode"))

    @property
    def params(self) -> dict[str, str]:
        kept = {"etablissement": self.establishment_id, "periode": self.period_id}
        return {k: str(v) for k, v in kept.items() if v}

    def url(self, **extra: str) -> str:
        params = {**self.params, **extra}
        return f"{REQUESTS}?{urlencode(params)}" if params else REQUESTS


def queue_page(request: web.Request, data: T, *, failed: Mapping[str, Form] | None = None,
               status: int = 200) -> web.Response:
    chosen: QueueFilter = data["filter"]
    next_cursor = data["queue"].get("next_cursor")
    return render_staff(request, "gestion/reservations/requests.html", {
        **data, "items": data["queue"]["items"], "here": chosen.url(), "failed": failed or {},
        "line_kinds": LINE_KINDS, "establishment_id": chosen.establishment_id,
        "period_id": chosen.period_id,
        "next_page": chosen.url(curseur=next_cursor)
        if isinstance(next_cursor, str) and next_cursor else None,
        "first_page": chosen.url() if request.query.get("curseur") else None}, status=status)


async def load_queue(request: web.Request, chosen: QueueFilter, cursor: str | None
                     ) -> T | web.Response:
    """The queue's page (a page link the service refuses: the French error page that leads
    back to the first page)."""
    client = request.app[keys.CLIENTS].reservations

    async def load(token: str) -> T:
        queue, options = await asyncio.gather(
            client.requests(token, establishment_id=chosen.establishment_id,
                            period_id=chosen.period_id, cursor=cursor),
            catalogue(request, token))
        return {"queue": queue, **options, "filter": chosen}

    return await list_load(request, load, chosen.url())


@routes.get(REQUESTS)
async def requests_queue(request: web.Request) -> web.StreamResponse:
    data = await load_queue(request, QueueFilter.of(request.query),
                            request.query.get("curseur") or None)
    if isinstance(data, web.Response):
        return data
    return queue_page(request, data)


@routes.post(DECISION)
async def decide(request: web.Request) -> web.StreamResponse:
    """Accept or refuse one line; the service re-checks the places now. A refusal it gives
    (no comment, no place left, decided already) is shown on that line of the queue."""
    await staff_session(request)
    line_id = uuid_in(request, "line_id")
    form = await read_form(request, "decision", "comment", "retour")
    decision = form.values["decision"]
    if decision not in DECISIONS:
        raise BadRequest("Choisissez « Accepter » ou « Refuser ».")
    back = safe_next(form.values["retour"])
    back = back if back and (back == REQUESTS or back.startswith(REQUESTS + "?")) else REQUESTS
    client = request.app[keys.CLIENTS].reservations
    comment = form.values["comment"].strip() or None
    try:
        await upstream(request, lambda token: client.decide_line(
            token, line_id, decision=decision, comment=comment))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, ("comment",))
        chosen = QueueFilter.of({k: v[0] for k, v in parse_qs(urlsplit(back).query).items()})
        data = await load_queue(request, chosen, None)
        assert not isinstance(data, web.Response)  # no cursor: the first page
        if all(str(item.get("line_id")) != str(line_id) for item in data["queue"]["items"]):
            raise problem from None  # decided already or unknown: the French error page
        return queue_page(request, data, failed={str(line_id): form}, status=problem.status)
    flash(request, DECISIONS[decision])
    return redirect(back)


# ---- waiting lists ------------------------------------------------------------------------------

@routes.get(WAITING)
async def waiting_lists(request: web.Request) -> web.StreamResponse:
    """The cells with a waiting list (from a day on, of one establishment or period)."""
    establishment_id = uuid_query(request, "etablissement")
    period_id = uuid_query(request, "periode")
    since = day_query(request, "depuis")
    client = request.app[keys.CLIENTS].reservations

    async def load(token: str) -> T:
        cells, options = await asyncio.gather(
            client.waiting_cells(token, establishment_id=establishment_id,
                                 period_id=period_id, since=since.isoformat() if since else None),
            catalogue(request, token))
        return {"cells": cells, **options}

    data = await staff_load(request, load)
    return render_staff(request, "gestion/reservations/waiting.html", {
        **data, "establishment_id": establishment_id, "period_id": period_id,
        "since": since.isoformat() if since else ""})


@routes.get(WAITING_CELL)
async def waiting_cell(request: web.Request) -> web.StreamResponse:
    """One cell's list: offered places with their deadline, then the waiting lines in order."""
    await staff_session(request)  # a parent is refused before the query is even read
    period_id = uuid_query(request, "periode")
    unit_id = uuid_query(request, "unite")
    day = day_query(request, "date")
    if period_id is None or unit_id is None or day is None:
        raise BadRequest("Choisissez une période, une unité et un jour.")
    client = request.app[keys.CLIENTS].reservations

    async def load(token: str) -> T:
        waiting, period = await asyncio.gather(
            client.waiting_lists(token, period_id=period_id, date=day.isoformat(),
                                 unit_id=unit_id),
            client.period(token, period_id))
        return {"waiting": waiting, "period": period}

    data = await staff_load(request, load)
    units = {str(u.get("unit_id")): u.get("label") for u in data["period"].get("units", [])}
    return render_staff(request, "gestion/reservations/waiting_cell.html", {
        **data, "items": data["waiting"].get("items", []), "day": day,
        "unit_label": units.get(str(unit_id), ""), "line_states": LINE_STATES})


# ---- attendance ---------------------------------------------------------------------------------

async def health_of(families: FamiliesClient, token: str, family_ids: list[uuid.UUID]
                    ) -> dict[str, T] | None:
    """child id → its file in families (PAI, allergies, diet), for these families; None when
    families cannot say (the list still shows, marked so)."""
    gate = asyncio.Semaphore(HEALTH_CONCURRENCY)

    async def children(family_id: uuid.UUID) -> list[T]:
        async with gate:
            page = await families.children_page(token, family_id)
            return list(page.get("items", []))

    try:
        pages = await asyncio.gather(*(children(f) for f in family_ids))
    except Unauthorized:
        raise
    except Problem:
        return None
    return {str(child.get("id")): child for items in pages for child in items}


def attendance_rows(items: list[T], health: dict[str, T] | None) -> list[T]:
    rows = []
    for item in items:
        child = (health or {}).get(str(item.get("child_id")), {})
        diet = str(child.get("diet") or "none")
        detail = child.get("diet_detail")
        rows.append({**item, "known": health is not None and bool(child),
                     "pai": bool(child.get("pai")), "pai_details": child.get("pai_details") or "",
                     "allergies": child.get("allergies") or "",
                     "diet": "" if diet == "none" else
                     f"{DIETS.get(diet, diet)} : {detail}" if detail else DIETS.get(diet, diet)})
    return rows


async def load_attendance(request: web.Request) -> tuple[T, list[T]]:
    establishment_id = uuid_query(request, "etablissement")
    unit_id = uuid_query(request, "unite")
    day = day_query(request, "date")
    reservations = request.app[keys.CLIENTS].reservations
    families = request.app[keys.CLIENTS].families

    async def load(token: str) -> T:
        options = await catalogue(request, token)
        if establishment_id is None or day is None:
            return {**options, "asked": False, "items": [], "health": {}}
        items = await reservations.attendance(token, establishment_id=establishment_id,
                                              date=day.isoformat(), unit_id=unit_id)
        family_ids = sorted({uuid.UUID(str(i["family_id"])) for i in items
                             if i.get("family_id")})
        health = await health_of(families, token, family_ids)
        return {**options, "asked": True, "items": items, "health": health}

    data = await staff_load(request, load)
    rows = attendance_rows(data["items"], data["health"])
    establishment = next((e for e in data["establishments"]
                          if str(e.get("id")) == str(establishment_id)), None)
    if data["asked"] and establishment is None:
        raise BadRequest("Cet établissement n'existe pas.")
    unit = next((u for u in (establishment or {}).get("units", [])
                 if str(u.get("id")) == str(unit_id)), None)
    return {**data, "establishment": establishment, "unit": unit, "day": day,
            "establishment_id": establishment_id, "unit_id": unit_id,
            "health_unavailable": data["asked"] and data["health"] is None}, rows


@routes.get(ATTENDANCE)
async def attendance(request: web.Request) -> web.StreamResponse:
    data, rows = await load_attendance(request)
    query = {"etablissement": str(data["establishment_id"]),
             "date": data["day"].isoformat() if data["day"] else ""}
    if data["unit_id"]:
        query["unite"] = str(data["unit_id"])
    return render_staff(request, "gestion/reservations/attendance.html", {
        **data, "rows": rows, "csv_link": f"{ATTENDANCE_CSV}?{urlencode(query)}"})


CSV_HEADERS = ("Nom", "Prénom", "Date de naissance", "Unité", "PAI", "Détails du PAI",
               "Allergies", "Régime alimentaire")


def spreadsheet_safe(value: str) -> str:
    """A cell Excel would read as a formula (=, +, -, @, tab, return) starts with « ' »."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def attendance_csv(rows: list[T], health_known: bool) -> bytes:
    """UTF-8 with a BOM and `;` between fields: what a French Excel opens as is."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    unknown = "inconnu"
    for row in rows:
        birth = row.get("birth_date") or ""
        writer.writerow([spreadsheet_safe(str(v)) for v in (
            row.get("last_name", ""), row.get("first_name", ""),
            "/".join(reversed(str(birth).split("-"))) if birth else "",
            row.get("unit_label", ""),
            ("Oui" if row["pai"] else "Non") if health_known else unknown,
            row["pai_details"] if health_known else unknown,
            row["allergies"] if health_known else unknown,
            row["diet"] if health_known else unknown)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@routes.get(ATTENDANCE_CSV)
async def attendance_download(request: web.Request) -> web.StreamResponse:
    data, rows = await load_attendance(request)
    if not data["asked"]:
        raise BadRequest("Choisissez un établissement et un jour.")
    name = f"presences-{data['day'].isoformat()}"
    if data["unit"]:
        name += f"-{data['unit'].get('code', '')}".lower()
    return web.Response(body=attendance_csv(rows, not data["health_unavailable"]), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}.csv"',
        "Cache-Control": "no-store"})
