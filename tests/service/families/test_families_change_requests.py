"""Parents' changes wait for staff: approval applies them atomically, rejection changes nothing."""

import asyncio

from tests.service.families.helpers import EventLog, Families, child_body, parent, staff

NEW_ADDRESS = {"address": {"line1": "7 rue Louis Blanc", "postal_code": "34800",
                           "city": "Clermont-l'Hérault"}, "phone_home": "04.67.96.12.34"}


async def test_parent_change_is_a_pending_request_beside_the_values_in_force(
        families: Families) -> None:
    family = await families.new_family()
    answer = await families.call("PATCH", f"/families/{family['id']}",
                                 headers=parent(family["id"]), json=NEW_ADDRESS)
    assert answer.status == 202
    request = answer.body
    assert request["state"] == "pending"
    assert request["target"] == "family"
    # Only what changed, old → new, with French labels; the phone is normalised.
    assert request["changes"] == [
        {"field": "address.line1", "label": "Adresse", "old": "3 place de la République",
         "new": "7 rue Louis Blanc", "current": None, "conflict": None,
         "outcome": None, "asked": None},
        {"field": "phone_home", "label": "Téléphone du domicile", "old": None,
         "new": "04 67 96 12 34", "current": None, "conflict": None,
         "outcome": None, "asked": None},
    ]

    shown = await families.call("GET", f"/families/{family['id']}", headers=parent(family["id"]))
    assert shown.body["address"]["line1"] == "3 place de la République"  # still in force
    assert shown.body["phone_home"] is None
    assert shown.body["pending"] == {
        "address.line1": {"value": "7 rue Louis Blanc", "label": "Adresse",
                          "change_request_id": request["id"]},
        "phone_home": {"value": "04 67 96 12 34", "label": "Téléphone du domicile",
                       "change_request_id": request["id"]},
    }


async def test_approval_applies_every_field_and_publishes_the_events(
        families: Families, events: EventLog) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json=NEW_ADDRESS)).body

    decided = await families.decide(request["id"], "approve")

    assert decided.status == 200
    assert decided.body["state"] == "approved"
    assert decided.body["decided_at"] is not None
    shown = (await families.call("GET", f"/families/{family['id']}", headers=staff())).body
    assert shown["address"]["line1"] == "7 rue Louis Blanc"
    assert shown["phone_home"] == "04 67 96 12 34"
    assert shown["pending"] == {}
    assert shown["version"] == family["version"] + 1
    await events.wait_for("families.family_updated", family_id=family["id"],
                          where=lambda d: d["address"]["line1"] == "7 rue Louis Blanc")
    told = await events.wait_for("families.change_request_decided",
                                 change_request_id=request["id"])
    assert told.data["decision"] == "approved"
    assert told.data["email"] == family["email"]
    assert told.data["fields"] == ["Adresse", "Téléphone du domicile"]


async def test_rejection_leaves_the_file_unchanged_and_the_parent_sees_why(
        families: Families, events: EventLog) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json=NEW_ADDRESS)).body

    decided = await families.decide(request["id"], "reject", "Justificatif de domicile manquant.")

    assert decided.status == 200
    shown = (await families.call("GET", f"/families/{family['id']}",
                                 headers=parent(family["id"]))).body
    assert shown["address"] == family["address"]
    assert shown["version"] == family["version"]
    assert shown["pending"] == {}
    mine = (await families.call("GET", f"/families/{family['id']}/change-requests",
                                headers=parent(family["id"]))).body["items"]
    assert [(r["id"], r["state"], r["comment"]) for r in mine] == [
        (request["id"], "rejected", "Justificatif de domicile manquant.")]
    told = await events.wait_for("families.change_request_decided",
                                 change_request_id=request["id"])
    assert told.data["decision"] == "rejected"
    assert told.data["comment"] == "Justificatif de domicile manquant."


