"""SQL of mandates, their one-time codes, debits and batches (parameterised, no ORM).

Only BATCH_DEBITS (the bank file) reads the full IBAN; every other query takes the mask."""

import uuid
from datetime import date, datetime

import asyncpg

from services.common.db import Conn

MANDATE_COLUMNS = """
m.id, m.rum, m.family_id, m.holder, m.iban_masked, m.bic, m.created_at, m.signed_at,
m.revoked_at, m.replaced_by, m.version
"""
FAMILY_MANDATES = f"""
SELECT {MANDATE_COLUMNS} FROM mandates m WHERE m.family_id = $1
ORDER BY m.created_at DESC, m.id DESC LIMIT 20
"""
GET_MANDATE = f"SELECT {MANDATE_COLUMNS} FROM mandates m WHERE m.id = $1 AND m.family_id = $2"
LOCK_MANDATE = GET_MANDATE + " FOR UPDATE"
ACTIVE_MANDATE = f"""
SELECT {MANDATE_COLUMNS} FROM mandates m
WHERE m.family_id = $1 AND m.signed_at IS NOT NULL AND m.revoked_at IS NULL
"""
INSERT_MANDATE = """
INSERT INTO mandates (id, rum, family_id, holder, iban, iban_masked, bic, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
# A new pending mandate drops the family's other unsigned ones (and their codes).
DROP_CODES_OF_PENDING = """
DELETE FROM mandate_codes WHERE mandate_id IN (
    SELECT id FROM mandates WHERE family_id = $1 AND signed_at IS NULL AND revoked_at IS NULL)
"""
DROP_PENDING = """
UPDATE mandates SET revoked_at = now(), revoked_by = 'remplacé avant signature',
       version = version + 1, updated_at = now()
WHERE family_id = $1 AND signed_at IS NULL AND revoked_at IS NULL
"""
SIGN = """
UPDATE mandates SET signed_at = $2, version = version + 1, updated_at = now() WHERE id = $1
"""
REVOKE = """
UPDATE mandates SET revoked_at = $2, revoked_by = $3, replaced_by = $4, version = version + 1,
       updated_at = now()
