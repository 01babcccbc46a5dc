"""Separated parents (issue 11): a child in up to two households, linked and unlinked by staff
(audited, versioned events), one child file both households see, custody per child."""

import asyncio
import random
from typing import Any

import asyncpg
import pytest

from tests.service.families.helpers import STAFF_SUB, EventLog, Families, parent, staff


def tag() -> str:
    return "".join(random.choices("bcdfghjklmnpqrstvwxz", k=8))


async def shared_pair(families: Families) -> tuple[dict[str, Any], dict[str, Any],
                                                   dict[str, Any]]:
    """Households A and B, and A's child linked to B."""
    a = await families.new_family(name="Famille Arnaud")
    b = await families.new_family(name="Famille Bastide")
    child = await families.new_child(a["id"], last_name=f"Arnaud{tag()}", first_name="Hugo")
    linked = await link(families, b["id"], child["id"])
    assert linked.status == 201, linked.body
    return a, b, child


async def link(families: Families, family_id: str, child_id: str,
               reason: str = "Garde partagée après la séparation") -> Any:
    return await families.call("POST", f"/families/{family_id}/linked-children",
                               headers=staff(), json={"child_id": child_id, "reason": reason})


async def unlink(families: Families, family_id: str, child_id: str,
                 reason: str = "Jugement du juge aux affaires familiales") -> Any:
    return await families.call("POST",
                               f"/families/{family_id}/children/{child_id}/unlinking",
                               headers=staff(), json={"reason": reason})


async def children_of(families: Families, family_id: str) -> list[dict[str, Any]]:
    listed = await families.call("GET", f"/families/{family_id}/children",
                                 headers=parent(family_id))
    items: list[dict[str, Any]] = listed.body["items"]
    return items


async def test_a_linked_child_is_seen_by_both_households_and_the_event_names_both(
        families: Families, events: EventLog) -> None:
    a, b, child = await shared_pair(families)

    for household in (a, b):
        seen = await children_of(families, household["id"])
        assert [(c["id"], c["family_id"]) for c in seen] == [(child["id"], household["id"])]
        one = await families.call("GET", f"/families/{household['id']}/children/{child['id']}",
                                  headers=parent(household["id"]))
        assert one.status == 200
        assert one.body["allergies"] == "Gluten"  # the one child file, health data included
    linked = await events.wait_for("families.child_linked", child_id=child["id"])
    assert linked.data["family_id"] == b["id"]
    assert linked.data["family_ids"] == [b["id"], a["id"]]
    assert linked.data["entity_version"] == child["version"] + 1
    assert linked.data["custody"] == {"pattern": "free", "even_weeks_family_id": None}
    assert "allergies" not in linked.data


async def test_linking_is_audited_with_its_reason_and_in_the_childs_history(
        families: Families) -> None:
    a, b, child = await shared_pair(families)

    trail = (await families.call("GET", f"/audit?family_id={b['id']}",
                                 headers=staff())).body["items"]
    assert [(e["action"], e["actor_sub"], e["target_id"], e["details"]) for e in trail] == [
        ("child.linked", STAFF_SUB, child["id"],
         {"reason": "Garde partagée après la séparation"}),
        ("family.created", STAFF_SUB, b["id"], trail[1]["details"])]
    view = (await families.call("GET", f"/children/{child['id']}/households",
                                headers=staff())).body
    assert [(h["family_id"], h["name"]) for h in view["households"]] == [
        (a["id"], "Famille Arnaud"), (b["id"], "Famille Bastide")]
    assert [(h["action"], h["family_id"], h["reason"], h["actor_sub"])
            for h in view["history"]] == [
        ("linked", b["id"], "Garde partagée après la séparation", STAFF_SUB)]
    # Names side by side, never one household's private file in the other's view.
    assert "address" not in str(view) and a["email"] not in str(view)


