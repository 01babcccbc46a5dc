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
INSERT INTO children (id, first_name, last_name, birth_date, school_level, version,
                      custody_pattern, even_weeks_family_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name,
    last_name = EXCLUDED.last_name, birth_date = EXCLUDED.birth_date,
    school_level = EXCLUDED.school_level, version = EXCLUDED.version,
    custody_pattern = EXCLUDED.custody_pattern,
    even_weeks_family_id = EXCLUDED.even_weeks_family_id, updated_at = now()
WHERE children.version < EXCLUDED.version
RETURNING id
"""
# An unlink carries no name nor birth date: only the version and the custody move.
UPDATE_CUSTODY = """
UPDATE children SET version = $2, custody_pattern = $3, even_weeks_family_id = $4,
    updated_at = now()
WHERE id = $1 AND version < $2
RETURNING id
"""
CHILD_EXISTS = "SELECT EXISTS (SELECT 1 FROM children WHERE id = $1)"
# Joining again reopens an ended membership (a new `since`); an open one is left as it is.
ADD_MEMBERSHIP = """
INSERT INTO memberships (family_id, child_id) VALUES ($1, $2)
ON CONFLICT (family_id, child_id) DO UPDATE SET ended_at = NULL, since = now()
WHERE memberships.ended_at IS NOT NULL
"""
ADD_MEMBERSHIPS = """
INSERT INTO memberships (family_id, child_id) SELECT f, $2 FROM unnest($1::uuid[]) AS f
ON CONFLICT (family_id, child_id) DO UPDATE SET ended_at = NULL, since = now()
WHERE memberships.ended_at IS NOT NULL
"""
# Ended, never deleted: the household's reservations keep their meaning.
END_OTHER_MEMBERSHIPS = """
UPDATE memberships SET ended_at = now()
WHERE child_id = $1 AND ended_at IS NULL AND NOT (family_id = ANY($2::uuid[]))
RETURNING family_id
"""
# An ended household's planning selection of the child is of no use any more.
CLEAR_SELECTIONS = """
DELETE FROM selections WHERE child_id = $1 AND family_id = ANY($2::uuid[])
"""
# The child as the family sees it: its current households (custody applies between two) and
# whether this family's membership has ended (`ended_at`: the caller refuses then).
CHILD_COLUMNS = """
c.id, c.first_name, c.last_name, c.birth_date, c.school_level, c.version, c.custody_pattern,
c.even_weeks_family_id, m.ended_at,
ARRAY(SELECT h.family_id FROM memberships h WHERE h.child_id = c.id AND h.ended_at IS NULL
      ORDER BY h.since, h.family_id) AS family_ids
"""
CHILD_OF_FAMILY = f"""
SELECT {CHILD_COLUMNS} FROM children c
JOIN memberships m ON m.child_id = c.id AND m.family_id = $1
WHERE c.id = $2
"""
# Locked in id order: the first lock of every decision about these children (see
# submissions.service for the whole lock order). An ended membership is returned too (staff
# still decide that household's requests; a parent's submission refuses it).
LOCK_CHILDREN_OF_FAMILY = f"""
SELECT {CHILD_COLUMNS} FROM children c
JOIN memberships m ON m.child_id = c.id AND m.family_id = $1
WHERE c.id = ANY($2::uuid[])
ORDER BY c.id
FOR UPDATE OF c
"""
CHILDREN_OF_FAMILY = f"""
SELECT {CHILD_COLUMNS} FROM children c
JOIN memberships m ON m.child_id = c.id AND m.family_id = $1 AND m.ended_at IS NULL
ORDER BY c.birth_date, c.first_name
"""
GET_FAMILY = "SELECT id, name, email, version FROM families WHERE id = $1"


async def upsert_family(conn: Conn, *, family_id: uuid.UUID, name: str, email: str,
                        version: int) -> bool:
    """True when applied (newer than what was held)."""
    return await conn.fetchval(UPSERT_FAMILY, family_id, name, email, version) is not None


async def upsert_child(conn: Conn, *, child_id: uuid.UUID, first_name: str, last_name: str,
                       birth_date: date, school_level: str | None, version: int,
                       custody_pattern: str | None = None,
                       even_weeks_family_id: uuid.UUID | None = None) -> bool:
    return await conn.fetchval(UPSERT_CHILD, child_id, first_name, last_name, birth_date,
                               school_level, version, custody_pattern,
                               even_weeks_family_id) is not None


async def update_custody(conn: Conn, *, child_id: uuid.UUID, version: int,
                         custody_pattern: str | None,
                         even_weeks_family_id: uuid.UUID | None) -> bool:
    return await conn.fetchval(UPDATE_CUSTODY, child_id, version, custody_pattern,
                               even_weeks_family_id) is not None


async def child_exists(conn: Conn, child_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(CHILD_EXISTS, child_id))


async def add_membership(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID) -> None:
    await conn.execute(ADD_MEMBERSHIP, family_id, child_id)


async def set_memberships(conn: Conn, child_id: uuid.UUID, family_ids: list[uuid.UUID]
                          ) -> list[uuid.UUID]:
    """The child's households become exactly `family_ids`; the households ended."""
    await conn.execute(ADD_MEMBERSHIPS, family_ids, child_id)
    ended = [r["family_id"] for r in await conn.fetch(END_OTHER_MEMBERSHIPS, child_id,
                                                       family_ids)]
    if ended:
        await conn.execute(CLEAR_SELECTIONS, child_id, ended)
    return ended


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
