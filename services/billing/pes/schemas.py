"""Request and response models of PES exports (staff)."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.billing.fields import Month
from services.billing.schemas import Input


class PesMonthQuery(Input):
    month: Month


class PesBatchQuery(Input):
    month: Month | None = None


class PesBatchIn(Input):
    month: Month


class PesLineOut(BaseModel):
    label: str
    product_code: str
    amount_cents: int


class PesPieceOut(BaseModel):
    piece: int = Field(description="IdPce: the piece's number in the bordereau")
    invoice_id: uuid.UUID
    invoice_number: str
    family_id: uuid.UUID
    family_name: str
    amount_cents: int = Field(description="what the invoice still asks: its total less its "
                                          "credit notes and validated payments")
    lines: list[PesLineOut] = Field(default_factory=list)


class PesExcludedOut(BaseModel):
    invoice_id: uuid.UUID
    invoice_number: str
    family_id: uuid.UUID
    family_name: str
    amount_cents: int
    reason: str


class PesBatchOut(BaseModel):
    id: uuid.UUID
    month: date
    year: int
    seq: int = Field(description="IdBord: the bordereau's number in the budget and year")
    status: Literal["draft", "sent"]
    filename: str
    pieces: int
    total_cents: int
    built_by: str
    built_at: datetime
    sent_by: str | None
    sent_at: datetime | None
    file_sha256: str = Field(description="the file's SHA-256, its ETag (If-Match of « sent »)")


class PesBatchDetail(PesBatchOut):
    items: list[PesPieceOut]


class PesBatchList(BaseModel):
    items: list[PesBatchOut]


class PesPreview(BaseModel):
    """What a batch of the month would hold now, and the month's batches so far."""

    month: date
    pieces: list[PesPieceOut]
    excluded: list[PesExcludedOut]
    total_cents: int
    draft: PesBatchOut | None = Field(description="the budget's batch in preparation, if any "
                                                  "(of this month or another)")
    batches: list[PesBatchOut]
