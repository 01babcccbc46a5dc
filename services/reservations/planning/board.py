"""One child's board on one period: place counters, the child's lines, the selection — and,
from them alone (pure, no I/O), every cell's state and the outcome a click, a preview or a
submission gets. The planning, the selection, the preview and the submission all decide
through `Board`, so what a parent is shown is what a submission does."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from services.reservations import rules
from services.reservations.catalogue.views import PeriodInfo
from services.reservations.households.service import Child
from services.reservations.rules import (
    ACCEPTED,
    DRAWING,
    IMPOSSIBLE,
    REQUESTED,
    WAITING,
    Outcome,
)

Key = tuple[uuid.UUID, date]  # (unit_id, day)
Kind = Literal["book", "cancel"]

LIVE = frozenset({"accepted", "requested", "waiting", "offered", "drawing"})
UNIT_NOT_OFFERED = "Cette unité n'est pas proposée sur cette période."
NO_CELL = "Ce jour n'est pas proposé."
NOTHING_TO_CANCEL = "Aucune réservation à annuler ce jour-là."
CANCEL_PENDING = "Une demande d'annulation est déjà en cours pour ce jour."
WITHDRAWAL = "Votre demande en cours pour ce jour sera retirée."
OTHER_HOUSEHOLD = "Ce jour est déjà réservé par l'autre foyer de l'enfant."
OTHER_CUSTODY = "Ce jour relève de la garde de l'autre parent (semaines alternées)."
ALREADY = {
    "reserved": "Ce jour est déjà réservé.",
    "requested": "Une demande est déjà en cours pour ce jour.",
    "offered": "Une place vous est proposée pour ce jour : répondez à l'offre.",
    "cancel_requested": CANCEL_PENDING,
    "drawing": "Une demande pour ce jour attend déjà le tirage au sort.",
}


@dataclass
class Cell:
    """A day × unit's place counter (a copy: the database row is the truth)."""

    capacity: int
    capacity_under6: int | None
    capacity_over6: int | None
    taken: int
    taken_under6: int
    taken_over6: int
    waiting: int = 0

    def has_room(self, under6: bool) -> bool:
        if self.taken >= self.capacity:
            return False
        pool, taken = ((self.capacity_under6, self.taken_under6) if under6
                       else (self.capacity_over6, self.taken_over6))
        return pool is None or taken < pool

    def take(self, under6: bool) -> None:
        self.taken += 1
        if under6:
            self.taken_under6 += 1
        else:
            self.taken_over6 += 1


@dataclass
class HeldLine:
    """A booking line of the child (any household) on a day × unit."""

    id: uuid.UUID
    family_id: uuid.UUID
    unit_id: uuid.UUID
    day: date
    state: str
    under6: bool = False
    position: int | None = None
    cancel_pending: bool = False
    offer_expires_at: datetime | None = None
    reservation_number: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class CellView:
    state: str
    outcome: Outcome
    reason: str | None
    position: int | None
    deadline: datetime | None
    line_id: uuid.UUID | None
    offer_expires_at: datetime | None


@dataclass(frozen=True)
class Decision:
    """What one line gets: a booking or cancellation outcome, decided on the board."""

    child_id: uuid.UUID
    unit_id: uuid.UUID
    day: date
    outcome: Outcome
    reason: str | None
    under6: bool = False
    # For a waiting line: its place in the queue. For a cancellation: the line it cancels
    # and whether that line holds a place.
    position: int | None = None
    target: HeldLine | None = None


