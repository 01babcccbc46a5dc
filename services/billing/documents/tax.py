"""Tax certificates (attestation fiscale, crédit d'impôt pour frais de garde): for each child
under 6 on 1 January of the year, the childcare amounts the family paid that year.

What was paid for a child: each payment validated (not refunded) during the year, as allocated
to an invoice, is shared among the invoice's children in proportion to what it bills for each
(credited days left out); only childcare counts (meals do not, `childcare` of the tariff).
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from services.billing.fields import PARIS
from services.common.db import Conn

PAID_IN_YEAR = """
SELECT a.invoice_id, a.amount_cents, i.number, i.month
FROM payment_allocations a
JOIN payments p ON p.id = a.payment_id
JOIN invoices i ON i.id = a.invoice_id
WHERE p.family_id = $1 AND p.state = 'validated' AND p.settled_at >= $2 AND p.settled_at < $3
ORDER BY i.month, i.number
"""
ITEMS = """
SELECT it.invoice_id, it.child_id, it.child_first_name, it.child_last_name,
       it.child_birth_date, it.childcare, it.price_cents
FROM invoice_items it
WHERE it.invoice_id = ANY($1::uuid[])
  AND NOT EXISTS (SELECT 1 FROM credit_note_items c WHERE c.invoice_item_id = it.id)
"""
PAYMENT_YEARS = """
SELECT DISTINCT extract(year FROM settled_at AT TIME ZONE 'Europe/Paris')::int AS year
FROM payments WHERE family_id = $1 AND state = 'validated' ORDER BY year
"""
CERTIFICATES = uuid.UUID("6a8f1c3e-2b4d-4e6f-8a0b-1c2d3e4f5a6b")


class CertificateOut(BaseModel):
    year: int
    child_id: uuid.UUID
    child_name: str
    birth_date: date
    amount_cents: int


class CertificateList(BaseModel):
    items: list[CertificateOut]


@dataclass
class Certificate:
    year: int
    child_id: uuid.UUID
    child_name: str
    birth_date: date
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def amount_cents(self) -> int:
        return sum(r["amount_cents"] for r in self.rows)

    @property
    def owner_id(self) -> uuid.UUID:
        return uuid.uuid5(CERTIFICATES, f"{self.child_id}:{self.year}")


def under_six_on_new_year(birth_date: date, year: int) -> bool:
    """Under 6 on 1 January of `year`: the sixth birthday comes after that day."""
    return birth_date > date(year - 6, 1, 1)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return (datetime(year, 1, 1, tzinfo=PARIS), datetime(year + 1, 1, 1, tzinfo=PARIS))


async def certificates_of_year(conn: Conn, family_id: uuid.UUID, year: int
                               ) -> list[Certificate]:
    start, end = year_bounds(year)
    paid = await conn.fetch(PAID_IN_YEAR, family_id, start, end)
    if not paid:
        return []
    items = await conn.fetch(ITEMS, list({r["invoice_id"] for r in paid}))
    totals: dict[uuid.UUID, int] = defaultdict(int)
    childcare: dict[uuid.UUID, dict[uuid.UUID, int]] = defaultdict(lambda: defaultdict(int))
    children: dict[uuid.UUID, Any] = {}
    for item in items:
        totals[item["invoice_id"]] += item["price_cents"]
        if item["childcare"] and under_six_on_new_year(item["child_birth_date"], year):
            childcare[item["invoice_id"]][item["child_id"]] += item["price_cents"]
            children[item["child_id"]] = item
    found: dict[uuid.UUID, Certificate] = {}
    for allocation in paid:
        invoice_id = allocation["invoice_id"]
        total = totals.get(invoice_id, 0)
        for child_id, cents in childcare[invoice_id].items():
            if total <= 0:
                continue
            share = (allocation["amount_cents"] * cents * 2 + total) // (2 * total)
            child = children[child_id]
            certificate = found.setdefault(child_id, Certificate(
                year, child_id, f"{child['child_first_name']} {child['child_last_name']}",
                child["child_birth_date"]))
            certificate.rows.append({"number": allocation["number"],
                                     "month": allocation["month"], "amount_cents": share})
    return [c for c in sorted(found.values(), key=lambda c: (c.birth_date, str(c.child_id)))
            if c.amount_cents > 0]


async def family_certificates(conn: Conn, family_id: uuid.UUID) -> CertificateList:
    items: list[CertificateOut] = []
    for row in await conn.fetch(PAYMENT_YEARS, family_id):
        for certificate in await certificates_of_year(conn, family_id, row["year"]):
            items.append(CertificateOut(
                year=certificate.year, child_id=certificate.child_id,
                child_name=certificate.child_name, birth_date=certificate.birth_date,
                amount_cents=certificate.amount_cents))
    items.sort(key=lambda c: (-c.year, c.birth_date))
    return CertificateList(items=items)
