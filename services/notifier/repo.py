"""Sent-mail log: which mail of which event the SMTP server has already accepted."""

import uuid

from services.common.db import Conn

SELECT_SENT = """
SELECT 1 FROM sent_mails WHERE event_id = $1 AND recipient_kind = $2
"""
INSERT_SENT = """
INSERT INTO sent_mails
    (event_id, recipient_kind, event_type, template, recipient_domain, message_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (event_id, recipient_kind) DO NOTHING
"""


async def was_sent(conn: Conn, event_id: uuid.UUID, recipient_kind: str) -> bool:
    return bool(await conn.fetchval(SELECT_SENT, event_id, recipient_kind))


async def record_sent(conn: Conn, *, event_id: uuid.UUID, recipient_kind: str, event_type: str,
                      template: str, recipient_domain: str, message_id: str) -> None:
    await conn.execute(INSERT_SENT, event_id, recipient_kind, event_type, template,
                       recipient_domain, message_id)
