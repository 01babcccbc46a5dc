"""Staff search of families: folded text, trigram indexes, ranked matches, keyset pages.

Every family keeps `search_name` (its name) and `search_text` (name, e-mail, postal code,
city, children's names), folded and between spaces, each under a trigram index (migration
0003). All the words of a query must appear in `search_text`; matches are ranked: 0 the
family's name holds the query as a whole word, 1 a word of the name starts with it, 2 a word
of another field starts with it (a child's first name, the postal code, the city), 3 anywhere
else; then by name.

Ranking needs every match, so it is done while there are at most `RANKED_AT_MOST`: an agent's
usual query (a name, a child's first name) is ranked in full from the trigram index. A query
that matches more (a postal code shared by thousands of families) lists first the families
whose name has a word starting with it (found by the name's own index), then every other match
in name order, read along the name's btree and stopped as soon as the page is full. So a page
never costs more than a bounded number of rows, whatever the query and however deep the page.
The cursor remembers which of the two orders its search started with.
"""

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.common.db import Conn
from services.common.errors import BadRequest
from services.common.pagination import (
    INVALID_CURSOR,
    Cursor,
    Keyset,
    Page,
    fetch_page,
    page_of,
    read_cursor,
)

RANKED_AT_MOST = 500
# Words of a query that must all appear; more are kept together as the last one.
MAX_WORDS = 8
# How a search orders its matches (the first value of its cursors).
RANKED, NAMED = "ranked", "named"
CURSOR_TYPES = (str, int, str, uuid.UUID)

ALL_FAMILIES = Keyset("SELECT f.id, f.search_name FROM families f WHERE {keyset}",
                      key=("f.search_name", "f.id"), types=(str, uuid.UUID))
SUMMARIES = """
SELECT f.id, f.name, f.email, f.postal_code, f.city, f.qf, f.search_name,
       ARRAY(SELECT c.first_name || ' ' || c.last_name
             FROM child_households h JOIN children c ON c.id = h.child_id
             WHERE h.family_id = f.id ORDER BY c.birth_date, c.id) AS children,
       (SELECT count(*) FROM change_requests r
        WHERE r.family_id = f.id AND r.state = 'pending') AS pending_requests
FROM families f
WHERE f.id = ANY($1::uuid[])
"""
# Each query's own patterns must reach the planner (a generic plan would guess them).
CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"


def pattern(param: int, before: str, after: str) -> str:
    """The LIKE pattern of parameter `param`, folded as the search text is, with its % _ \\
    taken literally, between `before` and `after` (wildcards or spaces). search_like() is
    IMMUTABLE: with a custom plan, the planner sees the pattern itself and uses the index."""
    return f"search_like(${param}, '{before}', '{after}')"


def all_words(first: int, count: int) -> str:
    """Every word (parameters $first…) somewhere in the search text."""
    return " AND ".join(f"f.search_text LIKE {pattern(n, '%', '%')}"
                        for n in range(first, first + count))


def _keyset(key: str, keyed: bool, backward: bool, first: int, size: int) -> str:
    """The cursor's condition on `key` (its values: parameters $first…), when `keyed`."""
    if not keyed:
        return "TRUE"
    params = ", ".join(f"${first + i}" for i in range(size))
    return f"({key}) {'<' if backward else '>'} ({params})"


def _order(backward: bool, *columns: str) -> str:
    return ", ".join(c + (" DESC" if backward else "") for c in columns)


def ranked_sql(words: int, *, keyed: bool = False, backward: bool = False) -> str:
    """Every match ranked (tiers 0–3), and how many there are. $1 the page's size, $2 at most
    how many matches to rank (NULL: all), $3 the phrase, $4… the words, then the cursor."""
    after = 4 + words
    return f"""
WITH m AS MATERIALIZED (
    SELECT f.id, f.search_name,
           CASE WHEN f.search_name LIKE {pattern(3, '% ', ' %')} THEN 0
                WHEN f.search_name LIKE {pattern(3, '% ', '%')} THEN 1
                WHEN f.search_text LIKE {pattern(3, '% ', '%')} THEN 2
                ELSE 3 END AS tier
    FROM families f
    WHERE {all_words(4, words)}
    LIMIT $2)
SELECT id, search_name, tier, (SELECT count(*) FROM m) AS matched FROM m
WHERE {_keyset("tier, search_name, id", keyed, backward, after, 3)}
ORDER BY {_order(backward, "tier", "search_name", "id")}
LIMIT $1"""


def named_sql(*, keyed: bool = False, backward: bool = False) -> str:
    """Families whose name has a word starting with the phrase (tiers 0 and 1), by the name's
    trigram index. $1 the page's size, $2 the phrase, then the cursor."""
    return f"""
WITH m AS MATERIALIZED (
    SELECT f.id, f.search_name,
           CASE WHEN f.search_name LIKE {pattern(2, '% ', ' %')} THEN 0 ELSE 1 END AS tier
    FROM families f
    WHERE f.search_name LIKE {pattern(2, '% ', '%')})
SELECT id, search_name, tier FROM m
WHERE {_keyset("tier, search_name, id", keyed, backward, 3, 3)}
ORDER BY {_order(backward, "tier", "search_name", "id")}
LIMIT $1"""