@dataclass
class Board:
    period: PeriodInfo
    child: Child
    family_id: uuid.UUID
    kind: Kind
    now: datetime
    cells: dict[Key, Cell]
    lines: list[HeldLine]
    selected: set[Key] = field(default_factory=set)
    live: dict[Key, HeldLine] = field(init=False)
    refused: dict[Key, HeldLine] = field(init=False)
    # The units of the live lines, by day (what exclusions are checked against, per cell).
    live_units: dict[date, set[uuid.UUID]] = field(init=False)
    # Per day, the same for every unit (and `now` is fixed): computed once per day.
    _deadlines: dict[date, datetime] = field(init=False)
    _timings: dict[date, Outcome] = field(init=False)

    def __post_init__(self) -> None:
        units = {u.id for u in self.period.units}
        self.live, self.refused = {}, {}
        for line in self.lines:  # oldest first: the latest refusal wins
            key = (line.unit_id, line.day)
            if line.unit_id not in units:
                continue
            if line.state in LIVE:
                self.live[key] = line
            elif line.state == "refused" and line.family_id == self.family_id:
                self.refused[key] = line
        self._deadlines, self._timings = {}, {}
        self.live_units = {}
        for unit_id, day in self.live:
            self.live_units.setdefault(day, set()).add(unit_id)
        self.ineligible = self.period.ineligible(self.child)
        self.window = self.period.window(self.now)

    # ---- what stands on a cell ---------------------------------------------------------------

    def closed_reason(self, unit_id: uuid.UUID, day: date) -> str | None:
        if self.period.unit(unit_id) is None:
            return UNIT_NOT_OFFERED
        reason = self.period.calendar.closed_reason(day)
        if reason is None and (unit_id, day) not in self.cells:
            return NO_CELL
        return reason

    def held_units(self, day: date, *, besides: uuid.UUID) -> set[uuid.UUID]:
        """Units the child holds that day (live lines of any household, and the selection
        when booking), the cell `besides` left out: what exclusions are checked against."""
        held = set(self.live_units.get(day, ()))
        if self.kind == "book":
            held |= {u for (u, d) in self.selected if d == day}
        held.discard(besides)
        return held

    def under6(self, day: date) -> bool:
        return rules.under_six(self.child.birth_date, day)

    def other_custody(self, day: date) -> bool:
        """The day is the other household's under alternate weeks (never bookable here)."""
        keeper = self.child.keeper(day)
        return keeper is not None and keeper != self.family_id

    def state(self, unit_id: uuid.UUID, day: date) -> str:
        if self.closed_reason(unit_id, day) is not None:
            return "not_offered"
        key = (unit_id, day)
        line = self.live.get(key)
        if line is not None and line.family_id == self.family_id:
            # Its own line stays shown (and cancellable), even on the other's week.
            if line.state == "accepted":
                return "cancel_requested" if line.cancel_pending else "reserved"
            return line.state
        if self.other_custody(day):
            return "other_custody"
        if line is not None:
            return "other_household"
        if key in self.refused:
            return "refused"
        return "available" if self.cells[key].has_room(self.under6(day)) else "full"

    def deadline(self, day: date) -> datetime:
        """« Modifiable jusqu'au … »: booking also ends when the window closes."""
        found = self._deadlines.get(day)
        if found is None:
            last = self.period.rules.deadline(day)
            found = min(last, self.period.closes_at) if self.kind == "book" else last
            self._deadlines[day] = found
        return found

    def timing(self, day: date) -> Outcome:
        """Accepted, requested or impossible by the processing rules, now, for that day."""
        found = self._timings.get(day)
        if found is None:
            found = self._timings[day] = self.period.rules.timing(self.now, day)
        return found

    # ---- outcomes ----------------------------------------------------------------------------

    def book_outcome(self, unit_id: uuid.UUID, day: date, held: Iterable[uuid.UUID]
                     ) -> tuple[Outcome, str | None]:
        """What booking this cell gets now, the child holding `held` units that day."""
        closed = self.closed_reason(unit_id, day)
        if closed is not None:
            return IMPOSSIBLE, closed
        line = self.live.get((unit_id, day))
        if self.other_custody(day) and (line is None or line.family_id != self.family_id):
            return IMPOSSIBLE, OTHER_CUSTODY
        if line is not None:
            if line.family_id != self.family_id:
                return IMPOSSIBLE, OTHER_HOUSEHOLD
            if line.state == "waiting":
                return IMPOSSIBLE, ("Déjà inscrit sur la liste d'attente de ce jour "
                                    f"(position {line.position or '?'}).")
            return IMPOSSIBLE, ALREADY[self.state(unit_id, day)]
        if self.ineligible is not None:
            return IMPOSSIBLE, self.ineligible
        window = rules.window_reason(self.window, self.period.opens_at, self.period.closes_at)
        if window is not None:
            return IMPOSSIBLE, window
        timing = self.timing(day)
        if timing == IMPOSSIBLE:
            return IMPOSSIBLE, rules.too_late_reason(self.period.rules.deadline(day),
                                                     cancel=False)
        excluded = rules.exclusion_reason(unit_id, held, self.period.exclusions,
                                          self.period.labels)
        if excluded is not None:
            return IMPOSSIBLE, excluded
        if self.period.awaits_draw:
            return DRAWING, rules.draw_reason(self.period.draw_at, self.now)
        if not self.cells[(unit_id, day)].has_room(self.under6(day)):
            return WAITING, rules.FULL_REASON
        if timing == REQUESTED:
            return REQUESTED, rules.request_reason(day, self.period.rules, cancel=False)
        return ACCEPTED, None

    def cancel_outcome(self, unit_id: uuid.UUID, day: date) -> tuple[Outcome, str | None]:
        """What cancelling this cell gets now (a withdrawal when nothing is held yet)."""
        line = self.live.get((unit_id, day))
        if line is None or line.family_id != self.family_id:
            return IMPOSSIBLE, NOTHING_TO_CANCEL
        if line.cancel_pending:
            return IMPOSSIBLE, CANCEL_PENDING
        if line.state != "accepted":
            return ACCEPTED, WITHDRAWAL
        timing = self.timing(day)
        if timing == IMPOSSIBLE:
            return IMPOSSIBLE, rules.too_late_reason(self.period.rules.deadline(day),
                                                     cancel=True)
        if timing == REQUESTED:
            return REQUESTED, rules.request_reason(day, self.period.rules, cancel=True)
        return ACCEPTED, None

    def outcome(self, unit_id: uuid.UUID, day: date) -> tuple[Outcome, str | None]:
        """What a click on this cell would get now."""
        if self.kind == "cancel":
            return self.cancel_outcome(unit_id, day)
        return self.book_outcome(unit_id, day, self.held_units(day, besides=unit_id))

    def view(self, unit_id: uuid.UUID, day: date) -> CellView:
        state = self.state(unit_id, day)
        outcome, reason = self.outcome(unit_id, day)
        line = self.live.get((unit_id, day)) or self.refused.get((unit_id, day))
        own = line is not None and line.family_id == self.family_id
        return CellView(
            state=state, outcome=outcome, reason=reason,
            position=line.position if own and line is not None and state == "waiting" else None,
            deadline=None if state == "not_offered" else self.deadline(day),
            line_id=line.id if own and line is not None else None,
            offer_expires_at=line.offer_expires_at if own and line is not None else None,
        )

    def clickable(self, unit_id: uuid.UUID, day: date) -> tuple[bool, str | None]:
        """Whether a click could add this cell to the selection (and why not)."""
        outcome, reason = self.outcome(unit_id, day)
        return outcome != IMPOSSIBLE, reason


