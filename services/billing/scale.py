"""Scale fixture: N generated families with 1–3 children and their month's billable lines,
written in bulk (COPY) into billing's read models as the families and reservations events
would leave them; then, if asked, the month's invoicing run — for measuring invoicing, the
invoices' and payments' lists at city scale (`python -m services.billing seed-scale`, and the
billing benchmarks). Never for the demo nor production: no event made these families."""

import random
import uuid
from datetime import date, timedelta
from typing import Any

from services.billing.repo import LINE_COLUMNS
from services.common.db import Conn
from services.common.demo import DEMO_CATALOGUE

FAMILY_COLUMNS = ("id", "name", "email", "address_line1", "address_line2", "postal_code",
                  "city", "qf", "entity_version")
FIRST_NAMES = ("Léa", "Hugo", "Chloé", "Louis", "Inès", "Gabriel", "Jade", "Raphaël", "Zoé",
               "Arthur", "Hélène", "Noé")
LAST_NAMES = ("Martin", "Bernard", "Lefèvre", "Garcia", "Roux", "Fournier", "Girard", "Morel",
              "Mercier", "Blanc")


def weekdays(month: date) -> list[date]:
    days = [month + timedelta(days=d) for d in range(31)]
    return [d for d in days if d.month == month.month and d.weekday() < 5]


def generate(month: date, families: int, *, min_lines: int, max_lines: int, seed: int = 7
             ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """`families` families (QF spread over the brackets, some without) with 1–3 children and
    `min_lines`–`max_lines` billable lines each that month, on the demo units."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    units = [(est_id, est_name, unit_id, label)
             for est_id, est_name, _, unit_list in DEMO_CATALOGUE
             for unit_id, _, label in unit_list]
    open_days = weekdays(month)
    family_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    for index in range(families):
        family_id = uuid.uuid4()
        last = LAST_NAMES[index % len(LAST_NAMES)]
        qf = rng.choice((None, 300, 620, 1100))
        family_rows.append((family_id, f"Famille {last} {index}", f"famille.{index}@example.org",
                            f"{index % 200 + 1} rue des Oliviers", None, "34800",
                            "Clermont-l'Hérault", qf, 1))
        children = [(uuid.uuid4(), rng.choice(FIRST_NAMES),
                     date(2014 + rng.randrange(10), rng.randrange(1, 13), rng.randrange(1, 28)))
                    for _ in range(rng.randint(1, 3))]
        reservation_id = uuid.uuid4()
        taken: set[tuple[uuid.UUID, date, uuid.UUID]] = set()
        wanted = rng.randint(min_lines, max_lines)
        while len(taken) < wanted:
            child = rng.choice(children)
            day = rng.choice(open_days)
            est_id, est_name, unit_id, label = rng.choice(units)
            if (child[0], day, unit_id) in taken:
                continue
            taken.add((child[0], day, unit_id))
            line_rows.append((
                uuid.uuid4(), reservation_id, f"R-{month.year}-{index:06d}", family_id,
                child[0], child[1], last, child[2], day, unit_id, label, est_id, est_name,
                "book", "accepted", False, True, 1))
    return family_rows, line_rows


async def write(conn: Conn, family_rows: list[tuple[Any, ...]],
                line_rows: list[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table("families", records=family_rows, columns=FAMILY_COLUMNS)
    await conn.copy_records_to_table("lines", records=line_rows, columns=LINE_COLUMNS)
    await conn.execute("ANALYZE families; ANALYZE lines")
