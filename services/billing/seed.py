"""Demo data (SPEC §9): tariffs by QF for every demo unit, and an issued invoice for the demo
family (its last month's bookings), partly paid by a cheque recorded at the desk (the rest is
for the parent to pay online)."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.billing import repo as read_models
from services.billing.invoicing import repo as invoicing_repo
from services.billing.invoicing import run
from services.billing.payments import service as payments
from services.billing.payments.schemas import OfflinePaymentIn
from services.billing.settings import Settings
from services.common.demo import (
    DEMO_CATALOGUE,
    DEMO_CHILD_HUGO_ID,
    DEMO_CHILD_LEA_ID,
    DEMO_FAMILY_ID,
    DEMO_HISTORY_UNITS,
    DEMO_PARENT_EMAIL,
    demo_birth_dates,
    history_days,
    history_line_id,
    history_month,
    history_reservation_id,
)

SEED_ACTOR = "seed-demo"
# The demo cheque: part of the demo invoice, received at the desk.
DEMO_CHEQUE_CENTS = 3000
DEMO_CHEQUE_REFERENCE = "Chèque n° 1234567"
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


def demo_lines(month: date, today: date) -> list[dict[str, Any]]:
    """The demo children's history at the leisure centre last month (services/common/demo.py:
    the lines reservations seeds too, with the same ids)."""
    births = demo_birth_dates(today)
    children = [(DEMO_CHILD_LEA_ID, "Léa"), (DEMO_CHILD_HUGO_ID, "Hugo")]
    (alsh_id, alsh_name, _, units) = DEMO_CATALOGUE[0]
    labels = {unit_id: label for unit_id, _, label in units}
    lines = []
    for child_id, first_name in children:
        for day in history_days(month):
            for unit_id in DEMO_HISTORY_UNITS:
                lines.append({
                    "id": history_line_id(child_id, day, unit_id),
                    "reservation_id": history_reservation_id(month),
                    "reservation_number": f"R-{month.year}-000001", "family_id": DEMO_FAMILY_ID,
                    "child_id": child_id, "child_first_name": first_name,
                    "child_last_name": "Martin", "child_birth_date": births[child_id],
                    "date": day, "unit_id": unit_id, "unit_label": labels[unit_id],
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
    created: dict[str, Any] = {"tariffs": 0, "invoice": None, "payment": None}
    async with pool.acquire() as conn:
        for tariff in demo_tariffs():
            if await invoicing_repo.insert_tariff(conn, uuid.uuid4(), tariff) is not None:
                created["tariffs"] += 1
        if await conn.fetchval(HAS_INVOICE, DEMO_FAMILY_ID) is not None:
            return created
        today = datetime.now(UTC).date()
        month = history_month(today)
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
        if issued.invoices:
            payment = await payments.record_offline(conn, family_id=DEMO_FAMILY_ID, body=(
                OfflinePaymentIn(method="cheque", amount_cents=DEMO_CHEQUE_CENTS,
                                 received_on=today, reference=DEMO_CHEQUE_REFERENCE)),
                actor=SEED_ACTOR)
            created["payment"] = str(payment.id)
    return created
