"""Staff: open files, search, set the QF, edit at once, work the queue; all of it audited."""

import random

from tests.service.families.helpers import (
    STAFF_SUB,
    EventLog,
    Families,
    parent,
    staff,
)
from tests.support import eventually


def tag() -> str:
    """Letters of our own, so searches find only this test's families."""
    return "".join(random.choices("bcdfghjklmnpqrstvwxz", k=8))


async def test_opening_a_family_publishes_family_created_and_is_audited(
        families: Families, events: EventLog) -> None:
    family = await families.new_family(qf=480)

    assert family["version"] == 1
    created = await events.wait_for("families.family_created", family_id=family["id"])
    assert created.data == {"family_id": family["id"], "name": "Famille Durand",
                            "email": family["email"]}
    trail = (await families.call("GET", f"/audit?family_id={family['id']}",
                                 headers=staff())).body["items"]
    assert [(e["action"], e["actor_sub"], e["actor_role"]) for e in trail] == [
        ("family.created", STAFF_SUB, "staff")]


async def test_search_finds_a_family_by_name_without_accents(families: Families) -> None:
    word = tag()
    family = await families.new_family(name=f"Famille Lefèvre-{word}")

    found = (await families.call("GET", f"/families?q=lefevre-{word}", headers=staff())).body

    assert [f["id"] for f in found["items"]] == [family["id"]]
    assert found["next_cursor"] is None


async def test_search_finds_a_family_by_email_postal_code_or_child_name(
        families: Families) -> None:
    word = tag()
    postal_code = f"{random.randint(10000, 99999)}"
    family = await families.new_family(
        email=f"{word}@example.org",
        address={"line1": "1 rue Haute", "postal_code": postal_code, "city": "Nébian"})
    await families.new_child(family["id"], first_name="Anaïs", last_name=f"Bérard{word}")

    for q in (f"{word}@example", postal_code, f"anais berard{word}", f"Bérard{word} Anaïs"):
        found = (await families.call("GET", f"/families?q={q}", headers=staff())).body
        assert [f["id"] for f in found["items"]] == [family["id"]], q
    assert found["items"][0]["children"] == [f"Anaïs Bérard{word}"]


async def test_search_is_paginated(families: Families) -> None:
    word = tag()
    first = await families.new_family(name=f"Famille A-{word}")
    second = await families.new_family(name=f"Famille B-{word}")

    one = (await families.call("GET", f"/families?q={word}&page_size=1", headers=staff())).body
    two = (await families.call("GET", f"/families?q={word}&page_size=1&cursor="
                                      f"{one['next_cursor']}", headers=staff())).body

    assert [f["id"] for f in one["items"]] == [first["id"]]
    assert [f["id"] for f in two["items"]] == [second["id"]]
    assert (one["previous_cursor"], two["next_cursor"]) == (None, None)


async def test_a_search_wildcard_is_taken_literally(families: Families) -> None:
    found = (await families.call("GET", "/families?q=%25%25_", headers=staff())).body

    assert found["items"] == []


async def test_setting_the_qf_is_audited_and_published(families: Families,
                                                       events: EventLog) -> None:
    family = await families.new_family()

    answer = await families.call("PUT", f"/families/{family['id']}/qf", headers=staff(),
                                 json={"qf": 735, "comment": "Attestation CAF de mars"})

    assert answer.status == 200
    assert answer.body["qf"] == 735
    updated = await events.wait_for("families.family_updated", family_id=family["id"], qf=735)
    assert updated.data["address"]["postal_code"] == "34800"
    trail = (await families.call("GET", f"/audit?family_id={family['id']}",
                                 headers=staff())).body["items"]
    assert trail[0]["action"] == "family.qf_changed"
    assert trail[0]["details"] == {"old": None, "new": 735, "comment": "Attestation CAF de mars"}
    # The parent reads it, but cannot set it.
    shown = (await families.call("GET", f"/families/{family['id']}",
                                 headers=parent(family["id"]))).body
    assert shown["qf"] == 735


async def test_a_staff_edit_is_applied_at_once_and_audited(families: Families,
                                                           events: EventLog) -> None:
    family = await families.new_family()
    contacts = [{"name": "Marc Durand", "relationship": "oncle", "phone": "06 55 44 33 22"}]

    answer = await families.call("PATCH", f"/families/{family['id']}", headers=staff(),
                                 json={"emergency_contacts": contacts})

    assert answer.status == 200
    assert answer.body["emergency_contacts"] == contacts
    assert answer.body["version"] == 2
    trail = (await families.call("GET", f"/audit?family_id={family['id']}",
                                 headers=staff())).body["items"]
    assert trail[0]["action"] == "family.updated"
    assert trail[0]["details"]["changes"] == [{
        "field": "emergency_contacts", "label": "Personnes à prévenir en cas d'urgence",
        "old": [], "new": contacts}]
    # One at the opening, one for this edit.
    await eventually(lambda: len(events.of("families.family_updated",
                                           family_id=family["id"])) == 2)


async def test_an_edit_of_an_outdated_version_is_refused(families: Families) -> None:
    family = await families.new_family()
    await families.call("PATCH", f"/families/{family['id']}", headers=staff(),
                        json={"phone_home": "04 67 00 11 22"})

    stale = await families.call("PATCH", f"/families/{family['id']}",
                                headers={**staff(), "If-Match": '"1"'},
                                json={"phone_home": "04 67 00 33 44"})
    fresh = await families.call("PATCH", f"/families/{family['id']}",
                                headers={**staff(), "If-Match": '"2"'},
                                json={"phone_home": "04 67 00 33 44"})

    assert stale.status == 409
    assert stale.body["current_version"] == 2
    assert fresh.status == 200
    assert fresh.body["phone_home"] == "04 67 00 33 44"