def decide(boards: dict[uuid.UUID, Board], wanted: list[tuple[uuid.UUID, uuid.UUID, date]],
           *, all_or_nothing: bool) -> list[Decision]:
    """Decide lines (child, unit, day) in order on the boards, as a submission does: each
    place taken or queued counts for the next line (boards of siblings share the cells).
    With `all_or_nothing`, unless every line is accepted, every line is refused (a lottery
    period applies it at its draw: lines awaiting it stay so)."""
    decisions: list[Decision] = []
    taken: dict[tuple[uuid.UUID, date], set[uuid.UUID]] = {}  # (child, day) → units
    for child_id, unit_id, day in wanted:
        board = boards[child_id]
        if board.kind == "cancel":
            outcome, reason = board.cancel_outcome(unit_id, day)
            target = board.live.get((unit_id, day)) if outcome != IMPOSSIBLE else None
            decisions.append(Decision(child_id, unit_id, day, outcome, reason, target=target))
            continue
        held = board.live_units.get(day, set()) | taken.get((child_id, day), set())
        outcome, reason = board.book_outcome(unit_id, day, held)
        under6 = board.under6(day)
        position = None
        if outcome in (ACCEPTED, REQUESTED):
            board.cells[(unit_id, day)].take(under6)
        elif outcome == WAITING:
            cell = board.cells[(unit_id, day)]
            cell.waiting += 1
            position = cell.waiting
        if outcome != IMPOSSIBLE:
            taken.setdefault((child_id, day), set()).add(unit_id)
        decisions.append(Decision(child_id, unit_id, day, outcome, reason, under6, position))
    if all_or_nothing and any(d.outcome not in (ACCEPTED, DRAWING) for d in decisions):
        missed = next(d for d in decisions if d.outcome not in (ACCEPTED, DRAWING))
        reason = ("« Tout ou rien » : toutes les lignes n'ont pas pu être acceptées "
                  f"immédiatement ({missed.reason or 'place non disponible'}).")
        decisions = [Decision(d.child_id, d.unit_id, d.day,
                              IMPOSSIBLE if d.outcome == IMPOSSIBLE else "refused",
                              d.reason if d.outcome == IMPOSSIBLE else reason,
                              d.under6, None, d.target) for d in decisions]
    return decisions
