"""Scale fixture: N generated families with 1–3 children each in the read model, a period of
their own, and one reservation of 2–8 day × unit lines per child, in bulk SQL — to measure the
staff's lists (requests queue, attendance) and the planning at city scale.

Never for the demo nor production: these families come from no families event, and no event
is written for them (the notifier would mail 100,000 recaps, billing would invoice them). Every
tenth reservation is a request awaiting staff (its lines `requested`), the rest accepted; each
line holds its place in its cell, and the period's capacities are raised to what was taken, so
no cell is ever over its places.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from services.common.dates import today
from services.common.db import Conn
from services.reservations.catalogue import service as catalogue
from services.reservations.catalogue.schemas import EstablishmentIn, PeriodIn, UnitIn
from services.reservations.submissions import repo as submissions_repo

ACTOR = catalogue.Actor(sub="seed-scale", role="system")
UNITS = [("MATIN", "Matin"), ("REPAS", "Midi (repas)"), ("APREM", "Après-midi"),
         ("SOIR", "Soir")]
FIRST_NAMES = ["Léa", "Hugo", "Chloé", "Louis", "Inès", "Gabriel", "Jade", "Raphaël", "Zoé",
               "Arthur", "Hélène", "Noé", "Maëlys", "Éloi", "Anaïs", "Côme"]
LAST_NAMES = ["Martin", "Bernard", "Lefèvre", "Garcia", "Roux", "Fournier", "Girard", "Morel",
              "Mercier", "Blanc", "Dupont", "Guérin", "Noël", "Rivière"]


@dataclass(frozen=True)
class Seeded:
    families: int
    children: int
    reservations: int
    lines: int
    requested_lines: int
    period_id: str
    seconds: float


async def open_period(conn: Conn, *, name: str, units: list[tuple[str, str]], capacity: int,
                      start: date, end: date, opens_at: datetime, closes_at: datetime,
                      now: datetime) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A leisure centre of its own with `units` (code, label), and a period of weekdays from
    `start` to `end`, `capacity` places per unit and day, booked from `opens_at`; written with
    the catalogue's own use cases (the scale fixture, the benchmarks). (period id, unit ids)"""
    establishment_id = uuid.uuid4()
    await catalogue.create_establishment(conn, body=EstablishmentIn.model_validate({
        "name": f"Accueil de loisirs « {name} » {establishment_id.hex[:6]}",
        "kind": "accueil_de_loisirs"}), actor=ACTOR, establishment_id=establishment_id)
    unit_ids = []
    for position, (code, label) in enumerate(units, start=1):
        unit_id = uuid.uuid4()
        await catalogue.create_unit(conn, establishment_id=establishment_id, actor=ACTOR,
                                    unit_id=unit_id, body=UnitIn.model_validate({
                                        "code": code, "label": label, "position": position,
                                        "excludes": []}))
        unit_ids.append(unit_id)
    period_id = uuid.uuid4()
    await catalogue.create_period(conn, body=PeriodIn.model_validate({
        "establishment_id": establishment_id, "name": name,
        "start_date": start.isoformat(), "end_date": end.isoformat(),
        "weekdays": [1, 2, 3, 4, 5], "closures": [],
        "units": [{"unit_id": u, "capacity": capacity} for u in unit_ids],
        "eligibility": {"min_age": 3, "max_age": 12},
        "window": {"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()},
        "rules": {"auto_days": 7, "request_days": 2, "day_count": "calendar"},
    }), actor=ACTOR, period_id=period_id, now=now)
    return period_id, unit_ids


async def scale_period(conn: Conn) -> uuid.UUID:
    """Four units and a school year of weekdays open to booking."""
    now = datetime.now(UTC)
    start = today() + timedelta(days=14)
    period_id, _ = await open_period(
        conn, name="Année de test de charge", units=UNITS, capacity=1, start=start,
        end=start + timedelta(days=300), opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=60), now=now)
    return period_id


