"""Use cases of tariffs, invoicing runs, invoices and credit notes."""

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.billing import repo as families_repo
from services.billing.fields import PARIS, today
from services.billing.invoicing import repo, run, views
from services.billing.invoicing.schemas import (
    Balance,
    BracketOut,
    CreditNoteIn,
    CreditNoteOut,
    DraftCredit,
    DraftInvoice,
    InvoiceOut,
    InvoicePage,
    InvoicePayment,
    InvoiceQuery,
    InvoiceSummary,
    PreviewOut,
    RunOut,
    StaffInvoiceQuery,
    TariffIn,
    TariffList,
    TariffOut,
    Unpriced,
)
from services.billing.schemas import Address
from services.billing.sepa.debits import DebitTerms
from services.common.db import Conn
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.common.pagination import decode_cursor, encode_cursor, page

log = logging.getLogger(__name__)

TARIFF_TAKEN = "Cette unité a déjà un tarif en vigueur à partir de cette date."


# ---- tariffs ---------------------------------------------------------------------------

def tariff_out(row: Any) -> TariffOut:
    return TariffOut(
        id=row["id"], establishment_id=row["establishment_id"],
        establishment_name=row["establishment_name"], unit_id=row["unit_id"],
        unit_label=row["unit_label"], valid_from=row["valid_from"],
        brackets=[BracketOut(**b) for b in row["brackets"]],
        sibling_reduction_percent=row["sibling_reduction_percent"],
        childcare=row["childcare"], version=row["version"], updated_at=row["updated_at"])


def tariff_values(body: TariffIn) -> dict[str, Any]:
    values = body.model_dump(mode="python")
    values["brackets"] = [b.model_dump() for b in body.brackets]
    return values


async def list_tariffs(conn: Conn) -> TariffList:
    return TariffList(items=[tariff_out(r) for r in await repo.list_tariffs(conn)])


async def get_tariff(conn: Conn, *, tariff_id: uuid.UUID) -> TariffOut:
    row = await repo.get_tariff(conn, tariff_id)
    if row is None:
        raise NotFound()
    return tariff_out(row)


async def create_tariff(conn: Conn, *, body: TariffIn) -> TariffOut:
    row = await repo.insert_tariff(conn, uuid.uuid4(), tariff_values(body))
    if row is None:
        raise ValidationFailed(errors=[{"field": "valid_from", "message": TARIFF_TAKEN}])
    log.info("tariff created", extra={"tariff_id": str(row["id"])})
    return tariff_out(row)


async def replace_tariff(conn: Conn, *, tariff_id: uuid.UUID, body: TariffIn,
                         version: int | None) -> TariffOut:
    """Issued invoices keep the prices they were issued with: a tariff change only affects
    lines billed afterwards."""
    async with conn.transaction():
        row = await repo.get_tariff(conn, tariff_id, lock=True)
        if row is None:
            raise NotFound()
        if version is not None and row["version"] != version:
            raise Conflict("Ce tarif a été modifié entre-temps. Rechargez la page avant de "
                           "recommencer.", current_version=row["version"])
        if await repo.tariff_taken(conn, body.unit_id, body.valid_from, tariff_id):
            raise ValidationFailed(errors=[{"field": "valid_from", "message": TARIFF_TAKEN}])
        return tariff_out(await repo.update_tariff(conn, tariff_id, tariff_values(body)))


async def delete_tariff(conn: Conn, *, tariff_id: uuid.UUID) -> None:
    async with conn.transaction():
        if await repo.get_tariff(conn, tariff_id, lock=True) is None:
            raise NotFound()
        await repo.delete_tariff(conn, tariff_id)


# ---- invoicing runs --------------------------------------------------------------------

