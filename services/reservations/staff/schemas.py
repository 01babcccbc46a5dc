"""Request and response models of the staff's work: the requests queue, decisions,
attendance lists."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from services.reservations.schemas import Cursor, Day, Input, Kind, OptComment, Output


class RequestsQuery(Input):
    establishment_id: uuid.UUID | None = None
    period_id: uuid.UUID | None = None
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)


class RequestOut(Output):
    line_id: uuid.UUID
    kind: Kind
    reservation_id: uuid.UUID
    reservation_number: str
    submitted_at: datetime
    family_id: uuid.UUID
    family_name: str
    child_id: uuid.UUID
    first_name: str
    last_name: str
    establishment_id: uuid.UUID
    establishment_name: str
    period_id: uuid.UUID
    period_name: str
    date: date
    unit_id: uuid.UUID
    unit_label: str
    cancels_line_id: uuid.UUID | None
    # Places of the cell now (a booking request holds one of them already).
    capacity: int
    taken: int


class RequestPage(Output):
    items: list[RequestOut]
    next_cursor: str | None


class DecisionIn(Input):
    decision: Literal["accept", "refuse"]
    comment: OptComment = Field(None, validate_default=True)

    @field_validator("comment")
    @classmethod
    def _comment_when_refusing(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("decision") == "refuse" and not value:
            raise ValueError("Un commentaire est obligatoire pour refuser une demande.")
        return value


class DecidedLine(Output):
    line_id: uuid.UUID
    kind: Kind
    state: str
    comment: str | None
    decided_at: datetime | None
    decided_by: str | None
    reservation_number: str
    reservation_state: str


class AttendanceQuery(Input):
    establishment_id: uuid.UUID
    date: Day
    unit_id: uuid.UUID | None = None


class AttendanceEntry(Output):
    child_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    family_id: uuid.UUID
    unit_id: uuid.UUID
    unit_label: str


class AttendanceOut(Output):
    establishment_id: uuid.UUID
    date: date
    items: list[AttendanceEntry]
