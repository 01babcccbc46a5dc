"""Demo data (SPEC §9, issue 8 point 9): the two demo establishments and their units, three
periods open for booking relative to the day the seed first runs, a nearly full day, and the
demo family's history at the leisure centre last month.

Idempotent: every row has a fixed id (services/common/demo.py, or derived from it), and what
exists already is left as it is, so a second run (even another day) changes nothing.

The demo family and children are normally brought by the families events; the seed writes
them into the read model at version 0 only when missing, so it works whatever the order of
`make run`'s seeds and events: any event (version ≥ 1) overwrites the seed's rows, and the
seed never overwrites an event's.

The history is written as it stands (accepted lines of a past reservation), without events:
billing seeds the same lines itself (same ids), and a recap e-mail of last month at startup
would only confuse the demo's mailbox."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg

from services.common.dates import PARIS, start_of_day, today
from services.common.db import Conn
from services.common.demo import (
    DEMO_ALSH_ID,
    DEMO_CATALOGUE,
    DEMO_CHILD_HUGO_ID,
    DEMO_CHILD_LEA_ID,
    DEMO_FAMILY_ID,
    DEMO_HISTORY_IDS,
    DEMO_HISTORY_UNITS,
    DEMO_PARENT_EMAIL,
    DEMO_PERI_ID,
    DEMO_UNIT_ALSH_AFTERNOON_ID,
    DEMO_UNIT_ALSH_DAY_ID,
    DEMO_UNIT_ALSH_MEAL_ID,
    DEMO_UNIT_ALSH_MORNING_ID,
    DEMO_UNIT_PERI_EVENING_ID,
    DEMO_UNIT_PERI_MEAL_ID,
    DEMO_UNIT_PERI_MORNING_ID,
    demo_birth_dates,
    demo_holidays,
    history_days,
    history_line_id,
    history_month,
    history_reservation_id,
)
from services.reservations.catalogue import repo as catalogue_repo
from services.reservations.catalogue import service as catalogue
from services.reservations.catalogue.schemas import (
    CapacitiesIn,
    EstablishmentIn,
    PeriodIn,
    UnitIn,
)
from services.reservations.households import repo as households
from services.reservations.rules import under_six
from services.reservations.submissions import repo as submissions
from services.reservations.waitlist import repo as places
from services.reservations.waitlist.service import Deltas, move

SEED = catalogue.Actor(sub="seed-demo", role="system")
DEMO_PERIOD_WEDNESDAYS_ID = uuid.uuid5(DEMO_HISTORY_IDS, "period:alsh-wednesdays")
DEMO_PERIOD_HOLIDAYS_ID = uuid.uuid5(DEMO_HISTORY_IDS, "period:alsh-holidays")
DEMO_PERIOD_TERM_ID = uuid.uuid5(DEMO_HISTORY_IDS, "period:periscolaire-term")
# Units excluded the same day (Journée: no Matin nor Après-midi), and positions in the planning.
EXCLUSIONS = {DEMO_UNIT_ALSH_MORNING_ID: [DEMO_UNIT_ALSH_DAY_ID],
              DEMO_UNIT_ALSH_AFTERNOON_ID: [DEMO_UNIT_ALSH_DAY_ID]}
CAPACITIES = {
    DEMO_UNIT_ALSH_DAY_ID: 24, DEMO_UNIT_ALSH_MORNING_ID: 12, DEMO_UNIT_ALSH_AFTERNOON_ID: 12,
    DEMO_UNIT_ALSH_MEAL_ID: 36,
    DEMO_UNIT_PERI_MORNING_ID: 30, DEMO_UNIT_PERI_MEAL_ID: 80, DEMO_UNIT_PERI_EVENING_ID: 40,
}
# The nearly full day: one place left in Journée (book both children: the second waits).
NEARLY_FULL_PLACES = 1
CHILDREN = [(DEMO_CHILD_LEA_ID, "Léa", "GS"), (DEMO_CHILD_HUGO_ID, "Hugo", "CM1")]


@dataclass(frozen=True)
class DemoDates:
    """The demo's days, relative to the day the seed runs."""

    history_month: date  # last month (the history)
    term_start: date  # first day of last month
    term_end: date  # last day of the third month after this one
    holidays_start: date  # a Monday at least three weeks ahead
    holidays_end: date  # the Friday of the following week
    nearly_full: date  # the holidays' first open Tuesday

    @classmethod
    def of(cls, on: date) -> "DemoDates":
        month = history_month(on)
        after = on.replace(day=1)
        for _ in range(4):
            after = (after + timedelta(days=32)).replace(day=1)
        start, end, tuesday = demo_holidays(on)
        return cls(history_month=month, term_start=month, term_end=after - timedelta(days=1),
                   holidays_start=start, holidays_end=end, nearly_full=tuesday)

    def holidays(self) -> list[date]:
        return [self.holidays_start + timedelta(days=d)
                for d in range((self.holidays_end - self.holidays_start).days + 1)]


