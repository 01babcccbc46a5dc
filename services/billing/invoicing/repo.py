"""SQL of tariffs, invoices, their items, credit notes and invoicing runs (no ORM)."""

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.common.db import Conn

# ---- tariffs ---------------------------------------------------------------------------

TARIFF_COLUMNS = """
id, establishment_id, establishment_name, unit_id, unit_label, valid_from, brackets,
sibling_reduction_percent, childcare, version, updated_at
"""
LIST_TARIFFS = f"""
SELECT {TARIFF_COLUMNS} FROM tariffs
ORDER BY establishment_name, unit_label, valid_from DESC, id
"""
TARIFFS_BY_UNIT = f"SELECT {TARIFF_COLUMNS} FROM tariffs ORDER BY unit_id, valid_from"
GET_TARIFF = f"SELECT {TARIFF_COLUMNS} FROM tariffs WHERE id = $1"
LOCK_TARIFF = GET_TARIFF + " FOR UPDATE"
INSERT_TARIFF = f"""
INSERT INTO tariffs (id, establishment_id, establishment_name, unit_id, unit_label, valid_from,
                     brackets, sibling_reduction_percent, childcare)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (unit_id, valid_from) DO NOTHING
RETURNING {TARIFF_COLUMNS}
"""
UPDATE_TARIFF = f"""
UPDATE tariffs SET establishment_id = $2, establishment_name = $3, unit_id = $4,
       unit_label = $5, valid_from = $6, brackets = $7, sibling_reduction_percent = $8,
       childcare = $9, version = version + 1, updated_at = now()
WHERE id = $1
RETURNING {TARIFF_COLUMNS}
"""
TARIFF_TAKEN = "SELECT id FROM tariffs WHERE unit_id = $1 AND valid_from = $2 AND id <> $3"
DELETE_TARIFF = "DELETE FROM tariffs WHERE id = $1"


