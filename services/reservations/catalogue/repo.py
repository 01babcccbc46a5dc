"""SQL of the catalogue: establishments, units and exclusions, periods, capacities and cells."""

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.common.db import Conn

_UNITS = """
COALESCE((SELECT json_agg(json_build_object(
        'id', u.id, 'establishment_id', u.establishment_id, 'code', u.code, 'label', u.label,
        'position', u.position, 'active', u.active,
        'excludes', ARRAY(SELECT x.excluded_id FROM unit_exclusions x WHERE x.unit_id = u.id
                          ORDER BY x.excluded_id))
    ORDER BY u.position, u.code)
    FROM units u WHERE u.establishment_id = e.id), '[]'::json)
"""
SELECT_ESTABLISHMENTS = f"""
SELECT e.id, e.name, e.kind, {_UNITS} AS units FROM establishments e
"""
LIST_ESTABLISHMENTS = SELECT_ESTABLISHMENTS + " ORDER BY e.name, e.id"
GET_ESTABLISHMENT = SELECT_ESTABLISHMENTS + " WHERE e.id = $1"
LOCK_ESTABLISHMENT = "SELECT id FROM establishments WHERE id = $1 FOR UPDATE"
INSERT_ESTABLISHMENT = "INSERT INTO establishments (id, name, kind) VALUES ($1, $2, $3)"
UPDATE_ESTABLISHMENT = """
UPDATE establishments SET name = COALESCE($2, name), kind = COALESCE($3, kind),
       updated_at = now()
WHERE id = $1
"""

GET_UNIT = "SELECT id, establishment_id, code, label, position, active FROM units WHERE id = $1"
UNITS_OF = "SELECT id FROM units WHERE establishment_id = $1 AND id = ANY($2::uuid[])"
INSERT_UNIT = """
INSERT INTO units (id, establishment_id, code, label, position, active)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (establishment_id, code) DO NOTHING
RETURNING id
"""
UPDATE_UNIT = """
UPDATE units SET label = COALESCE($2, label), position = COALESCE($3, position),
       active = COALESCE($4, active)
WHERE id = $1
"""
DELETE_EXCLUSIONS = "DELETE FROM unit_exclusions WHERE unit_id = $1 OR excluded_id = $1"
# Both directions: Journée excludes Matin exactly when Matin excludes Journée.
INSERT_EXCLUSIONS = """
INSERT INTO unit_exclusions (unit_id, excluded_id)
SELECT a, b FROM unnest($2::uuid[]) AS x(other),
     LATERAL (VALUES ($1::uuid, x.other), (x.other, $1::uuid)) AS pair(a, b)
ON CONFLICT DO NOTHING
"""

