"""Identifiers shared by the demo seeds of several services (SPEC §9), so they agree."""

import uuid
from datetime import date, timedelta

import holidays

DEMO_FAMILY_ID = uuid.UUID("5f1c0a2e-7d4b-4c61-9a53-0d6f2b8e4a11")
DEMO_PARENT_EMAIL = "parent.demo@example.org"
# The second household of separated parents (SPEC §7b): Hugo's father's, with its own account,
# address and QF, sharing Hugo with the Martin family in alternate weeks.
DEMO_FAMILY2_ID = uuid.UUID("5f1c0a2e-7d4b-4c61-9a53-0d6f2b8e4a12")
DEMO_PARENT2_EMAIL = "parent2.demo@example.org"
DEMO_AGENT_EMAIL = "agent.demo@example.org"
DEMO_AGENT_NAME = "Sophie Agent (démo)"
DEMO_PASSWORD = "demo-portail-2026"  # noqa: S105 - published demo password, development only
# The demo family's children (families seeds them; reservations and billing may refer to them).
DEMO_CHILD_LEA_ID = uuid.UUID("0b6f3c2d-1e8a-4f57-b9c4-6a2d7e5f1c01")  # 5 years old, GS
DEMO_CHILD_HUGO_ID = uuid.UUID("0b6f3c2d-1e8a-4f57-b9c4-6a2d7e5f1c02")  # 9 years old, CM1

# The demo catalogue: reservations seeds these establishments and units, billing prices them.
# (establishment id, establishment name, kind, [(unit id, code, label)…])
DEMO_ALSH_ID = uuid.UUID("3d0c8f6e-52a1-4c7b-9e2f-7a1b4c6d8e01")
DEMO_PERI_ID = uuid.UUID("3d0c8f6e-52a1-4c7b-9e2f-7a1b4c6d8e02")
DEMO_UNIT_ALSH_DAY_ID = uuid.UUID("3d0c8f6e-52a1-4c7b-9e2f-7a1b4c6d8f11")
DEMO_UNIT_ALSH_MORNING_ID = uuid.UUID("3d0c8f6e-52a1-4c7b-9e2f-7a1b4c6d8f12")
DEMO_UNIT_ALSH_AFTERNOON_ID = uuid.UUID("3d0c8f6e-52a1-4c7b-9e2f-7a1b4c6d8f13")
DEMO_UNIT_ALSH_MEAL_ID = uuid.UUID("3d0c8f6e-52a1-4c7b-9e2f-7a1b4c6d8f14")
DEMO_UNIT_PERI_MORNING_ID = uuid.UUID("3d0c8f6e-52a1-4c7b-9e2f-7a1b4c6d8f21")
DEMO_UNIT_PERI_MEAL_ID = uuid.UUID("3d0c8f6e-52a1-4c7b-9e2f-7a1b4c6d8f22")
DEMO_UNIT_PERI_EVENING_ID = uuid.UUID("3d0c8f6e-52a1-4c7b-9e2f-7a1b4c6d8f23")
DEMO_CATALOGUE: list[tuple[uuid.UUID, str, str, list[tuple[uuid.UUID, str, str]]]] = [
    (DEMO_ALSH_ID, "Accueil de loisirs Les Pins", "accueil_de_loisirs", [
        (DEMO_UNIT_ALSH_DAY_ID, "journee", "Journée"),
        (DEMO_UNIT_ALSH_MORNING_ID, "matin", "Matin"),
        (DEMO_UNIT_ALSH_AFTERNOON_ID, "apres_midi", "Après-midi"),
        (DEMO_UNIT_ALSH_MEAL_ID, "midi", "Midi (repas)"),
    ]),
    (DEMO_PERI_ID, "Périscolaire école Jules Ferry", "periscolaire", [
        (DEMO_UNIT_PERI_MORNING_ID, "matin", "Matin"),
        (DEMO_UNIT_PERI_MEAL_ID, "midi", "Midi (repas)"),
        (DEMO_UNIT_PERI_EVENING_ID, "soir", "Soir"),
    ]),
]

# The demo family's history (reservations seeds it, billing invoices it): the first three
# Wednesdays of last month that are not public holidays, both children, Journée and lunch at the
# leisure centre, in one reservation. Ids derive from this namespace so both services agree.
DEMO_HISTORY_IDS = uuid.UUID("9b5d3f1a-0c2e-4a6b-8d7f-1e3c5a7b9d00")
DEMO_HISTORY_UNITS = (DEMO_UNIT_ALSH_DAY_ID, DEMO_UNIT_ALSH_MEAL_ID)


def born(years: int, months: int, *, on: date) -> date:
    """A birth date `years` and `months` before `on` (so the demo ages stay right whenever the
    seeds run)."""
    month_index = on.year * 12 + on.month - 1 - years * 12 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(on.day, 28))


def demo_birth_dates(on: date) -> dict[uuid.UUID, date]:
    return {DEMO_CHILD_LEA_ID: born(5, 4, on=on), DEMO_CHILD_HUGO_ID: born(9, 2, on=on)}


def history_month(on: date) -> date:
    """The first day of the month before `on`."""
    return (on.replace(day=1) - timedelta(days=1)).replace(day=1)


def history_days(month: date) -> list[date]:
    """The first three Wednesdays of `month` that are not French public holidays."""
    closed = holidays.country_holidays("FR", years=month.year)
    days = [month + timedelta(days=d) for d in range(31)]
    return [d for d in days if d.month == month.month and d.isoweekday() == 3
            and d not in closed][:3]


def demo_holidays(on: date) -> tuple[date, date, date]:
    """The demo's school holidays seen from `on`: (first day, a Monday at least three weeks
    ahead; last day, the Friday of the following week; the first open Tuesday, where the demo
    leaves one place)."""
    start = on + timedelta(days=21)
    start += timedelta(days=(7 - start.weekday()) % 7)
    closed = holidays.country_holidays("FR", years=[start.year, start.year + 1])
    tuesday = start + timedelta(days=1)
    while tuesday in closed:
        tuesday += timedelta(days=7)
    return start, start + timedelta(days=11), tuesday


def hugo_even_weeks_household(on: date) -> uuid.UUID:
    """Hugo lives alternate weeks with each household; the Martin family has the week of the
    holidays' nearly full Tuesday (the demo's walk-through books it), Lodève the other one —
    so the demo tells the same story whatever the day the seeds run."""
    _, _, tuesday = demo_holidays(on)
    return DEMO_FAMILY_ID if tuesday.isocalendar().week % 2 == 0 else DEMO_FAMILY2_ID


def hugo_household(day: date, *, seeded_on: date) -> uuid.UUID:
    """The household that has Hugo on `day` (the seeds having run on `seeded_on`)."""
    even = hugo_even_weeks_household(seeded_on)
    odd = DEMO_FAMILY2_ID if even == DEMO_FAMILY_ID else DEMO_FAMILY_ID
    return even if day.isocalendar().week % 2 == 0 else odd


def history_reservation_id(month: date) -> uuid.UUID:
    return uuid.uuid5(DEMO_HISTORY_IDS, f"reservation:{month}")


def history_line_id(child_id: uuid.UUID, day: date, unit_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(DEMO_HISTORY_IDS, f"line:{child_id}:{day}:{unit_id}")
