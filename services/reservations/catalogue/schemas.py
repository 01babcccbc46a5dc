"""Request and response models of the catalogue: establishments, units, periods, capacities."""

import uuid
from datetime import date, datetime, timedelta
from typing import Literal, Self

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from services.reservations.schemas import (
    Code,
    Count,
    Day,
    EstablishmentKind,
    Input,
    IsoWeekday,
    Label,
    Name,
    Output,
    SchoolLevel,
)

DayCount = Literal["calendar", "working"]
Allocation = Literal["fcfs", "lottery"]
# A period longer than this is a mistake (a school year with its summer is ~ 12 months).
MAX_PERIOD_DAYS = 400


# ---- establishments and units ---------------------------------------------------------------

class EstablishmentIn(Input):
    name: Name
    kind: EstablishmentKind


class EstablishmentPatch(Input):
    name: Name | None = None
    kind: EstablishmentKind | None = None


class UnitIn(Input):
    code: Code = Field(description="short code, unique in the establishment (JOURNEE, MATIN…)")
    label: Label
    position: int = Field(0, ge=0, le=1000)
    excludes: list[uuid.UUID] = Field(default_factory=list, max_length=20,
                                      description="units not bookable the same day (symmetric)")
    active: bool = True


class UnitPatch(Input):
    label: Label | None = None
    position: int | None = Field(None, ge=0, le=1000)
    excludes: list[uuid.UUID] | None = Field(None, max_length=20)
    active: bool | None = None


class UnitOut(Output):
    id: uuid.UUID
    establishment_id: uuid.UUID
    code: str
    label: str
    position: int
    excludes: list[uuid.UUID]
    active: bool


class EstablishmentOut(Output):
    id: uuid.UUID
    name: str
    kind: EstablishmentKind
    units: list[UnitOut]


class EstablishmentList(Output):
    items: list[EstablishmentOut]


# ---- periods ---------------------------------------------------------------------------------

class Split(Input):
    """A capacity, optionally split under / over 6 years (the supervision-ratio split)."""

    capacity: Count
    capacity_under6: Count | None = None
    capacity_over6: Count | None = None

    @model_validator(mode="after")
    def _split_adds_up(self) -> Self:
        under6, over6 = self.capacity_under6, self.capacity_over6
        if (under6 is None) != (over6 is None):
            raise ValueError("Indiquez les deux capacités (moins de 6 ans et 6 ans et plus), "
                             "ou aucune.")
        if under6 is not None and over6 is not None and under6 + over6 != self.capacity:
            raise ValueError("La capacité doit être la somme des capacités moins de 6 ans et "
                             "6 ans et plus.")
        return self


class PeriodUnitIn(Split):
    unit_id: uuid.UUID


class EligibilityIn(Input):
    min_age: int | None = Field(None, ge=0, le=18, description="age on the period's first day")
    max_age: int | None = Field(None, ge=0, le=18)
    school_levels: list[SchoolLevel] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("L'âge minimum ne peut pas dépasser l'âge maximum.")
        return self


class WindowIn(Input):
    opens_at: AwareDatetime
    closes_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.closes_at <= self.opens_at:
            raise ValueError("La fermeture des réservations doit suivre leur ouverture.")
        return self


class RulesIn(Input):
    """Booking or cancelling at least `auto_days` ahead: automatic while places remain;
    between `request_days` and `auto_days`: a request for staff; later: impossible."""

    auto_days: int = Field(ge=0, le=365)
    request_days: int = Field(ge=0, le=365)
    day_count: DayCount = "calendar"
    bill_late_cancellations: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.request_days > self.auto_days:
            raise ValueError("Le délai des demandes ne peut pas dépasser celui des "
                             "réservations automatiques.")
        return self


class PeriodIn(Input):
    establishment_id: uuid.UUID
    name: Name
    start_date: Day
    end_date: Day
    weekdays: list[IsoWeekday] = Field(min_length=1, max_length=7)
    closures: list[Day] = Field(default_factory=list, max_length=366)
    units: list[PeriodUnitIn] = Field(min_length=1, max_length=20)
    eligibility: EligibilityIn = Field(default_factory=EligibilityIn)
    window: WindowIn
    rules: RulesIn
    allocation: Allocation = "fcfs"
    draw_at: AwareDatetime | None = Field(
        None, validate_default=True,
        description="lottery: requests received before it enter the draw")
    offer_hours: int = Field(48, ge=1, le=720)

    # A field validator (after `window` and `allocation`), so the error names `draw_at`.
    @field_validator("draw_at")
    @classmethod
    def _draw_deadline(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if info.data.get("allocation") == "lottery" and value is None:
            raise ValueError("Indiquez la date limite du tirage au sort.")
        window = info.data.get("window")
        if value is not None and window is not None and value <= window.opens_at:
            raise ValueError("La date limite du tirage au sort doit suivre l'ouverture des "
                             "réservations.")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError("La fin de la période doit suivre son début.")
        if self.end_date - self.start_date > timedelta(days=MAX_PERIOD_DAYS):
            raise ValueError(f"Une période dure au plus {MAX_PERIOD_DAYS} jours.")
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("Un jour de la semaine est indiqué deux fois.")
        if len({u.unit_id for u in self.units}) != len(self.units):
            raise ValueError("Une unité est indiquée deux fois.")
        return self


class PeriodPatch(Input):
    """Only the fields sent change; lists are replaced whole."""

    name: Name | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    weekdays: list[IsoWeekday] | None = Field(None, min_length=1, max_length=7)
    closures: list[Day] | None = Field(None, max_length=366)
    units: list[PeriodUnitIn] | None = Field(None, min_length=1, max_length=20)
    eligibility: EligibilityIn | None = None
    window: WindowIn | None = None
    rules: RulesIn | None = None
    allocation: Allocation | None = None
    draw_at: AwareDatetime | None = None
    offer_hours: int | None = Field(None, ge=1, le=720)


class CapacityItem(Split):
    unit_id: uuid.UUID
    date: Day | None = Field(None, description="one day's override; without it, the default")


class CapacitiesIn(Input):
    items: list[CapacityItem] = Field(min_length=1, max_length=2000)


class PeriodsQuery(Input):
    establishment_id: uuid.UUID | None = None


class PeriodUnitOut(Output):
    unit_id: uuid.UUID
    code: str
    label: str
    capacity: int
    capacity_under6: int | None
    capacity_over6: int | None


class OverrideOut(Output):
    unit_id: uuid.UUID
    date: date
    capacity: int
    capacity_under6: int | None
    capacity_over6: int | None


class EligibilityOut(Output):
    min_age: int | None
    max_age: int | None
    school_levels: list[str]


class WindowOut(Output):
    opens_at: datetime
    closes_at: datetime


class RulesOut(Output):
    auto_days: int
    request_days: int
    day_count: DayCount
    bill_late_cancellations: bool


class PeriodOut(Output):
    id: uuid.UUID
    establishment_id: uuid.UUID
    establishment_name: str
    name: str
    start_date: date
    end_date: date
    weekdays: list[int]
    closures: list[date]
    units: list[PeriodUnitOut]
    overrides: list[OverrideOut]
    eligibility: EligibilityOut
    window: WindowOut
    rules: RulesOut
    allocation: Allocation
    # Lottery: the deadline of the requests drawn, and when the draw took place (None before).
    draw_at: datetime | None
    drawn_at: datetime | None
    offer_hours: int
    months: list[str]
    version: int


class PeriodList(Output):
    items: list[PeriodOut]