def by_name_sql(words: int, *, keyed: bool = False, backward: bool = False) -> str:
    """Every other match (tier 2), in name order along the name's btree: the scan stops at the
    page's end. $1 the page's size, $2 the phrase, $3… the words, then the cursor."""
    after = 3 + words
    return f"""
SELECT f.id, f.search_name, 2 AS tier FROM families f
WHERE {all_words(3, words)}
  AND f.search_name NOT LIKE {pattern(2, '% ', '%')}
  AND {_keyset("f.search_name, f.id", keyed, backward, after, 2)}
ORDER BY {_order(backward, "f.search_name", "f.id")}
LIMIT $1"""


def words_of(q: str) -> list[str]:
    """The query's words that hold a letter or a digit (at most MAX_WORDS)."""
    # A NUL is no character PostgreSQL stores: a separator like any other here.
    words = [w for w in q.replace("\x00", " ").split() if any(ch.isalnum() for ch in w)]
    if len(words) > MAX_WORDS:
        words[MAX_WORDS - 1:] = [" ".join(words[MAX_WORDS - 1:])]
    return words


async def search_families(conn: Conn, q: str | None, *, cursor: str | None, limit: int,
                          ranked_at_most: int = RANKED_AT_MOST
                          ) -> tuple[Page[asyncpg.Record], int | None]:
    """A page of family summaries matching `q` (every family without `q`), with the cursors
    of the pages around it, and how many families match when the search counted them (while
    it ranks them: up to RANKED_AT_MOST)."""
    words = words_of(q or "")
    if q and not words:  # nothing to look for (« %_- »): nothing found
        return Page([], None, None), 0
    if not words:
        found = await fetch_page(conn, ALL_FAMILIES, cursor=cursor, limit=limit)
        return Page(await summaries(conn, found.items), found.next_cursor,
                    found.previous_cursor), None
    where = read_cursor(cursor, CURSOR_TYPES)
    if where is not None and (where.key[0] not in (RANKED, NAMED)
                              or not 0 <= where.key[1] <= 3):
        raise BadRequest(INVALID_CURSOR)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute(CUSTOM_PLANS)
        mode, rows = await _rows(conn, words, where, limit + 1, ranked_at_most)
        if where is not None and where.backward and len(rows) < limit:
            where = None  # rows removed meanwhile: the first page, full
            mode, rows = await _rows(conn, words, None, limit + 1, ranked_at_most)
        keyed: list[dict[str, Any]] = [{**r, "mode": mode} for r in rows]
        matches = page_of(keyed, limit, _key, where)
        items = await summaries(conn, matches.items)
    total = (rows[0]["matched"] if rows else 0) if mode == RANKED else None
    return Page(items, matches.next_cursor, matches.previous_cursor), total


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["mode"], row["tier"], row["search_name"], row["id"])


async def _rows(conn: Conn, words: list[str], where: Cursor | None, want: int,
                ranked_at_most: int) -> tuple[str, list[asyncpg.Record]]:
    """The search's order and up to `want` rows from the cursor on, in its direction."""
    phrase = " ".join(words)
    if where is None:
        # One pass ranks the matches if they are few enough, and says whether they are.
        rows = await conn.fetch(ranked_sql(len(words)), want, ranked_at_most + 1,
                                phrase, *words)
        if not rows or rows[0]["matched"] <= ranked_at_most:
            return RANKED, rows
    elif where.key[0] == RANKED:
        rows = await conn.fetch(ranked_sql(len(words), keyed=True, backward=where.backward),
                                want, None, phrase, *words, *where.key[1:])
        return RANKED, rows
    return NAMED, await _named(conn, words, where, want)


async def _named(conn: Conn, words: list[str], where: Cursor | None, want: int
                 ) -> list[asyncpg.Record]:
    """Names first (tiers 0–1), then the rest by name (tier 2): each part read only if the
    page is not full yet, in the cursor's direction."""
    phrase = " ".join(words)
    tier = None if where is None else where.key[1]
    backward = where is not None and where.backward
    parts: list[tuple[str, list[Any]]] = []
    # The cursor's condition goes to its own part; a part wholly past it is read unbounded,
    # one wholly behind it not at all.
    if tier is None or tier <= 1 or backward:
        keyed = tier is not None and tier <= 1
        parts.append((named_sql(keyed=keyed, backward=backward),
                      [phrase, *(where.key[1:] if where and keyed else ())]))
    if tier is None or tier == 2 or not backward:
        keyed = tier == 2
        parts.append((by_name_sql(len(words), keyed=keyed, backward=backward),
                      [phrase, *words, *(where.key[2:] if where and keyed else ())]))
    if backward:
        parts.reverse()
    rows: list[asyncpg.Record] = []
    for sql, args in parts:
        rows += await conn.fetch(sql, want - len(rows), *args)
        if len(rows) >= want:
            break
    return rows


async def summaries(conn: Conn, rows: Sequence[asyncpg.Record | dict[str, Any]]
                    ) -> list[asyncpg.Record]:
    """The summaries of a page's families, in the page's order."""
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    found = {r["id"]: r for r in await conn.fetch(SUMMARIES, ids)}
    return [found[i] for i in ids if i in found]
