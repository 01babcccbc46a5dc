"""Debits: planned on the new invoices of families with an active mandate, pre-notified (at
least `sepa_prenotice_days` before), gathered by staff into a month's batch (the pain.008
file), settled as a payment on their day, or returned by the bank (R-code: the invoice is to
pay again, the family told)."""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.billing.fields import PARIS, month_end
from services.billing.payments import repo as payments_repo
from services.billing.payments.service import family_of, locked_dues
from services.billing.sepa import repo
from services.billing.sepa.pain008 import Transaction, pain008
from services.billing.sepa.schemas import (
    RETURN_CODES,
    BatchOut,
    DebitRow,
    MonthDebits,
    ReturnCodeOut,
    ReturnIn,
)
from services.billing.settings import Settings
from services.common.db import Conn
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.common.events.billing import (
    DebitPrenotified,
    DebitRejected,
    PaymentSucceeded,
    SettledInvoice,
)
from services.common.outbox import add_event

log = logging.getLogger(__name__)

PRODUCER = "billing"


@dataclass(frozen=True)
class DebitTerms:
    """When debits are made: the day of the month, and the notice before it."""

    prenotice_days: int = 14
    debit_day: int = 10

    @classmethod
    def of(cls, settings: Settings) -> "DebitTerms":
        return cls(settings.sepa_prenotice_days, settings.sepa_debit_day)


def planned_date(issued_on: date, terms: DebitTerms) -> date:
    """The next debit day; when it leaves less than the notice, the issue day + the notice."""
    day = issued_on.replace(day=terms.debit_day)
    if day < issued_on:
        day = month_end(issued_on).replace(day=terms.debit_day)
    earliest = issued_on + timedelta(days=terms.prenotice_days)
    return max(day, earliest)


async def plan(conn: Conn, invoices: list[tuple[uuid.UUID, uuid.UUID, int]], *,
               issued_on: date, terms: DebitTerms) -> dict[uuid.UUID, date]:
    """Debits for the new invoices (id, family, total) of families with an active mandate, in
    the issuing transaction: the planned day of each invoice debited."""
    planned: dict[uuid.UUID, date] = {}
    on = planned_date(issued_on, terms)
    families = list({family_id for _, family_id, total in invoices if total > 0})
    if not families:
        return planned
    mandates = await repo.active_of_families(conn, families)
    for invoice_id, family_id, total in invoices:
        mandate_id = mandates.get(family_id)
        if mandate_id is None or total <= 0:
            continue
        await repo.insert_debit(conn, debit_id=uuid.uuid4(), invoice_id=invoice_id,
                                family_id=family_id, mandate_id=mandate_id,
                                amount_cents=total, planned_on=on)
        planned[invoice_id] = on
    return planned


async def prenotify_due(conn: Conn, *, settings: Settings, now: datetime | None = None,
                        limit: int = 100) -> int:
    """Send the pre-notification of planned debits not yet notified, exactly once each (the
    row is marked in the same transaction as the outbox event). A debit whose notice would be
    too short now (the job was stopped) moves to today + the notice: never debited sooner."""
    now = now or datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    earliest = today + timedelta(days=settings.sepa_prenotice_days)
    async with conn.transaction():
        rows = await repo.to_prenotify(conn, limit)
        for row in rows:
            planned_on = max(row["planned_on"], earliest)
            await repo.prenotified(conn, row["id"], now, planned_on)
            await add_event(conn, DebitPrenotified(
                debit_id=row["id"], invoice_id=row["invoice_id"], number=row["number"],
                family_id=row["family_id"], email=row["email"],
                amount_cents=row["amount_cents"], planned_on=planned_on, rum=row["rum"],
                ics=settings.sepa_ics, creditor_name=settings.sepa_creditor_name),
                producer=PRODUCER)
    if rows:
        log.info("debits pre-notified", extra={"debits": len(rows)})
    return len(rows)


