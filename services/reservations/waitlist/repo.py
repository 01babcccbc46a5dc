"""SQL of the place counters (cells), the waiting lines and their offers."""

import uuid
from datetime import date, datetime

import asyncpg

from services.common.db import Conn

# Cells are always locked in (unit_id, day) order within a period, by every decision: two
# transactions needing the same cells queue in the same order, so they never deadlock.
LOCK_CELLS = """
SELECT c.unit_id, c.day, c.capacity, c.capacity_under6, c.capacity_over6, c.taken,
       c.taken_under6, c.taken_over6, c.queue_seq, p.offer_hours
FROM cells c JOIN periods p ON p.id = c.period_id
WHERE c.period_id = $1 AND (c.unit_id, c.day) IN (SELECT * FROM unnest($2::uuid[], $3::date[]))
ORDER BY c.unit_id, c.day
FOR UPDATE OF c
"""
# The cells' counters move by the deltas of one transaction. The row locks above already
# serialise every decision on a cell; the condition is the second guard: a delta that takes
# places must still fit the capacity (and its under/over-6 pool), or the row is not updated
# and the caller fails the whole transaction instead of overbooking.
APPLY_DELTAS = """
UPDATE cells c SET taken = c.taken + d.taken, taken_under6 = c.taken_under6 + d.under6,
       taken_over6 = c.taken_over6 + d.over6, queue_seq = c.queue_seq + d.queued
FROM unnest($2::uuid[], $3::date[], $4::int[], $5::int[], $6::int[], $7::int[])
     AS d(unit_id, day, taken, under6, over6, queued)
WHERE c.period_id = $1 AND (c.unit_id, c.day) = (d.unit_id, d.day)
  AND ((d.taken <= 0 AND d.under6 <= 0 AND d.over6 <= 0) OR (
      c.taken + d.taken <= c.capacity
      AND (c.capacity_under6 IS NULL OR c.taken_under6 + d.under6 <= c.capacity_under6)
      AND (c.capacity_over6 IS NULL OR c.taken_over6 + d.over6 <= c.capacity_over6)))
RETURNING c.unit_id
"""
WAITING_OF_CELLS = """
SELECT l.id, l.unit_id, l.day, l.under6 FROM lines l
WHERE l.period_id = $1 AND l.state = 'waiting'
  AND (l.unit_id, l.day) IN (SELECT * FROM unnest($2::uuid[], $3::date[]))
ORDER BY l.unit_id, l.day, l.queue_seq
FOR UPDATE OF l
"""
OFFER_LINE = """
UPDATE lines SET state = 'offered', offer_expires_at = $2, version = version + 1
WHERE id = $1 AND state = 'waiting'
RETURNING id
"""
INSERT_OFFER = """
INSERT INTO offers (id, line_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)
"""
OFFER_BY_DIGEST = """
SELECT o.id, o.line_id, o.state, o.expires_at, l.period_id, l.unit_id, l.day, l.family_id,
       l.child_id
FROM offers o JOIN lines l ON l.id = o.line_id
WHERE o.token_hash = $1
"""
OPEN_OFFER_OF_LINE = """
SELECT id, expires_at FROM offers WHERE line_id = $1 AND state = 'open' FOR UPDATE
"""
CLOSE_OFFER = "UPDATE offers SET state = $2, answered_at = now() WHERE id = $1"
CLOSE_OFFERS_OF_LINES = """
UPDATE offers SET state = $2, answered_at = now()
WHERE line_id = ANY($1::uuid[]) AND state = 'open'
"""
# Cells with an expired offer, taken by one replica at a time (the others skip them).
DUE_CELLS = """
SELECT c.period_id, c.unit_id, c.day FROM cells c
WHERE (c.period_id, c.unit_id, c.day) IN (
    SELECT period_id, unit_id, day FROM lines WHERE state = 'offered' AND offer_expires_at <= $1)
ORDER BY c.period_id, c.unit_id, c.day
LIMIT $2
FOR UPDATE SKIP LOCKED
"""
EXPIRED_OFFERS_OF_CELL = """
SELECT id, under6 FROM lines
WHERE period_id = $1 AND unit_id = $2 AND day = $3 AND state = 'offered'
  AND offer_expires_at <= $4
ORDER BY id
FOR UPDATE
"""
WAITING_LIST = """
SELECT l.id, l.state, l.family_id, l.child_id, c.first_name, c.last_name, r.number,
       l.queued_at, l.offer_expires_at,
       CASE WHEN l.state = 'waiting' THEN
           count(*) FILTER (WHERE l.state = 'waiting') OVER (ORDER BY l.queue_seq) END
           AS position,
       COALESCE(f.name, '') AS family_name
FROM lines l
JOIN children c ON c.id = l.child_id
JOIN reservations r ON r.id = l.reservation_id
LEFT JOIN families f ON f.id = l.family_id
WHERE l.period_id = $1 AND l.unit_id = $2 AND l.day = $3 AND l.state IN ('waiting', 'offered')
ORDER BY l.state = 'waiting', l.queue_seq
"""
# The cells that have a waiting list (waiting or offered lines), per day then unit: what the
# staff's index shows, each linking to its list. Bounded by the caller's limit.
WAITING_CELLS = """
SELECT l.period_id, p.name AS period_name, p.establishment_id, e.name AS establishment_name,
       l.day AS date, l.unit_id, u.label AS unit_label, cl.capacity, cl.taken,
       count(*) FILTER (WHERE l.state = 'waiting') AS waiting,
       count(*) FILTER (WHERE l.state = 'offered') AS offered,
       min(l.offer_expires_at) AS next_offer_expires_at
FROM lines l
JOIN periods p ON p.id = l.period_id
JOIN establishments e ON e.id = p.establishment_id
JOIN units u ON u.id = l.unit_id
JOIN cells cl ON (cl.period_id, cl.unit_id, cl.day) = (l.period_id, l.unit_id, l.day)
WHERE l.state IN ('waiting', 'offered')
  AND ($1::uuid IS NULL OR p.establishment_id = $1)
  AND ($2::uuid IS NULL OR l.period_id = $2)
  AND ($3::date IS NULL OR l.day >= $3)
GROUP BY l.period_id, p.name, p.establishment_id, e.name, l.day, l.unit_id, u.label, u.position,
         cl.capacity, cl.taken
ORDER BY l.day, e.name, p.name, u.position, u.label
LIMIT $4
"""


