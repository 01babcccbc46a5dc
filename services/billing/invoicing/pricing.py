"""Pricing rules, pure: the QF bracket of a family, the sibling reduction, children's ranks.

- A tariff's brackets go up by QF (`qf_max` inclusive), the last one open-ended; a family
  whose QF is unknown pays the last (highest) bracket.
- Children rank within a family and a month by birth date, eldest first (same birth date:
  child id), among the children who have billable lines that month — whether those lines are
  billed in this run or were billed before, so a later run gives the same ranks. The eldest
  pays the bracket price; the second and following ones get the unit's reduction.
"""

import itertools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Bracket:
    qf_max: int | None  # inclusive; None: no upper bound (the top bracket)
    price_cents: int


@dataclass(frozen=True)
class Tariff:
    id: uuid.UUID
    unit_id: uuid.UUID
    valid_from: date
    brackets: tuple[Bracket, ...]
    sibling_reduction_percent: int
    childcare: bool

    @classmethod
    def of(cls, row: Any) -> "Tariff":
        return cls(
            id=row["id"], unit_id=row["unit_id"], valid_from=row["valid_from"],
            brackets=tuple(Bracket(b["qf_max"], b["price_cents"]) for b in row["brackets"]),
            sibling_reduction_percent=row["sibling_reduction_percent"],
            childcare=row["childcare"],
        )


def bracket_for(brackets: Sequence[Bracket], qf: int | None) -> Bracket:
    """The bracket a QF falls in; no QF: the top bracket."""
    if qf is not None:
        for bracket in brackets:
            if bracket.qf_max is None or qf <= bracket.qf_max:
                return bracket
    return brackets[-1]


def reduced(price_cents: int, percent: int) -> int:
    """`price_cents` less `percent` %, rounded to the nearest cent (half up)."""
    return (price_cents * (100 - percent) + 50) // 100


def check_brackets(brackets: Sequence[Bracket]) -> None:
    """Ascending upper bounds, only the last one open: or a French ValueError."""
    if not brackets:
        raise ValueError("Indiquez au moins une tranche de QF.")
    if brackets[-1].qf_max is not None:
        raise ValueError("La dernière tranche doit être sans plafond de QF.")
    bounds = [b.qf_max for b in brackets[:-1]]
    if any(b is None for b in bounds):
        raise ValueError("Seule la dernière tranche peut être sans plafond de QF.")
    limits = [b for b in bounds if b is not None]
    if any(later <= earlier for earlier, later in itertools.pairwise(limits)):
        raise ValueError("Les plafonds de QF des tranches doivent être croissants.")


def tariff_on(tariffs: Sequence[Tariff], day: date) -> Tariff | None:
    """The tariff in force on `day`: the latest `valid_from` not after it (`tariffs` of one
    unit, in ascending `valid_from`)."""
    found: Tariff | None = None
    for tariff in tariffs:
        if tariff.valid_from <= day:
            found = tariff
        else:
            break
    return found


def child_ranks(children: Iterable[tuple[uuid.UUID, date]]) -> dict[uuid.UUID, int]:
    """Rank (1 = eldest) of each child, by birth date then id."""
    ordered = sorted(set(children), key=lambda c: (c[1], str(c[0])))
    return {child_id: rank for rank, (child_id, _) in enumerate(ordered, start=1)}


@dataclass(frozen=True)
class Price:
    base_cents: int
    reduction_percent: int
    cents: int


def price(tariff: Tariff, *, qf: int | None, rank: int) -> Price:
    """What one line costs: its bracket's price, reduced from the second child on."""
    base = bracket_for(tariff.brackets, qf).price_cents
    percent = tariff.sibling_reduction_percent if rank >= 2 else 0
    return Price(base, percent, reduced(base, percent))
