"""Who reaches the reservation pages and calls of the gateway: the route lists are read from the
live router, so a new route cannot escape; visitors are sent to log in, staff are refused the
parents' pages, forms need their CSRF token, inputs are checked before any service is asked."""

import uuid
from typing import Any

import pytest
from aiohttp import web

from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser
from tests.service.gateway.family_support import Family, bearer, new_family, staff_account

PROBLEM = "application/problem+json"
ID = str(uuid.uuid4())
NUMBER = "R-2027-000001"
# Every reservation call of the parent API, with a body that has the right shape.
API_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", f"/api/v1/periods?child_id={ID}", None),
    ("GET", f"/api/v1/planning?child_id={ID}&period_id={ID}&month=2027-07", None),
    ("GET", f"/api/v1/selection?child_id={ID}&period_id={ID}", None),
    ("POST", "/api/v1/selection", {"child_id": ID, "period_id": ID, "kind": "book",
                                   "action": "clear"}),
    ("POST", "/api/v1/reservations/preview", {"child_id": ID, "period_id": ID,
                                              "kind": "book"}),
    ("POST", "/api/v1/reservations", {"child_id": ID, "period_id": ID, "kind": "book"}),
    ("GET", "/api/v1/reservations", None),
    ("GET", f"/api/v1/reservations/{NUMBER}", None),
    ("POST", f"/api/v1/offers/{ID}", {"accept": True}),
]
# Every parent page of reservations (GET), and its forms (POST).
PAGES = [
    "/mon-compte/reservations",
    "/mon-compte/reservations/nouvelle",
    "/mon-compte/reservations/annulation",
    f"/mon-compte/reservations/nouvelle/planning?enfant={ID}&periode={ID}",
    f"/mon-compte/reservations/annulation/selection-automatique?enfant={ID}&periode={ID}",
    f"/mon-compte/reservations/nouvelle/recapitulatif?enfant={ID}&periode={ID}",
    f"/mon-compte/reservations/{NUMBER}",
    f"/mon-compte/reservations/{NUMBER}/enregistree",
]
FORMS: list[tuple[str, dict[str, str]]] = [
    ("/mon-compte/reservations/nouvelle/selection",
     {"enfant": ID, "periode": ID, "l": "2027-07-05.0", "u0": ID}),
    ("/mon-compte/reservations/annulation/confirmation",
     {"enfant": ID, "periode": ID, "cle": str(uuid.uuid4())}),
    (f"/mon-compte/reservations/offres/{ID}", {"reponse": "accepter"}),
    ("/reservations/offre", {"jeton": "x" * 43, "reponse": "accepter"}),
]


def routes_of(stack: Stack, prefixes: tuple[str, ...]) -> set[tuple[str, str]]:
    app: web.Application = stack.app("gateway")
    return {(r.method, r.resource.canonical) for r in app.router.routes()
            if r.resource is not None and r.resource.canonical.startswith(prefixes)
            and r.method != "HEAD"}


def canonical(path: str) -> str:
    bare = path.split("?")[0]
    return (bare.replace(ID, "{id}").replace(NUMBER, "{number}")
            .replace("/nouvelle", "/{kind}").replace("/annulation", "/{kind}"))


def test_every_reservation_route_is_listed(stack: Stack) -> None:
    api = routes_of(stack, ("/api/v1/periods", "/api/v1/planning", "/api/v1/selection",
                            "/api/v1/reservations", "/api/v1/offers"))
    pages = routes_of(stack, ("/mon-compte/reservations", "/reservations"))

    def generic(routes: set[tuple[str, str]]) -> set[tuple[str, str]]:
        return {(m, p.replace("{line_id}", "{id}")) for m, p in routes}

    assert generic(api) == {(m, canonical(p)) for m, p, _ in API_ROUTES}
    listed = {("GET", canonical(p)) for p in PAGES} | {("POST", canonical(p)) for p, _ in FORMS}
    listed.add(("GET", "/reservations/offre"))  # the e-mailed link: no session needed
    assert generic(pages) == listed


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES)
async def test_the_api_asks_a_visitor_to_log_in_whatever_the_body(
        browser: Browser, method: str, path: str, body: Any) -> None:
    resp, problem = await browser.api(method, path, body=["not", "an", "object"]
                                      if body is not None else None)
    assert resp.status == 401
    assert resp.content_type == PROBLEM
    assert problem["title"] == "Veuillez vous connecter."


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES)
async def test_the_api_is_for_families_only(browser: Browser, stack: Stack, method: str,
                                            path: str, body: Any) -> None:
    agent = await staff_account(stack)
    headers = await bearer(browser, {"email": agent["email"], "password": agent["password"]})
    resp, problem = await browser.api(method, path, body=body, headers=headers)
    assert resp.status == 403
    assert problem["title"] == "Cette fonction est réservée aux familles."


@pytest.fixture
async def family(stack: Stack) -> Family:
    return await new_family(stack, children=("Léa",))


@pytest.fixture
async def auth(browser: Browser, family: Family) -> dict[str, str]:
    return await bearer(browser, family.login)


