"""Request and response models of the planning, the periods a child may book and the
server-side selection."""

import uuid
from datetime import date, datetime
from typing import Literal, Self

from pydantic import Field, model_validator

from services.reservations.schemas import Day, Input, IsoWeekday, Kind, Month, Output

Action = Literal["toggle", "add", "remove", "clear"]
Scope = Literal["period", "month", "week"]


class PeriodsQuery(Input):
    child_id: uuid.UUID
    kind: Kind = "book"


class PlanningQuery(Input):
    child_id: uuid.UUID
    period_id: uuid.UUID
    month: Month | None = Field(None, description="YYYY-MM; the period's current month else")
    kind: Kind = "book"


class SelectionQuery(Input):
    child_id: uuid.UUID
    period_id: uuid.UUID
    kind: Kind = "book"


class CellRef(Input):
    date: Day
    unit_id: uuid.UUID


class SelectionIn(Input):
    """One change of the selection: cells by name (`lines`), or a unit's (or every unit's)
    days over a scope, optionally only some weekdays (« Sélection automatique des jours »)."""

    child_id: uuid.UUID
    period_id: uuid.UUID
    kind: Kind = "book"
    action: Action
    lines: list[CellRef] | None = Field(None, max_length=500)
    unit_id: uuid.UUID | None = None
    scope: Scope | None = None
    month: Month | None = None
    week_of: Day | None = None
    weekdays: list[IsoWeekday] | None = Field(None, min_length=1, max_length=7)

    @model_validator(mode="after")
    def _what(self) -> Self:
        if self.action == "clear":
            return self
        if self.action == "toggle" and not self.lines:
            raise ValueError("Indiquez les jours à sélectionner ou désélectionner.")
        if self.lines is None and self.scope is None:
            raise ValueError("Indiquez les jours (lines) ou une étendue (scope).")
        if self.scope == "month" and self.month is None:
            raise ValueError("Indiquez le mois (month) de l'étendue « month ».")
        if self.scope == "week" and self.week_of is None:
            raise ValueError("Indiquez un jour de la semaine (week_of) de l'étendue « week ».")
        return self


class ChildRef(Output):
    id: uuid.UUID
    first_name: str
    last_name: str


class EstablishmentRef(Output):
    id: uuid.UUID
    name: str
    kind: str


class Window(Output):
    opens_at: datetime
    closes_at: datetime


class PeriodSummary(Output):
    id: uuid.UUID
    name: str
    start_date: date
    end_date: date
    window: Window
    months: list[str]
    allocation: str = Field("fcfs", description="fcfs, or lottery: requests received before "
                                                 "draw_at wait for the draw (drawn_at)")
    draw_at: datetime | None = None
    drawn_at: datetime | None = None


class EstablishmentPeriods(EstablishmentRef):
    periods: list[PeriodSummary]


class PeriodsOut(Output):
    child: ChildRef
    kind: Kind
    establishments: list[EstablishmentPeriods]


class UnitRef(Output):
    id: uuid.UUID
    code: str
    label: str


class CellOut(Output):
    unit_id: uuid.UUID
    state: str = Field(description="not_offered, available, full, reserved, requested, waiting, "
                                   "offered, refused, cancel_requested, other_household "
                                   "(booked by the child's other household), other_custody "
                                   "(the other household's week under alternate weeks: not "
                                   "bookable), drawing (a request awaiting the lottery)")
    selected: bool
    outcome: str = Field(description="what a click gives now: accepted, requested, waiting, "
                                     "drawing (awaits the lottery), impossible")
    reason: str | None
    position: int | None = Field(description="place on the waiting list")
    deadline: datetime | None = Field(description="« modifiable jusqu'au »")
    line_id: uuid.UUID | None
    offer_expires_at: datetime | None


class DayOut(Output):
    date: date
    weekday: int
    offered: bool
    cells: list[CellOut]


class PlanningPeriod(PeriodSummary):
    establishment: EstablishmentRef


class SelectionCount(Output):
    count: int


class PlanningOut(Output):
    child: ChildRef
    period: PlanningPeriod
    kind: Kind
    month: str
    months: list[str]
    previous_month: str | None
    next_month: str | None
    units: list[UnitRef]
    days: list[DayOut]
    selection: SelectionCount


class Skipped(Output):
    date: date
    unit_id: uuid.UUID
    reason: str | None


class SelectionOut(Output):
    items: list[CellRef]
    changed: int
    skipped: int
    skipped_reasons: list[Skipped] = Field(description="the first skipped cells, with why")
