"""Who reaches what: a parent only their own family (another's: 404, whatever the body, nothing
written), staff routes 403 to a parent, integrators only the catalogue, no token 401. The route
lists are checked against the live router, so a new route cannot escape these tests."""

from datetime import date
from typing import Any

import pytest

from tests.service.reservations.helpers import (
    Catalogue,
    Reservations,
    integrator,
    next_weekday,
    parent,
    staff,
)

KERNEL = {"/healthz", "/readyz", "/metrics", "/openapi.json"}

# Every route under a family's id, with a body that would be valid for its own family.
FAMILY_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/families/{family}/periods?child_id={child}", None),
    ("GET", "/families/{family}/planning?child_id={child}&period_id={period}", None),
    ("GET", "/families/{family}/selection?child_id={child}&period_id={period}", None),
    ("POST", "/families/{family}/selection", {
        "child_id": "{child}", "period_id": "{period}", "action": "add",
        "lines": [{"date": "{day}", "unit_id": "{unit}"}]}),
    ("POST", "/families/{family}/reservations/preview", {
        "child_id": "{child}", "period_id": "{period}",
        "lines": [{"date": "{day}", "unit_id": "{unit}"}]}),
    ("POST", "/families/{family}/reservations", {
        "child_id": "{child}", "period_id": "{period}",
        "lines": [{"date": "{day}", "unit_id": "{unit}"}]}),
    ("GET", "/families/{family}/reservations", None),
    ("GET", "/families/{family}/reservations/{number}", None),
    ("POST", "/families/{family}/offers/{line}", {"accept": True}),
]
STAFF_ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/establishments", {"name": "Intrus", "kind": "periscolaire"}),
    ("PATCH", "/establishments/{establishment}", {"name": "Intrus"}),
    ("POST", "/establishments/{establishment}/units", {"code": "X", "label": "Intrus"}),
    ("PATCH", "/units/{unit}", {"label": "Intrus"}),
    ("POST", "/periods", {"name": "Intrus"}),
    ("PATCH", "/periods/{period}", {"name": "Intrus"}),
    ("PUT", "/periods/{period}/capacities", {"items": [{"unit_id": "{unit}", "capacity": 0}]}),
    ("GET", "/requests", None),
    ("POST", "/lines/{line}/decision", {"decision": "accept"}),
    ("GET", "/waiting-lists?period_id={period}&date={day}&unit_id={unit}", None),
    ("GET", "/waiting-lists/cells?period_id={period}", None),
    ("GET", "/attendance?establishment_id={establishment}&date={day}", None),
    ("GET", "/periods/{period}/draw", None),
    ("POST", "/periods/{period}/draw", None),
]
# Readable with any token (the catalogue).
READ_ROUTES: list[tuple[str, str]] = [
    ("GET", "/establishments"),
    ("GET", "/periods"),
    ("GET", "/periods/{period}"),
]
# Without a session: the e-mailed offer link carries its own one-time token.
PUBLIC_ROUTES = [("POST", "/offers/reply")]


def canonical(path: str) -> str:
    return (path.split("?")[0].replace("{family}", "{family_id}")
            .replace("{establishment}", "{establishment_id}").replace("{unit}", "{unit_id}")
            .replace("{period}", "{period_id}").replace("{line}", "{line_id}"))


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
async def world(reservations: Reservations) -> dict[str, Any]:
    """Two families; the other one holds a reservation and a line the parent must not reach."""
    catalogue: Catalogue = await reservations.catalogue()
    own = await reservations.family(8)
    other = await reservations.family(8)
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))
    booked = await reservations.book(other, catalogue, [(day, "REPAS")])
    assert booked.status == 201
    ids = {"family": str(other.id), "child": str(other.child),
           "period": catalogue.period["id"], "unit": catalogue.unit("REPAS"),
           "day": day.isoformat(), "number": booked.body["number"],
           "line": booked.body["lines"][0]["id"],
           "establishment": catalogue.establishment["id"]}
    return {"own": own, "other": other, "ids": ids}


