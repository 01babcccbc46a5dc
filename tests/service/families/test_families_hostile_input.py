"""Hostile input on every route (read from the live router, so a new route cannot escape): a NUL,
JSON nested 100,000 deep, a 5,000-digit number, control characters in names — each a 4xx with a
French message, and nothing written."""

from typing import Any

import pytest
from yarl import URL

from tests.service.families.helpers import Families, child_body, parent, staff

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5000
SINGLE_LINE = ("Ce champ ne doit contenir ni retour à la ligne ni caractère de contrôle "
               "ou invisible.")


def api_routes(families: Families, part: str) -> list[tuple[str, str]]:
    """(method, path) of every route whose `@api` declares a `part` ("body" or "query")."""
    found = []
    for route in families.server.app.router.routes():
        spec = getattr(route.handler, "__api__", None)
        if spec is not None and getattr(spec, part) is not None and route.resource is not None \
                and route.method != "HEAD":
            found.append((route.method, route.resource.canonical))
    assert found
    return sorted(found)


@pytest.fixture(scope="module")
async def ids(families: Families) -> dict[str, str]:
    family = await families.new_family()
    child = await families.new_child(family["id"])
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json={"name": "Famille B"})).body
    return {"family_id": family["id"], "child_id": child["id"], "request_id": request["id"]}


async def send_raw(families: Families, method: str, path: str, body: str) -> tuple[int, Any]:
    async with families.http.request(method, families.server.make_url(path), data=body.encode(),
                                     headers={**staff(), "Content-Type": "application/json"}
                                     ) as resp:
        return resp.status, await resp.json(content_type=None)


@pytest.mark.parametrize(("raw", "status", "message"), [
    (DEEP, 400, "Le corps de la demande est trop imbriqué."),
    ("[" * 40 + "]" * 40, 422, "Ce champ est trop imbriqué."),
    (f'{{"qf": {HUGE}}}', 422, "Ce nombre est trop long."),
    (f'{{"name": -{HUGE}}}', 422, "Ce nombre est trop long."),
    (f'{{"qf": 1{HUGE}.5}}', 422, "Ce nombre est trop long."),
    ('{"qf": 1e999}', 422, "Ce nombre est trop long."),
    ('{"qf": NaN}', 400, "Le corps de la demande n'est pas un JSON valide."),
], ids=["nested", "nested-readable", "digits", "negative", "float", "infinite", "nan"])
async def test_every_body_refuses_absurd_json_and_writes_nothing(
        families: Families, ids: dict[str, str], raw: str, status: int, message: str) -> None:
    for method, path in api_routes(families, "body"):
        before = await families.counts()

        answer, problem = await send_raw(families, method, path.format(**ids), raw)

        assert answer == status, (method, path, problem)
        said = [problem["title"], *[e["message"] for e in problem.get("errors", [])]]
        assert message in said, (method, path, problem)
        assert await families.counts() == before


async def test_every_body_refuses_a_nul_and_writes_nothing(families: Families,
                                                           ids: dict[str, str]) -> None:
    for method, path in api_routes(families, "body"):
        for body in ({"name": "Famille\u0000Z"}, {"comment\u0000": "x"},
                     {"guardians": [{"last_name": "\u0000"}]}):
            before = await families.counts()

            answer = await families.call(method, path.format(**ids), headers=staff(), json=body)

            assert answer.status == 422, (method, path, answer.body)
            assert answer.fields and all(m.startswith("Ce ") for m in answer.fields.values())
            assert await families.counts() == before


async def test_a_nul_is_refused_by_the_field_holding_it(families: Families,
                                                       ids: dict[str, str]) -> None:
    before = await families.counts()

    answer = await families.call("PATCH", f"/families/{ids['family_id']}",
                                 headers=parent(ids["family_id"]),
                                 json={"name": "Famille\u0000Z",
                                       "guardians": [{"civility": "Madame",
                                                      "last_name": "Du\u0000rand",
                                                      "first_name": "Ana",
                                                      "relationship": "mère"}]})

    assert answer.status == 422
    assert answer.fields == {"name": SINGLE_LINE, "guardians.0.last_name": SINGLE_LINE}
    assert await families.counts() == before


async def test_every_query_refuses_a_nul_or_a_huge_number(families: Families,
                                                          ids: dict[str, str]) -> None:
    for method, path in api_routes(families, "query"):
        for query in ({"q": "a\u0000b"}, {"page": HUGE}, {"page": "²"}, {"nul\u0000": "x"}):
            url = URL(path.format(**ids)).with_query(query)

            answer = await families.call(method, str(url), headers=staff())

            assert answer.status == 422, (method, url, answer.body)
            # (A query with required fields also says they are missing.)
            assert any(e["message"] in (
                SINGLE_LINE, "Ce nombre est trop long.", "Ce champ doit être un nombre entier.",
                "Ce champ n'est pas autorisé.") for e in answer.body["errors"]), answer.body


async def test_searching_with_a_nul_is_a_french_422(families: Families) -> None:
    answer = await families.call("GET", "/families?q=a%00b", headers=staff())

    assert answer.status == 422
    assert answer.fields == {"q": SINGLE_LINE}


@pytest.mark.parametrize("hostile", ["Famille\nDurand", "Famille\rDurand", "Famille\tDurand",
                                     "Famille \u202eDurand", "Famille \u2066Durand\u2069",
                                     "Famille\u2028Durand", "Famille\x85Durand",
                                     "Famille\x1bDurand"])
async def test_a_name_with_a_control_character_is_refused(
        families: Families, ids: dict[str, str], hostile: str) -> None:
    before = await families.counts()

    family = await families.call("PATCH", f"/families/{ids['family_id']}",
                                 headers=parent(ids["family_id"]),
                                 json={"name": hostile, "address": {"line1": hostile}})
    child = await families.call("POST", f"/families/{ids['family_id']}/children",
                                headers=staff(), json=child_body(first_name=hostile))

    assert (family.status, family.fields) == (422, {"name": SINGLE_LINE,
                                                    "address.line1": SINGLE_LINE})
    assert (child.status, child.fields) == (422, {"first_name": SINGLE_LINE})
    assert await families.counts() == before


async def test_a_longer_text_keeps_its_line_breaks_but_no_other_control(
        families: Families, ids: dict[str, str]) -> None:
    path = f"/families/{ids['family_id']}/children/{ids['child_id']}"
    before = await families.counts()
    refused = await families.call("PATCH", path, headers=staff(),
                                  json={"allergies": "Arachide\x0bet\u202egluten"})
    assert refused.status == 422
    assert refused.fields == {
        "allergies": "Ce champ contient un caractère de contrôle ou invisible non autorisé."}
    assert await families.counts() == before

    accepted = await families.call("PATCH", path, headers=staff(),
                                   json={"allergies": "Arachide\r\n\tet gluten"})
    assert accepted.status == 200, accepted.body
    assert accepted.body["allergies"] == "Arachide\r\n\tet gluten"