async def settle_due(conn: Conn, *, today: date | None = None, limit: int = 100) -> int:
    """Batched debits whose day has come are paid: a validated payment « prélèvement »
    settles the invoice like any payment (a later bank return undoes it)."""
    today = today or datetime.now(PARIS).date()
    now = datetime.now(UTC)
    async with conn.transaction():
        rows = await repo.to_settle(conn, today, limit)
        for row in rows:
            dues = await locked_dues(conn, row["family_id"], [row["invoice_id"]])
            amount = min(row["amount_cents"], dues[row["invoice_id"]].due_cents)
            if amount <= 0:  # settled otherwise meanwhile
                await repo.settled(conn, row["id"], None)
                continue
            payment_id = uuid.uuid4()
            await payments_repo.insert_payment(
                conn, payment_id=payment_id, family_id=row["family_id"],
                method="direct_debit", amount_cents=amount, state="validated",
                created_by="prélèvement", shares=[(row["invoice_id"], amount)],
                settled_at=now, reference=row["number"], received_on=row["planned_on"])
            await repo.settled(conn, row["id"], payment_id)
            family = await family_of(conn, row["family_id"])
            await add_event(conn, PaymentSucceeded(
                payment_id=payment_id, family_id=row["family_id"], email=family["email"],
                family_name=family["name"], method="direct_debit", amount_cents=amount,
                paid_at=now, invoices=[SettledInvoice(
                    invoice_id=row["invoice_id"], number=row["number"],
                    amount_cents=amount)]), producer=PRODUCER)
    if rows:
        log.info("debits settled", extra={"debits": len(rows)})
    return len(rows)


# ---- staff: the month's list, the batch and its file, the returns ------------------------------

def label_of(code: str | None) -> str | None:
    return RETURN_CODES.get(code) if code else None


def debit_row(row: Any) -> DebitRow:
    return DebitRow(
        id=row["id"], invoice_id=row["invoice_id"], number=row["number"],
        family_id=row["family_id"], family_name=row["family_name"],
        amount_cents=row["amount_cents"], planned_on=row["planned_on"], state=row["state"],
        prenotified_at=row["prenotified_at"], batch_id=row["batch_id"],
        sequence_type=row["sequence_type"], return_code=row["return_code"],
        return_label=label_of(row["return_code"]), returned_at=row["returned_at"],
        rum=row["rum"], holder=row["holder"], iban_masked=row["iban_masked"],
        mandate_active=row["mandate_active"])


def batch_out(row: Any) -> BatchOut:
    return BatchOut(id=row["id"], month=row["month"], seq=row["seq"],
                    message_id=row["message_id"], created_by=row["created_by"],
                    created_at=row["created_at"], debits=row["debits"],
                    total_cents=row["total_cents"])


async def month_debits(conn: Conn, *, month: date) -> MonthDebits:
    """The month's debits (by planned day), what a batch would take now, its batches."""
    rows = [debit_row(r) for r in await repo.month_debits(conn, month, month_end(month))]
    ready = [d for d in rows if d.state == "planned" and d.prenotified_at is not None
             and d.mandate_active]
    return MonthDebits(
        month=month, debits=rows, to_batch=len(ready),
        to_batch_cents=sum(d.amount_cents for d in ready),
        batches=[batch_out(r) for r in await repo.month_batches(conn, month)],
        return_codes=[ReturnCodeOut(code=c, label=lb) for c, lb in RETURN_CODES.items()])