async def test_rejecting_without_a_comment_is_refused(families: Families) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json={"name": "Famille X"})).body

    answer = await families.decide(request["id"], "reject", "  ")

    assert answer.status == 422
    assert answer.fields == {
        "comment": "Un commentaire est obligatoire pour refuser une demande."}
    still = await families.call("GET", f"/families/{family['id']}/change-requests",
                                headers=staff())
    assert still.body["items"][0]["state"] == "pending"


async def test_a_change_to_the_values_in_force_is_refused(families: Families) -> None:
    family = await families.new_family()
    before = await families.counts()

    answer = await families.call("PATCH", f"/families/{family['id']}",
                                 headers=parent(family["id"]),
                                 json={"name": family["name"], "phone_mobile": "0601020304"})

    assert answer.status == 422
    assert answer.body["title"] == "Aucune modification."
    assert await families.counts() == before


async def test_a_second_change_supersedes_the_pending_one_and_keeps_its_other_fields(
        families: Families) -> None:
    family = await families.new_family()
    first = (await families.call("PATCH", f"/families/{family['id']}",
                                 headers=parent(family["id"]), json=NEW_ADDRESS)).body

    second = await families.call("PATCH", f"/families/{family['id']}",
                                 headers=parent(family["id"]),
                                 json={"phone_home": "04 67 96 99 99",
                                       "name": "Famille Durand-Roux"})

    assert second.status == 202
    assert {c["field"]: c["new"] for c in second.body["changes"]} == {
        "name": "Famille Durand-Roux", "address.line1": "7 rue Louis Blanc",
        "phone_home": "04 67 96 99 99"}
    history = {r["id"]: r for r in (await families.call(
        "GET", f"/families/{family['id']}/change-requests", headers=parent(family["id"]))
    ).body["items"]}
    assert history[first["id"]]["state"] == "superseded"
    assert history[first["id"]]["superseded_by"] == second.body["id"]
    # Staff can no longer decide the superseded one.
    assert (await families.decide(first["id"], "approve")).status == 409


async def test_setting_a_field_back_to_its_value_in_force_withdraws_it(
        families: Families) -> None:
    family = await families.new_family()
    await families.call("PATCH", f"/families/{family['id']}", headers=parent(family["id"]),
                        json=NEW_ADDRESS)

    answer = await families.call("PATCH", f"/families/{family['id']}",
                                 headers=parent(family["id"]),
                                 json={"address": {"line1": "3 place de la République"}})

    assert answer.status == 202
    assert [c["field"] for c in answer.body["changes"]] == ["phone_home"]


async def test_setting_every_pending_field_back_withdraws_the_request(
        families: Families) -> None:
    family = await families.new_family()
    first = (await families.call("PATCH", f"/families/{family['id']}",
                                 headers=parent(family["id"]),
                                 json={"name": "Famille Durand-Roux"})).body

    answer = await families.call("PATCH", f"/families/{family['id']}",
                                 headers=parent(family["id"]), json={"name": family["name"]})

    assert answer.status == 202
    assert (answer.body["id"], answer.body["state"]) == (first["id"], "withdrawn")
    shown = (await families.call("GET", f"/families/{family['id']}",
                                 headers=parent(family["id"]))).body
    assert shown["pending"] == {}
    assert (await families.decide(first["id"], "approve")).status == 409


async def test_a_parent_withdraws_a_pending_request_and_staff_can_no_longer_decide_it(
        families: Families) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json=NEW_ADDRESS)).body
    path = f"/families/{family['id']}/change-requests/{request['id']}/withdrawal"

    withdrawn = await families.call("POST", path, headers=parent(family["id"]))

    assert withdrawn.status == 200
    assert withdrawn.body["state"] == "withdrawn"
    assert withdrawn.body["decided_at"] is not None
    shown = (await families.call("GET", f"/families/{family['id']}", headers=staff())).body
    assert shown["pending"] == {}
    assert shown["address"]["line1"] == family["address"]["line1"]
    assert (await families.decide(request["id"], "approve")).status == 409
    again = await families.call("POST", path, headers=parent(family["id"]))
    assert again.status == 409
    assert again.body["title"] == "Cette demande a déjà été traitée."
    audit = (await families.call("GET", f"/audit?family_id={family['id']}",
                                 headers=staff())).body["items"]
    assert "change_request.withdrawn" in [entry["action"] for entry in audit]


