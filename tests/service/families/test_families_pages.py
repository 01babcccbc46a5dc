"""Keyset pages of the staff's lists (families, validation queue, journal): every row once,
even while rows are added between two pages; « Précédent » goes back; a tampered cursor is a
400 in French."""

import random
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from services.common.pagination import encode_cursor
from tests.service.families.helpers import Families, child_body, parent, staff

Page = dict[str, Any]


def tag() -> str:
    return "".join(random.choices("bcdfghjklmnpqrstvwxz", k=8))


async def get(families: Families, path: str, **query: Any) -> Page:
    answer = await families.call("GET", f"{path}?{urlencode(query)}", headers=staff())
    assert answer.status == 200, answer.body
    page: Page = answer.body
    return page


async def walk(families: Families, path: str, between: Callable[[int], Awaitable[None]],
               **query: Any) -> list[str]:
    """Every id of a list, page after page, `between(n)` run after the n-th page."""
    ids: list[str] = []
    cursor = None
    for n in range(1, 1000):
        page = await get(families, path, **query, **({"cursor": cursor} if cursor else {}))
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
        await between(n)
    raise AssertionError("the list never ends")


async def nothing(n: int) -> None:
    pass


def once(ids: list[str]) -> None:
    assert len(ids) == len(set(ids)), "a row shown twice"


async def test_the_families_list_shows_every_family_once_while_families_are_added(
        families: Families) -> None:
    word = tag()
    for name in ("Martin", "Bérard", "Zola", "Adam", "Lefèvre", "Écoffier", "Noël"):
        await families.new_family(name=f"Famille {name}-{word}")
    before = await walk(families, "/families", nothing, page_size=100)
    added: list[str] = []

    async def add(n: int) -> None:
        # One before every name, one after: the list moves under the reader's feet.
        for name in (f"Famille Aaa-{word}-{n}", f"Famille Zzz-{word}-{n}"):
            added.append((await families.new_family(name=name))["id"])

    # A few pages, however many families the other tests left.
    every = await walk(families, "/families", add, page_size=max(2, len(before) // 4))

    once(every)
    assert set(before) <= set(every)
    assert added and set(every) - set(before) <= set(added)


async def test_a_search_shows_every_match_once_while_matches_are_added(
        families: Families) -> None:
    word = tag()
    start = [(await families.new_family(name=f"Famille {n}-{word}"))["id"]
             for n in ("Martin", "Bérard", "Zola", "Adam", "Lefèvre", "Écoffier", "Noël")]

    async def add(n: int) -> None:
        await families.new_family(name=f"Famille Aaa-{word}-{n}")
        await families.new_family(name=f"Famille Zzz-{word}-{n}")

    every = await walk(families, "/families", add, q=word, page_size=2)

    once(every)
    assert set(start) <= set(every)


async def test_previous_goes_back_to_the_page_before(families: Families) -> None:
    word = tag()
    for n in range(7):
        await families.new_family(name=f"Famille {word} {n}")
    for query in ({"q": word}, {}):
        first = await get(families, "/families", page_size=3, **query)
        second = await get(families, "/families", page_size=3, cursor=first["next_cursor"],
                           **query)
        third = await get(families, "/families", page_size=3, cursor=second["next_cursor"],
                          **query)
        back = await get(families, "/families", page_size=3, cursor=third["previous_cursor"],
                         **query)
        again = await get(families, "/families", page_size=3, cursor=back["previous_cursor"],
                          **query)

        assert first["previous_cursor"] is None
        assert back["items"] == second["items"]
        assert again["items"] == first["items"]
        assert again["previous_cursor"] is None


async def test_the_queue_shows_every_request_once_while_requests_arrive(
        families: Families) -> None:
    family = await families.new_family()

    async def ask(n: int = 0) -> str:
        answer = await families.call("POST", f"/families/{family['id']}/children",
                                     headers=parent(family["id"]),
                                     json=child_body(first_name=f"Enfant{n}"))
        assert answer.status == 202
        request_id: str = answer.body["id"]
        return request_id

    start = [await ask(n) for n in range(5)]
    arrived: list[str] = []

    async def arrive(n: int) -> None:
        arrived.append(await ask(100 + n))

    every = await walk(families, "/change-requests", arrive, family_id=family["id"],
                       page_size=2)

    once(every)
    # Oldest first: the requests that arrived meanwhile come after, on the last pages.
    assert every == start + arrived
    page = await get(families, "/change-requests", family_id=family["id"], page_size=2)
    assert page["total"] == len(start) + len(arrived)


async def test_the_journal_shows_every_entry_once_while_entries_are_written(
        families: Families) -> None:
    family = await families.new_family()
    for n in range(5):
        await families.call("PUT", f"/families/{family['id']}/qf", headers=staff(),
                            json={"qf": 100 + n})
    start = [e["id"] for e in (await get(families, "/audit", family_id=family["id"],
                                         page_size=100))["items"]]

    async def write(n: int) -> None:
        await families.call("PUT", f"/families/{family['id']}/qf", headers=staff(),
                            json={"qf": 500 + n})

    every = await walk(families, "/audit", write, family_id=family["id"], page_size=2)

    once(every)
    # Newest first: what was written meanwhile is above the reader, not shown again.
    assert every == start
    everyone = await walk(families, "/audit", write, page_size=100)
    once(everyone)
    assert set(start) <= set(everyone)


@pytest.mark.parametrize("path", ["/families", "/families?q=durand", "/change-requests",
                                  "/audit"])
@pytest.mark.parametrize("cursor", [
    "n'importe-quoi", "%%%", "a" * 2000, encode_cursor(["x"]), encode_cursor([1, 2, 3, 4, 5]),
    encode_cursor(["named", "9", " a ", "00000000-0000-0000-0000-000000000000"]),
    encode_cursor(["ailleurs", "0", " a ", "00000000-0000-0000-0000-000000000000"]),
    encode_cursor(["2026-12-01T08:00:00", "1"]), encode_cursor(["\x00", "x"]),
])
async def test_a_tampered_cursor_is_a_bad_request_in_french(families: Families, path: str,
                                                            cursor: str) -> None:
    separator = "&" if "?" in path else "?"

    answer = await families.call("GET", f"{path}{separator}{urlencode({'cursor': cursor})}",
                                 headers=staff())

    assert answer.status == 400, answer.body
    assert answer.body["title"] == ("Le lien de pagination est invalide. Revenez à la "
                                    "première page.")


async def test_a_cursor_of_another_list_is_refused(families: Families) -> None:
    await families.new_family()
    journal = await get(families, "/audit", page_size=1)

    answer = await families.call("GET", f"/families?cursor={journal['next_cursor']}",
                                 headers=staff())

    assert answer.status == 400