async def test_the_queue_is_oldest_first_with_names_and_values_side_by_side(
        families: Families) -> None:
    first = await families.new_family(name=f"Famille Premier-{tag()}")
    second = await families.new_family(name=f"Famille Second-{tag()}")
    child = await families.new_child(first["id"], first_name="Jade")
    ids = [
        (await families.call("PATCH", f"/families/{first['id']}", headers=parent(first["id"]),
                             json={"phone_home": "04 67 10 10 10"})).body["id"],
        (await families.call("PATCH", f"/families/{second['id']}", headers=parent(second["id"]),
                             json={"address": {"city": "Paulhan"}})).body["id"],
        (await families.call("PATCH", f"/families/{first['id']}/children/{child['id']}",
                             headers=parent(first["id"]),
                             json={"school_level": "CE1"})).body["id"],
    ]

    queue = (await families.call("GET", "/change-requests?state=pending&page_size=100",
                                 headers=staff())).body
    mine = [r for r in queue["items"] if r["id"] in ids]

    assert [r["id"] for r in mine] == ids
    assert [(r["family_name"], r["child_name"], r["conflict"]) for r in mine] == [
        (first["name"], None, False), (second["name"], None, False),
        (first["name"], "Jade Durand", False)]
    assert mine[1]["changes"] == [{
        "field": "address.city", "label": "Commune", "old": "Clermont-l'Hérault",
        "new": "Paulhan", "current": "Clermont-l'Hérault", "conflict": False,
        "outcome": None, "asked": None}]
    one = (await families.call("GET", f"/change-requests/{ids[2]}", headers=staff())).body
    assert one["changes"][0]["current"] == "CP"


async def test_decisions_are_audited_with_who_when_and_what(families: Families) -> None:
    family = await families.new_family()
    approved = (await families.call("PATCH", f"/families/{family['id']}",
                                    headers=parent(family["id"], sub="parent-sub-1"),
                                    json={"name": "Famille Durand-Leroy"})).body
    await families.decide(approved["id"], "approve")
    rejected = (await families.call("PATCH", f"/families/{family['id']}",
                                    headers=parent(family["id"], sub="parent-sub-1"),
                                    json={"caf_number": "7654321"})).body
    await families.decide(rejected["id"], "reject", "Numéro illisible.")

    trail = (await families.call("GET", f"/audit?family_id={family['id']}",
                                 headers=staff())).body["items"]

    actions = [(e["action"], e["actor_sub"], e["target_id"]) for e in reversed(trail)]
    assert actions == [
        ("family.created", STAFF_SUB, family["id"]),
        ("change_request.submitted", "parent-sub-1", approved["id"]),
        ("family.updated", STAFF_SUB, family["id"]),
        ("change_request.approved", STAFF_SUB, approved["id"]),
        ("change_request.submitted", "parent-sub-1", rejected["id"]),
        ("change_request.rejected", STAFF_SUB, rejected["id"]),
    ]
    assert all(e["at"] for e in trail)
    rejection = trail[0]["details"]
    assert rejection["comment"] == "Numéro illisible."
    assert rejection["changes"][0]["new"] == "7654321"


async def test_the_queue_filters_by_name_kind_and_age(families: Families) -> None:
    # Issue 10, point 12: an agent working 50 requests a day filters the queue.
    mark = tag()
    first = await families.new_family(name=f"Famille Filtre-{mark}")
    second = await families.new_family(name=f"Famille Autre-{mark}")
    child = await families.new_child(first["id"], first_name=f"Zéphyrine{mark}")
    family_request = (await families.call(
        "PATCH", f"/families/{first['id']}", headers=parent(first["id"]),
        json={"phone_home": "04 67 10 10 10"})).body["id"]
    child_request = (await families.call(
        "PATCH", f"/families/{first['id']}/children/{child['id']}",
        headers=parent(first["id"]), json={"school_level": "CE1"})).body["id"]
    other_request = (await families.call(
        "PATCH", f"/families/{second['id']}", headers=parent(second["id"]),
        json={"address": {"city": "Paulhan"}})).body["id"]
    async with families.db.acquire() as conn:  # the first one waits for 10 days
        await conn.execute("UPDATE change_requests SET created_at = now() - interval '10 days'"
                           " WHERE id = $1", family_request)

    async def ids(query: str) -> list[str]:
        answer = await families.call("GET", f"/change-requests?page_size=100&{query}",
                                     headers=staff())
        assert answer.status == 200, answer.body
        found = [r["id"] for r in answer.body["items"]]
        assert answer.body["total"] == len(found)
        return found

    mine = {family_request, child_request, other_request}
    assert set(await ids(f"q=filtre-{mark}")) == {family_request, child_request}
    assert await ids(f"q=zephyrine{mark}") == [family_request, child_request]  # a child's name
    assert mine & set(await ids("target=child")) == {child_request}
    assert mine & set(await ids("older_than_days=7")) == {family_request}
    assert await ids(f"q=filtre-{mark}&target=family") == [family_request]
    bad = await families.call("GET", "/change-requests?target=tout&older_than_days=-1",
                              headers=staff())
    assert bad.status == 422
    assert {e["field"] for e in bad.body["errors"]} == {"target", "older_than_days"}
