"""« Espace gestion » — the reservations catalogue (guide §7): establishments, their units and
exclusions, periods (calendar, closures, units and capacities with the optional under/over-6
split, ages and school levels, booking window, processing rules), a day's capacity. Forms are
read here (numbers, dates) and sent to the reservations service, which decides: each of its
refusals comes back by the field it names, in French."""

import asyncio
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from gateway import keys
from gateway.messages import ESTABLISHMENT_KINDS, SCHOOL_LEVELS
from gateway.pages.staff import T, render_staff, staff_load, staff_session, uuid_in, uuid_query
from gateway.pages.staff_reservations import BASE
from gateway.render import Form, flash, redirect
from gateway.session import upstream
from gateway.templating import PARIS
from services.common.errors import NotFound, Problem, Unauthorized
from services.common.formats import WEEKDAYS
from services.common.validation import digits

routes = web.RouteTableDef()

ESTABLISHMENTS = BASE + "/etablissements"
ESTABLISHMENT = ESTABLISHMENTS + "/{establishment_id}"
UNIT = ESTABLISHMENT + "/unites/{unit_id}"
PERIODS = BASE + "/periodes"
NEW_PERIOD = PERIODS + "/nouvelle"
PERIOD = PERIODS + "/{period_id}"

REQUIRED = "Ce champ est obligatoire."
NOT_A_NUMBER = "Indiquez un nombre entier (chiffres uniquement)."
NOT_A_DATE = "Indiquez une date valide (jj/mm/aaaa)."
NOT_A_MOMENT = "Indiquez une date et une heure valides."
DAY_COUNTS = (("calendar", "Jours calendaires"), ("working", "Jours ouvrés (lundi au vendredi, "
                                                              "hors jours fériés)"))
ALLOCATIONS = (("fcfs", "Premier arrivé, premier servi"), ("lottery", "Tirage au sort"))
_FR_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str) -> date | None:
    """`YYYY-MM-DD` (a date field) or `jj/mm/aaaa` (typed); None when it is neither."""
    text = text.strip()
    try:
        if (found := _FR_DAY.fullmatch(text)) is not None:
            return date(int(found[3]), int(found[2]), int(found[1]))
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        return None
    return None


