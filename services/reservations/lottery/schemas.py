"""Response models of the lottery: the state of a period's draw, its record and results."""

import uuid
from datetime import datetime

from pydantic import Field

from services.reservations.schemas import Output


class PendingOut(Output):
    """Requests awaiting the draw."""

    reservations: int
    lines: int
    families: int
    families_in_draw: int = Field(description="families with a request before the deadline")


class EntryOut(Output):
    """One reservation in draw order."""

    rank: int
    reservation_id: uuid.UUID
    number: str
    family_id: uuid.UUID
    submitted_at: datetime
    drawn: bool = Field(description="entered the draw (received before the deadline); "
                                    "otherwise served after, in arrival order")


class UnitResultOut(Output):
    unit_id: uuid.UUID
    unit_label: str
    accepted: int
    requested: int
    waiting: int
    refused: int


class DrawRecordOut(Output):
    """The audit of a draw: who, when, with which seed and algorithm, on which inputs."""

    drawn_at: datetime
    drawn_by: str
    drawn_by_role: str
    deadline: datetime
    seed: str
    algorithm: str
    entries: list[EntryOut]
    results: list[UnitResultOut]
    families: int
    reproducible: bool = Field(description="the recorded seed, replayed on the recorded "
                                           "inputs, gives the recorded order")


class DrawOut(Output):
    period_id: uuid.UUID
    allocation: str
    draw_at: datetime | None
    pending: PendingOut
    draw: DrawRecordOut | None