async def test_a_linked_child_is_found_by_a_search_from_either_household(
        families: Families) -> None:
    a, b, child = await shared_pair(families)

    found = (await families.call("GET", f"/families?q={child['last_name']}",
                                 headers=staff())).body
    assert sorted(f["id"] for f in found["items"]) == sorted([a["id"], b["id"]])


async def test_looking_a_child_up_needs_both_names_and_the_exact_birth_date(
        families: Families) -> None:
    a = await families.new_family(name="Famille Sabatier")
    last = f"Sabatier-{tag()}"
    child = await families.new_child(a["id"], last_name=last, first_name="Inès",
                                     birth_date="2018-06-02")
    path = "/children?last_name={}&first_name={}&birth_date={}"

    folded = await families.call("GET", path.format(last.upper(), "ines", "2018-06-02"),
                                 headers=staff())
    assert folded.status == 200
    assert folded.body["items"] == [{
        "id": child["id"], "last_name": last, "first_name": "Inès",
        "birth_date": "2018-06-02",
        "households": [{"family_id": a["id"], "name": "Famille Sabatier"}]}]
    other_day = await families.call("GET", path.format(last, "Inès", "2018-06-03"),
                                    headers=staff())
    assert other_day.body["items"] == []
    no_date = await families.call("GET", f"/children?last_name={last}&first_name=In%C3%A8s",
                                  headers=staff())
    assert no_date.status == 422
    assert no_date.fields == {"birth_date": "Ce champ est obligatoire."}
    part = await families.call("GET", path.format(last[:5], "Inès", "2018-06-02"),
                               headers=staff())
    assert part.body["items"] == []  # never a guess: the exact name


async def test_a_third_household_is_refused_and_nothing_changes(families: Families) -> None:
    _a, _b, child = await shared_pair(families)
    c = await families.new_family(name="Famille Tierce")
    before = await families.counts()

    answer = await link(families, c["id"], child["id"])

    assert answer.status == 409
    assert answer.body["title"].startswith("Cet enfant a déjà deux foyers")
    assert await families.counts() == before
    assert await children_of(families, c["id"]) == []


async def test_linking_to_a_household_it_is_in_already_is_refused(families: Families) -> None:
    a, b, child = await shared_pair(families)

    for household in (a, b):
        answer = await link(families, household["id"], child["id"])
        assert answer.status == 409
        assert answer.body["title"] == "Cet enfant fait déjà partie de ce foyer."


async def test_linking_an_unknown_child_or_without_a_reason_is_a_french_422(
        families: Families) -> None:
    b = await families.new_family()
    before = await families.counts()

    unknown = await link(families, b["id"], "00000000-0000-4000-8000-000000000001")
    assert unknown.status == 422
    assert unknown.fields["child_id"].startswith("Aucun enfant ne correspond")
    no_reason = await families.call("POST", f"/families/{b['id']}/linked-children",
                                    headers=staff(), json={"child_id": b["id"], "reason": " "})
    assert no_reason.status == 422
    assert "reason" in no_reason.fields
    assert await families.counts() == before


async def test_two_links_at_once_leave_one_second_household(families: Families) -> None:
    a = await families.new_family()
    child = await families.new_child(a["id"])
    b, c = await families.new_family(), await families.new_family()

    answers = await asyncio.gather(link(families, b["id"], child["id"]),
                                   link(families, c["id"], child["id"]),
                                   link(families, b["id"], child["id"]))

    assert sorted(x.status for x in answers) == [201, 409, 409]
    view = (await families.call("GET", f"/children/{child['id']}/households",
                                headers=staff())).body
    assert len(view["households"]) == 2


async def test_the_database_itself_refuses_a_third_household(families: Families) -> None:
    _a, _b, child = await shared_pair(families)
    c = await families.new_family()

    async with families.db.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("INSERT INTO child_households (child_id, family_id, slot) "
                               "VALUES ($1, $2, 3)", child["id"], c["id"])
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute("INSERT INTO child_households (child_id, family_id, slot) "
                               "VALUES ($1, $2, 2)", child["id"], c["id"])


