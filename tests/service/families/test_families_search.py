"""Staff search: accents and case ignored, every field it covers, kept up to date by the
database, the best matches first, nothing it should not look at."""

import random
from typing import Any
from urllib.parse import urlencode

from services.families.search import search_families
from tests.service.families.helpers import Families, parent, staff


def tag() -> str:
    """Letters of our own, so a search finds only this test's families."""
    return "".join(random.choices("bcdfghjklmnpqrstvwxz", k=8))


async def found(families: Families, q: str, **params: Any) -> list[str]:
    """The ids of the families a search finds, in order (every page)."""
    ids: list[str] = []
    cursor = None
    while True:
        query = {"q": q, "page_size": 50, **params, **({"cursor": cursor} if cursor else {})}
        answer = await families.call("GET", f"/families?{urlencode(query)}", headers=staff())
        assert answer.status == 200, answer.body
        ids += [f["id"] for f in answer.body["items"]]
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return ids


async def test_helene_is_found_by_helene_typed_without_accents_or_capitals(
        families: Families) -> None:
    word = tag()
    family = await families.new_family(name=f"Famille Hélène-{word.capitalize()}")

    assert await found(families, f"helene-{word}") == [family["id"]]
    assert await found(families, f"HÉLÈNE {word.upper()}") == [family["id"]]


async def test_a_child_is_found_by_its_first_name_or_its_full_name(families: Families) -> None:
    word = tag()
    family = await families.new_family()
    await families.new_child(family["id"], first_name=f"Hélène{word}", last_name="Durand")

    assert await found(families, f"helene{word}") == [family["id"]]
    assert await found(families, f"durand helene{word}") == [family["id"]]
    answer = await families.call("GET", f"/families?q=helene{word}", headers=staff())
    assert answer.body["items"][0]["children"] == [f"Hélène{word} Durand"]
    assert answer.body["total"] == 1


async def test_a_family_is_found_by_its_email_postal_code_or_city(families: Families) -> None:
    word = tag()
    postal_code = f"{random.randint(10000, 99999)}"
    family = await families.new_family(
        email=f"claire.{word}@example.org",
        address={"line1": "1 rue Haute", "postal_code": postal_code,
                 "city": f"Saint-Étienne-{word}"})

    assert await found(families, f"claire.{word}@example.org") == [family["id"]]
    assert await found(families, postal_code) == [family["id"]]
    assert await found(families, f"saint etienne {word}") == [family["id"]]
    assert await found(families, f"{postal_code} {word}") == [family["id"]]


async def test_the_search_follows_every_change_of_the_file(families: Families) -> None:
    word, renamed = tag(), tag()
    family = await families.new_family()
    child = await families.new_child(family["id"], first_name=f"Léo{word}")
    assert await found(families, f"leo{word}") == [family["id"]]

    # A child renamed by staff, then a child added by the parent and approved by staff.
    await families.call("PATCH", f"/families/{family['id']}/children/{child['id']}",
                        headers=staff(), json={"first_name": f"Noé{renamed}"})
    asked = await families.call("POST", f"/families/{family['id']}/children",
                                headers=parent(family["id"]),
                                json={"last_name": "Durand", "first_name": f"Zoé{word}",
                                      "birth_date": "2020-05-02", "sex": "F"})
    assert await found(families, f"zoe{word}") == []  # not before staff approve it
    await families.decide(asked.body["id"], "approve")
    await families.call("PATCH", f"/families/{family['id']}", headers=staff(),
                        json={"address": {"city": f"Paulhan-{renamed}"}})

    assert await found(families, f"leo{word}") == []
    assert await found(families, f"noe{renamed}") == [family["id"]]
    assert await found(families, f"zoe{word}") == [family["id"]]
    assert await found(families, f"paulhan {renamed}") == [family["id"]]


