"""The monthly invoicing run: a draft of every invoice (the preview), then issuing it.

One invoice per family for the month's billable lines not yet billed; billed lines that are no
longer billable (cancelled in time after their invoice) are credited by credit notes in the
same run. Issuing happens in one transaction under an advisory lock: a second run started at
the same time waits for the first to commit, then drafts again and finds those lines billed —
so it bills only what is left (nothing), and numbers stay gapless (see `numbering`).
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.billing import repo as families_repo
from services.billing.fields import PARIS, month_end
from services.billing.invoicing import numbering
from services.billing.invoicing import repo as invoicing_repo
from services.billing.invoicing.pricing import Price, Tariff, child_ranks, price, tariff_on
from services.billing.sepa import debits as sepa_debits
from services.common.db import Conn
from services.common.events.billing import InvoiceIssued
from services.common.outbox import add_events

PRODUCER = "billing"
# Any constant: one invoicing run at a time per billing database.
RUN_LOCK = 0x42494C4C  # "BILL"
CREDIT_REASON = "Réservations annulées dans les délais après facturation"

MONTH_LINES = """
SELECT l.id, l.family_id, l.child_id, l.child_first_name, l.child_last_name,
       l.child_birth_date, l.date, l.unit_id, l.unit_label, l.establishment_id,
       l.establishment_name, l.state, l.late, (it.id IS NOT NULL) AS billed
FROM lines l LEFT JOIN invoice_items it ON it.line_id = l.id
WHERE l.billable AND l.kind = 'book' AND l.date >= $1 AND l.date < $2
ORDER BY l.family_id, l.child_birth_date, l.child_id, l.establishment_name, l.unit_label, l.date
"""
# Billed days whose line is no longer billable (a booking cancelled in time, after the
# invoice), not credited yet, up to the run's month.
TO_CREDIT = """
SELECT it.id, it.invoice_id, it.price_cents, i.number AS invoice_number, i.family_id,
       i.family_name
FROM lines l
JOIN invoice_items it ON it.line_id = l.id
JOIN invoices i ON i.id = it.invoice_id
WHERE NOT l.billable AND it.date < $1
  AND NOT EXISTS (SELECT 1 FROM credit_note_items c WHERE c.invoice_item_id = it.id)