async def test_a_change_asked_by_the_second_household_once_approved_is_seen_by_both(
        families: Families, events: EventLog) -> None:
    a, b, child = await shared_pair(families)

    asked = await families.call("PATCH", f"/families/{b['id']}/children/{child['id']}",
                                headers=parent(b["id"]),
                                json={"school": "École Voltaire", "allergies": "Kiwi"})
    assert asked.status == 202, asked.body
    # Pending: only the household that asked sees its proposal.
    seen_a = (await children_of(families, a["id"]))[0]
    seen_b = (await children_of(families, b["id"]))[0]
    assert "school" not in seen_a["pending"] and "school" in seen_b["pending"]
    queued = (await families.call("GET", f"/change-requests/{asked.body['id']}",
                                  headers=staff())).body
    assert queued["family_name"] == "Famille Bastide"

    assert (await families.decide(asked.body["id"], "approve")).status == 200

    for household in (a, b):
        seen = (await children_of(families, household["id"]))[0]
        assert (seen["school"], seen["allergies"]) == ("École Voltaire", "Kiwi")
    updated = await events.wait_for("families.child_updated", child_id=child["id"])
    assert updated.data["family_id"] == a["id"]
    assert updated.data["family_ids"] == [a["id"], b["id"]]
    assert updated.data["entity_version"] == child["version"] + 2  # link, then the change
    # Only the household that asked is told, at its own address.
    told = await events.wait_for("families.change_request_decided",
                                 change_request_id=asked.body["id"])
    assert (told.data["family_id"], told.data["email"]) == (b["id"], b["email"])
    assert a["email"] not in str(told.data)


async def test_unlinking_keeps_the_child_its_history_and_the_audit(
        families: Families, events: EventLog) -> None:
    a, b, child = await shared_pair(families)
    pending = await families.call("PATCH", f"/families/{b['id']}/children/{child['id']}",
                                  headers=parent(b["id"]), json={"school": "École B"})

    answer = await unlink(families, b["id"], child["id"])

    assert answer.status == 200, answer.body
    assert [h["family_id"] for h in answer.body["households"]] == [a["id"]]
    assert [(h["action"], h["family_id"]) for h in answer.body["history"]] == [
        ("linked", b["id"]), ("unlinked", b["id"])]
    assert await children_of(families, b["id"]) == []
    gone = await families.call("GET", f"/families/{b['id']}/children/{child['id']}",
                               headers=parent(b["id"]))
    assert gone.status == 404
    assert [c["id"] for c in await children_of(families, a["id"])] == [child["id"]]
    unlinked = await events.wait_for("families.child_unlinked", child_id=child["id"])
    assert unlinked.data["family_id"] == b["id"]
    assert unlinked.data["family_ids"] == [a["id"]]
    assert unlinked.data["entity_version"] == child["version"] + 2
    trail = (await families.call("GET", f"/audit?family_id={b['id']}",
                                 headers=staff())).body["items"]
    assert [e["action"] for e in trail][:2] == ["child.unlinked", "change_request.withdrawn"]
    assert trail[0]["details"] == {"reason": "Jugement du juge aux affaires familiales"}
    requests = (await families.call("GET", f"/families/{b['id']}/change-requests",
                                    headers=parent(b["id"]))).body["items"]
    assert {r["id"]: r["state"] for r in requests}[pending.body["id"]] == "withdrawn"


