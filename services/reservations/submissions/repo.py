"""SQL of reservations and their lines: numbering, idempotency keys, line states, reading."""

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from services.common.db import Conn

# The same key twice: the second INSERT waits for the first transaction, then finds its row
# (or takes the key if that transaction rolled back).
CLAIM_KEY = """
INSERT INTO idempotency_keys (family_id, key, request_hash) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
RETURNING key
"""
GET_KEY = """
SELECT request_hash, reservation_id FROM idempotency_keys WHERE family_id = $1 AND key = $2
"""
SET_KEY = """
UPDATE idempotency_keys SET reservation_id = $3 WHERE family_id = $1 AND key = $2
"""
# R-YYYY-NNNNNN: the year's counter row is the one lock every submission shares, so it is
# taken last, just before commit.
# Numbers R-YYYY-NNNNNN come from one sequence per year: unique and increasing, taken without
# a lock, so concurrent submissions never wait on each other for their number (a counter row
# held them in a queue through to each commit: the bench saw ~135 bookings/s at most). Not
# gapless (unlike invoices): a submission failing after its number leaves that one unused.
# NULL while the year's sequence does not exist yet (to_regclass, no error).
NEXT_NUMBER = "SELECT nextval(to_regclass(format('reservation_number_%s', $1::int)))"
# The year's sequence, created once (concurrent first submissions of a year queue on the
# advisory lock, then find it made); it continues a year counted in reservation_counters
# before the sequences.
YEAR_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('reservation_number_' || $1, 0))"
YEAR_START = "SELECT coalesce(max(last), 0) + 1 FROM reservation_counters WHERE year = $1"
INSERT_RESERVATION = """
INSERT INTO reservations (id, number, family_id, child_id, period_id, kind, state,
                          all_or_nothing, submitted_at, submitted_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id, number, family_id, child_id, period_id, kind, state, submitted_at
"""
INSERT_LINES = """
INSERT INTO lines (id, reservation_id, family_id, child_id, period_id, unit_id, day, kind,
                   state, cancels_line_id, under6, late, queue_seq, queued_at, comment,
                   decided_at, decided_by)
SELECT x.id, $1, $2, x.child_id, $3, x.unit_id, x.day, $4, x.state, x.cancels, x.under6,
       x.late, x.queue_seq, CASE WHEN x.queue_seq IS NULL THEN NULL ELSE $5::timestamptz END,
       x.comment, CASE WHEN x.state IN ('accepted', 'refused') THEN $5::timestamptz END,
       CASE WHEN x.state IN ('accepted', 'refused') THEN 'system' END
FROM unnest($6::uuid[], $7::uuid[], $8::uuid[], $9::date[], $10::text[], $11::uuid[],
            $12::bool[], $13::bool[], $14::bigint[], $15::text[])
     AS x(id, child_id, unit_id, day, state, cancels, under6, late, queue_seq, comment)
"""
# A line's state changes; its version grows (billing applies only newer versions).
SET_STATE = """
UPDATE lines SET state = $2, comment = COALESCE($3, comment), decided_at = $4,
       decided_by = COALESCE($5, decided_by), late = late OR $6, offer_expires_at = NULL,
       version = version + 1
WHERE id = ANY($1::uuid[])
RETURNING id, reservation_id
"""
LINE_STATES = """
SELECT r.id, r.kind, r.state, array_agg(l.state) AS states
FROM reservations r JOIN lines l ON l.reservation_id = r.id
WHERE r.id = ANY($1::uuid[])
GROUP BY r.id
"""
SET_RESERVATION_STATE = """
UPDATE reservations SET state = $2, version = version + 1 WHERE id = $1
"""
GET_LINE = """
SELECT l.id, l.reservation_id, l.family_id, l.child_id, l.period_id, l.unit_id, l.day, l.kind,
       l.state, l.cancels_line_id, l.under6, l.version
FROM lines l WHERE l.id = $1
"""
LOCK_LINES = GET_LINE.replace("l.id = $1", "l.id = ANY($1::uuid[])") + " ORDER BY l.id FOR UPDATE"

SELECT_RESERVATIONS = """
SELECT r.id, r.number, r.kind, r.state, r.family_id, r.child_id, r.period_id, r.submitted_at,
       r.all_or_nothing, c.first_name, c.last_name, p.name AS period_name,
       p.establishment_id, e.name AS establishment_name
FROM reservations r
JOIN children c ON c.id = r.child_id
JOIN periods p ON p.id = r.period_id
JOIN establishments e ON e.id = p.establishment_id
"""
RESERVATION_BY_NUMBER = SELECT_RESERVATIONS + " WHERE r.family_id = $1 AND r.number = $2"
RESERVATION_BY_ID = SELECT_RESERVATIONS + " WHERE r.family_id = $1 AND r.id = $2"
RESERVATIONS_PAGE = SELECT_RESERVATIONS + """
WHERE r.family_id = $1 AND ($2::uuid IS NULL OR r.child_id = $2)
  AND ($3::timestamptz IS NULL OR (r.submitted_at, r.id) < ($3, $4))
ORDER BY r.submitted_at DESC, r.id DESC
LIMIT $5
"""
LINES_OF = """
SELECT l.id, l.reservation_id, l.child_id, c.first_name AS child_first_name, l.day,
       l.unit_id, u.label AS unit_label, u.position AS unit_position, l.kind, l.state,
       l.comment, l.decided_at, l.cancels_line_id, l.offer_expires_at, l.late, l.period_id,
       CASE WHEN l.state = 'waiting' THEN (
           SELECT count(*) FROM lines w
           WHERE (w.period_id, w.unit_id, w.day) = (l.period_id, l.unit_id, l.day)
             AND w.state = 'waiting' AND w.queue_seq <= l.queue_seq) END AS position
FROM lines l JOIN children c ON c.id = l.child_id JOIN units u ON u.id = l.unit_id
WHERE l.reservation_id = ANY($1::uuid[])
ORDER BY l.day, u.position, c.first_name, l.id
"""
REMOVE_FROM_SELECTIONS = """
DELETE FROM selections s
WHERE s.family_id = $1 AND s.period_id = $2 AND s.kind = $3
  AND (s.child_id, s.day, s.unit_id) IN (SELECT * FROM unnest($4::uuid[], $5::date[],
                                                             $6::uuid[]))
"""


