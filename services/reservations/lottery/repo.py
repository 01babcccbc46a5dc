"""SQL of the lottery: the period's draw lock, the lines awaiting the draw, the draw's record."""

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.common.db import Conn
from services.reservations.households.repo import CHILD_COLUMNS

# One lock per period: submissions share it, the draw holds it alone (and takes it first, before
# any row), so no submission writes a line awaiting the draw while the draw runs.
SHARE_DRAW_LOCK = "SELECT pg_advisory_xact_lock_shared(hashtextextended('draw:' || $1, 0))"
DRAW_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('draw:' || $1, 0))"
# Lines awaiting the draw, locked in id order, with what the draw orders them by.
DRAWING_LINES = """
SELECT l.id, l.reservation_id, l.family_id, l.child_id, l.unit_id, l.day, r.number,
       r.submitted_at, r.all_or_nothing
FROM lines l JOIN reservations r ON r.id = l.reservation_id
WHERE l.period_id = $1 AND l.state = 'drawing'
ORDER BY l.id
FOR UPDATE OF l
"""
# The children as the board reads them (their households and custody: one row per child, the
# membership joined only for the shared column list).
CHILDREN = f"""
SELECT DISTINCT ON (c.id) {CHILD_COLUMNS} FROM children c
JOIN memberships m ON m.child_id = c.id
WHERE c.id = ANY($1::uuid[])
ORDER BY c.id, m.ended_at DESC NULLS FIRST
"""
# The draw's decisions; only lines still awaiting it (all are: they are locked).
SET_DRAWN = """
UPDATE lines l SET state = x.state, under6 = x.under6, queue_seq = x.queue_seq,
       queued_at = CASE WHEN x.queue_seq IS NULL THEN NULL ELSE $1::timestamptz END,
       comment = x.comment,
       decided_at = CASE WHEN x.state IN ('accepted', 'refused') THEN $1::timestamptz END,
       decided_by = CASE WHEN x.state IN ('accepted', 'refused') THEN 'system' END,
       version = l.version + 1
FROM unnest($2::uuid[], $3::text[], $4::bool[], $5::bigint[], $6::text[])
     AS x(id, state, under6, queue_seq, comment)
WHERE l.id = x.id AND l.state = 'drawing'
RETURNING l.id
"""
INSERT_DRAW = """
INSERT INTO draws (period_id, deadline, seed, algorithm, drawn_at, drawn_by, drawn_by_role,
                   entries, results)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
GET_DRAW = "SELECT * FROM draws WHERE period_id = $1"
PENDING = """
SELECT count(*) AS lines, count(DISTINCT reservation_id) AS reservations,
       count(DISTINCT family_id) AS families,
       count(DISTINCT family_id) FILTER (WHERE r_submitted < $2) AS families_in_draw
FROM (SELECT l.reservation_id, l.family_id, r.submitted_at AS r_submitted
      FROM lines l JOIN reservations r ON r.id = l.reservation_id
      WHERE l.period_id = $1 AND l.state = 'drawing') x
"""
# Periods whose deadline has passed and that no draw has decided yet (for the command).
DUE = """
SELECT p.id FROM periods p
WHERE p.allocation = 'lottery' AND p.draw_at <= $1
  AND NOT EXISTS (SELECT 1 FROM draws d WHERE d.period_id = p.id)
ORDER BY p.draw_at, p.id
"""


async def share_draw_lock(conn: Conn, period_id: uuid.UUID) -> None:
    await conn.execute(SHARE_DRAW_LOCK, str(period_id))


async def draw_lock(conn: Conn, period_id: uuid.UUID) -> None:
    await conn.execute(DRAW_LOCK, str(period_id))


async def drawing_lines(conn: Conn, period_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(DRAWING_LINES, period_id)


async def children(conn: Conn, child_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(CHILDREN, child_ids)


async def set_drawn(conn: Conn, now: datetime, lines: list[dict[str, Any]]) -> int:
    columns = ("id", "state", "under6", "queue_seq", "comment")
    rows = await conn.fetch(SET_DRAWN, now, *([line[c] for line in lines] for c in columns))
    return len(rows)


async def insert_draw(conn: Conn, **values: Any) -> None:
    await conn.execute(INSERT_DRAW, values["period_id"], values["deadline"], values["seed"],
                       values["algorithm"], values["drawn_at"], values["drawn_by"],
                       values["drawn_by_role"], values["entries"], values["results"])


async def get_draw(conn: Conn, period_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_DRAW, period_id)


async def pending(conn: Conn, period_id: uuid.UUID, deadline: datetime | None
                  ) -> asyncpg.Record:
    row = await conn.fetchrow(PENDING, period_id, deadline)
    assert row is not None
    return row


async def due(conn: Conn, now: datetime) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(DUE, now)]
