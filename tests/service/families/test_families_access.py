"""Who reaches what: a parent only their own family (others: 404), staff routes 403 for parents,
health data only for the family and staff."""

from typing import Any

import pytest

from tests.service.families.helpers import (
    Families,
    child_body,
    integrator,
    parent,
    staff,
)

HEALTH = {"allergies", "pai", "pai_details", "doctor_name", "doctor_phone"}

# Every route under a family's id, with a body that would be valid.
FAMILY_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/families/{family}", None),
    ("PATCH", "/families/{family}", {"name": "Famille Intruse"}),
    ("PUT", "/families/{family}/qf", {"qf": 100}),
    ("GET", "/families/{family}/export", None),
    ("GET", "/families/{family}/children", None),
    ("POST", "/families/{family}/children", child_body()),
    ("GET", "/families/{family}/children/{child}", None),
    ("PATCH", "/families/{family}/children/{child}", {"first_name": "Intrus"}),
    ("GET", "/families/{family}/change-requests", None),
    ("POST", "/families/{family}/change-requests/{request}/withdrawal", None),
    ("POST", "/families/{family}/linked-children",
     {"child_id": "00000000-0000-4000-8000-000000000000", "reason": "Garde alternée"}),
    ("POST", "/families/{family}/children/{child}/unlinking", {"reason": "Erreur"}),
]
# Routes for staff only (besides the QF, which is also under a family).
STAFF_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/families?q=Durand", None),
    ("POST", "/families", {"name": "Famille Z", "email": "z@example.org",
                           "address": {"line1": "1 rue A", "postal_code": "34800",
                                       "city": "Clermont-l'Hérault"}}),
    ("PUT", "/families/{family}/qf", {"qf": 100}),
    ("GET", "/change-requests", None),
    ("GET", "/change-requests/{request}", None),
    ("POST", "/change-requests/{request}/decision", {"decision": "approve"}),
    ("GET", "/audit", None),
    ("GET", "/children?last_name=Durand&first_name=In%C3%A8s&birth_date=2019-03-14", None),
    ("POST", "/families/{family}/linked-children",
     {"child_id": "00000000-0000-4000-8000-000000000000", "reason": "Garde alternée"}),
    ("POST", "/families/{family}/children/{child}/unlinking", {"reason": "Erreur"}),
    ("GET", "/children/{child}/households", None),
    ("PUT", "/children/{child}/custody", {"pattern": "free"}),
]


@pytest.fixture(scope="module")
async def other(families: Families) -> dict[str, str]:
    """Another family, with a child and a pending request, that the parent must not reach."""
    family = await families.new_family(name="Famille Voisine")
    child = await families.new_child(family["id"])
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json={"name": "Famille V"})).body
    return {"family": family["id"], "child": child["id"], "request": request["id"]}


@pytest.fixture(scope="module")
async def own(families: Families) -> dict[str, str]:
    family = await families.new_family(name="Famille Curieuse")
    child = await families.new_child(family["id"])
    return {"family": family["id"], "child": child["id"]}


def test_every_family_route_is_checked(families: Families) -> None:
    served = {(r.method, r.resource.canonical) for r in families.server.app.router.routes()
              if r.resource is not None and "{family_id}" in r.resource.canonical
              and r.method != "HEAD"}
    listed = {(m, p.replace("{family}", "{family_id}").replace("{child}", "{child_id}")
                  .replace("{request}", "{request_id}"))
              for m, p, _ in FAMILY_ROUTES}
    assert served == listed


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES)
async def test_another_familys_routes_answer_404_to_a_parent(
        families: Families, own: dict[str, str], other: dict[str, str], method: str, path: str,
        body: Any) -> None:
    before = await families.counts()

    answer = await families.call(method, path.format(**other), headers=parent(own["family"]),
                                 json=body)

    assert answer.status == 404
    assert answer.body["type"] == "/problems/not-found"
    assert await families.counts() == before


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES)
async def test_another_familys_routes_answer_404_whatever_the_body(
        families: Families, own: dict[str, str], other: dict[str, str], method: str, path: str,
        body: Any) -> None:
    answer = await families.call(method, path.format(**other), headers=parent(own["family"]),
                                 json={"nonsense": True} if body is not None else None)

    assert answer.status == 404