async def test_the_first_household_can_be_unlinked_the_other_becomes_first(
        families: Families, events: EventLog) -> None:
    a, b, child = await shared_pair(families)

    assert (await unlink(families, a["id"], child["id"])).status == 200

    assert [c["id"] for c in await children_of(families, b["id"])] == [child["id"]]
    unlinked = await events.wait_for("families.child_unlinked", child_id=child["id"])
    assert unlinked.data["family_ids"] == [b["id"]]
    changed = await families.call("PATCH", f"/families/{b['id']}/children/{child['id']}",
                                  headers=staff(), json={"school": "École Molière"})
    assert changed.status == 200
    updated = await events.wait_for("families.child_updated", child_id=child["id"])
    assert (updated.data["family_id"], updated.data["family_ids"]) == (b["id"], [b["id"]])


async def test_the_last_household_cannot_be_unlinked(families: Families) -> None:
    a = await families.new_family()
    child = await families.new_child(a["id"])
    before = await families.counts()

    answer = await unlink(families, a["id"], child["id"])

    assert answer.status == 409
    assert answer.body["title"].startswith("C'est le seul foyer de cet enfant")
    assert await families.counts() == before


async def test_unlinking_from_a_household_it_is_not_in_is_404(families: Families) -> None:
    _a, _b, child = await shared_pair(families)
    c = await families.new_family()

    assert (await unlink(families, c["id"], child["id"])).status == 404


async def test_alternate_weeks_name_one_of_the_two_households_and_are_published(
        families: Families, events: EventLog) -> None:
    _a, b, child = await shared_pair(families)
    path = f"/children/{child['id']}/custody"

    answer = await families.call("PUT", path, headers=staff(), json={
        "pattern": "alternate_weeks", "even_weeks_family_id": b["id"]})

    assert answer.status == 200, answer.body
    assert answer.body["custody"] == {"pattern": "alternate_weeks",
                                      "even_weeks_family_id": b["id"]}
    updated = await events.wait_for(
        "families.child_updated", child_id=child["id"],
        where=lambda d: d["custody"]["pattern"] == "alternate_weeks")
    assert updated.data["custody"]["even_weeks_family_id"] == b["id"]
    assert updated.data["entity_version"] == child["version"] + 2
    # Unlinking a household leaves one: custody goes back to « libre ».
    assert (await unlink(families, b["id"], child["id"])).status == 200
    view = (await families.call("GET", f"/children/{child['id']}/households",
                                headers=staff())).body
    assert view["custody"] == {"pattern": "free", "even_weeks_family_id": None}


async def test_wrong_custody_is_a_french_422_and_changes_nothing(families: Families) -> None:
    a, _b, child = await shared_pair(families)
    lonely = await families.new_child(a["id"], first_name="Solène")
    c = await families.new_family()
    before = await families.counts()

    for child_id, body, field in [
        (child["id"], {"pattern": "alternate_weeks", "even_weeks_family_id": c["id"]},
         "even_weeks_family_id"),
        (child["id"], {"pattern": "alternate_weeks"}, "even_weeks_family_id"),
        (child["id"], {"pattern": "free", "even_weeks_family_id": a["id"]},
         "even_weeks_family_id"),
        (lonely["id"], {"pattern": "alternate_weeks", "even_weeks_family_id": a["id"]},
         "pattern"),
        (child["id"], {"pattern": "sometimes"}, "pattern"),
    ]:
        answer = await families.call("PUT", f"/children/{child_id}/custody", headers=staff(),
                                     json=body)
        assert answer.status == 422, body
        assert field in answer.fields, answer.body
    assert await families.counts() == before


async def test_a_parent_cannot_link_unlink_or_set_custody(families: Families) -> None:
    _a, b, child = await shared_pair(families)

    for method, path, body in [
        ("POST", f"/families/{b['id']}/linked-children",
         {"child_id": child["id"], "reason": "x"}),
        ("POST", f"/families/{b['id']}/children/{child['id']}/unlinking", {"reason": "x"}),
        ("PUT", f"/children/{child['id']}/custody", {"pattern": "free"}),
        ("GET", f"/children/{child['id']}/households", None),
    ]:
        answer = await families.call(method, path, headers=parent(b["id"]), json=body)
        assert answer.status == 403, path
