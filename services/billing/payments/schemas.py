"""Request and response models of payments."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from services.billing.fields import OptReference, PositiveCents, Reason
from services.billing.schemas import Input, PageQuery

PaymentState = Literal["pending", "validated", "refused", "cancelled", "refunded"]
OfflineMethod = Literal["cheque", "cash", "cesu", "holiday_vouchers", "direct_debit"]
Method = Literal["online", "cheque", "cash", "cesu", "holiday_vouchers", "direct_debit"]


class Share(Input):
    invoice_id: uuid.UUID
    # None: what remains due on the invoice.
    amount_cents: PositiveCents | None = None


def _once_each(value: list[Share] | None) -> list[Share] | None:
    if value is not None and len({s.invoice_id for s in value}) != len(value):
        raise ValueError("Chaque facture ne peut figurer qu'une fois.")
    return value


class OnlinePaymentIn(Input):
    """One online payment of one or several invoices (each in full by default, or in part)."""

    invoices: list[Share] = Field(min_length=1, max_length=24)

    _invoices_once = field_validator("invoices")(_once_each)


class InvoicePaymentIn(Input):
    amount_cents: PositiveCents | None = None


class OfflinePaymentIn(Input):
    """A payment received by staff (chèque, espèces, CESU, chèques vacances, prélèvement).
    Without `invoices`, it settles the family's oldest invoices first."""

    method: OfflineMethod
    amount_cents: PositiveCents
    received_on: date
    reference: OptReference = None
    invoices: list[Share] | None = Field(None, min_length=1, max_length=24)

    # The same invoice twice was a 500 (found by schemathesis, issue 13 point 7).
    _invoices_once = field_validator("invoices")(_once_each)


class RefundIn(Input):
    reason: Reason


class NotificationIn(BaseModel):
    """PayFiP's notification: the operation id only, spelled `idop` or `idOp`."""

    idop: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")


class PaymentQuery(PageQuery):
    state: PaymentState | None = None


class StaffPaymentQuery(PaymentQuery):
    family_id: uuid.UUID | None = None


class Settled(BaseModel):
    invoice_id: uuid.UUID
    number: str
    amount_cents: int


class PaymentOut(BaseModel):
    id: uuid.UUID
    family_id: uuid.UUID
    method: Method
    state: PaymentState
    amount_cents: int
    created_at: datetime
    settled_at: datetime | None
    reference: str | None
    received_on: date | None
    provider: str | None
    refdet: str | None
    # Why it ended as it did (staff).
    outcome: str | None
    invoices: list[Settled]


class PaymentPage(BaseModel):
    items: list[PaymentOut]
    next_cursor: str | None


class StartedOut(BaseModel):
    """An online payment started: send the payer to `redirect_url`."""

    payment: PaymentOut
    redirect_url: str
