"""Demo data (SPEC §9): tariffs by QF for every demo unit, and an issued invoice for the demo
family (its last month's bookings), partly paid."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.billing import repo as read_models
from services.billing.invoicing import repo as invoicing_repo
from services.billing.invoicing import run
from services.billing.settings import Settings
from services.common.demo import (
    DEMO_CATALOGUE,
    DEMO_CHILD_HUGO_ID,
    DEMO_CHILD_LEA_ID,
    DEMO_FAMILY_ID,
    DEMO_PARENT_EMAIL,
    DEMO_UNIT_ALSH_DAY_ID,
    DEMO_UNIT_ALSH_MEAL_ID,
)

SEED_ACTOR = "seed-demo"
DEMO_IDS = uuid.UUID("9b5d3f1a-0c2e-4a6b-8d7f-1e3c5a7b9d00")
# Price per bracket (≤ 450, 451–900, > 900), sibling reduction, childcare: by unit label.
PRICES: dict[str, tuple[tuple[int, int, int], int, bool]] = {
    "Journée": ((800, 1200, 1600), 10, True),
    "Matin": ((450, 650, 850), 10, True),
    "Après-midi": ((450, 650, 850), 10, True),
    "Midi (repas)": ((320, 360, 400), 0, False),
    "Soir": ((180, 240, 300), 10, True),
}
PERISCOLAIRE_MORNING = (120, 160, 200)


def demo_tariffs() -> list[dict[str, Any]]:
    tariffs = []
    for establishment_id, name, kind, units in DEMO_CATALOGUE:
        for unit_id, _, label in units:
            prices, reduction, childcare = PRICES[label]
            if kind == "periscolaire" and label == "Matin":
                prices = PERISCOLAIRE_MORNING
            tariffs.append({
                "establishment_id": establishment_id, "establishment_name": name,
                "unit_id": unit_id, "unit_label": label, "valid_from": date(2000, 1, 1),
                "brackets": [{"qf_max": 450, "price_cents": prices[0]},
                             {"qf_max": 900, "price_cents": prices[1]},
                             {"qf_max": None, "price_cents": prices[2]}],
                "sibling_reduction_percent": reduction, "childcare": childcare})
    return tariffs


def born(years: int, months: int, *, on: date) -> date:
    """A birth date `years` and `months` before `on` (as the families demo seeds it)."""
    month_index = on.year * 12 + on.month - 1 - years * 12 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(on.day, 28))


def demo_lines(month: date, today: date) -> list[dict[str, Any]]:
    """The demo children's Wednesdays at the leisure centre last month, with lunch."""
    children = [(DEMO_CHILD_LEA_ID, "Léa", born(5, 4, on=today)),
                (DEMO_CHILD_HUGO_ID, "Hugo", born(9, 2, on=today))]
    (alsh_id, alsh_name, _, units) = DEMO_CATALOGUE[0]
    labels = {unit_id: label for unit_id, _, label in units}
    wednesdays = [month + timedelta(days=d) for d in range(31)
                  if (month + timedelta(days=d)).month == month.month
                  and (month + timedelta(days=d)).weekday() == 2][:3]
    lines = []
    for child_id, first_name, birth_date in children:
        for day in wednesdays:
            for unit_id in (DEMO_UNIT_ALSH_DAY_ID, DEMO_UNIT_ALSH_MEAL_ID):
                lines.append({
                    "id": uuid.uuid5(DEMO_IDS, f"line:{child_id}:{day}:{unit_id}"),
                    "reservation_id": uuid.uuid5(DEMO_IDS, f"reservation:{month}"),
                    "reservation_number": f"R-{month.year}-000001", "family_id": DEMO_FAMILY_ID,
                    "child_id": child_id, "child_first_name": first_name,
                    "child_last_name": "Martin", "child_birth_date": birth_date, "date": day,
                    "unit_id": unit_id, "unit_label": labels[unit_id],
                    "establishment_id": alsh_id, "establishment_name": alsh_name,
                    "kind": "book", "state": "accepted", "late": False, "billable": True,
                    "entity_version": 0})
    return lines


DEMO_FAMILY = {
    "id": DEMO_FAMILY_ID, "name": "Famille Martin", "email": DEMO_PARENT_EMAIL,
    "address_line1": "12 rue des Oliviers", "address_line2": None, "postal_code": "34800",
    "city": "Clermont-l'Hérault", "qf": 620, "entity_version": 0,
}
HAS_INVOICE = "SELECT id FROM invoices WHERE family_id = $1 ORDER BY issued_at LIMIT 1"
HAS_LINES = "SELECT 1 FROM lines WHERE family_id = $1 AND billable AND date < $2 LIMIT 1"


async def seed_demo(pool: asyncpg.Pool, settings: Settings) -> dict[str, Any]:
    """Idempotent: tariffs missing are added; the demo invoice is issued once."""
    created: dict[str, Any] = {"tariffs": 0, "invoice": None}
    async with pool.acquire() as conn:
        for tariff in demo_tariffs():
            if await invoicing_repo.insert_tariff(conn, uuid.uuid4(), tariff) is not None:
                created["tariffs"] += 1
        if await conn.fetchval(HAS_INVOICE, DEMO_FAMILY_ID) is not None:
            return created
        today = datetime.now(UTC).date()
        month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        async with conn.transaction():
            # What families' own event tells, unless it came already (version 0 never wins).
            if await read_models.get_family(conn, DEMO_FAMILY_ID) is None:
                await read_models.upsert_family(conn, DEMO_FAMILY)
            if await conn.fetchval(HAS_LINES, DEMO_FAMILY_ID, today) is None:
                for line in demo_lines(month, today):
                    await read_models.upsert_line(conn, line)
        issued = await run.issue(conn, month=month, actor=SEED_ACTOR,
                                 due_days=settings.due_days)
        created["invoice"] = issued.invoices[0] if issued.invoices else None
    return created