def _window(opens: date, closes: date) -> dict[str, datetime]:
    return {"opens_at": start_of_day(opens),
            "closes_at": datetime.combine(closes, time(23, 59), tzinfo=PARIS)}


def demo_periods(dates: DemoDates) -> list[tuple[uuid.UUID, PeriodIn]]:
    alsh_units = [DEMO_UNIT_ALSH_DAY_ID, DEMO_UNIT_ALSH_MORNING_ID, DEMO_UNIT_ALSH_AFTERNOON_ID,
                  DEMO_UNIT_ALSH_MEAL_ID]
    peri_units = [DEMO_UNIT_PERI_MORNING_ID, DEMO_UNIT_PERI_MEAL_ID, DEMO_UNIT_PERI_EVENING_ID]

    def units(ids: list[uuid.UUID]) -> list[dict[str, Any]]:
        return [{"unit_id": unit_id, "capacity": CAPACITIES[unit_id]} for unit_id in ids]

    # Booking or cancelling a week ahead is automatic, two days ahead a request for staff.
    leisure_rules = {"auto_days": 7, "request_days": 2, "day_count": "calendar",
                     "bill_late_cancellations": True}
    values = [
        (DEMO_PERIOD_HOLIDAYS_ID, {
            "establishment_id": DEMO_ALSH_ID, "name": "Vacances scolaires",
            "start_date": dates.holidays_start, "end_date": dates.holidays_end,
            "weekdays": [1, 2, 3, 4, 5], "units": units(alsh_units),
            "eligibility": {"min_age": 3, "max_age": 12},
            "window": _window(dates.term_start, dates.holidays_end),
            "rules": leisure_rules}),
        (DEMO_PERIOD_WEDNESDAYS_ID, {
            "establishment_id": DEMO_ALSH_ID, "name": "Mercredis en période scolaire",
            "start_date": dates.term_start, "end_date": dates.term_end, "weekdays": [3],
            "closures": dates.holidays(), "units": units(alsh_units),
            "eligibility": {"min_age": 3, "max_age": 12},
            "window": _window(dates.term_start, dates.term_end), "rules": leisure_rules}),
        # The school-term site: two working days ahead automatic, one a request.
        (DEMO_PERIOD_TERM_ID, {
            "establishment_id": DEMO_PERI_ID, "name": "Périscolaire en période scolaire",
            "start_date": dates.term_start, "end_date": dates.term_end,
            "weekdays": [1, 2, 4, 5], "closures": dates.holidays(), "units": units(peri_units),
            "eligibility": {"min_age": 3, "max_age": 11},
            "window": _window(dates.term_start, dates.term_end),
            "rules": {"auto_days": 2, "request_days": 1, "day_count": "working",
                      "bill_late_cancellations": False}}),
    ]
    return [(period_id, PeriodIn.model_validate(body)) for period_id, body in values]


async def _households(conn: Conn, on: date) -> None:
    """The demo family and children in the read model, unless an event brought them (version
    0 never overwrites); the memberships either way (a relation, added once)."""
    births = demo_birth_dates(on)
    await households.upsert_family(conn, family_id=DEMO_FAMILY_ID, name="Famille Martin",
                                   email=DEMO_PARENT_EMAIL, version=0)
    for child_id, first_name, level in CHILDREN:
        await households.upsert_child(conn, child_id=child_id, first_name=first_name,
                                      last_name="Martin", birth_date=births[child_id],
                                      school_level=level, version=0)
        await households.add_membership(conn, DEMO_FAMILY_ID, child_id)