def draft_out(invoice: run.DraftInvoice) -> DraftInvoice:
    family = invoice.family
    items = [{**dict(item.line), "base_price_cents": item.price.base_cents,
              "reduction_percent": item.price.reduction_percent,
              "price_cents": item.price.cents, "late_cancellation": item.late_cancellation}
             for item in invoice.items]
    return DraftInvoice(
        family_id=family["id"], family_name=family["name"], qf=family["qf"],
        address_known=family["address_line1"] is not None,
        lines=views.lines_of(items), total_cents=invoice.total_cents)


async def preview(conn: Conn, *, month: Any, cursor: str | None, limit: int) -> PreviewOut:
    plan = await run.draft(conn, month)
    after = decode_cursor(cursor, [str, str])
    drafts = [d for d in plan.invoices if after is None or d.sort_key > after]
    shown = drafts[:limit]
    next_cursor = encode_cursor(shown[-1].sort_key) if len(drafts) > limit else None
    return PreviewOut(
        month=month, invoices=[draft_out(d) for d in shown], next_cursor=next_cursor,
        count=len(plan.invoices), total_cents=plan.total_cents,
        credits=[DraftCredit(family_id=c.family_id, family_name=c.family_name,
                             invoice_id=c.invoice_id, invoice_number=c.invoice_number,
                             items=len(c.items), total_cents=c.total_cents)
                 for c in plan.credits],
        unpriced=[Unpriced(establishment_name=u.establishment_name, unit_id=u.unit_id,
                           unit_label=u.unit_label, lines=u.lines, first_date=u.first_date)
                  for u in plan.unpriced])


async def run_invoicing(conn: Conn, *, month: Any, actor: str, due_days: int,
                        terms: DebitTerms | None = None) -> RunOut:
    issued = await run.issue(conn, month=month, actor=actor, due_days=due_days, terms=terms)
    log.info("invoicing run", extra={"month": month.isoformat(), "invoices": len(issued.invoices),
                                     "credit_notes": len(issued.credit_notes)})
    return RunOut(id=issued.run_id, month=month, invoices=len(issued.invoices),
                  credit_notes=len(issued.credit_notes), total_cents=issued.total_cents,
                  first_number=issued.invoices[0] if issued.invoices else None,
                  last_number=issued.invoices[-1] if issued.invoices else None)


# ---- invoices --------------------------------------------------------------------------

def pending_after(block_minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=block_minutes)


def invoice_key(item: InvoiceSummary) -> tuple[Any, ...]:
    return (item.issued_at, item.id)


async def family_invoices(conn: Conn, *, family_id: uuid.UUID, query: InvoiceQuery,
                          block_minutes: int) -> InvoicePage:
    after = decode_cursor(query.cursor, [datetime, uuid.UUID])
    rows = await repo.family_invoices(conn, family_id, after, query.limit)
    return summaries_page(rows, query.limit, block_minutes, state=query.state)


async def all_invoices(conn: Conn, *, query: StaffInvoiceQuery, block_minutes: int
                       ) -> InvoicePage:
    after = decode_cursor(query.cursor, [datetime, uuid.UUID])
    rows = await repo.all_invoices(conn, family_id=query.family_id, month=query.month,
                                   after=after, limit=query.limit)
    return summaries_page(rows, query.limit, block_minutes, state=query.state)


def summaries_page(rows: list[Any], limit: int, block_minutes: int, *,
                   state: str | None) -> InvoicePage:
    """A page of summaries. The state filter applies within the page (a state depends on the
    day, not on a column); the cursor still walks every invoice."""
    items, next_cursor = page(rows, limit, key=lambda r: (r["issued_at"], r["id"]))
    now, since = today(), pending_after(block_minutes)
    summaries = [views.summary(r, today=now, pending_after=since) for r in items]
    if state is not None:
        summaries = [s for s in summaries if s.state == state]
    return InvoicePage(items=summaries, next_cursor=next_cursor)