async def build_batch(conn: Conn, *, month: date, actor: str, settings: Settings) -> BatchOut:
    """The month's pre-notified planned debits (on active mandates) in a new batch and its
    pain.008 file, all or nothing; the amount of each is what remains due on its invoice."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('debit-batch'))")
        rows = await repo.lock_batchable(conn, month, month_end(month))
        if not rows:
            raise Conflict("Aucun prélèvement à transmettre pour ce mois (prévus, "
                           "pré-notifiés, sur un mandat actif).")
        first = await repo.mandates_debited(conn, list({r["mandate_id"] for r in rows}))
        batch_id = uuid.uuid4()
        taken: list[tuple[Any, int, str]] = []
        seen: set[uuid.UUID] = set()
        for row in rows:
            dues = await locked_dues(conn, row["family_id"], [row["invoice_id"]])
            amount = min(row["amount_cents"], dues[row["invoice_id"]].due_cents)
            if amount <= 0:  # paid or credited since: nothing to debit
                await repo.cancel_debit(conn, row["id"])
                continue
            mandate_id = row["mandate_id"]
            sequence = "RCUR" if mandate_id in first or mandate_id in seen else "FRST"
            seen.add(mandate_id)
            taken.append((row, amount, sequence))
        if not taken:
            raise Conflict("Les factures de ces prélèvements sont déjà réglées.")
        details = {r["id"]: r for r in await repo.batch_debits(
            conn, [row["id"] for row, _, _ in taken])}
        transactions = [Transaction(
            end_to_end_id=details[row["id"]]["number"], amount_cents=amount,
            collection_date=row["planned_on"], sequence_type=sequence,
            rum=details[row["id"]]["rum"],
            signed_on=details[row["id"]]["signed_at"].astimezone(PARIS).date(),
            holder=details[row["id"]]["holder"], iban=details[row["id"]]["iban"],
            bic=details[row["id"]]["bic"],
            description=f"{settings.org_service} facture {details[row['id']]['number']}")
            for row, amount, sequence in taken]
        try:
            message_id, xml = pain008(settings, transactions)
        except Exception as exc:  # a file the schema refuses: nothing is batched
            log.error("debit file refused by its schema", extra={"error": type(exc).__name__})
            raise Conflict("Le fichier de prélèvements n'a pas pu être produit. "
                           "Contactez l'assistance.") from None
        seq = await repo.next_batch_seq(conn, month)
        total = sum(amount for _, amount, _ in taken)
        await repo.insert_batch(conn, batch_id=batch_id, month=month, seq=seq,
                                message_id=message_id, created_by=actor, debits=len(taken),
                                total_cents=total, file=xml)
        for row, amount, sequence in taken:
            await repo.batched(conn, row["id"], batch_id, sequence, amount)
        batch = await repo.get_batch(conn, batch_id)
    log.info("debit batch built", extra={"batch_id": str(batch_id), "debits": len(taken)})
    return batch_out(batch)


async def batch_file(conn: Conn, batch_id: uuid.UUID) -> tuple[str, bytes]:
    row = await repo.get_batch(conn, batch_id)
    if row is None:
        raise NotFound()
    name = f"prelevements-{row['month']:%Y-%m}-{row['seq']}.xml"
    return name, bytes(row["file"])


async def record_return(conn: Conn, *, body: ReturnIn, actor: str) -> DebitRow:
    """The bank returned the debit of an invoice: rejected with its R-code; a payment it had
    made no longer counts (the invoice is to pay again); the family is told."""
    now = datetime.now(UTC)
    async with conn.transaction():
        row = await repo.returnable(conn, body.invoice_number.upper())
        if row is None:
            raise ValidationFailed(errors=[{
                "field": "invoice_number",
                "message": "Aucun prélèvement pour cette facture."}])
        if row["state"] not in ("batched", "paid"):
            message = ("Ce prélèvement est déjà enregistré comme rejeté."
                       if row["state"] == "rejected" else
                       "Ce prélèvement n'a pas été transmis à la banque : il ne peut pas être "
                       "rejeté.")
            raise Conflict(message)
        label = RETURN_CODES[body.code]
        if row["payment_id"] is not None:
            await payments_repo.lock_payment(conn, row["payment_id"])
            await repo.payment_returned(conn, row["payment_id"],
                                        f"prélèvement rejeté : {body.code} {label}")
        await repo.returned(conn, row["id"], code=body.code, at=now, by=actor)
        await add_event(conn, DebitRejected(
            debit_id=row["id"], invoice_id=row["invoice_id"], number=row["number"],
            family_id=row["family_id"], email=row["email"], amount_cents=row["amount_cents"],
            return_code=body.code, reason=label), producer=PRODUCER)
        rows = await repo.month_debits(conn, row["planned_on"].replace(day=1),
                                       month_end(row["planned_on"]))
    log.info("debit returned", extra={"debit_id": str(row["id"]), "code": body.code})
    return next(debit_row(r) for r in rows if r["id"] == row["id"])
