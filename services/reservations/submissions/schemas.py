"""Request and response models of previews, submissions and reservations."""

import uuid
from datetime import date, datetime
from typing import Self

from pydantic import Field, model_validator

from services.reservations.schemas import Cursor, Day, Input, Kind, Output


class LineIn(Input):
    date: Day
    unit_id: uuid.UUID
    child_id: uuid.UUID | None = Field(None, description="a sibling's line (default: child_id)")


class SubmissionIn(Input):
    """A booking or a cancellation request; without `lines`, the server-side selection."""

    child_id: uuid.UUID
    period_id: uuid.UUID
    kind: Kind = "book"
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=500)
    all_or_nothing: bool = False

    @model_validator(mode="after")
    def _no_twice(self) -> Self:
        if self.lines is not None:
            keys = [(line.child_id or self.child_id, line.date, line.unit_id)
                    for line in self.lines]
            if len(set(keys)) != len(keys):
                raise ValueError("Un même jour est demandé deux fois pour la même unité.")
        return self


class PreviewLine(Output):
    child_id: uuid.UUID
    date: date
    unit_id: uuid.UUID
    unit_label: str
    outcome: str = Field(description="accepted, requested, waiting, impossible; « refused » "
                                     "for every line of an all-or-nothing that cannot hold")
    reason: str | None
    position: int | None = Field(description="expected place on the waiting list")


class PreviewOut(Output):
    kind: Kind
    all_or_nothing: bool
    lines: list[PreviewLine]


class ChildRef(Output):
    id: uuid.UUID
    first_name: str
    last_name: str


class Ref(Output):
    id: uuid.UUID
    name: str


class LineOut(Output):
    id: uuid.UUID
    child_id: uuid.UUID
    child_first_name: str
    date: date
    unit_id: uuid.UUID
    unit_label: str
    kind: Kind
    state: str
    position: int | None
    comment: str | None
    deadline: datetime | None = Field(description="the last instant it can be cancelled")
    decided_at: datetime | None
    cancels_line_id: uuid.UUID | None
    offer_expires_at: datetime | None
    late: bool


class ReservationOut(Output):
    id: uuid.UUID
    number: str
    kind: Kind
    state: str = Field(description="accepted, pending, partial, refused, cancel_requested, "
                                   "cancelled, waiting, drawing (awaiting the lottery)")
    child: ChildRef
    establishment: Ref
    period: Ref
    submitted_at: datetime
    all_or_nothing: bool
    lines: list[LineOut]


class ReservationsQuery(Input):
    cursor: Cursor | None = None
    limit: int = Field(20, ge=1, le=100)
    child_id: uuid.UUID | None = None


class ReservationPage(Output):
    items: list[ReservationOut]
    next_cursor: str | None