async def invoice_detail(conn: Conn, *, invoice_id: uuid.UUID, family_id: uuid.UUID | None,
                         block_minutes: int) -> InvoiceOut:
    """One invoice; `family_id` scopes a parent's read (another family's invoice: 404)."""
    rows = await repo.invoices_by_ids(conn, [invoice_id])
    if not rows or (family_id is not None and rows[0]["family_id"] != family_id):
        raise NotFound()
    invoice = await repo.get_invoice(conn, invoice_id)
    assert invoice is not None
    base = views.summary(rows[0], today=today(), pending_after=pending_after(block_minutes))
    items = await repo.invoice_items(conn, invoice_id)
    notes = await repo.invoice_credit_notes(conn, invoice_id)
    credited = await repo.credit_note_items(conn, [n["id"] for n in notes])
    return InvoiceOut(
        **base.model_dump(),
        address=Address(line1=invoice["address_line1"], line2=invoice["address_line2"],
                        postal_code=invoice["postal_code"], city=invoice["city"]),
        qf=invoice["qf"],
        lines=views.lines_of(items),
        items=views.items_of(items),
        credit_notes=[views.credit_note(n, [i for i in credited if i["credit_note_id"] == n["id"]])
                      for n in notes],
        payments=[InvoicePayment(**dict(p)) for p in await repo.invoice_payments(conn, invoice_id)],
    )


async def credit_note_detail(conn: Conn, *, credit_note_id: uuid.UUID,
                             family_id: uuid.UUID | None) -> CreditNoteOut:
    row = await repo.get_credit_note(conn, credit_note_id)
    if row is None or (family_id is not None and row["family_id"] != family_id):
        raise NotFound()
    return views.credit_note(row, list(await repo.credit_note_items(conn, [credit_note_id])))


async def issue_credit_note(conn: Conn, *, invoice_id: uuid.UUID, body: CreditNoteIn,
                            actor: str) -> CreditNoteOut:
    """Credit billed days of an issued invoice (all those not credited yet by default)."""
    now = datetime.now(UTC)
    async with conn.transaction():
        locked = await repo.lock_invoices(conn, [invoice_id])
        if not locked:
            raise NotFound()
        invoice = locked[0]
        items = await repo.invoice_items(conn, invoice_id)
        open_items = {i["id"]: i for i in items if i["credit_note_id"] is None}
        if body.item_ids is None:
            chosen = list(open_items.values())
        else:
            wanted = list(dict.fromkeys(body.item_ids))
            unknown = [i for i in wanted if i not in open_items]
            if unknown:
                raise ValidationFailed(errors=[{
                    "field": "item_ids", "message": "Certaines journées choisies ne sont pas "
                    "sur cette facture ou ont déjà été créditées."}])
            chosen = [open_items[i] for i in wanted]
        if not chosen or sum(i["price_cents"] for i in chosen) == 0:
            raise Conflict("Il ne reste rien à créditer sur cette facture.")
        credit = run.DraftCredit(invoice_id, invoice["number"], invoice["family_id"],
                                 invoice["family_name"],
                                 [(i["id"], i["price_cents"]) for i in chosen])
        year = now.astimezone(PARIS).year
        [number] = await run.issue_credits(conn, [credit], run_id=None, actor=actor,
                                           year=year, now=now, reason=body.reason)
        row = await conn.fetchrow("SELECT id FROM credit_notes WHERE number = $1", number)
        assert row is not None
        log.info("credit note issued", extra={"invoice_id": str(invoice_id), "number": number})
        return await credit_note_detail(conn, credit_note_id=row["id"], family_id=None)


async def balance(conn: Conn, *, family_id: uuid.UUID) -> Balance:
    row = await repo.family_balance(conn, family_id, today())
    family = await families_repo.get_family(conn, family_id)
    invoiced, credited, paid = (int(row["invoiced_cents"]), int(row["credited_cents"]),
                                int(row["paid_cents"]))
    return Balance(family_id=family_id, family_name=family["name"] if family else None,
                   invoiced_cents=invoiced, credited_cents=credited, paid_cents=paid,
                   due_cents=invoiced - credited - paid,
                   overdue_cents=int(row["overdue_cents"]),
                   pending_cents=await repo.pending_of_family(conn, family_id))