async def test_the_name_first_then_word_starts_then_the_rest(families: Families) -> None:
    word = tag()
    # Created so that the order of names alone would be the reverse of the ranking.
    inside = await families.new_family(name=f"Famille Aa{word}", email=f"x{word}@example.org")
    child = await families.new_family(name=f"Famille Ab{word[:3]}")
    await families.new_child(child["id"], first_name=word.capitalize())
    prefix = await families.new_family(name=f"Famille {word.capitalize()}ez")
    whole = await families.new_family(name=f"Famille {word.capitalize()}")

    assert await found(families, word) == [whole["id"], prefix["id"], child["id"],
                                           inside["id"]]


async def test_health_data_is_never_searched(families: Families) -> None:
    word = tag()
    family = await families.new_family()
    await families.new_child(family["id"], allergies=f"Arachide{word}",
                             doctor_name=f"Docteur {word}")

    assert await found(families, f"arachide{word}") == []
    assert await found(families, f"docteur {word}") == []
    # Nor what other services hold (a login, a reservation number): the search reads only
    # the family file's name, e-mail, address and children's names, in its own database.
    assert await found(families, f"R-2027-{word}") == []


async def test_a_query_of_wildcards_or_nothing_finds_nothing(families: Families) -> None:
    assert await found(families, "%_\\") == []
    assert await found(families, "- ' .") == []


async def four_ranks(families: Families, word: str) -> list[str]:
    """Families matching `word` in each way (ids: name whole word, name's word start, a child's
    first name, inside an e-mail), named so that the order of names alone is different."""
    inside = await families.new_family(name=f"Famille Aa{word}", email=f"x{word}@example.org")
    child = await families.new_family(name=f"Famille Ab{word[:3]}")
    await families.new_child(child["id"], first_name=word.capitalize())
    prefix = await families.new_family(name=f"Famille {word.capitalize()}ez")
    whole = await families.new_family(name=f"Famille {word.capitalize()}")
    return [whole["id"], prefix["id"], child["id"], inside["id"]]


async def test_many_matches_list_the_names_first_then_the_rest_by_name(
        families: Families) -> None:
    word = tag()
    whole, prefix, child, inside = await four_ranks(families, word)

    async with families.db.acquire() as conn:
        # Over three matches, the search stops ranking them one by one.
        found, total = await search_families(conn, word, cursor=None, limit=10,
                                             ranked_at_most=3)

    assert [str(r["id"]) for r in found.items] == [whole, prefix, inside, child]
    assert total is None


def ids(page: Any) -> list[str]:
    return [str(r["id"]) for r in page.items]


async def test_many_matches_page_forward_each_once_while_families_are_added(
        families: Families) -> None:
    word = tag()
    start = await four_ranks(families, word)
    for n in range(4):
        await families.new_family(name=f"Famille Zz{n}x{word}")
    every: list[str] = []
    cursor = None
    async with families.db.acquire() as conn:
        while True:
            found, _ = await search_families(conn, word, cursor=cursor, limit=2,
                                             ranked_at_most=3)
            every += ids(found)
            cursor = found.next_cursor
            if cursor is None:
                break
            # Around every page, a family whose name starts with the word, and another after.
            await families.new_family(name=f"Famille {word.capitalize()} {len(every)}")
            await families.new_family(name=f"Famille Zzz{len(every)}x{word}")

    assert len(every) == len(set(every))
    assert set(start) <= set(every)
    assert every[:2] == start[:2]


async def test_many_matches_page_back_to_the_same_pages(families: Families) -> None:
    word = tag()
    await four_ranks(families, word)
    for n in range(4):
        await families.new_family(name=f"Famille Zz{n}x{word}")
    pages: list[list[str]] = []
    back: list[list[str]] = []
    async with families.db.acquire() as conn:
        cursor = None
        while True:
            found, _ = await search_families(conn, word, cursor=cursor, limit=3,
                                             ranked_at_most=3)
            pages.append(ids(found))
            if found.next_cursor is None:
                break
            cursor = found.next_cursor
        cursor = found.previous_cursor
        while cursor is not None:
            found, _ = await search_families(conn, word, cursor=cursor, limit=3,
                                             ranked_at_most=3)
            back.append(ids(found))
            cursor = found.previous_cursor

    assert [len(p) for p in pages] == [3, 3, 2]
    assert back == pages[-2::-1]
