"""Events published by the billing service (the notifier e-mails the family for each).

Amounts are integer cents (EUR); `invoice_id` and `payment_id` let the e-mails link to the
parent's pages. No health datum, no card datum ever travels here.
"""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.common.events import Event

PaymentMethod = Literal["online", "cheque", "cash", "cesu", "holiday_vouchers", "direct_debit"]


class InvoiceIssued(Event):
    """A new invoice (one per family and month): « votre facture est disponible »."""

    TYPE = "billing.invoice_issued"

    invoice_id: uuid.UUID
    number: str
    family_id: uuid.UUID
    email: str
    family_name: str
    # The month invoiced, as its first day.
    month: date
    total_cents: int
    due_date: date
    issued_at: datetime
    # Paid by SEPA direct debit (the family has an active mandate): the planned day; the
    # pre-notification follows.
    direct_debit_on: date | None = None


class SettledInvoice(BaseModel):
    """One invoice a payment settles, and how much of it."""

    model_config = ConfigDict(frozen=True)

    invoice_id: uuid.UUID
    number: str
    amount_cents: int


class PaymentSucceeded(Event):
    """A payment was validated (online, once the provider confirmed it server to server; or
    recorded by staff)."""

    TYPE = "billing.payment_succeeded"

    payment_id: uuid.UUID
    family_id: uuid.UUID
    email: str
    family_name: str
    method: PaymentMethod
    amount_cents: int
    paid_at: datetime
    invoices: list[SettledInvoice]


class PaymentFailed(Event):
    """An online payment did not go through: refused by the bank, abandoned by the payer, or
    expired unfinished. The invoices stay to be paid."""

    TYPE = "billing.payment_failed"

    payment_id: uuid.UUID
    family_id: uuid.UUID
    email: str
    family_name: str
    amount_cents: int
    reason: Literal["refused", "abandoned", "expired"]
    invoices: list[SettledInvoice]


# ---- SEPA direct debit: never an IBAN, not even masked (the mails need none) ----------------

class MandateCodeRequested(Event):
    """The one-time code that signs a SEPA mandate, e-mailed to the family's login address.
    Only the notifier consumes it; the code is never logged."""

    TYPE = "billing.mandate_code_requested"

    mandate_id: uuid.UUID
    family_id: uuid.UUID
    email: str
    rum: str
    code: str
    expires_at: datetime


class MandateSigned(Event):
    """A mandate was signed (or revoked): the family's confirmation."""

    TYPE = "billing.mandate_signed"

    mandate_id: uuid.UUID
    family_id: uuid.UUID
    email: str
    rum: str
    creditor_name: str
    ics: str
    signed_at: datetime


class DebitPrenotified(Event):
    """« Nous prélèverons … le … »: the pre-notification, at least the configured number of
    days before the debit."""

    TYPE = "billing.debit_prenotified"

    debit_id: uuid.UUID
    invoice_id: uuid.UUID
    number: str
    family_id: uuid.UUID
    email: str
    amount_cents: int
    planned_on: date
    rum: str
    ics: str
    creditor_name: str


class DebitRejected(Event):
    """The bank returned a debit (R-code and its French label): the invoice is to pay again."""

    TYPE = "billing.debit_rejected"

    debit_id: uuid.UUID
    invoice_id: uuid.UUID
    number: str
    family_id: uuid.UUID
    email: str
    amount_cents: int
    return_code: str
    reason: str