async def _catalogue(conn: Conn) -> int:
    created = 0
    for establishment_id, name, kind, units in DEMO_CATALOGUE:
        if await catalogue_repo.get_establishment(conn, establishment_id) is None:
            await catalogue.create_establishment(
                conn, body=EstablishmentIn.model_validate({"name": name, "kind": kind}),
                actor=SEED, establishment_id=establishment_id)
            created += 1
        for position, (unit_id, code, label) in enumerate(units, start=1):
            if await catalogue_repo.get_unit(conn, unit_id) is not None:
                continue
            await catalogue.create_unit(conn, establishment_id=establishment_id, actor=SEED,
                                        unit_id=unit_id, body=UnitIn.model_validate({
                                            "code": code.upper(),
                                            "label": label,
                                            "position": position,
                                            "excludes": EXCLUSIONS.get(unit_id, [])}))
            created += 1
    return created


async def _periods(conn: Conn, dates: DemoDates, now: datetime) -> int:
    created = 0
    for period_id, body in demo_periods(dates):
        if await catalogue_repo.get_period(conn, period_id) is not None:
            continue
        await catalogue.create_period(conn, body=body, actor=SEED, period_id=period_id, now=now)
        if period_id == DEMO_PERIOD_HOLIDAYS_ID:
            await catalogue.set_capacities(
                conn, period_id=period_id, actor=SEED, now=now,
                body=CapacitiesIn.model_validate({"items": [{
                    "unit_id": DEMO_UNIT_ALSH_DAY_ID, "date": dates.nearly_full,
                    "capacity": NEARLY_FULL_PLACES}]}))
        created += 1
    return created


async def _history(conn: Conn, dates: DemoDates, on: date) -> str | None:
    """Last month's reservation (both children, Journée and Repas on three Wednesdays),
    accepted; its number, or None when it exists already."""
    reservation_id = history_reservation_id(dates.history_month)
    if await conn.fetchval("SELECT 1 FROM reservations WHERE id = $1", reservation_id):
        return None
    births = demo_birth_dates(on)
    days = history_days(dates.history_month)
    submitted_at = start_of_day(dates.history_month) - timedelta(days=10) + timedelta(hours=18)
    deltas: Deltas = {}
    lines: list[dict[str, Any]] = []
    async with conn.transaction():
        await places.lock_cells(conn, DEMO_PERIOD_WEDNESDAYS_ID,
                                sorted({(u, d) for u in DEMO_HISTORY_UNITS for d in days}))
        for child_id, _, _ in CHILDREN:
            for day in days:
                for unit_id in DEMO_HISTORY_UNITS:
                    young = under_six(births[child_id], day)
                    move(deltas, (unit_id, day), under6=young, places=1)
                    lines.append({"id": history_line_id(child_id, day, unit_id),
                                  "child_id": child_id, "unit_id": unit_id, "day": day,
                                  "state": "accepted", "cancels": None, "under6": young,
                                  "late": False, "queue_seq": None, "comment": None})
        await places.apply_deltas(conn, DEMO_PERIOD_WEDNESDAYS_ID, deltas)
        await submissions.insert_lines(conn, reservation_id=reservation_id,
                                       family_id=DEMO_FAMILY_ID,
                                       period_id=DEMO_PERIOD_WEDNESDAYS_ID, kind="book",
                                       now=submitted_at, lines=lines)
        number = await submissions.next_number(conn, dates.history_month.year)
        await submissions.insert_reservation(
            conn, id=reservation_id, number=number, family_id=DEMO_FAMILY_ID,
            child_id=DEMO_CHILD_LEA_ID, period_id=DEMO_PERIOD_WEDNESDAYS_ID, kind="book",
            state="accepted", all_or_nothing=False, submitted_at=submitted_at,
            submitted_by=SEED.sub)
    return number


async def seed_demo(pool: asyncpg.Pool, *, now: datetime | None = None) -> dict[str, Any]:
    """Write what is missing of the demo data; what it created."""
    now = now or datetime.now(PARIS)
    on = today(now)
    dates = DemoDates.of(on)
    async with pool.acquire() as conn:
        async with conn.transaction():
            await _households(conn, on)
            created: dict[str, Any] = {"catalogue": await _catalogue(conn),
                       "periods": await _periods(conn, dates, now)}
        created["history"] = await _history(conn, dates, on)
    return created