DRAW = """
CREATE TEMP TABLE scale_children ON COMMIT DROP AS
SELECT f.i, f.id AS family_id, gen_random_uuid() AS child_id, n,
       gen_random_uuid() AS reservation_id, row_number() OVER () AS r
FROM (SELECT i, gen_random_uuid() AS id, 1 + floor(random() * 3)::int AS children
      FROM generate_series(1, $1::int) AS i) AS f
CROSS JOIN LATERAL generate_series(1, f.children) AS n
"""
FAMILIES = """
INSERT INTO families (id, name, email, version)
SELECT DISTINCT family_id, 'Famille ' || ($1::text[])[1 + i % array_length($1::text[], 1)]
       || ' ' || i, 'charge.' || i || '.' || $2 || '@example.org', 1
FROM scale_children
"""
CHILDREN = """
INSERT INTO children (id, first_name, last_name, birth_date, version)
SELECT child_id, ($1::text[])[1 + (i + n) % array_length($1::text[], 1)],
       ($2::text[])[1 + i % array_length($2::text[], 1)],
       current_date - (365 * 4 + floor(random() * 365 * 7))::int, 1
FROM scale_children
"""
MEMBERSHIPS = """
INSERT INTO memberships (family_id, child_id) SELECT family_id, child_id FROM scale_children
"""
# Numbers from the year's sequence, as submissions take them.
RESERVATIONS = """
INSERT INTO reservations (id, number, family_id, child_id, period_id, kind, state,
                          submitted_at, submitted_by)
SELECT reservation_id,
       'R-' || $2::int || '-' || lpad(nextval(format('reservation_number_%s', $2::int)
                                              ::regclass)::text, 6, '0'),
       family_id, child_id, $1, 'book', CASE WHEN r % 10 = 0 THEN 'pending' ELSE 'accepted' END,
       now() - (r || ' seconds')::interval, 'seed-scale'
FROM scale_children ORDER BY r
"""
# 2–8 consecutive open days of the period per child, on one unit: never twice the same child,
# unit and day.
LINES = """
WITH days AS (SELECT array_agg(DISTINCT day ORDER BY day) AS open FROM cells
              WHERE period_id = $1),
     units AS (SELECT array_agg(unit_id ORDER BY unit_id) AS ids FROM period_units
               WHERE period_id = $1)
INSERT INTO lines (id, reservation_id, family_id, child_id, period_id, unit_id, day, kind,
                   state, created_at, decided_at, decided_by)
SELECT gen_random_uuid(), c.reservation_id, c.family_id, c.child_id, $1,
       units.ids[1 + c.r % array_length(units.ids, 1)],
       days.open[1 + (c.r * 13 + g) % array_length(days.open, 1)], 'book',
       CASE WHEN c.r % 10 = 0 THEN 'requested' ELSE 'accepted' END,
       now() - (c.r || ' seconds')::interval,
       CASE WHEN c.r % 10 = 0 THEN NULL ELSE now() END,
       CASE WHEN c.r % 10 = 0 THEN NULL ELSE 'seed-scale' END
FROM scale_children c, days, units, generate_series(1, 2 + (c.r % 7)::int) AS g
"""
# Every line holds its place; the period's capacities are raised to what was taken.
TAKEN = """
UPDATE cells c SET taken = c.taken + x.n, capacity = greatest(c.capacity, c.taken + x.n)
FROM (SELECT unit_id, day, count(*)::int AS n FROM lines WHERE period_id = $1
      GROUP BY unit_id, day) AS x
WHERE c.period_id = $1 AND c.unit_id = x.unit_id AND c.day = x.day
"""


async def seed_scale(conn: Conn, *, families: int) -> Seeded:
    started = time.perf_counter()
    async with conn.transaction():
        period_id = await scale_period(conn)
        year = today().year
        await submissions_repo.next_number(conn, year)  # the year's sequence exists
        await conn.execute(DRAW, families)
        tag = uuid.uuid4().hex[:6]
        await conn.execute(FAMILIES, LAST_NAMES, tag)
        await conn.execute(CHILDREN, FIRST_NAMES, LAST_NAMES)
        await conn.execute(MEMBERSHIPS)
        await conn.execute(RESERVATIONS, period_id, year)
        await conn.execute(LINES, period_id)
        await conn.execute(TAKEN, period_id)
        counts = await conn.fetchrow("""
            SELECT (SELECT count(*) FROM scale_children) AS children,
                   (SELECT count(*) FROM lines WHERE period_id = $1) AS lines,
                   (SELECT count(*) FROM lines WHERE period_id = $1
                      AND state = 'requested') AS requested""", period_id)
        assert counts is not None
    await conn.execute("ANALYZE")
    return Seeded(families=families, children=counts["children"],
                  reservations=counts["children"], lines=counts["lines"],
                  requested_lines=counts["requested"], period_id=str(period_id),
                  seconds=round(time.perf_counter() - started, 1))