def fr_date(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return ""
    return f"{day:%d/%m/%Y}"


def local_moment(value: Any) -> str:
    """A service time as a `datetime-local` field shows it (Paris time)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


class Reader:
    """A posted form read into a service body: texts as typed, numbers with `digits()`,
    dates; what cannot be read is a French error by its field and nothing is sent."""

    def __init__(self, data: MultiDictProxy[Any]) -> None:
        self.data = data
        self.form = Form(values={k: v for k, v in data.items() if isinstance(v, str)})
        # The status of the page shown again: 422 for what is read here, else the service's.
        self.status = 422

    def text(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def all(self, name: str) -> list[str]:
        return [v for v in self.data.getall(name, []) if isinstance(v, str)]

    def number(self, name: str, *, required: bool = False) -> int | None:
        text = self.text(name)
        if not text:
            if required:
                self.form.add(name, REQUIRED)
            return None
        value = digits(text)
        if value is None:
            self.form.add(name, NOT_A_NUMBER)
        return value

    def day(self, name: str, *, required: bool = True) -> str | None:
        text = self.text(name)
        if not text:
            if required:
                self.form.add(name, REQUIRED)
            return None
        day = parse_date(text)
        if day is None:
            self.form.add(name, NOT_A_DATE)
            return None
        return day.isoformat()

    def moment(self, name: str, *, required: bool = True) -> str | None:
        """A `datetime-local` value, read in Paris time, sent with its offset."""
        text = self.text(name)
        if not text:
            if required:
                self.form.add(name, REQUIRED)
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.form.add(name, NOT_A_MOMENT)
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=PARIS)
        return moment.isoformat()

    def ids(self, name: str) -> list[str]:
        out = []
        for value in self.all(name):
            try:
                out.append(str(uuid.UUID(value)))
            except ValueError:
                self.form.add(name, "Choix invalide : rechargez la page.")
        return out


async def send(request: web.Request, reader: Reader, call: Callable[[str], Any],
               fields: Callable[[str], str | None]) -> Any:
    """`call(token)` unless the form has errors already; a service refusal lands on the form
    by field (`fields` maps the service's field to the form's, None: the summary). Returns
    None when the form failed."""
    form = reader.form
    if form.invalid:
        return None
    try:
        return await upstream(request, call)
    except Unauthorized:
        raise
    except Problem as problem:
        if problem.status >= 500 or problem.status in (401, 403, 404):
            raise
        mapped = []
        for error in problem.errors or []:
            target = fields(str(error.get("field", "")))
            mapped.append({**error, "field": target or ""})
        problem.errors = mapped
        form.fail(problem, tuple(e["field"] for e in mapped if e["field"]))
        reader.status = problem.status
        return None


def named(form: Form, labels: Mapping[str, str]) -> Form:
    """Each field in error named in the summary (« Capacité — Matin : … »)."""
    for name in form.errors:
        if name in labels:
            form.labels.setdefault(name, labels[name])
    return form


ESTABLISHMENT_LABELS = {"name": "Nom de l'établissement", "kind": "Type d'établissement"}
UNIT_LABELS = {"code": "Code", "label": "Libellé", "position": "Ordre d'affichage",
               "excludes": "Unités incompatibles", "active": "Unité active"}
PERIOD_LABELS = {
    "name": "Nom de la période", "start_date": "Premier jour", "end_date": "Dernier jour",
    "weekdays": "Jours d'ouverture", "closures": "Jours de fermeture",
    "units": "Unités proposées", "eligibility.min_age": "Âge minimum",
    "eligibility.max_age": "Âge maximum", "eligibility.school_levels": "Niveaux scolaires",
    "window.opens_at": "Ouverture des réservations",
    "window.closes_at": "Fermeture des réservations",
    "rules.auto_days": "Délai des réservations automatiques",
    "rules.request_days": "Délai des demandes", "rules.day_count": "Décompte des délais",
    "allocation": "Attribution des places", "offer_hours": "Délai de réponse",
    "draw_at": "Date limite du tirage au sort",
    "day.unit_id": "Unité", "day.date": "Jour", "day.capacity": "Capacité du jour",
    "day.capacity_under6": "Capacité du jour, moins de 6 ans",
    "day.capacity_over6": "Capacité du jour, 6 ans et plus"}
SPLIT_LABELS = {"capacity": "capacité", "capacity_under6": "capacité des moins de 6 ans",
                "capacity_over6": "capacité des 6 ans et plus"}


def period_labels(units: list[T]) -> dict[str, str]:
    labels = dict(PERIOD_LABELS)
    for unit in units:
        uid = str(unit.get("id"))
        labels[f"u-{uid}"] = str(unit.get("label", ""))
        for name, words in SPLIT_LABELS.items():
            labels[f"u-{uid}-{name}"] = f"{unit.get('label', '')}, {words}"
    return labels


def same(names: tuple[str, ...]) -> Callable[[str], str | None]:
    """Service fields named as the form's (`excludes.2` lands on `excludes`)."""
    def field(name: str) -> str | None:
        for known in names:
            if name == known or name.startswith(known + "."):
                return known
        return None

    return field


# ---- establishments and units -------------------------------------------------------------------

async def load_establishments(request: web.Request) -> T:
    client = request.app[keys.CLIENTS].reservations

    async def load(token: str) -> T:
        return {"establishments": await client.establishments(token)}

    return await staff_load(request, load)


def establishments_page(request: web.Request, data: T, form: Form | None = None, *,
                        status: int = 200) -> web.Response:
    return render_staff(request, "gestion/reservations/establishments.html", {
        **data, "form": named(form or Form(values={"kind": "accueil_de_loisirs"}),
                              ESTABLISHMENT_LABELS),
        "kinds": ESTABLISHMENT_KINDS}, status=status)


@routes.get(ESTABLISHMENTS)
async def establishments(request: web.Request) -> web.StreamResponse:
    return establishments_page(request, await load_establishments(request))


def establishment_body(reader: Reader) -> dict[str, Any]:
    kind = reader.text("kind")
    if kind not in ESTABLISHMENT_KINDS:
        reader.form.add("kind", "Choisissez le type d'établissement.")
    return {"name": reader.text("name"), "kind": kind}


@routes.post(ESTABLISHMENTS)
async def create_establishment(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    reader = Reader(await request.post())
    body = establishment_body(reader)
    client = request.app[keys.CLIENTS].reservations
    created = await send(request, reader,
                         lambda token: client.create_establishment(token, body),
                         same(("name", "kind")))
    if created is None:
        return establishments_page(request, await load_establishments(request), reader.form,
                                   status=reader.status)
    flash(request, "establishment_saved")
    return redirect(f"{ESTABLISHMENTS}/{created['id']}")


def find(items: list[T], wanted: uuid.UUID | str, what: str) -> T:
    for item in items:
        if str(item.get("id")) == str(wanted):
            return item
    raise NotFound(f"{what} introuvable.")


def establishment_page(request: web.Request, data: T, establishment_id: uuid.UUID, *,
                       failed: str | None = None, form: Form | None = None,
                       checked: set[str] | None = None, status: int = 200) -> web.Response:
    establishment = find(data["establishments"], establishment_id, "Établissement")
    units = establishment.get("units", [])
    labels = {str(u.get("id")): u.get("label") for u in units}
    edit = form if failed == "establishment" and form else Form(values={
        "name": establishment.get("name", ""), "kind": establishment.get("kind", "")})
    add = form if failed == "unit" and form else Form(values={"position": str(len(units) + 1)})
    return render_staff(request, "gestion/reservations/establishment.html", {
        **data, "establishment": establishment, "units": units, "labels": labels,
        "edit": named(edit, ESTABLISHMENT_LABELS), "add": named(add, UNIT_LABELS),
        "kinds": ESTABLISHMENT_KINDS,
        "add_excludes": checked or set()}, status=status)


@routes.get(ESTABLISHMENT)
async def establishment(request: web.Request) -> web.StreamResponse:
    establishment_id = uuid_in(request, "establishment_id")
    return establishment_page(request, await load_establishments(request), establishment_id)


@routes.post(ESTABLISHMENT)
async def change_establishment(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    establishment_id = uuid_in(request, "establishment_id")
    reader = Reader(await request.post())
    body = establishment_body(reader)
    client = request.app[keys.CLIENTS].reservations
    saved = await send(request, reader, lambda token: client.change_establishment(
        token, establishment_id, body), same(("name", "kind")))
    if saved is None:
        return establishment_page(request, await load_establishments(request),
                                  establishment_id, failed="establishment", form=reader.form,
                                  status=reader.status)
    flash(request, "establishment_saved")
    return redirect(f"{ESTABLISHMENTS}/{establishment_id}")


UNIT_FIELDS = ("code", "label", "position", "excludes", "active")


def unit_body(reader: Reader, *, new: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"label": reader.text("label"),
                            "excludes": reader.ids("excludes"),
                            "active": reader.text("active") == "1"}
    position = reader.number("position")
    if position is not None:
        body["position"] = position
    if new:
        body["code"] = reader.text("code")
    return body


@routes.post(ESTABLISHMENT + "/unites")
async def add_unit(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    establishment_id = uuid_in(request, "establishment_id")
    reader = Reader(await request.post())
    body = unit_body(reader, new=True)
    client = request.app[keys.CLIENTS].reservations
    saved = await send(request, reader, lambda token: client.add_unit(
        token, establishment_id, body), same(UNIT_FIELDS))
    if saved is None:
        return establishment_page(request, await load_establishments(request),
                                  establishment_id, failed="unit", form=reader.form,
                                  checked=set(reader.all("excludes")), status=reader.status)
    flash(request, "unit_saved")
    return redirect(f"{ESTABLISHMENTS}/{establishment_id}")


def unit_page(request: web.Request, data: T, establishment_id: uuid.UUID, unit_id: uuid.UUID,
              form: Form | None = None, *, checked: set[str] | None = None,
              status: int = 200) -> web.Response:
    establishment = find(data["establishments"], establishment_id, "Établissement")
    unit = find(establishment.get("units", []), unit_id, "Unité")
    if form is None:
        form = Form(values={"label": unit.get("label", ""),
                            "position": str(unit.get("position", 0)),
                            "active": "1" if unit.get("active") else ""})
        excludes = {str(x) for x in unit.get("excludes", [])}
    else:
        excludes = checked or set()
    return render_staff(request, "gestion/reservations/unit.html", {
        **data, "establishment": establishment, "unit": unit, "form": named(form, UNIT_LABELS),
        "others": [u for u in establishment.get("units", []) if str(u.get("id")) != str(unit_id)],
        "excludes": excludes}, status=status)


@routes.get(UNIT)
async def unit(request: web.Request) -> web.StreamResponse:
    establishment_id = uuid_in(request, "establishment_id")
    unit_id = uuid_in(request, "unit_id")
    return unit_page(request, await load_establishments(request), establishment_id, unit_id)


@routes.post(UNIT)
async def change_unit(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    establishment_id = uuid_in(request, "establishment_id")
    unit_id = uuid_in(request, "unit_id")
    reader = Reader(await request.post())
    body = unit_body(reader, new=False)
    client = request.app[keys.CLIENTS].reservations
    saved = await send(request, reader, lambda token: client.change_unit(
        token, unit_id, body), same(UNIT_FIELDS))
    if saved is None:
        return unit_page(request, await load_establishments(request), establishment_id,
                         unit_id, reader.form, checked=set(reader.all("excludes")),
                         status=reader.status)
    flash(request, "unit_saved")
    return redirect(f"{ESTABLISHMENTS}/{establishment_id}")


# ---- periods ------------------------------------------------------------------------------------

@routes.get(PERIODS)
async def periods(request: web.Request) -> web.StreamResponse:
    establishment_id = uuid_query(request, "etablissement")
    client = request.app[keys.CLIENTS].reservations

    async def load(token: str) -> T:
        found, establishments = await asyncio.gather(
            client.catalogue_periods(token, establishment_id=establishment_id),
            client.establishments(token))
        return {"periods": found, "establishments": establishments}

    data = await staff_load(request, load)
    return render_staff(request, "gestion/reservations/periods.html", {
        **data, "establishment_id": establishment_id})


PERIOD_FIELDS = ("name", "start_date", "end_date", "weekdays", "closures", "offer_hours",
                 "allocation", "draw_at", "establishment_id", "units", "eligibility.min_age",
                 "eligibility.max_age", "eligibility.school_levels", "window.opens_at",
                 "window.closes_at", "rules.auto_days", "rules.request_days", "rules.day_count",
                 "rules.bill_late_cancellations")
# A nested model's own rule (the window's order…) lands on the field it is about.
MODEL_FIELDS = {"eligibility": "eligibility.max_age", "window": "window.closes_at",
                "rules": "rules.request_days"}


def period_fields(unit_ids: list[str]) -> Callable[[str], str | None]:
    """The service's field paths on the period form's fields: `units.N.capacity` is the
    capacity of the N-th unit sent."""
    known = same(PERIOD_FIELDS)

    def field(name: str) -> str | None:
        parts = name.split(".")
        if parts[0] == "units" and len(parts) >= 2 and parts[1].isdecimal():
            index = int(parts[1])
            if index < len(unit_ids):
                tail = parts[2] if len(parts) > 2 and parts[2] != "unit_id" else "capacity"
                return f"u-{unit_ids[index]}-{tail}"
        if name in MODEL_FIELDS:
            return MODEL_FIELDS[name]
        return known(name)

    return field


def period_body(reader: Reader, units: list[T]) -> tuple[dict[str, Any], list[str]]:
    """The period form as the service's body, and the ids of the units sent, in order."""
    closures: list[str] = []
    for number, line in enumerate(reader.text("closures").splitlines(), start=1):
        if not line.strip():
            continue
        day = parse_date(line)
        if day is None:
            reader.form.add("closures", f"Ligne {number} : {NOT_A_DATE}")
        else:
            closures.append(day.isoformat())
    weekdays = [int(d) for d in reader.all("weekdays") if d in {"1", "2", "3", "4", "5", "6", "7"}]
    offered: list[dict[str, Any]] = []
    for unit in units:
        uid = str(unit.get("id"))
        if reader.text(f"u-{uid}") != "1":
            continue
        item: dict[str, Any] = {"unit_id": uid,
                                "capacity": reader.number(f"u-{uid}-capacity", required=True)}
        for split in ("capacity_under6", "capacity_over6"):
            item[split] = reader.number(f"u-{uid}-{split}")
        offered.append(item)
    levels = [x for x in reader.all("eligibility.school_levels") if x in SCHOOL_LEVELS]
    body: dict[str, Any] = {
        "name": reader.text("name"),
        "start_date": reader.day("start_date"),
        "end_date": reader.day("end_date"),
        "weekdays": weekdays,
        "closures": closures,
        "units": offered,
        "eligibility": {"min_age": reader.number("eligibility.min_age"),
                        "max_age": reader.number("eligibility.max_age"),
                        "school_levels": levels},
        "window": {"opens_at": reader.moment("window.opens_at"),
                   "closes_at": reader.moment("window.closes_at")},
        "rules": {"auto_days": reader.number("rules.auto_days", required=True),
                  "request_days": reader.number("rules.request_days", required=True),
                  "day_count": reader.text("rules.day_count") or "calendar",
                  "bill_late_cancellations":
                      reader.text("rules.bill_late_cancellations") == "1"},
        "allocation": reader.text("allocation") or "fcfs",
        "draw_at": reader.moment("draw_at", required=False),
        "offer_hours": reader.number("offer_hours", required=True),
    }
    if not weekdays:
        reader.form.add("weekdays", "Cochez au moins un jour d'ouverture.")
    if not offered:
        reader.form.add("units", "Cochez au moins une unité proposée.")
    return body, [str(u["unit_id"]) for u in offered]


def period_values(period: Mapping[str, Any]) -> Form:
    """A period of the service as the form's values."""
    values: dict[str, str] = {
        "name": period.get("name", ""),
        "start_date": str(period.get("start_date", "")),
        "end_date": str(period.get("end_date", "")),
        "closures": "\n".join(fr_date(d) for d in period.get("closures", [])),
        "eligibility.min_age": _text(period.get("eligibility", {}).get("min_age")),
        "eligibility.max_age": _text(period.get("eligibility", {}).get("max_age")),
        "window.opens_at": local_moment(period.get("window", {}).get("opens_at")),
        "window.closes_at": local_moment(period.get("window", {}).get("closes_at")),
        "rules.auto_days": _text(period.get("rules", {}).get("auto_days")),
        "rules.request_days": _text(period.get("rules", {}).get("request_days")),
        "rules.day_count": period.get("rules", {}).get("day_count", "calendar"),
        "rules.bill_late_cancellations":
            "1" if period.get("rules", {}).get("bill_late_cancellations") else "",
        "allocation": period.get("allocation", "fcfs"),
        "draw_at": local_moment(period.get("draw_at")) if period.get("draw_at") else "",
        "offer_hours": _text(period.get("offer_hours")),
    }
    for unit in period.get("units", []):
        uid = str(unit.get("unit_id"))
        values[f"u-{uid}"] = "1"
        for name in ("capacity", "capacity_under6", "capacity_over6"):
            values[f"u-{uid}-{name}"] = _text(unit.get(name))
    return Form(values=values)


def period_checks(period: Mapping[str, Any]) -> dict[str, list[str]]:
    """The ticked boxes of a period's form: opening weekdays and school levels."""
    return {"weekdays": [str(d) for d in period.get("weekdays", [])],
            "levels": [str(x) for x in period.get("eligibility", {}).get("school_levels", [])]}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def posted_checks(reader: Reader) -> dict[str, list[str]]:
    return {"weekdays": reader.all("weekdays"),
            "levels": reader.all("eligibility.school_levels")}


def period_page(request: web.Request, data: T, form: Form, checks: dict[str, list[str]], *,
                period: T | None, establishment: T, day_form: Form | None = None,
                status: int = 200) -> web.Response:
    labels = period_labels(establishment.get("units", []))
    return render_staff(request, "gestion/reservations/period.html", {
        **data, "form": named(form, labels), "checks": checks, "period": period,
        "establishment": establishment,
        "units": establishment.get("units", []), "weekdays": list(enumerate(WEEKDAYS, 1)),
        "levels": SCHOOL_LEVELS, "day_counts": DAY_COUNTS, "allocations": ALLOCATIONS,
        "day_form": named(day_form or Form(), labels),
        "action": f"{PERIODS}/{period['id']}" if period else NEW_PERIOD}, status=status)


def new_period_form() -> Form:
    return Form(values={"rules.auto_days": "7", "rules.request_days": "2",
                        "rules.day_count": "working", "offer_hours": "48",
                        "allocation": "fcfs"})


@routes.get(NEW_PERIOD)
async def new_period(request: web.Request) -> web.StreamResponse:
    establishment_id = uuid_query(request, "etablissement")
    data = await load_establishments(request)
    if establishment_id is None:
        return render_staff(request, "gestion/reservations/period_choose.html", data)
    establishment = find(data["establishments"], establishment_id, "Établissement")
    return period_page(request, data, new_period_form(),
                       {"weekdays": ["1", "2", "3", "4", "5"], "levels": []}, period=None,
                       establishment=establishment)


@routes.post(NEW_PERIOD)
async def create_period(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    reader = Reader(await request.post())
    data = await load_establishments(request)
    establishment = find(data["establishments"], reader.text("establishment_id"),
                         "Établissement")
    body, sent = period_body(reader, establishment.get("units", []))
    body["establishment_id"] = str(establishment["id"])
    client = request.app[keys.CLIENTS].reservations
    created = await send(request, reader, lambda token: client.create_period(token, body),
                         period_fields(sent))
    if created is None:
        return period_page(request, data, reader.form, posted_checks(reader), period=None,
                           establishment=establishment, status=reader.status)
    flash(request, "period_saved")
    return redirect(f"{PERIODS}/{created['id']}")


async def load_period(request: web.Request, period_id: uuid.UUID) -> T:
    client = request.app[keys.CLIENTS].reservations

    async def load(token: str) -> T:
        period, establishments = await asyncio.gather(client.period(token, period_id),
                                                      client.establishments(token))
        return {"period_data": period, "establishments": establishments}

    return await staff_load(request, load)


@routes.get(PERIOD)
async def period(request: web.Request) -> web.StreamResponse:
    data = await load_period(request, uuid_in(request, "period_id"))
    found = data["period_data"]
    establishment = find(data["establishments"], found.get("establishment_id", ""),
                         "Établissement")
    return period_page(request, data, period_values(found), period_checks(found),
                       period=found, establishment=establishment)


@routes.post(PERIOD)
async def change_period(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    period_id = uuid_in(request, "period_id")
    reader = Reader(await request.post())
    data = await load_period(request, period_id)
    found = data["period_data"]
    establishment = find(data["establishments"], found.get("establishment_id", ""),
                         "Établissement")
    body, sent = period_body(reader, establishment.get("units", []))
    client = request.app[keys.CLIENTS].reservations
    saved = await send(request, reader, lambda token: client.change_period(
        token, period_id, body), period_fields(sent))
    if saved is None:
        return period_page(request, data, reader.form, posted_checks(reader), period=found,
                           establishment=establishment, status=reader.status)
    flash(request, "period_saved")
    return redirect(f"{PERIODS}/{period_id}")


DAY_FIELDS = {"unit_id": "day.unit_id", "date": "day.date", "capacity": "day.capacity",
              "capacity_under6": "day.capacity_under6", "capacity_over6": "day.capacity_over6"}


def day_field(name: str) -> str | None:
    """`items.0.capacity` (the one item sent) on the day form's `day.capacity`."""
    parts = name.split(".")
    if parts[:2] == ["items", "0"]:
        return DAY_FIELDS.get(parts[2], "day.capacity") if len(parts) > 2 else "day.capacity"
    return None


@routes.post(PERIOD + "/capacite")
async def day_capacity(request: web.Request) -> web.StreamResponse:
    """A day's capacity for one unit (closing a day is a closure of the period form)."""
    await staff_session(request)
    period_id = uuid_in(request, "period_id")
    reader = Reader(await request.post())
    unit_ids = reader.ids("day.unit_id")
    if not unit_ids:
        reader.form.add("day.unit_id", "Choisissez l'unité.")
    item = {"unit_id": unit_ids[0] if unit_ids else None, "date": reader.day("day.date"),
            "capacity": reader.number("day.capacity", required=True),
            "capacity_under6": reader.number("day.capacity_under6"),
            "capacity_over6": reader.number("day.capacity_over6")}
    client = request.app[keys.CLIENTS].reservations
    saved = await send(request, reader, lambda token: client.set_capacities(
        token, period_id, {"items": [item]}), day_field)
    if saved is None:
        data = await load_period(request, period_id)
        found = data["period_data"]
        establishment = find(data["establishments"], found.get("establishment_id", ""),
                             "Établissement")
        return period_page(request, data, period_values(found), period_checks(found),
                           period=found, establishment=establishment, day_form=reader.form,
                           status=reader.status)
    flash(request, "capacity_saved")
    return redirect(f"{PERIODS}/{period_id}#capacite-jour")
