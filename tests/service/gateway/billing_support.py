"""Set-up for the billing pages' tests: a family's bookings and invoice written through the
billing service's own code (its read models and its invoicing run), months of their own."""

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg

from services.billing import repo as read_models
from services.billing.invoicing import run
from services.billing.seed import DEMO_FAMILY
from services.common import keys as common_keys
from services.common.demo import (
    DEMO_ALSH_ID,
    DEMO_FAMILY_ID,
    DEMO_UNIT_ALSH_DAY_ID,
)
from tests.e2e.stack import Stack

_MONTHS = itertools.count()


def fresh_month() -> date:
    """A month nobody else of this stack bills (from January 2045 on)."""
    index = next(_MONTHS)
    return date(2045 + index // 12, index % 12 + 1, 1)


def billing_db(stack: Stack) -> asyncpg.Pool:
    pool: asyncpg.Pool = stack.app("billing")[common_keys.DB]
    return pool


@dataclass
class Billed:
    family_id: uuid.UUID
    month: date
    invoice_id: uuid.UUID | None = None
    number: str | None = None


async def book(stack: Stack, family_id: uuid.UUID, *, name: str, email: str, days: int = 2,
               month: date | None = None) -> Billed:
    """`days` accepted days at the demo leisure centre for the family's child in a month of
    its own, as billing's read models hold them after the reservations events."""
    month = month or fresh_month()
    child_id = uuid.uuid5(family_id, "child")
    async with billing_db(stack).acquire() as conn:
        await read_models.upsert_family(conn, {
            **DEMO_FAMILY, "id": family_id, "name": name, "email": email,
            "entity_version": 0})
        for offset in range(days):
            day = month + timedelta(days=offset)
            await read_models.upsert_line(conn, line(family_id, child_id, day))
    return Billed(family_id, month)


def line(family_id: uuid.UUID, child_id: uuid.UUID, day: date) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "reservation_id": uuid.uuid5(family_id, f"r:{day:%Y-%m}"),
        "reservation_number": f"R-{day.year}-000001", "family_id": family_id,
        "child_id": child_id, "child_first_name": "Jules", "child_last_name": "Testeur",
        "child_birth_date": date(2019, 3, 4), "date": day, "unit_id": DEMO_UNIT_ALSH_DAY_ID,
        "unit_label": "Journée", "establishment_id": DEMO_ALSH_ID,
        "establishment_name": "Accueil de loisirs Les Pins", "kind": "book",
        "state": "accepted", "late": False, "billable": True, "entity_version": 0}


async def invoiced(stack: Stack, family_id: uuid.UUID, *, name: str, email: str,
                   days: int = 2) -> Billed:
    """The family's bookings of a month of its own, invoiced by billing's run."""
    billed = await book(stack, family_id, name=name, email=email, days=days)
    async with billing_db(stack).acquire() as conn:
        issued = await run.issue(conn, month=billed.month, actor="test-setup", due_days=30)
        row = await conn.fetchrow("SELECT id, number FROM invoices WHERE number = $1",
                                  issued.invoices[0])
    billed.invoice_id, billed.number = row["id"], row["number"]
    return billed


async def demo_invoice(stack: Stack) -> asyncpg.Record:
    async with billing_db(stack).acquire() as conn:
        row: asyncpg.Record = await conn.fetchrow(
            "SELECT id, number, total_cents FROM invoices WHERE family_id = $1 "
            "ORDER BY issued_at LIMIT 1", DEMO_FAMILY_ID)
    return row


async def counts(stack: Stack) -> dict[str, int]:
    """Rows of what the pages may write: nothing changes on a refused form."""
    async with billing_db(stack).acquire() as conn:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}")
                for t in ("invoices", "credit_notes", "payments", "invoicing_runs",
                          "pes_batches")}
