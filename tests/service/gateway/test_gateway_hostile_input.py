"""Hostile input through the gateway: a NUL, absurd JSON, odd page numbers, control characters in
`next=` — each a 4xx page or problem in French (never a 500 or 503), and nothing written."""

import pytest

from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser
from tests.service.gateway.family_support import (
    Family,
    bearer,
    errors_in,
    field_errors,
    form_of,
    new_family,
    requests_of,
    staff_account,
)

FAMILY_FORM = "/mon-compte/famille"
SINGLE_LINE = ("Ce champ ne doit contenir ni retour à la ligne ni caractère de contrôle "
               "ou invisible.")


@pytest.fixture
async def family(stack: Stack) -> Family:
    return await new_family(stack, children=("Léa",))


@pytest.fixture
async def agent(browser: Browser, stack: Stack) -> Browser:
    account = await staff_account(stack)
    await browser.login(account["email"], account["password"])
    return browser


@pytest.mark.parametrize("path", ["/gestion/familles", "/gestion/demandes", "/gestion/journal"])
@pytest.mark.parametrize("page", ["²", "٣", "9" * 5000, "-1", "1e3", ""])
async def test_an_odd_page_number_shows_the_first_page(agent: Browser, path: str,
                                                       page: str) -> None:
    resp, _ = await agent.get(f"{path}?page={page}")
    assert resp.status == 200


@pytest.mark.parametrize("path", ["/gestion/familles", "/gestion/demandes", "/gestion/journal"])
@pytest.mark.parametrize("cursor", ["%00", "²", "9" * 5000, "%E2%80%AE"])
async def test_an_odd_cursor_is_a_french_4xx_page(agent: Browser, path: str,
                                                  cursor: str) -> None:
    resp, html = await agent.get(f"{path}?curseur={cursor}")
    assert 400 <= resp.status < 500, resp.status
    assert '<html lang="fr">' in html


async def test_a_search_with_a_nul_says_so_by_the_search_box(agent: Browser) -> None:
    resp, html = await agent.get("/gestion/familles?q=a%00b")

    assert resp.status == 422
    assert errors_in(html) == {"q": SINGLE_LINE}


@pytest.mark.parametrize("value", ["Famille\u0000Z", "Famille\u202eZ"])
async def test_a_family_form_with_a_control_character_is_refused_by_its_field(
        browser: Browser, stack: Stack, family: Family, value: str) -> None:
    await browser.login(family.email, family.password)
    _, html = await browser.get(FAMILY_FORM)
    data = form_of(html, FAMILY_FORM)
    data["name"] = value

    resp, page = await browser.post_form(FAMILY_FORM, data, csrf=data["csrf"])

    assert resp.status == 422
    assert field_errors(page) == {"name": SINGLE_LINE}
    assert await requests_of(stack, family.id) == []


async def test_a_family_form_with_an_odd_version_is_not_an_error(
        browser: Browser, stack: Stack, family: Family) -> None:
    await browser.login(family.email, family.password)
    _, html = await browser.get(FAMILY_FORM)
    data = form_of(html, FAMILY_FORM)
    data.update({"version": "²", "name": "Famille Nouvelle"})

    resp, _ = await browser.post_form(FAMILY_FORM, data, csrf=data["csrf"])

    assert resp.status == 303
    assert len(await requests_of(stack, family.id)) == 1


@pytest.mark.parametrize(("raw", "status"), [
    ("[" * 100_000 + "]" * 100_000, 400), ('{"name": ' + "7" * 5000 + "}", 422),
    ('{"name": "Famille\\u0000Z"}', 422)], ids=["nested", "digits", "nul"])
async def test_the_api_refuses_hostile_json_in_french_and_writes_nothing(
        browser: Browser, stack: Stack, family: Family, raw: str, status: int) -> None:
    headers = {**await bearer(browser, family.login), "Content-Type": "application/json"}
    async with browser.http.patch(browser.url("/api/v1/family"), data=raw.encode(),
                                  headers=headers) as resp:
        problem = await resp.json(content_type=None)

    assert resp.status == status
    assert problem["title"] in ("Le corps de la demande est trop imbriqué.",
                                "Certaines informations sont invalides.")
    assert await requests_of(stack, family.id) == []


@pytest.mark.parametrize("target", ["/mon-compte/famille%00", "/mon-compte/famille%0B",
                                    "/mon-compte/famille%E2%80%AE", "/mon-compte%C2%85x",
                                    "/mon-compte/famille%0D%0ASet-Cookie:%20x=1"])
async def test_next_with_a_control_character_falls_back_to_home(
        browser: Browser, family: Family, target: str) -> None:
    resp, html = await browser.get(f"/connexion?next={target}")
    assert resp.status == 200
    assert 'name="next" value=""' in html

    await browser.login(family.email, family.password)
    resp, _ = await browser.get(f"/connexion?next={target}")

    assert resp.status == 303
    assert resp.headers["Location"] == "/mon-compte"


async def test_next_posted_with_a_control_character_falls_back_to_home(
        browser: Browser, family: Family) -> None:
    resp, _ = await browser.post_form("/connexion", {
        **family.login, "next": "/mon-compte/famille\u0000"})

    assert resp.status == 303
    assert resp.headers["Location"] == "/mon-compte"


async def test_next_leaves_percent_encoded(browser: Browser, family: Family) -> None:
    resp, _ = await browser.post_form("/connexion", {
        **family.login, "next": "/mon-compte/enfants/élise"})

    assert resp.status == 303
    assert resp.headers["Location"] == "/mon-compte/enfants/%C3%A9lise"