async def list_tariffs(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(LIST_TARIFFS)


async def tariffs_by_unit(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(TARIFFS_BY_UNIT)


async def get_tariff(conn: Conn, tariff_id: uuid.UUID, *, lock: bool = False
                     ) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_TARIFF if lock else GET_TARIFF, tariff_id)


async def insert_tariff(conn: Conn, tariff_id: uuid.UUID, values: dict[str, Any]
                        ) -> asyncpg.Record | None:
    """None when the unit already has a tariff from that day."""
    return await conn.fetchrow(
        INSERT_TARIFF, tariff_id, values["establishment_id"], values["establishment_name"],
        values["unit_id"], values["unit_label"], values["valid_from"], values["brackets"],
        values["sibling_reduction_percent"], values["childcare"])


async def tariff_taken(conn: Conn, unit_id: uuid.UUID, valid_from: date,
                       but: uuid.UUID) -> bool:
    return await conn.fetchval(TARIFF_TAKEN, unit_id, valid_from, but) is not None


async def update_tariff(conn: Conn, tariff_id: uuid.UUID, values: dict[str, Any]
                        ) -> asyncpg.Record:
    row = await conn.fetchrow(
        UPDATE_TARIFF, tariff_id, values["establishment_id"], values["establishment_name"],
        values["unit_id"], values["unit_label"], values["valid_from"], values["brackets"],
        values["sibling_reduction_percent"], values["childcare"])
    assert row is not None
    return row


async def delete_tariff(conn: Conn, tariff_id: uuid.UUID) -> None:
    await conn.execute(DELETE_TARIFF, tariff_id)


# ---- invoices: amounts and states ---------------------------------------------------------

# Everything a list shows of an invoice: credited and paid amounts (validated payments only),
# and whether an online payment of it is in progress.
INVOICE_SUMMARY = """
SELECT i.id, i.number, i.family_id, i.family_name, i.month, i.issued_at, i.due_date,
       i.total_cents,
       COALESCE(c.credited, 0)::int AS credited_cents,
       COALESCE(p.paid, 0)::int AS paid_cents,
       p.pending_since,
       dd.planned_on AS debit_planned_on, dd.state AS debit_state,
       dd.return_code AS debit_return_code
FROM invoices i
LEFT JOIN debits dd ON dd.invoice_id = i.id
LEFT JOIN LATERAL (SELECT sum(total_cents) AS credited FROM credit_notes
                   WHERE invoice_id = i.id) c ON true
LEFT JOIN LATERAL (
    SELECT sum(a.amount_cents) FILTER (WHERE pm.state = 'validated') AS paid,
           max(pm.created_at) FILTER (WHERE pm.state = 'pending' AND pm.method = 'online')
               AS pending_since
    FROM payment_allocations a JOIN payments pm ON pm.id = a.payment_id
    WHERE a.invoice_id = i.id) p ON true
"""
# Newest first; the keyset is (issued_at, id) descending.
FAMILY_INVOICES = INVOICE_SUMMARY + """
WHERE i.family_id = $1
  AND ($2::timestamptz IS NULL OR (i.issued_at, i.id) < ($2, $3))
ORDER BY i.issued_at DESC, i.id DESC
LIMIT $4
"""
ALL_INVOICES = INVOICE_SUMMARY + """
WHERE ($1::uuid IS NULL OR i.family_id = $1)
  AND ($5::date IS NULL OR i.month = $5)
  AND ($2::timestamptz IS NULL OR (i.issued_at, i.id) < ($2, $3))
ORDER BY i.issued_at DESC, i.id DESC
LIMIT $4
"""
INVOICES_BY_IDS = INVOICE_SUMMARY + "WHERE i.id = ANY($1::uuid[]) ORDER BY i.issued_at, i.id"
FAMILY_OPEN_INVOICES = INVOICE_SUMMARY + """
WHERE i.family_id = $1 ORDER BY i.due_date, i.issued_at, i.id
"""
GET_INVOICE = "SELECT * FROM invoices WHERE id = $1"
# A row lock on an issued invoice serialises what is added to it (credit notes, payments);
# FOR UPDATE fires no UPDATE trigger.
LOCK_INVOICES = "SELECT * FROM invoices WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE"
INVOICE_ITEMS = """
SELECT it.*, cni.credit_note_id
FROM invoice_items it
LEFT JOIN credit_note_items cni ON cni.invoice_item_id = it.id
WHERE it.invoice_id = $1
ORDER BY it.child_last_name, it.child_first_name, it.child_id, it.establishment_name,
         it.unit_label, it.date
"""
INVOICE_CREDIT_NOTES = """
SELECT c.*, i.number AS invoice_number FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id
WHERE c.invoice_id = $1 ORDER BY c.issued_at, c.seq
"""
CREDIT_NOTE_ITEMS = """
SELECT it.*, cni.credit_note_id, cni.amount_cents
FROM credit_note_items cni JOIN invoice_items it ON it.id = cni.invoice_item_id
WHERE cni.credit_note_id = ANY($1::uuid[])
ORDER BY it.child_last_name, it.child_first_name, it.child_id, it.establishment_name,
         it.unit_label, it.date
"""
GET_CREDIT_NOTE = """
SELECT c.*, i.number AS invoice_number FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id
WHERE c.id = $1
"""
INVOICE_PAYMENTS = """
SELECT p.id AS payment_id, p.method, p.state, a.amount_cents,
       COALESCE(p.settled_at, p.created_at) AS at
FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
WHERE a.invoice_id = $1 AND p.state IN ('validated', 'pending', 'refunded')
ORDER BY at, p.id
"""
INSERT_CREDIT_NOTE = """
INSERT INTO credit_notes (id, number, year, seq, invoice_id, family_id, run_id, issued_at,
                          issued_by, reason, total_cents)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""
INSERT_CREDIT_NOTE_ITEM = """
INSERT INTO credit_note_items (credit_note_id, invoice_item_id, amount_cents) VALUES ($1, $2, $3)
"""
# Totals of a family's account.
FAMILY_BALANCE = """
SELECT COALESCE(sum(s.total_cents), 0)::bigint AS invoiced_cents,
       COALESCE(sum(s.credited_cents), 0)::bigint AS credited_cents,
       COALESCE(sum(s.paid_cents), 0)::bigint AS paid_cents,
       COALESCE(sum(GREATEST(s.total_cents - s.credited_cents - s.paid_cents, 0))
                FILTER (WHERE s.due_date < $2), 0)::bigint AS overdue_cents
FROM (""" + INVOICE_SUMMARY + "WHERE i.family_id = $1) s"
PENDING_OF_FAMILY = """
SELECT COALESCE(sum(amount_cents), 0)::bigint FROM payments
WHERE family_id = $1 AND state = 'pending'
"""


async def family_invoices(conn: Conn, family_id: uuid.UUID, after: tuple[Any, ...] | None,
                          limit: int) -> list[asyncpg.Record]:
    issued_at, invoice_id = after if after else (None, None)
    return await conn.fetch(FAMILY_INVOICES, family_id, issued_at, invoice_id, limit + 1)


async def all_invoices(conn: Conn, *, family_id: uuid.UUID | None, month: date | None,
                       after: tuple[Any, ...] | None, limit: int) -> list[asyncpg.Record]:
    issued_at, invoice_id = after if after else (None, None)
    return await conn.fetch(ALL_INVOICES, family_id, issued_at, invoice_id, limit + 1, month)


async def invoices_by_ids(conn: Conn, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(INVOICES_BY_IDS, ids)


async def family_open_invoices(conn: Conn, family_id: uuid.UUID) -> list[asyncpg.Record]:
    """Every invoice of the family, oldest due first (with amounts)."""
    return await conn.fetch(FAMILY_OPEN_INVOICES, family_id)


async def get_invoice(conn: Conn, invoice_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_INVOICE, invoice_id)


async def lock_invoices(conn: Conn, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(LOCK_INVOICES, ids)


async def invoice_items(conn: Conn, invoice_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(INVOICE_ITEMS, invoice_id)


async def invoice_credit_notes(conn: Conn, invoice_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(INVOICE_CREDIT_NOTES, invoice_id)


async def credit_note_items(conn: Conn, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(CREDIT_NOTE_ITEMS, ids)


async def get_credit_note(conn: Conn, credit_note_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_CREDIT_NOTE, credit_note_id)


async def invoice_payments(conn: Conn, invoice_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(INVOICE_PAYMENTS, invoice_id)


async def insert_credit_note(conn: Conn, *, credit_note_id: uuid.UUID, number: str, year: int,
                             seq: int, invoice: asyncpg.Record, run_id: uuid.UUID | None,
                             issued_at: Any, issued_by: str, reason: str,
                             items: list[tuple[uuid.UUID, int]]) -> None:
    await conn.execute(INSERT_CREDIT_NOTE, credit_note_id, number, year, seq, invoice["id"],
                       invoice["family_id"], run_id, issued_at, issued_by, reason,
                       sum(amount for _, amount in items))
    await conn.executemany(INSERT_CREDIT_NOTE_ITEM,
                           [(credit_note_id, item_id, amount) for item_id, amount in items])


async def family_balance(conn: Conn, family_id: uuid.UUID, today: date) -> asyncpg.Record:
    row = await conn.fetchrow(FAMILY_BALANCE, family_id, today)
    assert row is not None
    return row


async def pending_of_family(conn: Conn, family_id: uuid.UUID) -> int:
    return int(await conn.fetchval(PENDING_OF_FAMILY, family_id))