async def claim_key(conn: Conn, family_id: uuid.UUID, key: str, request_hash: str) -> bool:
    return await conn.fetchval(CLAIM_KEY, family_id, key, request_hash) is not None


async def get_key(conn: Conn, family_id: uuid.UUID, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_KEY, family_id, key)


async def set_key(conn: Conn, family_id: uuid.UUID, key: str, reservation_id: uuid.UUID
                  ) -> None:
    await conn.execute(SET_KEY, family_id, key, reservation_id)


async def next_number(conn: Conn, year: int) -> str:
    last = await conn.fetchval(NEXT_NUMBER, year)
    if last is None:
        year = int(year)  # an integer, written into the statements below
        await conn.execute(YEAR_LOCK, str(year))
        start = await conn.fetchval(YEAR_START, year)
        await conn.execute(f"CREATE SEQUENCE IF NOT EXISTS reservation_number_{year} "
                           f"START WITH {int(start)}")
        last = await conn.fetchval(NEXT_NUMBER, year)
    return f"R-{year:04d}-{last:06d}"


async def insert_reservation(conn: Conn, **values: Any) -> asyncpg.Record:
    row = await conn.fetchrow(
        INSERT_RESERVATION, values["id"], values["number"], values["family_id"],
        values["child_id"], values["period_id"], values["kind"], values["state"],
        values["all_or_nothing"], values["submitted_at"], values["submitted_by"])
    assert row is not None
    return row


async def insert_lines(conn: Conn, *, reservation_id: uuid.UUID, family_id: uuid.UUID,
                       period_id: uuid.UUID, kind: str, now: datetime,
                       lines: list[dict[str, Any]]) -> None:
    columns = ("id", "child_id", "unit_id", "day", "state", "cancels", "under6", "late",
               "queue_seq", "comment")
    await conn.execute(INSERT_LINES, reservation_id, family_id, period_id, kind, now,
                       *([line[c] for line in lines] for c in columns))


async def set_state(conn: Conn, line_ids: list[uuid.UUID], state: str, *,
                    comment: str | None = None, decided_at: datetime | None = None,
                    decided_by: str | None = None, late: bool = False) -> set[uuid.UUID]:
    """Change lines' state; the reservations they belong to (to refresh)."""
    if not line_ids:
        return set()
    rows = await conn.fetch(SET_STATE, line_ids, state, comment, decided_at, decided_by, late)
    return {r["reservation_id"] for r in rows}


def reservation_state(kind: str, states: list[str]) -> str:
    """A reservation's state from its lines' (SPEC §8 list states)."""
    if kind == "cancel":
        if "requested" in states:
            return "cancel_requested"
        if all(s == "accepted" for s in states):
            return "cancelled"
        if all(s == "refused" for s in states):
            return "refused"
        return "partial"
    live = [s for s in states if s != "cancelled"]
    if not live:
        return "cancelled"
    if "drawing" in live:
        return "drawing"
    if "requested" in live:
        return "pending"
    if all(s == "accepted" for s in live):
        return "accepted"
    if all(s == "refused" for s in live):
        return "refused"
    if "accepted" in live:
        return "partial"
    return "waiting"


async def refresh_states(conn: Conn, reservation_ids: set[uuid.UUID]) -> None:
    """Recompute the state of reservations whose lines changed."""
    if not reservation_ids:
        return
    for row in await conn.fetch(LINE_STATES, list(reservation_ids)):
        state = reservation_state(row["kind"], list(row["states"]))
        if state != row["state"]:
            await conn.execute(SET_RESERVATION_STATE, row["id"], state)


async def get_line(conn: Conn, line_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_LINE, line_id)


async def lock_lines(conn: Conn, line_ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    return {r["id"]: r for r in await conn.fetch(LOCK_LINES, line_ids)}


async def reservation_by_number(conn: Conn, family_id: uuid.UUID, number: str
                                ) -> asyncpg.Record | None:
    return await conn.fetchrow(RESERVATION_BY_NUMBER, family_id, number)


async def reservation_by_id(conn: Conn, family_id: uuid.UUID, reservation_id: uuid.UUID
                            ) -> asyncpg.Record | None:
    return await conn.fetchrow(RESERVATION_BY_ID, family_id, reservation_id)


async def reservations_page(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID | None,
                            after: tuple[Any, ...] | None, limit: int) -> list[asyncpg.Record]:
    at, last_id = after if after is not None else (None, None)
    return await conn.fetch(RESERVATIONS_PAGE, family_id, child_id, at, last_id, limit)


async def lines_of(conn: Conn, reservation_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(LINES_OF, reservation_ids)


async def remove_from_selections(conn: Conn, family_id: uuid.UUID, period_id: uuid.UUID,
                                 kind: str, cells: list[tuple[uuid.UUID, date, uuid.UUID]]
                                 ) -> None:
    await conn.execute(REMOVE_FROM_SELECTIONS, family_id, period_id, kind,
                       [c for c, _, _ in cells], [d for _, d, _ in cells],
                       [u for _, _, u in cells])