WHERE id = $1
"""
UPSERT_CODE = """
INSERT INTO mandate_codes (mandate_id, code_hash, expires_at, sent_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (mandate_id) DO UPDATE SET code_hash = EXCLUDED.code_hash,
    expires_at = EXCLUDED.expires_at, sent_at = EXCLUDED.sent_at, attempts = 0,
    sends = mandate_codes.sends + 1
"""
CODE_EXPIRY = "SELECT expires_at FROM mandate_codes WHERE mandate_id = $1"
ACTIVE_OF_FAMILIES = """
SELECT id, family_id FROM mandates
WHERE family_id = ANY($1::uuid[]) AND signed_at IS NOT NULL AND revoked_at IS NULL
"""
LOCK_CODE = "SELECT * FROM mandate_codes WHERE mandate_id = $1 FOR UPDATE"
CODE_FAILED = "UPDATE mandate_codes SET attempts = attempts + 1 WHERE mandate_id = $1"
DROP_CODE = "DELETE FROM mandate_codes WHERE mandate_id = $1"

# ---- debits ------------------------------------------------------------------------------

INSERT_DEBIT = """
INSERT INTO debits (id, invoice_id, family_id, mandate_id, amount_cents, planned_on, state)
VALUES ($1, $2, $3, $4, $5, $6, 'planned')
ON CONFLICT (invoice_id) DO NOTHING
"""
# A new mandate (RUM) means a new pre-notification: the job sends it again, and moves the day
# when the notice would now be too short.
MOVE_DEBITS = """
UPDATE debits SET mandate_id = $2, prenotified_at = NULL, version = version + 1,
       updated_at = now()
WHERE mandate_id = $1 AND state = 'planned'
"""
# Invoices among these whose debit is with the bank: paying them otherwise would pay twice.
DEBITING = """
SELECT i.number FROM debits d JOIN invoices i ON i.id = d.invoice_id
WHERE d.invoice_id = ANY($1::uuid[]) AND d.state = 'batched'
ORDER BY i.number
"""
RECENT_MANDATES = """
SELECT count(*) FROM mandates WHERE family_id = $1 AND created_at > $2
"""
CANCEL_DEBITS = """
UPDATE debits SET state = 'cancelled', version = version + 1, updated_at = now()
WHERE mandate_id = $1 AND state = 'planned'
"""
# Planned debits not pre-notified yet, claimed one at a time by the replicas.
TO_PRENOTIFY = """
SELECT d.*, i.number, m.rum, f.email
FROM debits d JOIN invoices i ON i.id = d.invoice_id JOIN mandates m ON m.id = d.mandate_id
JOIN families f ON f.id = d.family_id
WHERE d.state = 'planned' AND d.prenotified_at IS NULL
ORDER BY d.planned_on, d.id LIMIT $1
FOR UPDATE OF d SKIP LOCKED
"""
PRENOTIFIED = """
UPDATE debits SET prenotified_at = $2, planned_on = $3, version = version + 1,
       updated_at = now()
WHERE id = $1
"""
# Batched debits whose day has come: the bank has debited them unless it returns them.
TO_SETTLE = """
SELECT d.*, i.number FROM debits d JOIN invoices i ON i.id = d.invoice_id
WHERE d.state = 'batched' AND d.planned_on <= $1
ORDER BY d.planned_on, d.id LIMIT $2
FOR UPDATE OF d SKIP LOCKED
"""
SETTLED = """
UPDATE debits SET state = 'paid', payment_id = $2, version = version + 1, updated_at = now()
WHERE id = $1
"""
# The list to check for a month: what a batch would take (planned and pre-notified debits of
# the month, on an active mandate), and the month's batched ones.
MONTH_DEBITS = """
SELECT d.id, d.invoice_id, i.number, d.family_id, i.family_name, d.amount_cents, d.planned_on,
       d.state, d.prenotified_at, d.batch_id, d.sequence_type, d.return_code, d.returned_at,
       m.rum, m.holder, m.iban_masked, m.signed_at, (m.revoked_at IS NULL) AS mandate_active
FROM debits d JOIN invoices i ON i.id = d.invoice_id JOIN mandates m ON m.id = d.mandate_id
WHERE d.planned_on >= $1 AND d.planned_on < $2
ORDER BY d.planned_on, i.family_name, i.number
"""
LOCK_BATCHABLE = """
SELECT d.id, d.invoice_id, d.family_id, d.mandate_id, d.amount_cents, d.planned_on
FROM debits d JOIN mandates m ON m.id = d.mandate_id
WHERE d.planned_on >= $1 AND d.planned_on < $2 AND d.state = 'planned'
  AND d.prenotified_at IS NOT NULL AND m.revoked_at IS NULL
ORDER BY d.planned_on, d.id
FOR UPDATE OF d
"""
# FRST for a mandate's first debit sent to the bank, RCUR afterwards.
MANDATES_DEBITED = """
SELECT DISTINCT mandate_id FROM debits
WHERE mandate_id = ANY($1::uuid[]) AND batch_id IS NOT NULL
"""
NEXT_BATCH_SEQ = "SELECT COALESCE(max(seq), 0) + 1 FROM debit_batches WHERE month = $1"
INSERT_BATCH = """
INSERT INTO debit_batches (id, month, seq, message_id, created_by, debits, total_cents, file)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
BATCHED = """
UPDATE debits SET state = 'batched', batch_id = $2, sequence_type = $3, amount_cents = $4,
       version = version + 1, updated_at = now()
WHERE id = $1
"""
CANCEL_DEBIT = """
UPDATE debits SET state = 'cancelled', version = version + 1, updated_at = now() WHERE id = $1
"""
# The bank file's rows: the only query that reads the full IBAN.
BATCH_DEBITS = """
SELECT d.id, d.amount_cents, d.planned_on, d.sequence_type, i.number, m.rum, m.holder,
       m.iban, m.bic, m.signed_at
FROM debits d JOIN invoices i ON i.id = d.invoice_id JOIN mandates m ON m.id = d.mandate_id
WHERE d.id = ANY($1::uuid[])
ORDER BY d.planned_on, d.id
"""
MONTH_BATCHES = """
SELECT id, month, seq, message_id, created_by, created_at, debits, total_cents
FROM debit_batches WHERE month = $1 ORDER BY seq
"""
GET_BATCH = """
SELECT id, month, seq, message_id, created_by, created_at, debits, total_cents, file
FROM debit_batches WHERE id = $1
"""
RETURNABLE = """
SELECT d.*, i.number, f.email FROM debits d JOIN invoices i ON i.id = d.invoice_id
JOIN families f ON f.id = d.family_id
WHERE i.number = $1
FOR UPDATE OF d
"""
RETURNED = """
UPDATE debits SET state = 'rejected', return_code = $2, returned_at = $3, returned_by = $4,
       version = version + 1, updated_at = now()
WHERE id = $1
"""
# A paid debit the bank returns: its payment no longer counts (invoice to pay again).
PAYMENT_RETURNED = """
UPDATE payments SET state = 'refused', outcome = $2, version = version + 1, updated_at = now()
WHERE id = $1 AND state = 'validated'
"""


async def family_mandates(conn: Conn, family_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(FAMILY_MANDATES, family_id)


async def get_mandate(conn: Conn, mandate_id: uuid.UUID, family_id: uuid.UUID, *,
                      lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_MANDATE if lock else GET_MANDATE, mandate_id, family_id)


async def active_mandate(conn: Conn, family_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(ACTIVE_MANDATE, family_id)


async def insert_mandate(conn: Conn, *, mandate_id: uuid.UUID, rum: str, family_id: uuid.UUID,
                         holder: str, iban: str, iban_masked: str, bic: str | None,
                         created_by: str) -> None:
    await conn.execute(DROP_CODES_OF_PENDING, family_id)
    await conn.execute(DROP_PENDING, family_id)
    await conn.execute(INSERT_MANDATE, mandate_id, rum, family_id, holder, iban, iban_masked,
                       bic, created_by)


async def sign(conn: Conn, mandate_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(SIGN, mandate_id, at)


async def revoke(conn: Conn, mandate_id: uuid.UUID, *, at: datetime, by: str,
                 replaced_by: uuid.UUID | None = None) -> None:
    await conn.execute(REVOKE, mandate_id, at, by, replaced_by)


async def save_code(conn: Conn, mandate_id: uuid.UUID, code_hash: str, expires_at: datetime,
                    now: datetime) -> None:
    await conn.execute(UPSERT_CODE, mandate_id, code_hash, expires_at, now)


async def code_expiry(conn: Conn, mandate_id: uuid.UUID) -> datetime | None:
    found: datetime | None = await conn.fetchval(CODE_EXPIRY, mandate_id)
    return found


async def active_of_families(conn: Conn, family_ids: list[uuid.UUID]) -> dict[uuid.UUID,
                                                                              uuid.UUID]:
    """family → its active mandate, for those that have one."""
    return {r["family_id"]: r["id"] for r in await conn.fetch(ACTIVE_OF_FAMILIES, family_ids)}


async def lock_code(conn: Conn, mandate_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_CODE, mandate_id)


async def code_failed(conn: Conn, mandate_id: uuid.UUID) -> None:
    await conn.execute(CODE_FAILED, mandate_id)


async def drop_code(conn: Conn, mandate_id: uuid.UUID) -> None:
    await conn.execute(DROP_CODE, mandate_id)


async def insert_debit(conn: Conn, *, debit_id: uuid.UUID, invoice_id: uuid.UUID,
                       family_id: uuid.UUID, mandate_id: uuid.UUID, amount_cents: int,
                       planned_on: date) -> None:
    await conn.execute(INSERT_DEBIT, debit_id, invoice_id, family_id, mandate_id,
                       amount_cents, planned_on)


async def move_debits(conn: Conn, old: uuid.UUID, new: uuid.UUID) -> None:
    await conn.execute(MOVE_DEBITS, old, new)


async def debiting(conn: Conn, invoice_ids: list[uuid.UUID]) -> list[str]:
    return [r["number"] for r in await conn.fetch(DEBITING, invoice_ids)]


async def recent_mandates(conn: Conn, family_id: uuid.UUID, since: datetime) -> int:
    return int(await conn.fetchval(RECENT_MANDATES, family_id, since))


async def cancel_debits(conn: Conn, mandate_id: uuid.UUID) -> None:
    await conn.execute(CANCEL_DEBITS, mandate_id)


async def to_prenotify(conn: Conn, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(TO_PRENOTIFY, limit)


async def prenotified(conn: Conn, debit_id: uuid.UUID, at: datetime, planned_on: date) -> None:
    await conn.execute(PRENOTIFIED, debit_id, at, planned_on)


async def to_settle(conn: Conn, today: date, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(TO_SETTLE, today, limit)


async def settled(conn: Conn, debit_id: uuid.UUID, payment_id: uuid.UUID | None) -> None:
    await conn.execute(SETTLED, debit_id, payment_id)


async def month_debits(conn: Conn, start: date, end: date) -> list[asyncpg.Record]:
    return await conn.fetch(MONTH_DEBITS, start, end)


async def lock_batchable(conn: Conn, start: date, end: date) -> list[asyncpg.Record]:
    return await conn.fetch(LOCK_BATCHABLE, start, end)


async def mandates_debited(conn: Conn, mandate_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return {r["mandate_id"] for r in await conn.fetch(MANDATES_DEBITED, mandate_ids)}


async def next_batch_seq(conn: Conn, month: date) -> int:
    return int(await conn.fetchval(NEXT_BATCH_SEQ, month))


async def insert_batch(conn: Conn, *, batch_id: uuid.UUID, month: date, seq: int,
                       message_id: str, created_by: str, debits: int, total_cents: int,
                       file: bytes) -> None:
    await conn.execute(INSERT_BATCH, batch_id, month, seq, message_id, created_by, debits,
                       total_cents, file)


async def batched(conn: Conn, debit_id: uuid.UUID, batch_id: uuid.UUID, sequence_type: str,
                  amount_cents: int) -> None:
    await conn.execute(BATCHED, debit_id, batch_id, sequence_type, amount_cents)


async def cancel_debit(conn: Conn, debit_id: uuid.UUID) -> None:
    await conn.execute(CANCEL_DEBIT, debit_id)


async def batch_debits(conn: Conn, debit_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(BATCH_DEBITS, debit_ids)


async def month_batches(conn: Conn, month: date) -> list[asyncpg.Record]:
    return await conn.fetch(MONTH_BATCHES, month)


async def get_batch(conn: Conn, batch_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_BATCH, batch_id)


async def returnable(conn: Conn, number: str) -> asyncpg.Record | None:
    return await conn.fetchrow(RETURNABLE, number)


async def returned(conn: Conn, debit_id: uuid.UUID, *, code: str, at: datetime, by: str
                   ) -> None:
    await conn.execute(RETURNED, debit_id, code, at, by)


async def payment_returned(conn: Conn, payment_id: uuid.UUID, outcome: str) -> None:
    await conn.execute(PAYMENT_RETURNED, payment_id, outcome)
