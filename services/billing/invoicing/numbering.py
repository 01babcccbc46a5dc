"""Document numbers, sequential per kind and year with no gap and no duplicate.

`take()` increments the (kind, year) counter row in the caller's transaction, which also
inserts the documents. Why that holds under concurrency: the UPDATE locks the row until the
transaction ends, so a second issuer waits, then reads the committed value and continues from
it; if the first rolls back, its increment is undone with its documents and the second reuses
the numbers. A PostgreSQL SEQUENCE would not do: its values are never given back, so every
rollback would leave a gap. The UNIQUE (year, seq) of each table is the last safeguard.
"""

from typing import Literal

from services.common.db import Conn

Kind = Literal["F", "A"]  # F: facture (invoice), A: avoir (credit note)

TAKE = """
INSERT INTO number_counters (kind, year, last) VALUES ($1, $2, $3)
ON CONFLICT (kind, year) DO UPDATE SET last = number_counters.last + EXCLUDED.last
RETURNING last
"""


def format_number(kind: Kind, year: int, seq: int) -> str:
    """F-2027-000001."""
    return f"{kind}-{year}-{seq:06d}"


async def take(conn: Conn, kind: Kind, year: int, count: int = 1) -> list[int]:
    """The next `count` numbers of (kind, year), held until the transaction ends."""
    if not conn.is_in_transaction():
        raise RuntimeError("numbers are taken in the transaction that issues the documents")
    if count <= 0:
        return []
    last: int = await conn.fetchval(TAKE, kind, year, count)
    return list(range(last - count + 1, last + 1))
