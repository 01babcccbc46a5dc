"""SQL of the read models billing keeps from other services' events (families, lines)."""

import uuid
from typing import Any

import asyncpg

from services.common.db import Conn

# A newer entity_version wins; an equal or older one changes nothing (redelivery, reordering).
UPSERT_FAMILY = """
INSERT INTO families (id, name, email, address_line1, address_line2, postal_code, city, qf,
                      entity_version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, email = EXCLUDED.email, address_line1 = EXCLUDED.address_line1,
    address_line2 = EXCLUDED.address_line2, postal_code = EXCLUDED.postal_code,
    city = EXCLUDED.city, qf = EXCLUDED.qf, entity_version = EXCLUDED.entity_version,
    updated_at = now()
WHERE families.entity_version < EXCLUDED.entity_version
"""
# What a reservation event tells of the family, kept only until families' own event comes.
KNOW_FAMILY = """
INSERT INTO families (id, name, email, entity_version) VALUES ($1, $2, $3, 0)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, updated_at = now()
WHERE families.entity_version = 0
"""
GET_FAMILY = "SELECT * FROM families WHERE id = $1"
FAMILIES_BY_IDS = "SELECT * FROM families WHERE id = ANY($1::uuid[])"

LINE_COLUMNS = (
    "id", "reservation_id", "reservation_number", "family_id", "child_id", "child_first_name",
    "child_last_name", "child_birth_date", "date", "unit_id", "unit_label", "establishment_id",
    "establishment_name", "kind", "state", "late", "billable", "entity_version",
)
UPSERT_LINE = f"""
INSERT INTO lines ({", ".join(LINE_COLUMNS)})
VALUES ({", ".join(f"${i}" for i in range(1, len(LINE_COLUMNS) + 1))})
ON CONFLICT (id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in LINE_COLUMNS[1:])}, updated_at = now()
WHERE lines.entity_version < EXCLUDED.entity_version
"""
GET_LINE = "SELECT * FROM lines WHERE id = $1"


async def upsert_family(conn: Conn, values: dict[str, Any]) -> bool:
    """Apply a family's state if newer than the one held; True when applied."""
    status = await conn.execute(
        UPSERT_FAMILY, values["id"], values["name"], values["email"],
        values.get("address_line1"), values.get("address_line2"), values.get("postal_code"),
        values.get("city"), values.get("qf"), values["entity_version"])
    return status.endswith(" 1")


async def know_family(conn: Conn, family_id: uuid.UUID, *, name: str, email: str) -> None:
    await conn.execute(KNOW_FAMILY, family_id, name, email)


async def get_family(conn: Conn, family_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_FAMILY, family_id)


async def families_by_ids(conn: Conn, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    return {r["id"]: r for r in await conn.fetch(FAMILIES_BY_IDS, ids)}


async def upsert_line(conn: Conn, values: dict[str, Any]) -> bool:
    """Apply a line's state if newer than the one held; True when applied."""
    status = await conn.execute(UPSERT_LINE, *(values[c] for c in LINE_COLUMNS))
    return status.endswith(" 1")


async def get_line(conn: Conn, line_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_LINE, line_id)