async def test_another_familys_child_under_ones_own_family_is_404(
        families: Families, own: dict[str, str], other: dict[str, str]) -> None:
    path = f"/families/{own['family']}/children/{other['child']}"

    assert (await families.call("GET", path, headers=parent(own["family"]))).status == 404
    patched = await families.call("PATCH", path, headers=parent(own["family"]),
                                  json={"first_name": "Intrus"})
    assert patched.status == 404


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES)
async def test_staff_routes_answer_403_to_a_parent(
        families: Families, own: dict[str, str], other: dict[str, str], method: str, path: str,
        body: Any) -> None:
    before = await families.counts()

    answer = await families.call(method, path.format(family=own["family"], **{
        "request": other["request"], "child": own["child"]}), headers=parent(own["family"]),
        json=body)

    assert answer.status == 403
    assert answer.body["type"] == "/problems/forbidden"
    assert await families.counts() == before


async def test_without_a_token_the_answer_is_401(families: Families,
                                                 own: dict[str, str]) -> None:
    answer = await families.call("GET", f"/families/{own['family']}")

    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"


async def test_staff_reach_any_family_but_an_unknown_one_is_404(
        families: Families, other: dict[str, str]) -> None:
    assert (await families.call("GET", f"/families/{other['family']}",
                                headers=staff())).status == 200
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await families.call("GET", f"/families/{unknown}", headers=staff())).status == 404
    assert (await families.call("GET", "/families/not-an-id", headers=staff())).status == 404


async def test_the_family_and_staff_see_health_data(families: Families,
                                                    own: dict[str, str]) -> None:
    for headers in (parent(own["family"]), staff()):
        child = (await families.call(
            "GET", f"/families/{own['family']}/children/{own['child']}", headers=headers)).body
        assert (child["allergies"], child["pai"], child["doctor_name"]) == (
            "Gluten", True, "Docteur Martin")


async def test_an_integrator_gets_children_without_health_data(
        families: Families, own: dict[str, str]) -> None:
    path = f"/families/{own['family']}/children"
    proposal = await families.call("PATCH", f"{path}/{own['child']}",
                                   headers=parent(own["family"]),
                                   json={"allergies": "Arachide", "first_name": "Inès-Marie"})
    assert proposal.status == 202

    listed = (await families.call("GET", path, headers=integrator())).body
    one = (await families.call("GET", f"{path}/{own['child']}", headers=integrator())).body

    for child in (listed["items"][0], one):
        assert HEALTH.isdisjoint(child)
        assert child["first_name"] == "Inès"
        # Pending values too: the new first name shows, the new allergy does not.
        assert set(child["pending"]) == {"first_name"}
    assert "Gluten" not in str(listed) and "Arachide" not in str(one)


async def test_an_integrator_cannot_change_or_export_a_family(
        families: Families, own: dict[str, str]) -> None:
    for method, path, body in [
        ("PATCH", f"/families/{own['family']}", {"name": "Famille Z"}),
        ("GET", f"/families/{own['family']}/export", None),
        ("GET", f"/families/{own['family']}/change-requests", None),
        ("POST", f"/families/{own['family']}/children", child_body()),
    ]:
        answer = await families.call(method, path, headers=integrator(), json=body)
        assert answer.status == 403, (method, path)


async def test_another_familys_request_under_ones_own_family_cannot_be_withdrawn(
        families: Families, own: dict[str, str], other: dict[str, str]) -> None:
    path = f"/families/{own['family']}/change-requests/{other['request']}/withdrawal"

    answer = await families.call("POST", path, headers=parent(own["family"]))

    assert answer.status == 404
    history = (await families.call("GET", f"/families/{other['family']}/change-requests",
                                   headers=staff())).body["items"]
    assert {r["id"]: r["state"] for r in history}[other["request"]] == "pending"
