"""Keyset cursors: round trip of every key type, both directions, tampered cursors refused
with a 400; pages and statements in both directions."""

import uuid
from datetime import UTC, date, datetime

import pytest

from services.common.errors import BadRequest
from services.common.pagination import (
    Cursor,
    Keyset,
    decode_cursor,
    encode_cursor,
    page,
    page_of,
    read_cursor,
)


def test_a_cursor_gives_back_the_key_it_was_made_of() -> None:
    key = (datetime(2026, 12, 1, 8, 34, tzinfo=UTC), uuid.uuid4(), date(2027, 7, 1), 7, "Hélène")
    cursor = encode_cursor(key)
    assert decode_cursor(cursor, [datetime, uuid.UUID, date, int, str]) == key


def test_no_cursor_is_the_first_page() -> None:
    assert decode_cursor(None, [int]) is None
    assert decode_cursor("", [int]) is None


@pytest.mark.parametrize("cursor", ["%%%", "a" * 2000, encode_cursor(["x"]),
                                    encode_cursor([1, 2]), "bnVsbA", "\x00",
                                    encode_cursor(["1\x00"]), encode_cursor(["9" * 5000])[:900],
                                    encode_cursor([1], backward=True)])
def test_a_tampered_cursor_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor, [int])


def test_page_cuts_the_extra_row_and_points_after_the_last_one() -> None:
    rows = [{"n": i} for i in range(4)]
    items, cursor = page(rows, 3, key=lambda r: (r["n"],))
    assert items == rows[:3]
    assert decode_cursor(cursor, [int]) == (2,)
    assert page(rows[:3], 3, key=lambda r: (r["n"],)) == (rows[:3], None)


def test_a_backward_cursor_keeps_its_direction() -> None:
    key = (datetime(2026, 12, 1, 8, 34, tzinfo=UTC), 42)
    assert read_cursor(encode_cursor(key, backward=True), [datetime, int]) == Cursor(
        key, backward=True)
    assert read_cursor(encode_cursor(key), [datetime, int]) == Cursor(key)


def test_an_instant_without_its_offset_is_refused() -> None:
    with pytest.raises(BadRequest):
        read_cursor(encode_cursor(["2026-12-01T08:34:00", 1]), [datetime, int])


def test_the_first_page_points_forward_only() -> None:
    rows = [{"n": i} for i in range(4)]
    first = page_of(rows, 3, lambda r: (r["n"],), None)
    assert first.items == rows[:3]
    assert first.previous_cursor is None
    assert read_cursor(first.next_cursor, [int]) == Cursor((2,))


def test_a_page_read_backwards_comes_back_in_order_with_both_cursors() -> None:
    # Rows before key 10, nearest first, one more than the page.
    rows = [{"n": n} for n in (9, 8, 7, 6)]
    back = page_of(rows, 3, lambda r: (r["n"],), Cursor((10,), backward=True))
    assert back.items == [{"n": 7}, {"n": 8}, {"n": 9}]
    assert read_cursor(back.previous_cursor, [int]) == Cursor((7,), backward=True)
    assert read_cursor(back.next_cursor, [int]) == Cursor((9,))
    start = page_of(rows[:3], 3, lambda r: (r["n"],), Cursor((10,), backward=True))
    assert start.previous_cursor is None


def test_a_keyset_writes_its_three_statements() -> None:
    journal = Keyset("SELECT at, id FROM audit_entries WHERE family_id = $1 AND {keyset}",
                     key=("at", "id"), types=(datetime, int), descending=True)
    assert journal.statement(None, 1).endswith(
        "family_id = $1 AND TRUE\nORDER BY at DESC, id DESC\nLIMIT $2")
    assert journal.statement(Cursor((1, 2)), 1).endswith(
        "AND (at, id) < ($2, $3)\nORDER BY at DESC, id DESC\nLIMIT $4")
    assert journal.statement(Cursor((1, 2), backward=True), 1).endswith(
        "AND (at, id) > ($2, $3)\nORDER BY at, id\nLIMIT $4")
    assert journal.row_key({"at": 1, "id": 2, "other": 3}) == (1, 2)
