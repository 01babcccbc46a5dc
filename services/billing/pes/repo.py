"""SQL of PES batches: the month's invoices not exported yet, their lines net of credit notes,
the batches and their pieces."""

import uuid
from datetime import date, datetime

import asyncpg

from services.common.db import Conn

# Every issued invoice of the month that no other batch holds (`$2`: the draft being rebuilt,
# whose invoices are candidates again), what was credited and paid on it (validated payments
# only), whether our own SEPA debit of it is under way, and what billing knows of the family now.
CANDIDATES = """
SELECT i.id, i.number, i.family_id, i.total_cents,
       COALESCE(c.credited, 0)::int AS credited_cents,
       COALESCE(p.paid, 0)::int AS paid_cents,
       EXISTS (SELECT 1 FROM debits d WHERE d.invoice_id = i.id
               AND d.state IN ('planned', 'batched')) AS debit_pending,
       COALESCE(f.name, i.family_name) AS family_name,
       i.address_line1 AS invoice_line1, i.address_line2 AS invoice_line2,
       i.postal_code AS invoice_postal_code, i.city AS invoice_city,
       f.address_line1, f.address_line2, f.postal_code, f.city
FROM invoices i
LEFT JOIN families f ON f.id = i.family_id
LEFT JOIN LATERAL (SELECT sum(total_cents) AS credited FROM credit_notes
                   WHERE invoice_id = i.id) c ON true
LEFT JOIN LATERAL (SELECT sum(a.amount_cents) AS paid
                   FROM payment_allocations a JOIN payments pm ON pm.id = a.payment_id
                   WHERE a.invoice_id = i.id AND pm.state = 'validated') p ON true
WHERE i.month = $1
  AND NOT EXISTS (SELECT 1 FROM pes_batch_invoices b
                  WHERE b.invoice_id = i.id AND b.batch_id IS DISTINCT FROM $2)
ORDER BY i.year, i.seq
"""
# What each establishment of an invoice still claims: its days less those credited.
NET_BY_ESTABLISHMENT = """
SELECT it.invoice_id, it.establishment_name,
       (sum(it.price_cents) - COALESCE(sum(cni.amount_cents), 0))::int AS amount_cents
FROM invoice_items it
LEFT JOIN credit_note_items cni ON cni.invoice_item_id = it.id
WHERE it.invoice_id = ANY($1::uuid[])
GROUP BY it.invoice_id, it.establishment_name
ORDER BY it.invoice_id, it.establishment_name
"""
# The file's SHA-256 is its ETag: « mark as sent » may name the file the agent downloaded.
BATCH_COLUMNS = """
id, month, budget_code, year, seq, status, filename, pieces, total_cents, built_by, built_at,
sent_by, sent_at, encode(sha256(xml), 'hex') AS file_sha256
"""
BATCHES_OF_MONTH = f"""
SELECT {BATCH_COLUMNS} FROM pes_batches WHERE month = $1 ORDER BY year, seq
"""
RECENT_BATCHES = f"""
SELECT {BATCH_COLUMNS} FROM pes_batches ORDER BY built_at DESC, seq DESC LIMIT $1
"""
GET_BATCH = f"SELECT {BATCH_COLUMNS} FROM pes_batches WHERE id = $1"
LOCK_BATCH = GET_BATCH + " FOR UPDATE"
GET_FILE = "SELECT filename, xml FROM pes_batches WHERE id = $1"
DRAFT_OF_BUDGET = f"""
SELECT {BATCH_COLUMNS} FROM pes_batches WHERE budget_code = $1 AND status = 'draft'
"""
# Building serialises on one lock per budget: the sequence read below stays the last one.
LOCK_BUDGET = "SELECT pg_advisory_xact_lock(hashtext('pes_batches:' || $1))"
NEXT_SEQ = """
SELECT COALESCE(max(seq), 0) + 1 FROM pes_batches WHERE budget_code = $1 AND year = $2
"""
INSERT_BATCH = """
INSERT INTO pes_batches (id, month, budget_code, year, seq, status, filename, xml, pieces,
                         total_cents, built_by, built_at)
VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11)
"""
CLEAR_PIECES = "DELETE FROM pes_batch_invoices WHERE batch_id = $1"
UPDATE_DRAFT = """
UPDATE pes_batches SET xml = $2, pieces = $3, total_cents = $4, built_by = $5, built_at = $6
WHERE id = $1 AND status = 'draft'
"""
INSERT_PIECE = """
INSERT INTO pes_batch_invoices (batch_id, invoice_id, piece, amount_cents) VALUES ($1, $2, $3, $4)
"""
BATCH_PIECES = """
SELECT b.piece, b.invoice_id, b.amount_cents, i.number AS invoice_number, i.family_id,
       COALESCE(f.name, i.family_name) AS family_name
FROM pes_batch_invoices b
JOIN invoices i ON i.id = b.invoice_id
LEFT JOIN families f ON f.id = i.family_id
WHERE b.batch_id = $1
ORDER BY b.piece
"""
# The pieces whose invoice was credited or paid since the batch was built.
STALE_PIECES = """
SELECT i.number FROM pes_batch_invoices b
JOIN invoices i ON i.id = b.invoice_id
LEFT JOIN LATERAL (SELECT sum(total_cents) AS credited FROM credit_notes
                   WHERE invoice_id = i.id) c ON true
LEFT JOIN LATERAL (SELECT sum(a.amount_cents) AS paid
                   FROM payment_allocations a JOIN payments pm ON pm.id = a.payment_id
                   WHERE a.invoice_id = i.id AND pm.state = 'validated') p ON true
WHERE b.batch_id = $1
  AND b.amount_cents <> i.total_cents - COALESCE(c.credited, 0) - COALESCE(p.paid, 0)
ORDER BY b.piece
"""
MARK_SENT = """
UPDATE pes_batches SET status = 'sent', sent_by = $2, sent_at = $3
WHERE id = $1 AND status = 'draft'
"""
DELETE_DRAFT = "DELETE FROM pes_batches WHERE id = $1 AND status = 'draft'"


