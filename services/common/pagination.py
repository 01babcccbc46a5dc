"""Keyset pagination: a list page costs the same at page 2,000 as at page 1 (no OFFSET).

A query orders by a unique key (e.g. `(created_at, id)`), asks for `limit + 1` rows after the
cursor (`WHERE (created_at, id) > ($1, $2)`), and `page()` cuts the extra row off and turns the
last row's key into the next cursor. A cursor is opaque to clients (URL-safe base64 of the key's
values); a tampered one is a 400 with a French message, never a 500.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from services.common.errors import BadRequest

R = TypeVar("R", bound=Mapping[str, Any])

INVALID_CURSOR = "Le lien de pagination est invalide. Revenez à la première page."
# What a key value may be, and how it comes back from its text.
_PARSERS: dict[type, Callable[[str], Any]] = {
    str: str,
    int: int,
    uuid.UUID: uuid.UUID,
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
}


def encode_cursor(values: Sequence[Any]) -> str:
    """The opaque cursor of a key (its values as text, in order)."""
    text = json.dumps([v.isoformat() if isinstance(v, date | datetime) else str(v)
                       for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, types: Sequence[type]) -> tuple[Any, ...] | None:
    """The key values of `cursor` (None for the first page); 400 when it is not one of ours."""
    if cursor is None or cursor == "":
        return None
    try:
        if len(cursor) > 512:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        items = json.loads(raw)
        if not isinstance(items, list) or len(items) != len(types):
            raise ValueError("wrong shape")
        return tuple(_PARSERS[t](str(v)) for t, v in zip(types, items, strict=True))
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest(INVALID_CURSOR) from exc


def page(rows: Sequence[R], limit: int, key: Callable[[R], Sequence[Any]]
         ) -> tuple[list[R], str | None]:
    """The first `limit` rows and the cursor of the next page (None when there is none);
    `rows` is what the query returned for `LIMIT limit + 1`."""
    items = list(rows[:limit])
    if len(rows) > limit and items:
        return items, encode_cursor(key(items[-1]))
    return items, None
