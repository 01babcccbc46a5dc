"""SQL of the read model of families and children (fed by the families events)."""

import uuid
from datetime import date

import asyncpg

from services.common.db import Conn

# Each write applies only an event newer than the row (`version < EXCLUDED.version`): a late
# or repeated event changes nothing. The row lock of the upsert orders concurrent events.
UPSERT_FAMILY = """
INSERT INTO families (id, name, email, version) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,
    version = EXCLUDED.version, updated_at = now()
WHERE families.version < EXCLUDED.version
RETURNING id
"""
UPSERT_CHILD = """
INSERT INTO children (id, first_name, last_name, birth_date, school_level, version)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name,
    last_name = EXCLUDED.last_name, birth_date = EXCLUDED.birth_date,
    school_level = EXCLUDED.school_level, version = EXCLUDED.version, updated_at = now()
WHERE children.version < EXCLUDED.version
RETURNING id
"""
ADD_MEMBERSHIP = """
INSERT INTO memberships (family_id, child_id) VALUES ($1, $2) ON CONFLICT DO NOTHING
"""
CHILD_COLUMNS = "c.id, c.first_name, c.last_name, c.birth_date, c.school_level, c.version"
CHILD_OF_FAMILY = f"""
SELECT {CHILD_COLUMNS} FROM children c
JOIN memberships m ON m.child_id = c.id AND m.family_id = $1
WHERE c.id = $2
"""
# Locked in id order: the first lock of every decision about these children (see
# submissions.service for the whole lock order).
LOCK_CHILDREN_OF_FAMILY = f"""
SELECT {CHILD_COLUMNS} FROM children c
JOIN memberships m ON m.child_id = c.id AND m.family_id = $1
WHERE c.id = ANY($2::uuid[])
ORDER BY c.id
FOR UPDATE OF c
"""
CHILDREN_OF_FAMILY = f"""
SELECT {CHILD_COLUMNS} FROM children c
JOIN memberships m ON m.child_id = c.id AND m.family_id = $1
ORDER BY c.birth_date, c.first_name
"""
GET_FAMILY = "SELECT id, name, email, version FROM families WHERE id = $1"


async def upsert_family(conn: Conn, *, family_id: uuid.UUID, name: str, email: str,
                        version: int) -> bool:
    """True when applied (newer than what was held)."""
    return await conn.fetchval(UPSERT_FAMILY, family_id, name, email, version) is not None


async def upsert_child(conn: Conn, *, child_id: uuid.UUID, first_name: str, last_name: str,
                       birth_date: date, school_level: str | None, version: int) -> bool:
    return await conn.fetchval(UPSERT_CHILD, child_id, first_name, last_name, birth_date,
                               school_level, version) is not None


async def add_membership(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID) -> None:
    await conn.execute(ADD_MEMBERSHIP, family_id, child_id)


async def child_of_family(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID
                          ) -> asyncpg.Record | None:
    return await conn.fetchrow(CHILD_OF_FAMILY, family_id, child_id)


async def lock_children_of_family(conn: Conn, family_id: uuid.UUID,
                                  child_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(LOCK_CHILDREN_OF_FAMILY, family_id, child_ids)


async def children_of_family(conn: Conn, family_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(CHILDREN_OF_FAMILY, family_id)


async def get_family(conn: Conn, family_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_FAMILY, family_id)
