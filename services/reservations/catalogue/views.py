"""A period as the rule engine and the planning read it, built from one row."""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.reservations.rules import (
    Calendar,
    Eligibility,
    Rules,
    Window,
    ineligible_reason,
    window_state,
)


@dataclass(frozen=True)
class UnitInfo:
    id: uuid.UUID
    code: str
    label: str
    position: int
    split: bool


@dataclass(frozen=True)
class PeriodInfo:
    """A period as the rule engine and the planning read it (one query)."""

    id: uuid.UUID
    name: str
    establishment_id: uuid.UUID
    establishment_name: str
    establishment_kind: str
    calendar: Calendar
    rules: Rules
    eligibility: Eligibility
    opens_at: datetime
    closes_at: datetime
    offer_hours: int
    bill_late_cancellations: bool
    units: tuple[UnitInfo, ...]
    exclusions: dict[uuid.UUID, frozenset[uuid.UUID]]
    allocation: str = "fcfs"
    draw_at: datetime | None = None
    drawn_at: datetime | None = None

    @property
    def awaits_draw(self) -> bool:
        """A lottery period not drawn yet: its bookings wait for the draw, holding no place."""
        return self.allocation == "lottery" and self.drawn_at is None

    # Built once per period read: the planning asks them for every cell of a month.
    @functools.cached_property
    def labels(self) -> dict[uuid.UUID, str]:
        return {u.id: u.label for u in self.units}

    @functools.cached_property
    def _units_by_id(self) -> dict[uuid.UUID, UnitInfo]:
        return {u.id: u for u in self.units}

    def unit(self, unit_id: uuid.UUID) -> UnitInfo | None:
        return self._units_by_id.get(unit_id)

    def window(self, now: datetime) -> Window:
        return window_state(now, self.opens_at, self.closes_at)

    def ineligible(self, child: Any) -> str | None:
        return ineligible_reason(
            self.eligibility, first_name=child.first_name, birth_date=child.birth_date,
            school_level=child.school_level, on=self.calendar.start)


def period_info(row: asyncpg.Record) -> PeriodInfo:
    units = tuple(UnitInfo(id=uuid.UUID(u["unit_id"]), code=u["code"], label=u["label"],
                           position=u["position"], split=u["capacity_under6"] is not None)
                  for u in row["units"])
    return PeriodInfo(
        id=row["id"], name=row["name"], establishment_id=row["establishment_id"],
        establishment_name=row["establishment_name"],
        establishment_kind=row["establishment_kind"],
        calendar=Calendar(start=row["start_date"], end=row["end_date"],
                                weekdays=frozenset(row["weekdays"]),
                                closures=frozenset(row["closures"])),
        rules=Rules(auto_days=row["auto_days"], request_days=row["request_days"],
                          working_days=row["day_count"] == "working"),
        eligibility=Eligibility(min_age=row["min_age"], max_age=row["max_age"],
                                      school_levels=frozenset(row["school_levels"])),
        opens_at=row["opens_at"], closes_at=row["closes_at"], offer_hours=row["offer_hours"],
        bill_late_cancellations=row["bill_late_cancellations"],
        units=units,
        exclusions={uuid.UUID(u["unit_id"]): frozenset(uuid.UUID(x) for x in u["excludes"])
                    for u in row["units"]},
        allocation=row["allocation"], draw_at=row["draw_at"], drawn_at=row["drawn_at"],
    )