async def candidates(conn: Conn, month: date, draft_id: uuid.UUID | None
                     ) -> list[asyncpg.Record]:
    return await conn.fetch(CANDIDATES, month, draft_id)


async def net_by_establishment(conn: Conn, invoice_ids: list[uuid.UUID]
                               ) -> list[asyncpg.Record]:
    return await conn.fetch(NET_BY_ESTABLISHMENT, invoice_ids)


async def batches_of_month(conn: Conn, month: date) -> list[asyncpg.Record]:
    return await conn.fetch(BATCHES_OF_MONTH, month)


async def recent_batches(conn: Conn, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(RECENT_BATCHES, limit)


async def get_batch(conn: Conn, batch_id: uuid.UUID, *, lock: bool = False
                    ) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_BATCH if lock else GET_BATCH, batch_id)


async def get_file(conn: Conn, batch_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_FILE, batch_id)


async def lock_budget(conn: Conn, budget_code: str) -> asyncpg.Record | None:
    """Serialise builders of the budget; its draft, if any (locked)."""
    await conn.execute(LOCK_BUDGET, budget_code)
    return await conn.fetchrow(DRAFT_OF_BUDGET + " FOR UPDATE", budget_code)


async def draft_of_budget(conn: Conn, budget_code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(DRAFT_OF_BUDGET, budget_code)


async def next_seq(conn: Conn, budget_code: str, year: int) -> int:
    seq: int = await conn.fetchval(NEXT_SEQ, budget_code, year)
    return seq


async def insert_batch(conn: Conn, *, batch_id: uuid.UUID, month: date, budget_code: str,
                       year: int, seq: int, filename: str, xml: bytes, pieces: int,
                       total_cents: int, actor: str, at: datetime) -> None:
    await conn.execute(INSERT_BATCH, batch_id, month, budget_code, year, seq, filename, xml,
                       pieces, total_cents, actor, at)


async def replace_draft(conn: Conn, *, batch_id: uuid.UUID, xml: bytes, pieces: int,
                        total_cents: int, actor: str, at: datetime) -> None:
    await conn.execute(CLEAR_PIECES, batch_id)
    await conn.execute(UPDATE_DRAFT, batch_id, xml, pieces, total_cents, actor, at)


async def insert_pieces(conn: Conn, batch_id: uuid.UUID,
                        pieces: list[tuple[uuid.UUID, int, int]]) -> None:
    """(invoice_id, piece number, amount) of each piece."""
    await conn.executemany(INSERT_PIECE, [(batch_id, invoice_id, number, cents)
                                          for invoice_id, number, cents in pieces])


async def batch_pieces(conn: Conn, batch_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(BATCH_PIECES, batch_id)


async def stale_pieces(conn: Conn, batch_id: uuid.UUID) -> list[str]:
    return [r["number"] for r in await conn.fetch(STALE_PIECES, batch_id)]


async def mark_sent(conn: Conn, batch_id: uuid.UUID, actor: str, at: datetime) -> None:
    await conn.execute(MARK_SENT, batch_id, actor, at)


async def delete_draft(conn: Conn, batch_id: uuid.UUID) -> None:
    await conn.execute(DELETE_DRAFT, batch_id)