def test_every_route_is_in_a_list(reservations: Reservations) -> None:
    served = {(r.method, r.resource.canonical) for r in reservations.server.app.router.routes()
              if r.resource is not None and r.method != "HEAD"
              and r.resource.canonical not in KERNEL}
    listed = ({(m, canonical(p)) for m, p, _ in FAMILY_ROUTES + STAFF_ROUTES}
              | {(m, canonical(p)) for m, p in READ_ROUTES + PUBLIC_ROUTES})
    assert served == listed
    assert {(m, canonical(p)) for m, p, _ in FAMILY_ROUTES} == {
        (m, p) for m, p in served if "{family_id}" in p}


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES)
async def test_another_familys_routes_answer_404_to_a_parent(
        reservations: Reservations, world: dict[str, Any], method: str, path: str,
        body: Any) -> None:
    before = await reservations.counts()

    answer = await reservations.call(method, fill(path, world["ids"]),
                                     headers=world["own"].headers(),
                                     json=fill(body, world["ids"]))

    assert answer.status == 404
    assert answer.body["type"] == "/problems/not-found"
    assert await reservations.counts() == before


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES)
async def test_another_familys_routes_answer_404_whatever_the_body(
        reservations: Reservations, world: dict[str, Any], method: str, path: str,
        body: Any) -> None:
    answer = await reservations.call(method, fill(path, world["ids"]),
                                     headers=world["own"].headers(),
                                     json={"nonsense": True} if body is not None else None)

    assert answer.status == 404


NAMING_ANOTHERS = [(m, p, b) for m, p, b in FAMILY_ROUTES
                   if any(x in p + str(b) for x in ("{child}", "{number}", "{line}"))]


@pytest.mark.parametrize(("method", "path", "body"), NAMING_ANOTHERS)
async def test_another_familys_child_under_ones_own_family_is_404(
        reservations: Reservations, world: dict[str, Any], method: str, path: str,
        body: Any) -> None:
    """The other family's child, number or line, named under the parent's own family id."""
    ids = {**world["ids"], "family": str(world["own"].id)}
    before = await reservations.counts()

    answer = await reservations.call(method, fill(path, ids), headers=world["own"].headers(),
                                     json=fill(body, ids))

    assert answer.status == 404
    assert await reservations.counts() == before


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES)
async def test_staff_routes_answer_403_to_a_parent(
        reservations: Reservations, world: dict[str, Any], method: str, path: str,
        body: Any) -> None:
    before = await reservations.counts()

    answer = await reservations.call(method, fill(path, world["ids"]),
                                     headers=world["own"].headers(),
                                     json=fill(body, world["ids"]))

    assert answer.status == 403
    assert answer.body["type"] == "/problems/forbidden"
    assert await reservations.counts() == before


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES + STAFF_ROUTES)
async def test_an_integrator_reaches_neither_families_nor_staff_routes(
        reservations: Reservations, world: dict[str, Any], method: str, path: str,
        body: Any) -> None:
    answer = await reservations.call(method, fill(path, world["ids"]), headers=integrator(),
                                     json=fill(body, world["ids"]))

    assert answer.status == 403


@pytest.mark.parametrize(("method", "path"), READ_ROUTES)
async def test_the_catalogue_is_read_with_any_token_but_not_without(
        reservations: Reservations, world: dict[str, Any], method: str, path: str) -> None:
    url = fill(path, world["ids"])
    for headers in (integrator(), parent(world["own"].id), staff()):
        assert (await reservations.call(method, url, headers=headers)).status == 200
    answer = await reservations.call(method, url)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES + STAFF_ROUTES)
async def test_without_a_token_the_answer_is_401(
        reservations: Reservations, world: dict[str, Any], method: str, path: str,
        body: Any) -> None:
    answer = await reservations.call(method, fill(path, world["ids"]),
                                     json=fill(body, world["ids"]))

    assert answer.status == 401


async def test_staff_reach_any_family(reservations: Reservations, world: dict[str, Any]
                                     ) -> None:
    ids = world["ids"]
    answer = await reservations.call(
        "GET", f"/families/{ids['family']}/reservations/{ids['number']}", headers=staff())

    assert answer.status == 200
    assert answer.body["number"] == ids["number"]
