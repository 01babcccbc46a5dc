"""Use cases of payments: an online payment started with the provider and settled only on the
provider's own word (asked server to server), payments recorded by staff, refunds, lists.

Settling is idempotent: the payment row is locked and changed only while still pending, so a
notification, the payer's return, a second notification and the background check may race —
one of them settles, the others find it settled. Nothing is ever settled twice.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import asyncpg

from services.billing import repo as families_repo
from services.billing.fields import PARIS
from services.billing.invoicing import repo as invoicing_repo
from services.billing.payments import repo
from services.billing.payments.payfip import fields as payfip_fields
from services.billing.payments.provider import (
    Outcome,
    PaymentProvider,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
)
from services.billing.payments.schemas import (
    OfflinePaymentIn,
    PaymentOut,
    PaymentPage,
    PaymentQuery,
    Settled,
    Share,
    StaffPaymentQuery,
    StartedOut,
)
from services.billing.sepa import repo as sepa_repo
from services.billing.settings import Settings
from services.common.db import Conn
from services.common.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from services.common.events.billing import PaymentFailed, PaymentSucceeded, SettledInvoice
from services.common.formats import euros
from services.common.outbox import add_event
from services.common.pagination import decode_cursor, page

log = logging.getLogger(__name__)

PRODUCER = "billing"
UNAVAILABLE = ("Le paiement en ligne est momentanément indisponible. Veuillez réessayer plus "
               "tard, ou régler auprès du service.")
IN_PROGRESS = ("Un paiement en ligne de cette facture est déjà en cours. Attendez son résultat "
               "(quelques minutes) avant de recommencer.")
# A payment left without an operation id (the process stopped between our commit and the
# provider's answer) is given up after this long.
NOT_STARTED_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Payments:
    """What the payment use cases work with: the pool, the provider, the settings."""

    pool: asyncpg.Pool
    provider: PaymentProvider
    settings: Settings


def payment_out(row: Any) -> PaymentOut:
    return PaymentOut(
        id=row["id"], family_id=row["family_id"], method=row["method"], state=row["state"],
        amount_cents=row["amount_cents"], created_at=row["created_at"],
        settled_at=row["settled_at"], reference=row["reference"],
        received_on=row["received_on"], provider=row["provider"], refdet=row["refdet"],
        outcome=row["outcome"], invoices=[Settled(**i) for i in row["invoices"]])


async def read_payment(conn: Conn, payment_id: uuid.UUID, *, family_id: uuid.UUID | None
                       ) -> PaymentOut:
    row = await repo.get_payment(conn, payment_id)
    if row is None or (family_id is not None and row["family_id"] != family_id):
        raise NotFound()
    return payment_out(row)


async def family_payments(conn: Conn, *, family_id: uuid.UUID, query: PaymentQuery
                          ) -> PaymentPage:
    after = decode_cursor(query.cursor, [datetime, uuid.UUID])
    rows: list[Any] = await repo.family_payments(conn, family_id, state=query.state,
                                                 after=after, limit=query.limit)
    items, cursor = page(rows, query.limit, key=lambda r: (r["created_at"], r["id"]))
    return PaymentPage(items=[payment_out(r) for r in items], next_cursor=cursor)


async def all_payments(conn: Conn, *, query: StaffPaymentQuery) -> PaymentPage:
    after = decode_cursor(query.cursor, [datetime, uuid.UUID])
    rows: list[Any] = await repo.all_payments(conn, family_id=query.family_id,
                                              state=query.state, after=after,
                                              limit=query.limit)
    items, cursor = page(rows, query.limit, key=lambda r: (r["created_at"], r["id"]))
    return PaymentPage(items=[payment_out(r) for r in items], next_cursor=cursor)


# ---- what a payment settles ------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    invoice_id: uuid.UUID
    number: str
    due_cents: int


async def locked_dues(conn: Conn, family_id: uuid.UUID, invoice_ids: list[uuid.UUID]
                      ) -> dict[uuid.UUID, Due]:
    """The family's invoices among `invoice_ids`, locked, with what remains due on each
    (another family's invoice: 404, as if it did not exist)."""
    locked = await invoicing_repo.lock_invoices(conn, invoice_ids)
    if len(locked) != len(set(invoice_ids)) or any(r["family_id"] != family_id
                                                   for r in locked):
        raise NotFound()
    dues: dict[uuid.UUID, Due] = {}
    for row in await invoicing_repo.invoices_by_ids(conn, invoice_ids):
        due = row["total_cents"] - row["credited_cents"] - row["paid_cents"]
        dues[row["id"]] = Due(row["id"], row["number"], max(due, 0))
    return dues


def shares_of(wanted: list[Share], dues: dict[uuid.UUID, Due]) -> list[tuple[Due, int]]:
    """How much of each invoice: as asked, or all that remains; never more than remains."""
    shares: list[tuple[Due, int]] = []
    errors: list[dict[str, str]] = []
    for index, share in enumerate(wanted):
        due = dues[share.invoice_id]
        if due.due_cents == 0:
            raise Conflict(f"La facture {due.number} n'a plus rien à régler.")
        amount = share.amount_cents if share.amount_cents is not None else due.due_cents
        if amount > due.due_cents:
            errors.append({"field": f"invoices.{index}.amount_cents",
                           "message": f"Le montant dépasse le reste à payer de la facture "
                                      f"{due.number}."})
        shares.append((due, amount))
    if errors:
        raise ValidationFailed(errors=errors)
    return shares


def settled(shares: list[tuple[Due, int]]) -> list[SettledInvoice]:
    return [SettledInvoice(invoice_id=d.invoice_id, number=d.number, amount_cents=a)
            for d, a in shares]


def settled_of(row: Any) -> list[SettledInvoice]:
    return [SettledInvoice(**i) for i in row["invoices"]]


async def family_of(conn: Conn, family_id: uuid.UUID) -> asyncpg.Record:
    family = await families_repo.get_family(conn, family_id)
    if family is None:
        raise NotFound()
    return family


# ---- online payments -------------------------------------------------------------------

async def start_online(payments: Payments, *, family_id: uuid.UUID, wanted: list[Share],
                       actor: str) -> StartedOut:
    """Store the payment (en cours), register it with the provider, and say where the payer
    goes. The provider is called outside any transaction."""
    settings = payments.settings
    payment_id = uuid.uuid4()
    reference = payfip_fields.refdet_of(payment_id)
    now = datetime.now(UTC)
    async with payments.pool.acquire() as conn:
        async with conn.transaction():
            dues = await locked_dues(conn, family_id, [s.invoice_id for s in wanted])
            busy = await repo.in_progress(conn, list(dues), now - timedelta(
                minutes=settings.payment_pending_block_minutes))
            if busy:
                raise Conflict(IN_PROGRESS)
            debiting = await sepa_repo.debiting(conn, list(dues))
            if debiting:
                raise Conflict(f"La facture {debiting[0]} est en cours de prélèvement "
                               "automatique : elle sera réglée par ce prélèvement.")
            shares = shares_of(wanted, dues)
            total = sum(amount for _, amount in shares)
            family = await family_of(conn, family_id)
            try:
                payfip_fields.check_montant(total)
                email = payfip_fields.check_mel(family["email"])
            except payfip_fields.FieldRefused as refused:
                raise ValidationFailed(str(refused), errors=[
                    {"field": "amount_cents" if refused.field == "montant" else "email",
                     "message": str(refused)}]) from None
            await repo.insert_payment(
                conn, payment_id=payment_id, family_id=family_id, method="online",
                amount_cents=total, state="pending", created_by=actor,
                shares=[(d.invoice_id, a) for d, a in shares], provider=payments.provider.name,
                refdet=reference, payer_email=email)
        numbers = " ".join(d.number for d, _ in shares)
        label = f"{settings.org_service} facture{'s' if len(shares) > 1 else ''} {numbers}"
        request = PaymentRequest(
            payment_id=payment_id, reference=reference, amount_cents=total, email=email,
            label=label, year=now.astimezone(PARIS).year, notify_url=settings.notify_url,
            return_url=settings.return_url(str(payment_id)))
        try:
            started = await payments.provider.start(request)
        except (ProviderUnavailable, ProviderRefused, payfip_fields.FieldRefused) as exc:
            if not isinstance(exc, ProviderUnavailable):
                log.error("provider refused to start a payment", extra={
                    "payment_id": str(payment_id), "error": str(exc)})
            await repo.settle(conn, payment_id, state="cancelled", settled_at=now,
                              outcome=f"non démarré : {exc}")
            raise ServiceUnavailable(UNAVAILABLE) from exc
        await repo.started(conn, payment_id, started.operation_id, now + timedelta(
            seconds=settings.payment_first_check_seconds))
        log.info("online payment started", extra={"payment_id": str(payment_id),
                                                  "amount_cents": total})
        return StartedOut(payment=await read_payment(conn, payment_id, family_id=family_id),
                          redirect_url=started.redirect_url)


async def verify_operation(payments: Payments, operation_id: str) -> uuid.UUID | None:
    """A notification (or a return) named this operation: ask the provider (never believe
    the caller). None when the operation is not one of ours."""
    async with payments.pool.acquire() as conn:
        payment_id = await repo.by_operation(conn, operation_id)
    if payment_id is None:
        log.warning("notification for an unknown operation", extra={
            "operation_id": operation_id[:64]})
        return None
    await verify(payments, payment_id=payment_id)
    return payment_id


async def verify(payments: Payments, *, payment_id: uuid.UUID) -> None:
    """Ask the provider how the payment stands and settle it when it is final."""
    async with payments.pool.acquire() as conn:
        row = await repo.get_payment(conn, payment_id)
    if row is None or row["state"] != "pending" or row["method"] != "online":
        return
    now = datetime.now(UTC)
    if row["operation_id"] is None:
        if row["created_at"] < now - NOT_STARTED_AFTER:
            async with payments.pool.acquire() as conn:
                await repo.settle(conn, payment_id, state="cancelled", settled_at=now,
                                  outcome="non démarré")
        return
    try:
        outcome = await payments.provider.outcome(row["operation_id"])
    except ProviderUnavailable:
        return  # the background check asks again later
    async with payments.pool.acquire() as conn, conn.transaction():
        locked = await repo.lock_payment(conn, payment_id)
        if locked is None or locked["state"] != "pending":
            return  # settled meanwhile by another check: never twice
        await apply(conn, locked, row, outcome, settings=payments.settings, now=now)


FailReason = Literal["refused", "abandoned", "expired"]


async def apply(conn: Conn, locked: Any, row: Any, outcome: Outcome, *, settings: Settings,
                now: datetime) -> None:
    """Settle a locked pending payment with the provider's answer."""
    payment_id = locked["id"]
    if outcome.status == "unknown":
        expiry = timedelta(minutes=settings.payment_expire_minutes)
        if locked["created_at"] < now - expiry:
            await fail(conn, locked, row, "expired", outcome, now=now)
        return
    if outcome.status == "expired":
        await fail(conn, locked, row, "expired", outcome, now=now)
        return
    mismatches = [name for name, ours, theirs in (
        ("montant", locked["amount_cents"], outcome.amount_cents),
        ("refdet", locked["refdet"], outcome.reference),
        ("numcli", settings.payfip_numcli, outcome.client)) if ours != theirs]
    if mismatches:
        log.error("payment detail does not match the payment: refused", extra={
            "payment_id": str(payment_id), "fields": mismatches, "result": outcome.result})
        await repo.settle(conn, payment_id, state="refused", settled_at=now,
                          outcome="anomalie : " + ", ".join(mismatches) + " différent(s)",
                          provider_result=outcome.result)
        return
    if outcome.status == "validated":
        paid_at = outcome.paid_at or now
        await repo.settle(conn, payment_id, state="validated", settled_at=paid_at,
                          outcome="payé", provider_result=outcome.result,
                          authorisation=outcome.authorisation)
        family = await family_of(conn, locked["family_id"])
        await add_event(conn, PaymentSucceeded(
            payment_id=payment_id, family_id=locked["family_id"], email=family["email"],
            family_name=family["name"], method="online", amount_cents=locked["amount_cents"],
            paid_at=paid_at, invoices=settled_of(row)), producer=PRODUCER)
        log.info("online payment validated", extra={"payment_id": str(payment_id)})
        return
    await fail(conn, locked, row, "refused" if outcome.status == "refused" else "abandoned",
               outcome, now=now)


async def fail(conn: Conn, locked: Any, row: Any, reason: FailReason, outcome: Outcome, *,
               now: datetime) -> None:
    state = "refused" if reason == "refused" else "cancelled"
    labels = {"refused": "refusé", "abandoned": "abandonné", "expired": "expiré"}
    await repo.settle(conn, locked["id"], state=state, settled_at=now, outcome=labels[reason],
                      provider_result=outcome.result)
    family = await family_of(conn, locked["family_id"])
    await add_event(conn, PaymentFailed(
        payment_id=locked["id"], family_id=locked["family_id"], email=family["email"],
        family_name=family["name"], amount_cents=locked["amount_cents"], reason=reason,
        invoices=settled_of(row)), producer=PRODUCER)
    log.info("online payment failed", extra={"payment_id": str(locked["id"]), "reason": reason})


# ---- payments recorded by staff --------------------------------------------------------

async def record_offline(conn: Conn, *, family_id: uuid.UUID, body: OfflinePaymentIn,
                         actor: str) -> PaymentOut:
    """A payment received at the desk: validated at once, settling the invoices named (or the
    oldest ones first)."""
    now = datetime.now(UTC)
    async with conn.transaction():
        family = await family_of(conn, family_id)
        if body.invoices is not None:
            dues = await locked_dues(conn, family_id, [s.invoice_id for s in body.invoices])
            shares = shares_of(body.invoices, dues)
            if sum(a for _, a in shares) != body.amount_cents:
                raise ValidationFailed(errors=[{
                    "field": "amount_cents",
                    "message": "Le montant reçu doit être la somme des montants répartis sur "
                               "les factures."}])
        else:
            shares = await oldest_first(conn, family_id, body.amount_cents)
        payment_id = uuid.uuid4()
        await repo.insert_payment(
            conn, payment_id=payment_id, family_id=family_id, method=body.method,
            amount_cents=body.amount_cents, state="validated", created_by=actor,
            shares=[(d.invoice_id, a) for d, a in shares], settled_at=now,
            reference=body.reference, received_on=body.received_on)
        await add_event(conn, PaymentSucceeded(
            payment_id=payment_id, family_id=family_id, email=family["email"],
            family_name=family["name"], method=body.method, amount_cents=body.amount_cents,
            paid_at=now, invoices=settled(shares)), producer=PRODUCER)
        log.info("payment recorded", extra={"payment_id": str(payment_id),
                                            "method": body.method})
        return await read_payment(conn, payment_id, family_id=None)


async def oldest_first(conn: Conn, family_id: uuid.UUID, amount: int) -> list[tuple[Due, int]]:
    rows = await invoicing_repo.family_open_invoices(conn, family_id)
    dues = await locked_dues(conn, family_id, [r["id"] for r in rows]) if rows else {}
    shares: list[tuple[Due, int]] = []
    left = amount
    for row in rows:
        due = dues[row["id"]]
        if left == 0:
            break
        if due.due_cents > 0:
            take = min(due.due_cents, left)
            shares.append((due, take))
            left -= take
    if left > 0:
        raise ValidationFailed(errors=[{
            "field": "amount_cents",
            "message": "Le montant dépasse ce que la famille doit encore "
                       f"({euros(sum(d.due_cents for d in dues.values()))})."}])
    return shares


async def refund(conn: Conn, *, payment_id: uuid.UUID, reason: str) -> PaymentOut:
    async with conn.transaction():
        locked = await repo.lock_payment(conn, payment_id)
        if locked is None:
            raise NotFound()
        if not await repo.refund(conn, payment_id, reason):
            raise Conflict("Seul un paiement validé peut être remboursé.")
        log.info("payment refunded", extra={"payment_id": str(payment_id)})
        return await read_payment(conn, payment_id, family_id=None)