async def test_staff_reject_rather_than_withdraw(families: Families) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json=NEW_ADDRESS)).body
    path = f"/families/{family['id']}/change-requests/{request['id']}/withdrawal"

    assert (await families.call("POST", path, headers=staff())).status == 403


async def test_approval_is_refused_when_the_values_changed_meanwhile(
        families: Families) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json=NEW_ADDRESS)).body
    # Meanwhile an agent corrects the address from a paper form (applied at once).
    edited = await families.call("PATCH", f"/families/{family['id']}", headers=staff(),
                                 json={"address": {"line1": "5 bis place de la République"}})
    assert edited.status == 200

    refused = await families.decide(request["id"], "approve")

    assert refused.status == 409
    assert refused.body["type"] == "/problems/conflict"
    assert refused.body["conflicts"] == [
        {"field": "address.line1", "label": "Adresse", "old": "3 place de la République",
         "new": "7 rue Louis Blanc", "current": "5 bis place de la République"}]
    shown = (await families.call("GET", f"/families/{family['id']}", headers=staff())).body
    assert shown["address"]["line1"] == "5 bis place de la République"
    assert shown["phone_home"] is None  # nothing of the request was applied
    queue = (await families.call("GET", f"/change-requests?family_id={family['id']}",
                                 headers=staff())).body["items"]
    assert [(q["id"], q["conflict"]) for q in queue] == [(request["id"], True)]
    assert [(c["field"], c["current"], c["conflict"]) for c in queue[0]["changes"]] == [
        ("address.line1", "5 bis place de la République", True),
        ("phone_home", None, False)]
    # Staff can still reject it.
    rejected = await families.decide(request["id"], "reject", "Adresse déjà corrigée.")
    assert rejected.status == 200


async def test_deciding_twice_is_a_conflict(families: Families) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json={"name": "Famille Y"})).body
    assert (await families.decide(request["id"], "approve")).status == 200

    again = await families.decide(request["id"], "reject", "Trop tard.")

    assert again.status == 409
    assert again.body["title"] == "Cette demande a déjà été traitée."


async def test_two_simultaneous_approvals_apply_the_change_once(
        families: Families, events: EventLog) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json=NEW_ADDRESS)).body

    answers = await asyncio.gather(*(families.decide(request["id"], "approve")
                                     for _ in range(4)))

    assert sorted(a.status for a in answers) == [200, 409, 409, 409]
    shown = (await families.call("GET", f"/families/{family['id']}", headers=staff())).body
    assert shown["version"] == family["version"] + 1
    # Every event of the four approvals has arrived by now; only then count them.
    await events.quiet(families)
    assert len(events.of("families.change_request_decided",
                         change_request_id=request["id"])) == 1


async def test_a_new_child_is_created_on_approval(families: Families, events: EventLog) -> None:
    family = await families.new_family()
    answer = await families.call("POST", f"/families/{family['id']}/children",
                                 headers=parent(family["id"]),
                                 json=child_body(first_name="Noé", sex="M"))
    assert answer.status == 202
    request = answer.body
    listed = (await families.call("GET", f"/families/{family['id']}/children",
                                  headers=parent(family["id"]))).body
    assert listed["items"] == []
    assert [p["values"]["first_name"] for p in listed["pending_children"]] == ["Noé"]

    assert (await families.decide(request["id"], "approve")).status == 200

    listed = (await families.call("GET", f"/families/{family['id']}/children",
                                  headers=parent(family["id"]))).body
    assert [(c["id"], c["first_name"], c["allergies"]) for c in listed["items"]] == [
        (request["child_id"], "Noé", "Gluten")]
    assert listed["pending_children"] == []
    created = await events.wait_for("families.child_created", child_id=request["child_id"])
    assert created.data == {
        "child_id": request["child_id"], "family_id": family["id"], "first_name": "Noé",
        "last_name": "Durand", "birth_date": "2019-03-14", "school_level": "CP",
        "entity_version": 1, "family_ids": [family["id"]],
        "custody": {"pattern": "free", "even_weeks_family_id": None}}
    told = await events.wait_for("families.change_request_decided",
                                 change_request_id=request["id"])
    assert told.data["subject"] == "new_child"
    assert told.data["child_name"] == "Noé Durand"


