"""SQL of payments and their allocations (parameterised, no ORM)."""

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from services.common.db import Conn

PAYMENT = """
SELECT p.*,
       COALESCE((SELECT json_agg(json_build_object(
                    'invoice_id', a.invoice_id, 'number', i.number,
                    'amount_cents', a.amount_cents) ORDER BY i.issued_at, i.number)
                 FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id
                 WHERE a.payment_id = p.id), '[]'::json) AS invoices
FROM payments p
"""
GET_PAYMENT = PAYMENT + "WHERE p.id = $1"
BY_OPERATION = "SELECT id FROM payments WHERE operation_id = $1"
LOCK_PAYMENT = "SELECT * FROM payments WHERE id = $1 FOR UPDATE"
FAMILY_PAYMENTS = PAYMENT + """
WHERE p.family_id = $1 AND ($2::text IS NULL OR p.state = $2)
  AND ($3::timestamptz IS NULL OR (p.created_at, p.id) < ($3, $4))
ORDER BY p.created_at DESC, p.id DESC
LIMIT $5
"""
ALL_PAYMENTS = PAYMENT + """
WHERE ($1::uuid IS NULL OR p.family_id = $1) AND ($2::text IS NULL OR p.state = $2)
  AND ($3::timestamptz IS NULL OR (p.created_at, p.id) < ($3, $4))
ORDER BY p.created_at DESC, p.id DESC
LIMIT $5
"""
INSERT_PAYMENT = """
INSERT INTO payments (id, family_id, method, amount_cents, state, created_by, settled_at,
                      reference, received_on, provider, refdet, payer_email)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
"""
INSERT_ALLOCATION = """
INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ($1, $2, $3)
"""
STARTED = """
UPDATE payments SET operation_id = $2, next_check_at = $3, version = version + 1,
       updated_at = now()
WHERE id = $1
"""
SETTLE = """
UPDATE payments SET state = $2, settled_at = $3, outcome = $4, provider_result = $5,
       authorisation = $6, next_check_at = NULL, version = version + 1, updated_at = now()
WHERE id = $1 AND state = 'pending'
"""
REFUND = """
UPDATE payments SET state = 'refunded', outcome = $2, version = version + 1, updated_at = now()
WHERE id = $1 AND state = 'validated'
"""
# Unfinished online payments due for a check, claimed by pushing their next check forward (by
# `$2` seconds, doubled at each check, at most 32 times): SKIP LOCKED lets several replicas
# poll together, each payment going to one of them.
CLAIM_DUE = """
UPDATE payments
SET next_check_at = now() + make_interval(secs => $2 * LEAST(power(2, checks), 32)),
    checks = checks + 1
WHERE id IN (SELECT id FROM payments
             WHERE state = 'pending' AND next_check_at <= now()
             ORDER BY next_check_at LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, checks
"""
# Online payments in progress (not older than `since`) on some of these invoices.
IN_PROGRESS = """
SELECT DISTINCT a.invoice_id FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
WHERE a.invoice_id = ANY($1::uuid[]) AND p.state = 'pending' AND p.method = 'online'
  AND p.created_at > $2
"""


async def get_payment(conn: Conn, payment_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_PAYMENT, payment_id)


async def by_operation(conn: Conn, operation_id: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.fetchval(BY_OPERATION, operation_id)
    return found


async def lock_payment(conn: Conn, payment_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_PAYMENT, payment_id)


async def family_payments(conn: Conn, family_id: uuid.UUID, *, state: str | None,
                          after: tuple[Any, ...] | None, limit: int) -> list[asyncpg.Record]:
    created_at, payment_id = after if after else (None, None)
    return await conn.fetch(FAMILY_PAYMENTS, family_id, state, created_at, payment_id,
                            limit + 1)


async def all_payments(conn: Conn, *, family_id: uuid.UUID | None, state: str | None,
                       after: tuple[Any, ...] | None, limit: int) -> list[asyncpg.Record]:
    created_at, payment_id = after if after else (None, None)
    return await conn.fetch(ALL_PAYMENTS, family_id, state, created_at, payment_id, limit + 1)


async def insert_payment(conn: Conn, *, payment_id: uuid.UUID, family_id: uuid.UUID,
                         method: str, amount_cents: int, state: str, created_by: str,
                         shares: list[tuple[uuid.UUID, int]], settled_at: datetime | None = None,
                         reference: str | None = None, received_on: date | None = None,
                         provider: str | None = None, refdet: str | None = None,
                         payer_email: str | None = None) -> None:
    await conn.execute(INSERT_PAYMENT, payment_id, family_id, method, amount_cents, state,
                       created_by, settled_at, reference, received_on, provider, refdet,
                       payer_email)
    await conn.executemany(INSERT_ALLOCATION,
                           [(payment_id, invoice_id, amount) for invoice_id, amount in shares])


async def started(conn: Conn, payment_id: uuid.UUID, operation_id: str,
                  next_check_at: datetime) -> None:
    await conn.execute(STARTED, payment_id, operation_id, next_check_at)


async def settle(conn: Conn, payment_id: uuid.UUID, *, state: str, settled_at: datetime | None,
                 outcome: str, provider_result: str | None = None,
                 authorisation: str | None = None) -> bool:
    """Move a pending payment to its final state; False when it was no longer pending."""
    status = await conn.execute(SETTLE, payment_id, state, settled_at, outcome,
                                provider_result, authorisation)
    return status == "UPDATE 1"


async def refund(conn: Conn, payment_id: uuid.UUID, reason: str) -> bool:
    return await conn.execute(REFUND, payment_id, reason) == "UPDATE 1"


async def claim_due(conn: Conn, *, batch: int, interval: float) -> list[asyncpg.Record]:
    return await conn.fetch(CLAIM_DUE, batch, interval)


async def in_progress(conn: Conn, invoice_ids: list[uuid.UUID], since: datetime
                      ) -> set[uuid.UUID]:
    return {r["invoice_id"] for r in await conn.fetch(IN_PROGRESS, invoice_ids, since)}
