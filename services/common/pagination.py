"""Keyset pagination: a list page costs the same at page 2,000 as at page 1 (no OFFSET).

A query orders by a unique key (e.g. `(created_at, id)`), asks for `limit + 1` rows after the
cursor (`WHERE (created_at, id) > ($1, $2)`), and `page()` cuts the extra row off and turns the
last row's key into the next cursor. A cursor is opaque to clients (URL-safe base64 of the key's
values); a tampered one is a 400 with a French message, never a 500.

« Précédent » links carry a cursor that points *before* a key: the query then reads the key
backwards (`<`, order reversed) and `page_of()` puts the rows back in display order. `Keyset`
writes the three statements of a simple list (first page, after a key, before a key) and
`fetch_page()` runs the right one.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import asyncpg

from services.common.db import Conn
from services.common.errors import BadRequest

R = TypeVar("R")

INVALID_CURSOR = "Le lien de pagination est invalide. Revenez à la première page."
# Longer than any key of ours (a name of 100 characters, a date and a uuid fit well within).
MAX_CURSOR = 1024
# What a key value may be, and how it comes back from its text.
_PARSERS: dict[type, Callable[[str], Any]] = {
    str: str,
    int: int,
    uuid.UUID: uuid.UUID,
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
}


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after `key`, or — for « Précédent » — before it."""

    key: tuple[Any, ...]
    backward: bool = False


def _text(values: Sequence[Any]) -> list[str]:
    return [v.isoformat() if isinstance(v, date | datetime) else str(v) for v in values]


def _encode(payload: object) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def encode_cursor(values: Sequence[Any], *, backward: bool = False) -> str:
    """The opaque cursor of a key (its values as text, in order); `backward` points before
    it."""
    return _encode({"before": _text(values)} if backward else _text(values))


def read_cursor(cursor: str | None, types: Sequence[type]) -> Cursor | None:
    """The cursor's key and direction (None for the first page); 400 when it is not one of
    ours."""
    if cursor is None or cursor == "":
        return None
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        backward = isinstance(payload, dict)
        items = payload.get("before") if isinstance(payload, dict) and len(payload) == 1 \
            else payload
        if not isinstance(items, list) or len(items) != len(types):
            raise ValueError("wrong shape")
        # PostgreSQL refuses NUL in a text: a value that would make the query fail is refused.
        if not all(isinstance(v, str) and "\x00" not in v for v in items):
            raise ValueError("wrong value")
        key = tuple(_PARSERS[t](v) for t, v in zip(types, items, strict=True))
        if any(isinstance(v, datetime) and v.tzinfo is None for v in key):
            raise ValueError("instant without its offset")
        return Cursor(key, backward=backward)
    except (ValueError, TypeError, KeyError, OverflowError, binascii.Error,
            UnicodeDecodeError) as exc:
        raise BadRequest(INVALID_CURSOR) from exc


def decode_cursor(cursor: str | None, types: Sequence[type]) -> tuple[Any, ...] | None:
    """The key values of a forward `cursor` (None for the first page); 400 when it is not one
    of ours, or points backwards (a list that offers no « Précédent »)."""
    found = read_cursor(cursor, types)
    if found is None:
        return None
    if found.backward:
        raise BadRequest(INVALID_CURSOR)
    return found.key


def page(rows: Sequence[R], limit: int, key: Callable[[R], Sequence[Any]]
         ) -> tuple[list[R], str | None]:
    """The first `limit` rows and the cursor of the next page (None when there is none);
    `rows` is what the query returned for `LIMIT limit + 1`."""
    items = list(rows[:limit])
    if len(rows) > limit and items:
        return items, encode_cursor(key(items[-1]))
    return items, None


@dataclass(frozen=True)
class Page(Generic[R]):
    """One page in display order, with the cursors of the pages around it (None: none)."""

    items: list[R]
    next_cursor: str | None
    previous_cursor: str | None


def page_of(rows: Sequence[R], limit: int, key: Callable[[R], Sequence[Any]],
            cursor: Cursor | None) -> Page[R]:
    """The page of `rows`, what the query returned for `LIMIT limit + 1` in the cursor's
    direction (so backwards — nearest first — for a « Précédent » cursor)."""
    more = len(rows) > limit
    items = list(rows[:limit])
    if cursor is not None and cursor.backward:
        items.reverse()
        return Page(items,
                    next_cursor=encode_cursor(key(items[-1])) if items else None,
                    previous_cursor=encode_cursor(key(items[0]), backward=True)
                    if more else None)
    return Page(items,
                next_cursor=encode_cursor(key(items[-1])) if more else None,
                previous_cursor=encode_cursor(key(items[0]), backward=True)
                if cursor is not None and items else None)


@dataclass(frozen=True)
class Keyset:
    """The statements of one list ordered by a unique key.

    `sql` selects the rows (the key's columns among them) with `{keyset}` where the cursor's
    condition goes (`WHERE {keyset}`, or `AND {keyset}` after filters of its own); its own
    parameters come first, the key's and the limit after them. `key` names the key's
    expressions in order (`r.created_at`, `r.id`): each must be selected under its last part
    (`created_at`, `id`). `descending` lists the greatest key first (a journal, newest first).
    """

    sql: str
    key: tuple[str, ...]
    types: tuple[type, ...]
    descending: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(expr.rsplit(".", 1)[-1] for expr in self.key)

    def statement(self, cursor: Cursor | None, args: int) -> str:
        """The statement for the page at `cursor`, after `args` parameters of the list's own."""
        backward = cursor is not None and cursor.backward
        reverse = backward != self.descending  # read from the greatest key down
        keys = ", ".join(self.key)
        if cursor is None:
            condition, limit = "TRUE", args + 1
        else:
            params = ", ".join(f"${args + 1 + i}" for i in range(len(self.key)))
            condition = f"({keys}) {'<' if reverse else '>'} ({params})"
            limit = args + len(self.key) + 1
        order = ", ".join(f"{k} DESC" if reverse else k for k in self.key)
        return f"{self.sql.replace('{keyset}', condition)}\nORDER BY {order}\nLIMIT ${limit}"

    def row_key(self, row: asyncpg.Record) -> tuple[Any, ...]:
        return tuple(row[c] for c in self.columns)


async def fetch_page(conn: Conn, keyset: Keyset, *args: Any, cursor: str | None, limit: int
                     ) -> Page[asyncpg.Record]:
    """The page at `cursor` (400 when tampered). A « Précédent » that finds less than a page
    before its key (rows removed meanwhile) answers the first page, full."""
    where = read_cursor(cursor, keyset.types)
    key_args = () if where is None else where.key
    rows = await conn.fetch(keyset.statement(where, len(args)), *args, *key_args, limit + 1)
    if where is not None and where.backward and len(rows) < limit:
        where = None
        rows = await conn.fetch(keyset.statement(None, len(args)), *args, limit + 1)
    return page_of(rows, limit, keyset.row_key, where)
