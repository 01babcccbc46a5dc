"""Events this service publishes, built from rows and written to the outbox in the caller's
transaction (the contract is services/common/events/reservations.py; no health datum)."""

import uuid
from datetime import datetime

import asyncpg

from services.common.db import Conn
from services.common.events.reservations import (
    Cancelled,
    Line,
    LineDecided,
    LineState,
    LotteryDrawn,
    ReservationSubmitted,
    WaitlistOffered,
)
from services.common.outbox import add_event

PRODUCER = "reservations"

# Everything a line's event carries, in one statement for any number of lines.
LINE_FACTS = """
SELECT l.id, l.reservation_id, r.number, l.family_id, l.child_id, c.first_name, c.last_name,
       c.birth_date, l.day, l.unit_id, u.label AS unit_label, p.establishment_id,
       e.name AS establishment_name, l.period_id, p.name AS period_name,
       p.bill_late_cancellations, l.kind, l.state, l.cancels_line_id, l.comment, l.decided_at,
       l.late, l.version,
       CASE WHEN l.state = 'waiting' THEN (
           SELECT count(*) FROM lines w
           WHERE (w.period_id, w.unit_id, w.day) = (l.period_id, l.unit_id, l.day)
             AND w.state = 'waiting' AND w.queue_seq <= l.queue_seq) END AS position,
       COALESCE(f.email, '') AS email, COALESCE(f.name, '') AS family_name
FROM lines l
JOIN reservations r ON r.id = l.reservation_id
JOIN children c ON c.id = l.child_id
JOIN units u ON u.id = l.unit_id
JOIN periods p ON p.id = l.period_id
JOIN establishments e ON e.id = p.establishment_id
LEFT JOIN families f ON f.id = l.family_id
WHERE l.id = ANY($1::uuid[])
ORDER BY l.day, u.position, c.first_name, l.id
"""


def billable(row: asyncpg.Record) -> bool:
    """Billing's rule, applied by the owner of the rules: an accepted booking, or a booking
    cancelled late when the period bills late cancellations."""
    if row["kind"] != "book":
        return False
    if row["state"] == "accepted":
        return True
    return bool(row["state"] == "cancelled" and row["late"] and row["bill_late_cancellations"])


def line_of(row: asyncpg.Record) -> Line:
    return Line(
        line_id=row["id"], reservation_id=row["reservation_id"],
        reservation_number=row["number"] or "", family_id=row["family_id"],
        child_id=row["child_id"], child_first_name=row["first_name"],
        child_last_name=row["last_name"], child_birth_date=row["birth_date"], date=row["day"],
        unit_id=row["unit_id"], unit_label=row["unit_label"],
        establishment_id=row["establishment_id"],
        establishment_name=row["establishment_name"], period_id=row["period_id"],
        period_name=row["period_name"], kind=row["kind"], state=row["state"],
        cancels_line_id=row["cancels_line_id"], waiting_position=row["position"],
        comment=row["comment"], decided_at=row["decided_at"], late=row["late"],
        billable=billable(row), entity_version=row["version"],
    )


async def facts(conn: Conn, line_ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(LINE_FACTS, line_ids)
    return {r["id"]: r for r in rows}


async def reservation_submitted(conn: Conn, *, reservation: asyncpg.Record,
                                line_ids: list[uuid.UUID]) -> None:
    rows = list((await facts(conn, line_ids)).values())
    first = rows[0]
    await add_event(conn, ReservationSubmitted(
        reservation_id=reservation["id"], number=reservation["number"],
        family_id=reservation["family_id"], email=first["email"],
        family_name=first["family_name"], kind=reservation["kind"],
        state=reservation["state"], submitted_at=reservation["submitted_at"],
        establishment_name=first["establishment_name"], period_name=first["period_name"],
        lines=[line_of(r) for r in rows],
    ), producer=PRODUCER)


async def line_decided(conn: Conn, *, line_id: uuid.UUID, previous_state: LineState
                       ) -> None:
    row = (await facts(conn, [line_id]))[line_id]
    await add_event(conn, LineDecided(
        email=row["email"], family_name=row["family_name"],
        previous_state=previous_state, line=line_of(row)), producer=PRODUCER)


async def cancelled(conn: Conn, *, line_ids: list[uuid.UUID],
                    by_reservation_number: str | None) -> None:
    for row in (await facts(conn, line_ids)).values():
        await add_event(conn, Cancelled(
            email=row["email"], family_name=row["family_name"], line=line_of(row),
            by_reservation_number=by_reservation_number), producer=PRODUCER)


async def waitlist_offered(conn: Conn, *, offer_id: uuid.UUID, line_id: uuid.UUID,
                           expires_at: datetime, token: str) -> None:
    row = (await facts(conn, [line_id]))[line_id]
    await add_event(conn, WaitlistOffered(
        offer_id=offer_id, email=row["email"], family_name=row["family_name"],
        line=line_of(row), expires_at=expires_at, token=token), producer=PRODUCER)


async def lottery_drawn(conn: Conn, *, line_ids: list[uuid.UUID], drawn_at: datetime) -> None:
    """A draw's news: each line decided (billing follows the states), and one event per family
    with all its lines (the notifier's one mail)."""
    rows = list((await facts(conn, line_ids)).values())
    by_family: dict[uuid.UUID, list[asyncpg.Record]] = {}
    for row in rows:
        await add_event(conn, LineDecided(
            email=row["email"], family_name=row["family_name"], previous_state="drawing",
            line=line_of(row)), producer=PRODUCER)
        by_family.setdefault(row["family_id"], []).append(row)
    for family_id, family_rows in sorted(by_family.items(), key=lambda f: str(f[0])):
        first = family_rows[0]
        await add_event(conn, LotteryDrawn(
            family_id=family_id, email=first["email"], family_name=first["family_name"],
            period_id=first["period_id"], period_name=first["period_name"],
            establishment_name=first["establishment_name"], drawn_at=drawn_at,
            lines=[line_of(r) for r in family_rows]), producer=PRODUCER)