_PERIOD_UNITS = """
COALESCE((SELECT json_agg(json_build_object(
        'unit_id', pu.unit_id, 'code', u.code, 'label', u.label, 'position', u.position,
        'capacity', pu.capacity, 'capacity_under6', pu.capacity_under6,
        'capacity_over6', pu.capacity_over6,
        'excludes', ARRAY(SELECT x.excluded_id FROM unit_exclusions x
                          WHERE x.unit_id = pu.unit_id))
    ORDER BY u.position, u.code)
    FROM period_units pu JOIN units u ON u.id = pu.unit_id
    WHERE pu.period_id = p.id), '[]'::json)
"""
_OVERRIDES = """
COALESCE((SELECT json_agg(json_build_object(
        'unit_id', o.unit_id, 'date', o.day, 'capacity', o.capacity,
        'capacity_under6', o.capacity_under6, 'capacity_over6', o.capacity_over6)
    ORDER BY o.day, o.unit_id)
    FROM capacity_overrides o WHERE o.period_id = p.id), '[]'::json)
"""
SELECT_PERIODS = f"""
SELECT p.id, p.establishment_id, e.name AS establishment_name, e.kind AS establishment_kind,
       p.name, p.start_date, p.end_date, p.weekdays, p.closures, p.min_age, p.max_age,
       p.school_levels, p.opens_at, p.closes_at, p.auto_days, p.request_days, p.day_count,
       p.bill_late_cancellations, p.allocation, p.offer_hours, p.version, p.draw_at,
       (SELECT d.drawn_at FROM draws d WHERE d.period_id = p.id) AS drawn_at,
       {_PERIOD_UNITS} AS units
FROM periods p JOIN establishments e ON e.id = p.establishment_id
"""
GET_PERIOD = SELECT_PERIODS + " WHERE p.id = $1"
PERIODS_BY_IDS = SELECT_PERIODS + " WHERE p.id = ANY($1::uuid[])"
GET_PERIOD_WITH_OVERRIDES = f"""
SELECT q.*, {_OVERRIDES} AS overrides FROM ({SELECT_PERIODS}) q
JOIN periods p ON p.id = q.id WHERE q.id = $1
"""
LIST_PERIODS = f"""
SELECT q.*, {_OVERRIDES} AS overrides FROM ({SELECT_PERIODS}) q
JOIN periods p ON p.id = q.id
WHERE $1::uuid IS NULL OR q.establishment_id = $1
ORDER BY q.start_date, q.name, q.id
"""
# Periods a parent may look at: still running, newest windows included.
CURRENT_PERIODS = SELECT_PERIODS + " WHERE p.end_date >= $1 ORDER BY e.name, p.start_date, p.id"
LOCK_PERIOD = "SELECT id FROM periods WHERE id = $1 FOR UPDATE"
INSERT_PERIOD = """
INSERT INTO periods (id, establishment_id, name, start_date, end_date, weekdays, closures,
                     min_age, max_age, school_levels, opens_at, closes_at, auto_days,
                     request_days, day_count, bill_late_cancellations, allocation, offer_hours,
                     draw_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
"""
UPDATE_PERIOD = """
UPDATE periods SET name = $2, start_date = $3, end_date = $4, weekdays = $5, closures = $6,
       min_age = $7, max_age = $8, school_levels = $9, opens_at = $10, closes_at = $11,
       auto_days = $12, request_days = $13, day_count = $14, bill_late_cancellations = $15,
       allocation = $16, offer_hours = $17, draw_at = $18, version = version + 1,
       updated_at = now()
WHERE id = $1
"""
BUMP_PERIOD = "UPDATE periods SET version = version + 1, updated_at = now() WHERE id = $1"
DELETE_DROPPED_OVERRIDES = """
DELETE FROM capacity_overrides WHERE period_id = $1 AND NOT (unit_id = ANY($2::uuid[]))
"""
DELETE_DROPPED_UNITS = """
DELETE FROM period_units WHERE period_id = $1 AND NOT (unit_id = ANY($2::uuid[]))
"""
UPSERT_PERIOD_UNIT = """
INSERT INTO period_units (period_id, unit_id, capacity, capacity_under6, capacity_over6)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (period_id, unit_id) DO UPDATE SET capacity = EXCLUDED.capacity,
    capacity_under6 = EXCLUDED.capacity_under6, capacity_over6 = EXCLUDED.capacity_over6
"""
UPSERT_OVERRIDE = """
INSERT INTO capacity_overrides (period_id, unit_id, day, capacity, capacity_under6,
                                capacity_over6)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (period_id, unit_id, day) DO UPDATE SET capacity = EXCLUDED.capacity,
    capacity_under6 = EXCLUDED.capacity_under6, capacity_over6 = EXCLUDED.capacity_over6
"""
# Every offered day × unit gets its place counter; capacities follow the defaults and the
# overrides, `taken` is kept. Rows are taken in (unit_id, day) order, the order every
# decision locks cells in, so a catalogue change and a submission never deadlock.
SYNC_CELLS = """
INSERT INTO cells (period_id, unit_id, day, capacity, capacity_under6, capacity_over6)
SELECT pu.period_id, pu.unit_id, d.day,
       COALESCE(o.capacity, pu.capacity),
       CASE WHEN o.day IS NULL THEN pu.capacity_under6 ELSE o.capacity_under6 END,
       CASE WHEN o.day IS NULL THEN pu.capacity_over6 ELSE o.capacity_over6 END
FROM period_units pu
CROSS JOIN unnest($2::date[]) AS d(day)
LEFT JOIN capacity_overrides o
       ON o.period_id = pu.period_id AND o.unit_id = pu.unit_id AND o.day = d.day
WHERE pu.period_id = $1
ORDER BY pu.unit_id, d.day
ON CONFLICT (period_id, unit_id, day) DO UPDATE SET capacity = EXCLUDED.capacity,
    capacity_under6 = EXCLUDED.capacity_under6, capacity_over6 = EXCLUDED.capacity_over6
WHERE (cells.capacity, cells.capacity_under6, cells.capacity_over6)
      IS DISTINCT FROM (EXCLUDED.capacity, EXCLUDED.capacity_under6, EXCLUDED.capacity_over6)
"""
# Cells of the period with room and someone waiting: places to offer.
CELLS_TO_OFFER = """
SELECT DISTINCT l.unit_id, l.day FROM lines l
JOIN cells c ON (c.period_id, c.unit_id, c.day) = (l.period_id, l.unit_id, l.day)
WHERE l.period_id = $1 AND l.state = 'waiting' AND c.taken < c.capacity
ORDER BY l.unit_id, l.day
"""
INSERT_AUDIT = """
INSERT INTO audit_entries (actor_sub, actor_role, action, target_type, target_id, details)
VALUES ($1, $2, $3, $4, $5, $6)
"""


