"""SQL of the planning: a board's cells and lines over a date range, and the selection."""

import uuid
from datetime import date

import asyncpg

from services.common.db import Conn

CELL_COLUMNS = """
c.unit_id, c.day, c.capacity, c.capacity_under6, c.capacity_over6, c.taken, c.taken_under6,
c.taken_over6
"""
CELLS = f"""
SELECT {CELL_COLUMNS} FROM cells c WHERE c.period_id = $1 AND c.day BETWEEN $2 AND $3
"""
# The children's booking lines on those days, whichever household booked them (exclusions
# and « already booked » hold for the child), oldest first; a waiting line's position is its
# rank among the cell's waiting lines, a booking's pending cancellation is flagged.
LINES = """
SELECT l.id, l.family_id, l.child_id, l.unit_id, l.day, l.state, l.under6, l.offer_expires_at,
       l.comment, r.number AS reservation_number,
       CASE WHEN l.state = 'waiting' THEN (
           SELECT count(*) FROM lines w
           WHERE (w.period_id, w.unit_id, w.day) = (l.period_id, l.unit_id, l.day)
             AND w.state = 'waiting' AND w.queue_seq <= l.queue_seq) END AS position,
       EXISTS (SELECT 1 FROM lines x WHERE x.cancels_line_id = l.id AND x.state = 'requested')
           AS cancel_pending
FROM lines l JOIN reservations r ON r.id = l.reservation_id
WHERE l.child_id = ANY($1::uuid[]) AND l.kind = 'book' AND l.day BETWEEN $2 AND $3
  AND l.state <> 'cancelled'
ORDER BY l.created_at, l.id
"""
WAITING_COUNTS = """
SELECT unit_id, day, count(*) AS waiting FROM lines
WHERE period_id = $1 AND state = 'waiting' AND day BETWEEN $2 AND $3
GROUP BY unit_id, day
"""
SELECTION = """
SELECT day, unit_id FROM selections
WHERE family_id = $1 AND child_id = $2 AND period_id = $3 AND kind = $4
ORDER BY day, unit_id
"""
ADD_SELECTION = """
INSERT INTO selections (family_id, child_id, period_id, kind, day, unit_id)
SELECT $1, $2, $3, $4, x.day, x.unit_id FROM unnest($5::date[], $6::uuid[]) AS x(day, unit_id)
ON CONFLICT DO NOTHING
"""
REMOVE_SELECTION = """
DELETE FROM selections
WHERE family_id = $1 AND child_id = $2 AND period_id = $3 AND kind = $4
  AND (day, unit_id) IN (SELECT * FROM unnest($5::date[], $6::uuid[]))
"""
CLEAR_SELECTION = """
DELETE FROM selections WHERE family_id = $1 AND child_id = $2 AND period_id = $3 AND kind = $4
"""


async def cells(conn: Conn, period_id: uuid.UUID, first: date, last: date
                ) -> list[asyncpg.Record]:
    return await conn.fetch(CELLS, period_id, first, last)


async def lines(conn: Conn, child_ids: list[uuid.UUID], first: date, last: date
                ) -> list[asyncpg.Record]:
    return await conn.fetch(LINES, child_ids, first, last)


async def waiting_counts(conn: Conn, period_id: uuid.UUID, first: date, last: date
                         ) -> dict[tuple[uuid.UUID, date], int]:
    rows = await conn.fetch(WAITING_COUNTS, period_id, first, last)
    return {(r["unit_id"], r["day"]): r["waiting"] for r in rows}


async def selection(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID,
                    period_id: uuid.UUID, kind: str) -> list[tuple[uuid.UUID, date]]:
    rows = await conn.fetch(SELECTION, family_id, child_id, period_id, kind)
    return [(r["unit_id"], r["day"]) for r in rows]


async def add_selection(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID,
                        period_id: uuid.UUID, kind: str,
                        keys: list[tuple[uuid.UUID, date]]) -> None:
    if keys:
        await conn.execute(ADD_SELECTION, family_id, child_id, period_id, kind,
                           [d for _, d in keys], [u for u, _ in keys])


async def remove_selection(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID,
                           period_id: uuid.UUID, kind: str,
                           keys: list[tuple[uuid.UUID, date]]) -> None:
    if keys:
        await conn.execute(REMOVE_SELECTION, family_id, child_id, period_id, kind,
                           [d for _, d in keys], [u for u, _ in keys])


async def clear_selection(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID,
                          period_id: uuid.UUID, kind: str) -> None:
    await conn.execute(CLEAR_SELECTION, family_id, child_id, period_id, kind)