async def test_a_child_change_is_applied_on_approval(families: Families,
                                                     events: EventLog) -> None:
    family = await families.new_family()
    child = await families.new_child(family["id"])
    path = f"/families/{family['id']}/children/{child['id']}"
    request = (await families.call("PATCH", path, headers=parent(family["id"]),
                                   json={"school_level": "CE1", "allergies": "Gluten, lactose"})
               ).body
    pending = (await families.call("GET", path, headers=parent(family["id"]))).body
    assert pending["school_level"] == "CP"
    assert pending["pending"]["school_level"]["value"] == "CE1"

    assert (await families.decide(request["id"], "approve")).status == 200

    shown = (await families.call("GET", path, headers=parent(family["id"]))).body
    assert (shown["school_level"], shown["allergies"]) == ("CE1", "Gluten, lactose")
    updated = await events.wait_for("families.child_updated", child_id=child["id"],
                                    school_level="CE1")
    # Events never carry health data.
    assert "allergies" not in updated.data
    assert not any("Gluten" in str(e.data) for e in events.received)


async def test_sending_back_the_whole_file_as_shown_is_no_change(families: Families) -> None:
    """A form posts every field: only real differences may count as changes."""
    family = await families.new_family(
        emergency_contacts=[{"name": "Anne Roux", "relationship": "tante",
                             "phone": "06 11 11 11 11"}])
    child = await families.new_child(family["id"])
    shown = (await families.call("GET", f"/families/{family['id']}",
                                 headers=parent(family["id"]))).body
    editable = ("name", "address", "phone_home", "phone_mobile", "phone_work", "caf_number",
                "guardians", "emergency_contacts", "authorized_pickups")
    path = f"/families/{family['id']}/children/{child['id']}"
    shown_child = (await families.call("GET", path, headers=parent(family["id"]))).body
    child_fields = set(child_body()) | {"diet", "diet_detail", "image_rights_consent",
                                        "allowed_to_leave_alone"}

    same_family = await families.call("PATCH", f"/families/{family['id']}",
                                      headers=parent(family["id"]),
                                      json={k: shown[k] for k in editable})
    same_child = await families.call("PATCH", path, headers=parent(family["id"]),
                                     json={k: shown_child[k] for k in child_fields})

    assert (same_family.status, same_family.body["title"]) == (422, "Aucune modification.")
    assert (same_child.status, same_child.body["title"]) == (422, "Aucune modification.")


async def test_guardians_are_proposed_and_applied_as_a_whole_list(families: Families) -> None:
    family = await families.new_family()
    guardians = [
        {"civility": "Madame", "last_name": "Durand", "first_name": "Sophie",
         "relationship": "mère", "phone_mobile": "06 01 02 03 04"},
        {"civility": "Monsieur", "last_name": "Petit", "first_name": "Karim",
         "relationship": "beau-père", "employer": "Mairie de Canet"},
    ]
    request = await families.call("PATCH", f"/families/{family['id']}",
                                  headers=parent(family["id"]), json={"guardians": guardians})
    assert request.status == 202
    assert [c["field"] for c in request.body["changes"]] == ["guardians"]

    assert (await families.decide(request.body["id"], "approve")).status == 200

    shown = (await families.call("GET", f"/families/{family['id']}", headers=staff())).body
    blanks = {"phone_mobile": None, "phone_home": None, "phone_work": None, "email": None,
              "employer": None}
    assert shown["guardians"] == [{**blanks, **g} for g in guardians]


