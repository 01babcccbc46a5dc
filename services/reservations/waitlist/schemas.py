"""Request and response models of the waiting list: offer replies, a cell's queue."""

import uuid
from datetime import date, datetime

from pydantic import Field

from services.reservations.schemas import Day, Input, Output, Text


class OfferReply(Input):
    accept: bool


class OfferTokenReply(Input):
    token: Text = Field(min_length=10, max_length=200)
    accept: bool


class OfferReplyOut(Output):
    line_id: uuid.UUID
    state: str
    child_first_name: str
    date: date
    unit_label: str
    period_name: str
    establishment_name: str
    reservation_number: str


class WaitingListQuery(Input):
    period_id: uuid.UUID
    date: Day
    unit_id: uuid.UUID


class WaitingEntry(Output):
    line_id: uuid.UUID
    state: str = Field(description="waiting, or offered (a place is offered, until the deadline)")
    position: int | None
    family_id: uuid.UUID
    family_name: str
    child_id: uuid.UUID
    first_name: str
    last_name: str
    reservation_number: str
    queued_at: datetime | None
    offer_expires_at: datetime | None


class WaitingListOut(Output):
    period_id: uuid.UUID
    unit_id: uuid.UUID
    date: date
    items: list[WaitingEntry]


class WaitingCellsQuery(Input):
    establishment_id: uuid.UUID | None = None
    period_id: uuid.UUID | None = None
    since: Day | None = Field(None, description="only the days from this one on")


class WaitingCell(Output):
    period_id: uuid.UUID
    period_name: str
    establishment_id: uuid.UUID
    establishment_name: str
    date: date
    unit_id: uuid.UUID
    unit_label: str
    capacity: int
    taken: int
    waiting: int
    offered: int
    next_offer_expires_at: datetime | None


class WaitingCellsOut(Output):
    items: list[WaitingCell]
    truncated: bool = Field(description="more cells than the list shows: narrow the filters")
