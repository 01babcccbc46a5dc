"""SQL of the rendered documents' cache."""

import uuid

from services.common.db import Conn

GET_DOCUMENT = """
SELECT pdf FROM documents WHERE owner_id = $1 AND kind = $2 AND content_hash = $3
"""
PUT_DOCUMENT = """
INSERT INTO documents (owner_id, kind, content_hash, pdf) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
"""
# Older versions are never shown again.
DROP_OLDER = """
DELETE FROM documents WHERE owner_id = $1 AND kind = $2 AND content_hash <> $3
"""
# One render of a document at a time (the second caller then finds it cached).
LOCK_OWNER = "SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 0))"


async def get_document(conn: Conn, owner_id: uuid.UUID, kind: str, content_hash: str
                       ) -> bytes | None:
    pdf: bytes | None = await conn.fetchval(GET_DOCUMENT, owner_id, kind, content_hash)
    return pdf


async def put_document(conn: Conn, owner_id: uuid.UUID, kind: str, content_hash: str,
                       pdf: bytes) -> None:
    await conn.execute(PUT_DOCUMENT, owner_id, kind, content_hash, pdf)
    await conn.execute(DROP_OLDER, owner_id, kind, content_hash)


async def lock_owner(conn: Conn, owner_id: uuid.UUID, kind: str) -> None:
    await conn.execute(LOCK_OWNER, str(owner_id), kind)