# ---- decided field by field (issue 10, point 10) ---------------------------------------------

async def decide_fields(families: Families, request_id: str, **body: object) -> object:
    return await families.call("POST", f"/change-requests/{request_id}/decision",
                               headers=staff(), json={"decision": "approve", **body})


async def test_some_fields_accepted_one_corrected_others_refused_and_the_family_told(
        families: Families, events: EventLog) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json={
                                       **NEW_ADDRESS, "phone_mobile": "06.11.22.33.44"})).body
    decided = await decide_fields(
        families, request["id"], refused=["phone_home"],
        corrections={"address.line1": "7 bis rue Louis Blanc", "phone_mobile": "0611223345"},
        comment="Le téléphone du domicile sera confirmé par courrier.")
    assert decided.status == 200, decided.body  # type: ignore[attr-defined]
    shown = (await families.call("GET", f"/families/{family['id']}", headers=staff())).body
    assert shown["address"]["line1"] == "7 bis rue Louis Blanc"  # the corrected value
    assert shown["phone_mobile"] == "06 11 22 33 45"  # checked and written as a parent's
    assert shown["phone_home"] == family["phone_home"]  # refused: unchanged
    assert shown["pending"] == {}
    outcomes = {c["field"]: (c["outcome"], c.get("asked"), c["new"])
                for c in decided.body["changes"]}  # type: ignore[attr-defined]
    assert outcomes["phone_home"][0] == "refused"
    assert outcomes["address.line1"] == ("applied", "7 rue Louis Blanc", "7 bis rue Louis Blanc")
    told = await events.wait_for("families.change_request_decided",
                                 change_request_id=request["id"])
    assert told.data["decision"] == "approved"
    assert told.data["refused_fields"] == ["Téléphone du domicile"]
    assert told.data["corrected_fields"] == ["Adresse", "Téléphone portable"]
    assert "7 bis" not in str(told.data)  # labels only, never values


async def test_a_field_by_field_decision_that_cannot_be_is_refused_and_changes_nothing(
        families: Families) -> None:
    family = await families.new_family()
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json=NEW_ADDRESS)).body
    cases = [
        ({"refused": ["phone_home"]}, "comment"),  # no comment for what is refused
        ({"refused": ["caf_number"], "comment": "x"}, "refused.caf_number"),
        ({"corrections": {"phone_home": "12"}}, "corrections.phone_home"),
        ({"corrections": {"guardians": []}}, "corrections.guardians"),
        ({"refused": ["address.line1", "address.postal_code", "address.city", "phone_home"],
          "comment": "Non."}, "refused"),
    ]
    for body, field in cases:
        answer = await decide_fields(families, request["id"], **body)
        assert answer.status == 422, (body, answer.body)  # type: ignore[attr-defined]
        assert field in {e["field"] for e in answer.body["errors"]}, answer.body  # type: ignore[attr-defined]
    shown = (await families.call("GET", f"/families/{family['id']}", headers=staff())).body
    assert shown["address"]["line1"] == family["address"]["line1"]
    queue = (await families.call("GET", f"/change-requests?family_id={family['id']}",
                                 headers=staff())).body
    assert [r["state"] for r in queue["items"]] == ["pending"]


async def test_a_new_child_is_accepted_or_refused_whole(families: Families) -> None:
    family = await families.new_family()
    request = (await families.call("POST", f"/families/{family['id']}/children",
                                   headers=parent(family["id"]),
                                   json=child_body(first_name="Noé"))).body
    answer = await decide_fields(families, request["id"], refused=["first_name"],
                                 comment="x")
    assert answer.status == 422  # type: ignore[attr-defined]