async def lock_cells(conn: Conn, period_id: uuid.UUID, keys: list[tuple[uuid.UUID, date]]
                     ) -> list[asyncpg.Record]:
    return await conn.fetch(LOCK_CELLS, period_id, [u for u, _ in keys], [d for _, d in keys])


async def apply_deltas(conn: Conn, period_id: uuid.UUID,
                       deltas: dict[tuple[uuid.UUID, date], list[int]]) -> None:
    """Move counters by [taken, under6, over6, queued] per cell; a delta that would overbook
    fails the transaction (RuntimeError), which then writes nothing."""
    moving = {k: v for k, v in deltas.items() if any(v)}
    if not moving:
        return
    keys = sorted(moving, key=lambda k: (k[0], k[1]))
    rows = await conn.fetch(
        APPLY_DELTAS, period_id, [u for u, _ in keys], [d for _, d in keys],
        *([moving[k][i] for k in keys] for i in range(4)))
    if len(rows) != len(keys):
        raise RuntimeError("place counter refused a delta: the cell would be overbooked")


async def waiting_of_cells(conn: Conn, period_id: uuid.UUID,
                           keys: list[tuple[uuid.UUID, date]]) -> list[asyncpg.Record]:
    return await conn.fetch(WAITING_OF_CELLS, period_id, [u for u, _ in keys],
                            [d for _, d in keys])


async def offer_line(conn: Conn, line_id: uuid.UUID, expires_at: datetime) -> bool:
    return await conn.fetchval(OFFER_LINE, line_id, expires_at) is not None


async def insert_offer(conn: Conn, offer_id: uuid.UUID, line_id: uuid.UUID, token_hash: bytes,
                       expires_at: datetime) -> None:
    await conn.execute(INSERT_OFFER, offer_id, line_id, token_hash, expires_at)


async def offer_by_token(conn: Conn, token_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(OFFER_BY_DIGEST, token_hash)


async def open_offer_of_line(conn: Conn, line_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(OPEN_OFFER_OF_LINE, line_id)


async def close_offer(conn: Conn, offer_id: uuid.UUID, state: str) -> None:
    await conn.execute(CLOSE_OFFER, offer_id, state)


async def close_offers_of_lines(conn: Conn, line_ids: list[uuid.UUID], state: str) -> None:
    await conn.execute(CLOSE_OFFERS_OF_LINES, line_ids, state)


async def due_cells(conn: Conn, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(DUE_CELLS, now, limit)


async def expired_offers_of_cell(conn: Conn, period_id: uuid.UUID, unit_id: uuid.UUID,
                                 day: date, now: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(EXPIRED_OFFERS_OF_CELL, period_id, unit_id, day, now)


async def waiting_list(conn: Conn, period_id: uuid.UUID, unit_id: uuid.UUID, day: date
                       ) -> list[asyncpg.Record]:
    return await conn.fetch(WAITING_LIST, period_id, unit_id, day)


async def waiting_cells(conn: Conn, *, establishment_id: uuid.UUID | None,
                        period_id: uuid.UUID | None, since: date | None, limit: int
                        ) -> list[asyncpg.Record]:
    return await conn.fetch(WAITING_CELLS, establishment_id, period_id, since, limit)
