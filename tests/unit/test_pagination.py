"""Keyset cursors: round trip of every key type, tampered cursors refused with a 400."""

import uuid
from datetime import UTC, date, datetime

import pytest

from services.common.errors import BadRequest
from services.common.pagination import decode_cursor, encode_cursor, page


def test_a_cursor_gives_back_the_key_it_was_made_of() -> None:
    key = (datetime(2026, 12, 1, 8, 34, tzinfo=UTC), uuid.uuid4(), date(2027, 7, 1), 7, "Hélène")
    cursor = encode_cursor(key)
    assert decode_cursor(cursor, [datetime, uuid.UUID, date, int, str]) == key


def test_no_cursor_is_the_first_page() -> None:
    assert decode_cursor(None, [int]) is None
    assert decode_cursor("", [int]) is None


@pytest.mark.parametrize("cursor", ["%%%", "a" * 600, encode_cursor(["x"]),
                                    encode_cursor([1, 2]), "bnVsbA", "\x00"])
def test_a_tampered_cursor_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor, [int])


def test_page_cuts_the_extra_row_and_points_after_the_last_one() -> None:
    rows = [{"n": i} for i in range(4)]
    items, cursor = page(rows, 3, key=lambda r: (r["n"],))
    assert items == rows[:3]
    assert decode_cursor(cursor, [int]) == (2,)
    assert page(rows[:3], 3, key=lambda r: (r["n"],)) == (rows[:3], None)