@pytest.mark.parametrize(("path", "field", "message"), [
    ("/api/v1/periods?child_id=12", "child_id", "Identifiant invalide."),
    ("/api/v1/periods", "child_id", "Ce champ est obligatoire."),
    (f"/api/v1/periods?child_id={ID}&kind=tout", "kind",
     "Valeur non autorisée (valeurs possibles : « book » ou « cancel »)."),
    (f"/api/v1/planning?child_id={ID}&period_id={ID}&month=2027-13", "month",
     "Le format de ce champ est invalide."),
    (f"/api/v1/planning?child_id={ID}&period_id=" + "9" * 5000, "period_id",
     "Identifiant invalide."),
    ("/api/v1/planning?child_id=%00&period_id=" + ID, "child_id", "Identifiant invalide."),
    ("/api/v1/reservations?cursor=" + "a" * 600, "cursor",
     "Ce champ doit contenir au plus 512 caractères."),
])
async def test_queries_are_checked_before_any_service_is_asked(
        browser: Browser, auth: dict[str, str], path: str, field: str, message: str) -> None:
    resp, problem = await browser.api("GET", path, headers=auth)
    assert resp.status == 422
    assert resp.content_type == PROBLEM
    assert {"field": field, "message": message} in problem["errors"]


@pytest.mark.parametrize("number", ["R-2027-1", "R-2027-0000010", "42", "R-2027-00000%00"])
async def test_a_number_not_shaped_as_one_is_not_found(browser: Browser, auth: dict[str, str],
                                                       number: str) -> None:
    resp, _ = await browser.api("GET", f"/api/v1/reservations/{number}", headers=auth)
    assert resp.status == 404
    assert resp.content_type == PROBLEM


@pytest.mark.parametrize("key", ["", "a" * 201, "clé-é", "deux mots"])
async def test_an_idempotency_key_that_is_no_header_token_is_refused(
        browser: Browser, auth: dict[str, str], key: str) -> None:
    resp, problem = await browser.api("POST", "/api/v1/reservations", headers={
        **auth, "Idempotency-Key": key}, body={"child_id": ID, "period_id": ID,
                                               "kind": "book"})
    assert resp.status == 400
    assert problem["title"].startswith("L'en-tête Idempotency-Key est invalide")


@pytest.mark.parametrize("body", [[1, 2], "texte", 7])
async def test_a_body_that_is_not_an_object_is_refused(browser: Browser, auth: dict[str, str],
                                                       body: Any) -> None:
    resp, problem = await browser.api("POST", "/api/v1/reservations/preview", headers=auth,
                                      body=body)
    assert resp.status == 422
    assert problem["errors"] == [{"field": "_", "message": "Ce champ doit être un objet."}]


async def test_an_offer_answer_is_yes_or_no(browser: Browser, auth: dict[str, str]) -> None:
    resp, problem = await browser.api("POST", f"/api/v1/offers/{ID}", headers=auth,
                                      body={"accept": "peut-être"})
    assert resp.status == 422
    assert problem["errors"] == [{"field": "accept",
                                  "message": "Ce champ doit valoir oui ou non."}]


# ---- pages --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
async def test_pages_send_a_visitor_to_the_login_page(browser: Browser, path: str) -> None:
    resp, _ = await browser.get(path)
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/connexion?next=%2Fmon-compte%2Freservations")


@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_for_families_only(browser: Browser, stack: Stack, path: str) -> None:
    agent = await staff_account(stack)
    await browser.login(agent["email"], agent["password"])
    resp, html = await browser.get(path)
    assert resp.status == 403
    assert "Cette page est réservée aux familles." in html


@pytest.mark.parametrize(("path", "data"), FORMS)
async def test_forms_without_their_csrf_token_are_refused(
        browser: Browser, family: Family, path: str, data: dict[str, str]) -> None:
    await browser.login(family.email, family.password)
    resp, html = await browser.post_form(path, data, csrf=None)
    assert resp.status == 403
    assert "Le formulaire a expiré ou ne vient pas de ce site." in html
    resp, _ = await browser.post_form(path, data, csrf="forged-token")
    assert resp.status == 403


@pytest.mark.parametrize("path", [
    f"/mon-compte/reservations/nouvelle/planning?enfant=12&periode={ID}",
    f"/mon-compte/reservations/nouvelle/planning?enfant={ID}",
    "/mon-compte/reservations/R-2027-1",
    "/mon-compte/reservations/reserver",
])
async def test_addresses_that_name_nothing_are_pages_not_found(
        browser: Browser, family: Family, path: str) -> None:
    await browser.login(family.email, family.password)
    resp, _ = await browser.get(path)
    assert resp.status == 404


@pytest.mark.parametrize("data", [
    {"enfant": ID, "periode": ID, "l": "05/07/2027.0", "u0": ID},
    {"enfant": ID, "periode": ID, "l": "2027-07-05.99", "u0": ID},
    {"enfant": ID, "periode": ID, "action": "tout"},
    {"enfant": ID, "periode": ID, "action": "auto", "unite": ID},
])
async def test_a_selection_that_names_no_cell_is_refused_in_french(
        browser: Browser, family: Family, data: dict[str, str]) -> None:
    await browser.login(family.email, family.password)
    csrf = await browser.csrf("/mon-compte/reservations/nouvelle")
    resp, html = await browser.post_form("/mon-compte/reservations/nouvelle/selection", data,
                                         csrf=csrf)
    assert resp.status == 400
    assert "Rechargez la page du planning." in html or "Cochez au moins un jour" in html


async def test_the_offer_link_page_answers_nothing_until_a_button_is_pressed(
        browser: Browser) -> None:
    resp, html = await browser.get("/reservations/offre?jeton=" + "x" * 43)
    assert resp.status == 200
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "Accepter la place" in html and "Refuser la place" in html
    resp, html = await browser.get("/reservations/offre")
    assert "Ce lien n&#39;est pas valable." in html
