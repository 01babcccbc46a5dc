"""Request and response models of tariffs, invoicing runs, invoices and credit notes."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from services.billing.fields import Cents, Month, Name, Percent, Qf, Reason
from services.billing.invoicing.pricing import Bracket, check_brackets
from services.billing.schemas import Address, Input, PageQuery

InvoiceState = Literal["to_pay", "partially_paid", "paid", "overdue", "cancelled"]


# ---- tariffs ---------------------------------------------------------------------------

class BracketIn(Input):
    qf_max: Qf | None = Field(None, description="upper QF of the bracket (inclusive); none: "
                                                "the top bracket")
    price_cents: Cents


class TariffIn(Input):
    establishment_id: uuid.UUID
    establishment_name: Name
    unit_id: uuid.UUID
    unit_label: Name
    valid_from: date
    brackets: list[BracketIn] = Field(min_length=1, max_length=10)
    sibling_reduction_percent: Percent = 0
    childcare: bool = Field(True, description="counts as childcare for the tax certificate "
                                              "(not a meal)")

    @field_validator("brackets")
    @classmethod
    def _ascending(cls, value: list[BracketIn]) -> list[BracketIn]:
        check_brackets([Bracket(b.qf_max, b.price_cents) for b in value])
        return value


class BracketOut(BaseModel):
    qf_max: int | None
    price_cents: int


class TariffOut(BaseModel):
    id: uuid.UUID
    establishment_id: uuid.UUID
    establishment_name: str
    unit_id: uuid.UUID
    unit_label: str
    valid_from: date
    brackets: list[BracketOut]
    sibling_reduction_percent: int
    childcare: bool
    version: int
    updated_at: datetime


class TariffList(BaseModel):
    items: list[TariffOut]


# ---- invoicing runs --------------------------------------------------------------------

class MonthQuery(Input):
    month: Month
    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(50, ge=1, le=200)


class RunIn(Input):
    month: Month


class LineOut(BaseModel):
    """Lines of one child, unit and price, with their dates."""

    child_id: uuid.UUID
    child_name: str
    establishment_name: str
    unit_label: str
    dates: list[date]
    quantity: int
    base_price_cents: int
    reduction_percent: int
    unit_price_cents: int
    amount_cents: int
    late_cancellations: int


class DraftInvoice(BaseModel):
    family_id: uuid.UUID
    family_name: str
    qf: int | None
    address_known: bool
    lines: list[LineOut]
    total_cents: int


class DraftCredit(BaseModel):
    """A billed line no longer billable (cancelled in time): the run credits it."""

    family_id: uuid.UUID
    family_name: str
    invoice_id: uuid.UUID
    invoice_number: str
    items: int
    total_cents: int


class Unpriced(BaseModel):
    """Billable lines no tariff covers yet: they wait for one."""

    establishment_name: str
    unit_id: uuid.UUID
    unit_label: str
    lines: int
    first_date: date


class PreviewOut(BaseModel):
    month: date
    invoices: list[DraftInvoice]
    next_cursor: str | None
    count: int
    total_cents: int
    credits: list[DraftCredit]
    unpriced: list[Unpriced]


class RunOut(BaseModel):
    id: uuid.UUID
    month: date
    invoices: int
    credit_notes: int
    total_cents: int
    first_number: str | None
    last_number: str | None


class RunList(BaseModel):
    items: list[RunOut]


# ---- invoices and credit notes ----------------------------------------------------------

class ItemOut(BaseModel):
    """One billed day (a reservation line), creditable once."""

    id: uuid.UUID
    child_name: str
    unit_label: str
    date: date
    price_cents: int
    late_cancellation: bool
    credited: bool


class CreditNoteOut(BaseModel):
    id: uuid.UUID
    number: str
    invoice_id: uuid.UUID
    invoice_number: str
    issued_at: datetime
    reason: str
    total_cents: int
    lines: list[LineOut]


class InvoicePayment(BaseModel):
    payment_id: uuid.UUID
    method: str
    state: str
    amount_cents: int
    at: datetime


class DirectDebitOfInvoice(BaseModel):
    planned_on: date
    state: Literal["planned", "batched", "paid", "rejected", "cancelled"]
    return_code: str | None
    return_label: str | None


class InvoiceSummary(BaseModel):
    id: uuid.UUID
    number: str
    family_id: uuid.UUID
    family_name: str
    month: date
    issued_at: datetime
    due_date: date
    total_cents: int
    credited_cents: int
    paid_cents: int
    amount_due_cents: int
    state: InvoiceState
    # Whether « Régler en ligne » is offered now (amount within PayFiP's bounds, no online
    # payment of it in progress).
    payable_online: bool
    payment_in_progress: bool
    # Paid by SEPA direct debit: its planned day and state (« prélèvement le … »), the bank's
    # R-code and its label when returned.
    direct_debit: DirectDebitOfInvoice | None = None


class InvoiceOut(InvoiceSummary):
    address: Address
    qf: int | None
    lines: list[LineOut]
    items: list[ItemOut]
    credit_notes: list[CreditNoteOut]
    payments: list[InvoicePayment]


class InvoicePage(BaseModel):
    items: list[InvoiceSummary]
    next_cursor: str | None


class InvoiceQuery(PageQuery):
    state: InvoiceState | None = None


class StaffInvoiceQuery(InvoiceQuery):
    family_id: uuid.UUID | None = None
    month: Month | None = None


class CreditNoteIn(Input):
    reason: Reason
    # The billed days to credit (ids of the invoice's items); none: every one not credited.
    item_ids: list[uuid.UUID] | None = Field(None, max_length=1000)


class Balance(BaseModel):
    """A family's account: what was invoiced, credited, paid, and what remains."""

    family_id: uuid.UUID
    family_name: str | None
    invoiced_cents: int
    credited_cents: int
    paid_cents: int
    due_cents: int
    overdue_cents: int
    pending_cents: int