ORDER BY i.family_name, i.id, it.date
"""
INSERT_RUN = """
INSERT INTO invoicing_runs (id, month, started_by, invoices, credit_notes, total_cents)
VALUES ($1, $2, $3, $4, $5, $6)
"""
INVOICE_COLUMNS = ["id", "number", "year", "seq", "family_id", "month", "run_id", "issued_at",
                   "due_date", "total_cents", "family_name", "email", "address_line1",
                   "address_line2", "postal_code", "city", "qf"]
ITEM_COLUMNS = ["id", "invoice_id", "line_id", "child_id", "child_first_name",
                "child_last_name", "child_birth_date", "date", "establishment_id",
                "establishment_name", "unit_id", "unit_label", "base_price_cents",
                "reduction_percent", "price_cents", "childcare", "late_cancellation"]


@dataclass(frozen=True)
class DraftItem:
    line: asyncpg.Record
    price: Price
    childcare: bool

    @property
    def late_cancellation(self) -> bool:
        return bool(self.line["state"] == "cancelled")


@dataclass
class DraftInvoice:
    family: asyncpg.Record
    items: list[DraftItem] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(item.price.cents for item in self.items)

    @property
    def sort_key(self) -> tuple[str, str]:
        return (str(self.family["name"]), str(self.family["id"]))


@dataclass
class DraftCredit:
    invoice_id: uuid.UUID
    invoice_number: str
    family_id: uuid.UUID
    family_name: str
    items: list[tuple[uuid.UUID, int]] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(amount for _, amount in self.items)


@dataclass
class Unpriced:
    establishment_name: str
    unit_id: uuid.UUID
    unit_label: str
    lines: int
    first_date: date


@dataclass
class Plan:
    month: date
    invoices: list[DraftInvoice]
    credits: list[DraftCredit]
    unpriced: list[Unpriced]

    @property
    def total_cents(self) -> int:
        return sum(invoice.total_cents for invoice in self.invoices)


async def draft(conn: Conn, month: date) -> Plan:
    """What a run for `month` would issue now (reads only)."""
    lines = await conn.fetch(MONTH_LINES, month, month_end(month))
    tariffs: dict[uuid.UUID, list[Tariff]] = defaultdict(list)
    for row in await conn.fetch("SELECT * FROM tariffs ORDER BY unit_id, valid_from"):
        tariffs[row["unit_id"]].append(Tariff.of(row))
    by_family: dict[uuid.UUID, list[asyncpg.Record]] = defaultdict(list)
    for line in lines:
        by_family[line["family_id"]].append(line)
    families = await families_repo.families_by_ids(conn, list(by_family))

    invoices: list[DraftInvoice] = []
    unpriced: dict[uuid.UUID, Unpriced] = {}
    for family_id, family_lines in by_family.items():
        # Ranks among every child with billable lines this month, billed before or not.
        ranks = child_ranks((ln["child_id"], ln["child_birth_date"]) for ln in family_lines)
        family = families.get(family_id)
        invoice = DraftInvoice(family) if family is not None else None
        for line in family_lines:
            if line["billed"]:
                continue
            tariff = tariff_on(tariffs.get(line["unit_id"], []), line["date"])
            if tariff is None or invoice is None:
                gap = unpriced.setdefault(line["unit_id"], Unpriced(
                    line["establishment_name"], line["unit_id"], line["unit_label"], 0,
                    line["date"]))
                gap.lines += 1
                gap.first_date = min(gap.first_date, line["date"])
                continue
            invoice.items.append(DraftItem(
                line, price(tariff, qf=invoice.family["qf"], rank=ranks[line["child_id"]]),
                tariff.childcare))
        if invoice is not None and invoice.items:
            invoices.append(invoice)
    invoices.sort(key=lambda i: i.sort_key)

    credits: dict[uuid.UUID, DraftCredit] = {}
    for row in await conn.fetch(TO_CREDIT, month_end(month)):
        credit = credits.setdefault(row["invoice_id"], DraftCredit(
            row["invoice_id"], row["invoice_number"], row["family_id"], row["family_name"]))
        credit.items.append((row["id"], row["price_cents"]))
    return Plan(month, invoices, list(credits.values()),
                sorted(unpriced.values(), key=lambda u: (u.establishment_name, u.unit_label)))


@dataclass(frozen=True)
class Issued:
    run_id: uuid.UUID
    month: date
    invoices: list[str]
    credit_notes: list[str]
    total_cents: int


async def issue(conn: Conn, *, month: date, actor: str, due_days: int,
                now: datetime | None = None,
                terms: sepa_debits.DebitTerms | None = None) -> Issued:
    """Draft and issue the month's invoices and credit notes, all or nothing; the invoices of
    families with an active SEPA mandate get their debit planned (`terms`)."""
    now = now or datetime.now(UTC)
    local_today = now.astimezone(PARIS).date()
    year = local_today.year
    due_date = local_today + timedelta(days=due_days)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", RUN_LOCK)
        plan = await draft(conn, month)
        run_id = uuid.uuid4()
        await conn.execute(INSERT_RUN, run_id, month, actor, len(plan.invoices),
                           len(plan.credits), plan.total_cents)
        invoice_seqs = await numbering.take(conn, "F", year, len(plan.invoices))
        invoice_rows: list[tuple[Any, ...]] = []
        item_rows: list[tuple[Any, ...]] = []
        events: list[InvoiceIssued] = []
        numbers: list[str] = []
        for draft_invoice, seq in zip(plan.invoices, invoice_seqs, strict=True):
            family = draft_invoice.family
            invoice_id = uuid.uuid4()
            number = numbering.format_number("F", year, seq)
            numbers.append(number)
            invoice_rows.append((
                invoice_id, number, year, seq, family["id"], month, run_id, now, due_date,
                draft_invoice.total_cents, family["name"], family["email"],
                family["address_line1"], family["address_line2"], family["postal_code"],
                family["city"], family["qf"]))
            for item in draft_invoice.items:
                line = item.line
                item_rows.append((
                    uuid.uuid4(), invoice_id, line["id"], line["child_id"],
                    line["child_first_name"], line["child_last_name"],
                    line["child_birth_date"], line["date"], line["establishment_id"],
                    line["establishment_name"], line["unit_id"], line["unit_label"],
                    item.price.base_cents, item.price.reduction_percent, item.price.cents,
                    item.childcare, item.late_cancellation))
            events.append(InvoiceIssued(
                invoice_id=invoice_id, number=number, family_id=family["id"],
                email=family["email"], family_name=family["name"], month=month,
                total_cents=draft_invoice.total_cents, due_date=due_date, issued_at=now))
        if invoice_rows:
            await conn.copy_records_to_table("invoices", records=invoice_rows,
                                             columns=INVOICE_COLUMNS)
            await conn.copy_records_to_table("invoice_items", records=item_rows,
                                             columns=ITEM_COLUMNS)
            debited = await sepa_debits.plan(conn, [(r[0], r[4], r[9]) for r in invoice_rows],
                                             issued_on=local_today,
                                             terms=terms or sepa_debits.DebitTerms())
            # The mail then says the invoice will be debited, not that it is to pay.
            events = [e.model_copy(update={"direct_debit_on": debited[e.invoice_id]})
                      if e.invoice_id in debited else e for e in events]
        credit_numbers = await issue_credits(conn, plan.credits, run_id=run_id, actor=actor,
                                             year=year, now=now)
        await add_events(conn, events, producer=PRODUCER)
    return Issued(run_id, month, numbers, credit_numbers, plan.total_cents)


async def issue_credits(conn: Conn, credits: list[DraftCredit], *, run_id: uuid.UUID | None,
                        actor: str, year: int, now: datetime,
                        reason: str = CREDIT_REASON) -> list[str]:
    """Credit notes for `credits`, numbered in the caller's transaction."""
    seqs = await numbering.take(conn, "A", year, len(credits))
    numbers: list[str] = []
    invoices = {r["id"]: r for r in await invoicing_repo.lock_invoices(
        conn, [c.invoice_id for c in credits])}
    for credit, seq in zip(credits, seqs, strict=True):
        number = numbering.format_number("A", year, seq)
        numbers.append(number)
        await invoicing_repo.insert_credit_note(
            conn, credit_note_id=uuid.uuid4(), number=number, year=year, seq=seq,
            invoice=invoices[credit.invoice_id], run_id=run_id, issued_at=now,
            issued_by=actor, reason=reason, items=credit.items)
    return numbers
