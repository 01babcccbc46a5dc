"""SQL of the staff's lists: the requests queue and attendance."""

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.common.db import Conn

# Oldest first, keyset on (created_at, id): a page costs the same however deep.
REQUESTS = """
SELECT l.id AS line_id, l.kind, l.reservation_id, r.number AS reservation_number,
       r.submitted_at, l.family_id, COALESCE(f.name, '') AS family_name, l.child_id,
       c.first_name, c.last_name, p.establishment_id, e.name AS establishment_name,
       l.period_id, p.name AS period_name, l.day AS date, l.unit_id, u.label AS unit_label,
       l.cancels_line_id, cl.capacity, cl.taken, l.created_at
FROM lines l
JOIN reservations r ON r.id = l.reservation_id
JOIN children c ON c.id = l.child_id
JOIN units u ON u.id = l.unit_id
JOIN periods p ON p.id = l.period_id
JOIN establishments e ON e.id = p.establishment_id
JOIN cells cl ON (cl.period_id, cl.unit_id, cl.day) = (l.period_id, l.unit_id, l.day)
LEFT JOIN families f ON f.id = l.family_id
WHERE l.state = 'requested'
  AND ($1::uuid IS NULL OR p.establishment_id = $1)
  AND ($2::uuid IS NULL OR l.period_id = $2)
  AND ($3::timestamptz IS NULL OR (l.created_at, l.id) > ($3, $4))
ORDER BY l.created_at, l.id
LIMIT $5
"""
ATTENDANCE = """
SELECT l.child_id, c.first_name, c.last_name, c.birth_date, l.family_id, l.unit_id,
       u.label AS unit_label
FROM lines l
JOIN periods p ON p.id = l.period_id
JOIN children c ON c.id = l.child_id
JOIN units u ON u.id = l.unit_id
WHERE p.establishment_id = $1 AND l.day = $2 AND ($3::uuid IS NULL OR l.unit_id = $3)
  AND l.kind = 'book' AND l.state = 'accepted'
ORDER BY u.position, u.label, c.last_name, c.first_name, l.child_id
"""
DECIDED = """
SELECT l.id, l.kind, l.state, l.comment, l.decided_at, l.decided_by, r.number, r.state AS
       reservation_state
FROM lines l JOIN reservations r ON r.id = l.reservation_id WHERE l.id = $1
"""


async def requests(conn: Conn, *, establishment_id: uuid.UUID | None,
                   period_id: uuid.UUID | None, after: tuple[Any, ...] | None, limit: int
                   ) -> list[asyncpg.Record]:
    at, last_id = after if after is not None else (None, None)
    return await conn.fetch(REQUESTS, establishment_id, period_id, at, last_id, limit)


async def attendance(conn: Conn, establishment_id: uuid.UUID, day: date,
                     unit_id: uuid.UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(ATTENDANCE, establishment_id, day, unit_id)


async def decided(conn: Conn, line_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(DECIDED, line_id)
