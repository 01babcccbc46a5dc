"""Rows → answers: an invoice's state and amounts, its items gathered into lines."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from services.billing.invoicing.schemas import (
    CreditNoteOut,
    DirectDebitOfInvoice,
    InvoiceState,
    InvoiceSummary,
    ItemOut,
    LineOut,
)
from services.billing.payments.bounds import online_amount_allowed
from services.billing.sepa.schemas import RETURN_CODES

# A database row (asyncpg.Record) or a dict with the same keys.
Row = Any


def invoice_state(*, total: int, credited: int, paid: int, due_date: date, today: date
                  ) -> InvoiceState:
    """annulée (fully credited), réglée, en retard (past due), partiellement réglée, à
    régler — in that order of precedence."""
    if credited > 0 and credited >= total:
        return "cancelled"
    if total - credited - paid <= 0:
        return "paid"
    if due_date < today:
        return "overdue"
    if paid > 0:
        return "partially_paid"
    return "to_pay"


def summary(row: Row, *, today: date, pending_after: datetime) -> InvoiceSummary:
    """`pending_after`: an online payment started since then is still in progress."""
    total, credited, paid = row["total_cents"], row["credited_cents"], row["paid_cents"]
    state = invoice_state(total=total, credited=credited, paid=paid, due_date=row["due_date"],
                          today=today)
    due = max(total - credited - paid, 0)
    in_progress = row["pending_since"] is not None and row["pending_since"] > pending_after
    return InvoiceSummary(
        id=row["id"], number=row["number"], family_id=row["family_id"],
        family_name=row["family_name"], month=row["month"], issued_at=row["issued_at"],
        due_date=row["due_date"], total_cents=total, credited_cents=credited,
        paid_cents=paid, amount_due_cents=due, state=state,
        payable_online=(state != "cancelled" and online_amount_allowed(due)
                        and not in_progress and row["debit_state"] != "batched"),
        payment_in_progress=in_progress,
        direct_debit=direct_debit_of(row),
    )


def direct_debit_of(row: Row) -> DirectDebitOfInvoice | None:
    if row["debit_state"] is None or row["debit_state"] == "cancelled":
        return None
    code = row["debit_return_code"]
    return DirectDebitOfInvoice(planned_on=row["debit_planned_on"], state=row["debit_state"],
                                return_code=code, return_label=RETURN_CODES.get(code)
                                if code else None)


def child_name(row: Row) -> str:
    return f"{row['child_first_name']} {row['child_last_name']}"


def lines_of(items: Iterable[Row], *, amount_key: str = "price_cents"
             ) -> list[LineOut]:
    """Billed days gathered by child, unit and price (`items` in display order)."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in items:
        key = (item["child_id"], item["establishment_name"], item["unit_label"],
               item["base_price_cents"], item["reduction_percent"], item["price_cents"])
        group = groups.setdefault(key, {
            "child_id": item["child_id"], "child_name": child_name(item),
            "establishment_name": item["establishment_name"], "unit_label": item["unit_label"],
            "dates": [], "quantity": 0, "base_price_cents": item["base_price_cents"],
            "reduction_percent": item["reduction_percent"],
            "unit_price_cents": item["price_cents"], "amount_cents": 0,
            "late_cancellations": 0})
        group["dates"].append(item["date"])
        group["quantity"] += 1
        group["amount_cents"] += item[amount_key]
        group["late_cancellations"] += 1 if item["late_cancellation"] else 0
    return [LineOut(**g) for g in groups.values()]


def items_of(rows: Iterable[Row]) -> list[ItemOut]:
    return [ItemOut(id=r["id"], child_name=child_name(r), unit_label=r["unit_label"],
                    date=r["date"], price_cents=r["price_cents"],
                    late_cancellation=r["late_cancellation"],
                    credited=r["credit_note_id"] is not None) for r in rows]


def credit_note(row: Row, items: list[Row]) -> CreditNoteOut:
    return CreditNoteOut(
        id=row["id"], number=row["number"], invoice_id=row["invoice_id"],
        invoice_number=row["invoice_number"], issued_at=row["issued_at"], reason=row["reason"],
        total_cents=row["total_cents"], lines=lines_of(items, amount_key="amount_cents"))
