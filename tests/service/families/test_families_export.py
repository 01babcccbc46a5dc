"""RGPD: a family can download everything held about it, as one JSON file."""

from typing import Any

from tests.service.families.helpers import Families, parent, staff


async def test_the_export_holds_the_file_children_requests_and_audit(
        families: Families) -> None:
    family = await families.new_family(caf_number="1234567")
    child = await families.new_child(family["id"])
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]),
                                   json={"phone_home": "04 67 20 20 20"})).body

    answer = await families.call("GET", f"/families/{family['id']}/export",
                                 headers=parent(family["id"]))

    assert answer.status == 200
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="famille-{family["id"]}.json"')
    assert answer.headers["Cache-Control"] == "no-store"
    data: dict[str, Any] = answer.body
    assert data["family"]["email"] == family["email"]
    assert data["family"]["caf_number"] == "1234567"
    assert data["family"]["guardians"] == family["guardians"]
    assert data["family"]["pending"]["phone_home"]["value"] == "04 67 20 20 20"
    assert [(c["id"], c["allergies"], c["pai_details"]) for c in data["children"]] == [
        (child["id"], "Gluten", "Panier repas fourni par la famille.")]
    assert [r["id"] for r in data["change_requests"]] == [request["id"]]
    assert [e["action"] for e in data["audit"]] == [
        "family.created", "child.created", "change_request.submitted"]
    assert data["exported_at"]


async def test_staff_can_export_any_family(families: Families) -> None:
    family = await families.new_family()

    answer = await families.call("GET", f"/families/{family['id']}/export", headers=staff())

    assert answer.status == 200
    assert answer.body["family"]["id"] == family["id"]
