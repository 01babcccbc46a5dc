"""Events published by the reservations service (the contract billing and the notifier rely on).

Every line carries the facts billing needs — the family that booked (never derived from the
child: a child may belong to two households), child, date, unit, establishment, kind, state,
decided_at — and `entity_version`, the line's own version in the reservations database, which
only grows: billing keeps lines by `line_id` and applies an event only when its
`entity_version` is newer than the one it holds. `billable` is the period's rule applied by
the owner of the rules: an accepted booking, or a booking cancelled late when the period bills
late cancellations. No health datum ever travels here.
"""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.common.events import Event

LineKind = Literal["book", "cancel"]
# Booking lines: accepted, requested (staff decide), waiting (waiting list), offered (a freed
# place offered to a waiting line), refused, cancelled, drawing (a lottery period's booking
# awaiting the draw: no place held, nothing billable). Cancel lines: accepted (the booking it
# names is cancelled), requested, refused.
LineState = Literal["accepted", "requested", "waiting", "offered", "refused", "cancelled",
                    "drawing"]
ReservationState = Literal[
    "accepted", "pending", "partial", "refused", "cancel_requested", "cancelled", "waiting",
    "drawing",
]


class Line(BaseModel):
    """One day × unit of a reservation, with what billing and the e-mails need."""

    model_config = ConfigDict(frozen=True)

    line_id: uuid.UUID
    reservation_id: uuid.UUID
    reservation_number: str
    family_id: uuid.UUID
    child_id: uuid.UUID
    child_first_name: str
    child_last_name: str
    child_birth_date: date
    date: date
    unit_id: uuid.UUID
    unit_label: str
    establishment_id: uuid.UUID
    establishment_name: str
    period_id: uuid.UUID
    period_name: str
    kind: LineKind
    state: LineState
    # For a cancel line: the booking line it cancels.
    cancels_line_id: uuid.UUID | None = None
    waiting_position: int | None = None
    comment: str | None = None
    decided_at: datetime | None = None
    # A cancellation made after the period's free-cancellation deadline.
    late: bool = False
    billable: bool
    entity_version: int


class ReservationSubmitted(Event):
    """A parent submitted a numbered reservation (booking or cancellation request): the
    notifier sends the recap; billing takes the lines."""

    TYPE = "reservations.reservation_submitted"

    reservation_id: uuid.UUID
    number: str
    family_id: uuid.UUID
    email: str
    family_name: str
    kind: LineKind
    state: ReservationState
    submitted_at: datetime
    establishment_name: str
    period_name: str
    lines: list[Line]


class LineDecided(Event):
    """A line changed state after submission: a staff decision, a waiting line promoted, an
    offer accepted, declined or expired, a lottery's draw (previous state `drawing`: the
    family hears of it through `LotteryDrawn`, one mail for all its lines)."""

    TYPE = "reservations.line_decided"

    email: str
    family_name: str
    previous_state: LineState
    line: Line


class WaitlistOffered(Event):
    """A freed place is offered to the first waiting line; the parent accepts or declines
    from the e-mailed link (a one-time token, like auth's links) or from the portal before
    `expires_at`; silence passes it to the next in line."""

    TYPE = "reservations.waitlist_offered"

    offer_id: uuid.UUID
    email: str
    family_name: str
    line: Line
    expires_at: datetime
    token: str


class Cancelled(Event):
    """A booked line was cancelled (an accepted cancel line, or staff): billing stops billing
    it unless `line.billable` (a late cancellation billed by the period's rules)."""

    TYPE = "reservations.cancelled"

    email: str
    family_name: str
    line: Line
    by_reservation_number: str | None = None


class LotteryDrawn(Event):
    """A lottery period was drawn: one event per family that took part, with every line it
    had awaiting the draw as the draw decided it (accepted, requested, waiting with its
    position, refused), so the notifier sends each family one mail of its results."""

    TYPE = "reservations.lottery_drawn"

    family_id: uuid.UUID
    email: str
    family_name: str
    period_id: uuid.UUID
    period_name: str
    establishment_name: str
    drawn_at: datetime
    lines: list[Line]