async def list_establishments(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(LIST_ESTABLISHMENTS)


async def get_establishment(conn: Conn, establishment_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_ESTABLISHMENT, establishment_id)


async def lock_establishment(conn: Conn, establishment_id: uuid.UUID) -> bool:
    return await conn.fetchval(LOCK_ESTABLISHMENT, establishment_id) is not None


async def insert_establishment(conn: Conn, establishment_id: uuid.UUID, name: str,
                               kind: str) -> None:
    await conn.execute(INSERT_ESTABLISHMENT, establishment_id, name, kind)


async def update_establishment(conn: Conn, establishment_id: uuid.UUID, name: str | None,
                               kind: str | None) -> None:
    await conn.execute(UPDATE_ESTABLISHMENT, establishment_id, name, kind)


async def get_unit(conn: Conn, unit_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_UNIT, unit_id)


async def units_of(conn: Conn, establishment_id: uuid.UUID, unit_ids: list[uuid.UUID]
                   ) -> set[uuid.UUID]:
    """Which of `unit_ids` belong to the establishment."""
    return {r["id"] for r in await conn.fetch(UNITS_OF, establishment_id, unit_ids)}


async def insert_unit(conn: Conn, unit_id: uuid.UUID, establishment_id: uuid.UUID, code: str,
                      label: str, position: int, active: bool) -> bool:
    """False when the code is already used in the establishment."""
    return await conn.fetchval(INSERT_UNIT, unit_id, establishment_id, code, label, position,
                               active) is not None


async def update_unit(conn: Conn, unit_id: uuid.UUID, label: str | None, position: int | None,
                      active: bool | None) -> None:
    await conn.execute(UPDATE_UNIT, unit_id, label, position, active)


async def replace_exclusions(conn: Conn, unit_id: uuid.UUID, others: list[uuid.UUID]) -> None:
    await conn.execute(DELETE_EXCLUSIONS, unit_id)
    if others:
        await conn.execute(INSERT_EXCLUSIONS, unit_id, others)


async def get_period(conn: Conn, period_id: uuid.UUID, *, overrides: bool = False
                     ) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_PERIOD_WITH_OVERRIDES if overrides else GET_PERIOD,
                               period_id)


async def periods_by_ids(conn: Conn, period_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(PERIODS_BY_IDS, period_ids)


async def list_periods(conn: Conn, establishment_id: uuid.UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(LIST_PERIODS, establishment_id)


async def current_periods(conn: Conn, today: date) -> list[asyncpg.Record]:
    return await conn.fetch(CURRENT_PERIODS, today)


async def drawing_count(conn: Conn, period_id: uuid.UUID) -> int:
    """Lines of the period awaiting its draw."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM lines WHERE period_id = $1 AND state = 'drawing'", period_id)
    return count


async def lock_period(conn: Conn, period_id: uuid.UUID) -> bool:
    return await conn.fetchval(LOCK_PERIOD, period_id) is not None


def _period_values(values: dict[str, Any]) -> tuple[Any, ...]:
    return (
        values["name"], values["start_date"], values["end_date"], values["weekdays"],
        values["closures"], values["eligibility"]["min_age"], values["eligibility"]["max_age"],
        values["eligibility"]["school_levels"], values["window"]["opens_at"],
        values["window"]["closes_at"], values["rules"]["auto_days"],
        values["rules"]["request_days"], values["rules"]["day_count"],
        values["rules"]["bill_late_cancellations"], values["allocation"],
        values["offer_hours"], values["draw_at"],
    )


async def insert_period(conn: Conn, period_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(INSERT_PERIOD, period_id, values["establishment_id"],
                       *_period_values(values))


async def update_period(conn: Conn, period_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(UPDATE_PERIOD, period_id, *_period_values(values))


async def bump_period(conn: Conn, period_id: uuid.UUID) -> None:
    await conn.execute(BUMP_PERIOD, period_id)


async def replace_period_units(conn: Conn, period_id: uuid.UUID,
                               units: list[dict[str, Any]]) -> None:
    kept = [u["unit_id"] for u in units]
    await conn.execute(DELETE_DROPPED_OVERRIDES, period_id, kept)
    await conn.execute(DELETE_DROPPED_UNITS, period_id, kept)
    await conn.executemany(UPSERT_PERIOD_UNIT, [
        (period_id, u["unit_id"], u["capacity"], u["capacity_under6"], u["capacity_over6"])
        for u in units])


async def set_default_capacity(conn: Conn, period_id: uuid.UUID, unit_id: uuid.UUID,
                               capacity: int, under6: int | None, over6: int | None) -> None:
    await conn.execute(UPSERT_PERIOD_UNIT, period_id, unit_id, capacity, under6, over6)


async def set_override(conn: Conn, period_id: uuid.UUID, unit_id: uuid.UUID, day: date,
                       capacity: int, under6: int | None, over6: int | None) -> None:
    await conn.execute(UPSERT_OVERRIDE, period_id, unit_id, day, capacity, under6, over6)


async def sync_cells(conn: Conn, period_id: uuid.UUID, days: list[date]) -> None:
    await conn.execute(SYNC_CELLS, period_id, days)


async def cells_to_offer(conn: Conn, period_id: uuid.UUID) -> list[tuple[uuid.UUID, date]]:
    return [(r["unit_id"], r["day"]) for r in await conn.fetch(CELLS_TO_OFFER, period_id)]


async def insert_audit(conn: Conn, *, actor_sub: str, actor_role: str, action: str,
                       target_type: str, target_id: uuid.UUID | None,
                       details: dict[str, Any]) -> None:
    await conn.execute(INSERT_AUDIT, actor_sub, actor_role, action, target_type, target_id,
                       details)
