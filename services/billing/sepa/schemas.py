"""Requests and answers of SEPA direct debit (the IBAN only ever answered masked)."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from services.billing.fields import Month, Name
from services.billing.schemas import Input
from services.common.text import SingleLine

# The R-codes staff may record, with the French label the family and staff read.
RETURN_CODES: dict[str, str] = {
    "AC01": "numéro de compte erroné",
    "AC04": "compte clôturé",
    "AC06": "compte bloqué",
    "AG01": "prélèvement interdit sur ce compte",
    "AM04": "provision insuffisante",
    "MD01": "pas de mandat",
    "MD02": "mandat incomplet",
    "MD06": "remboursement demandé par le débiteur",
    "MD07": "titulaire du compte décédé",
    "MS02": "refus du débiteur",
    "MS03": "motif non communiqué",
    "SL01": "service spécifique de la banque du débiteur",
}
ReturnCode = Literal["AC01", "AC04", "AC06", "AG01", "AM04", "MD01", "MD02", "MD06", "MD07",
                     "MS02", "MS03", "SL01"]
MandateState = Literal["pending", "active", "revoked", "replaced"]
DebitState = Literal["planned", "batched", "paid", "rejected", "cancelled"]


class MandateIn(Input):
    holder: Name
    # Checked by services.billing.sepa.iban (spaces allowed, as printed on a RIB).
    iban: Annotated[SingleLine, StringConstraints(strip_whitespace=True, max_length=50)]


class CodeIn(Input):
    # Empty is refused by the use case once the mandate is found (another family's: 404).
    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=12)]


class MandateOut(BaseModel):
    id: uuid.UUID
    rum: str
    family_id: uuid.UUID
    holder: str
    iban_masked: str
    bic: str | None
    state: MandateState
    created_at: datetime
    signed_at: datetime | None
    revoked_at: datetime | None
    replaced_by: uuid.UUID | None
    # Pending: until when the last code e-mailed is valid.
    code_expires_at: datetime | None = None


class Creditor(BaseModel):
    """What the mandate text names: the creditor, its ICS, the notice before each debit."""

    name: str
    address: str
    ics: str
    prenotice_days: int
    debit_day: int


class DirectDebitOut(BaseModel):
    """A family's block « Prélèvement automatique »: the active mandate, the one awaiting its
    code, the former ones, and the creditor."""

    active: MandateOut | None
    pending: MandateOut | None
    former: list[MandateOut]
    creditor: Creditor


class DebitRow(BaseModel):
    id: uuid.UUID
    invoice_id: uuid.UUID
    number: str
    family_id: uuid.UUID
    family_name: str
    amount_cents: int
    planned_on: date
    state: DebitState
    prenotified_at: datetime | None
    batch_id: uuid.UUID | None
    sequence_type: str | None
    return_code: str | None
    return_label: str | None
    returned_at: datetime | None
    rum: str
    holder: str
    iban_masked: str
    mandate_active: bool


class BatchOut(BaseModel):
    id: uuid.UUID
    month: date
    seq: int
    message_id: str
    created_by: str
    created_at: datetime
    debits: int
    total_cents: int


class ReturnCodeOut(BaseModel):
    code: str
    label: str


class MonthDebits(BaseModel):
    """Staff: a month's debits to check (what a batch would take: `to_batch`), its batches,
    and the return codes."""

    month: date
    debits: list[DebitRow]
    to_batch: int
    to_batch_cents: int
    batches: list[BatchOut]
    return_codes: list[ReturnCodeOut]


class MonthQuery(Input):
    month: Month


class BatchIn(Input):
    month: Month


class ReturnIn(Input):
    invoice_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                     max_length=20)]
    code: ReturnCode
    note: Annotated[SingleLine, Field(max_length=200)] | None = None
