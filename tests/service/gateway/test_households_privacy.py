"""Privacy between the two households of a child (issue 11, point 2): household A, logged in,
calls every parent route of the gateway (pages and /api/v1, read from the live router so a new
route cannot be forgotten) with household B's resources; it gets 404, and no answer holds B's
address, phones, contacts, QF, bookings, invoices or pending changes. Both see the child they
share, and its one file."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from aiohttp import web

from services.common import keys as common_keys
from services.common.demo import (
    DEMO_CHILD_HUGO_ID,
    DEMO_PARENT2_EMAIL,
    DEMO_PARENT_EMAIL,
    DEMO_PASSWORD,
)
from services.families import change_requests, households
from services.families.schemas import ChildPatch, FamilyPatch
from services.families.service import Actor
from tests.e2e.stack import Stack
from tests.service.gateway.billing_support import invoiced
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import (
    SETUP,
    Family,
    bearer,
    families_db,
    new_family,
    text_of,
)
from tests.service.gateway.reservations_support import (
    automatic_day,
    book,
    new_site,
    staff_service,
)
from tests.support import eventually

RANDOM = str(uuid.uuid4())
YEAR = date.today().year
# B's private values: ASCII on purpose, so neither HTML nor JSON escaping can hide them.
B_ADDRESS = "9 impasse Zyxwvu"
B_PHONE = "06 98 87 76 65"
B_CONTACT = "Gaspard Qwzxkc"
B_CONTACT_PHONE = "06 19 28 37 46"
B_GUARDIAN = "Bertille"
B_QF = 27182
B_PENDING_SCHOOL = "Ecole Qwzxsp"
B_CHILD = "Zoekxq"

# Every parent route of the gateway: what household A asks, and what it must get.
# `404`: B's resource, as if it did not exist; `refused`: any 4xx (the gateway may refuse the
# input before any service is asked); `own`: A's own page or list (whatever its status).
# Placeholders: {b_child} B's own child, {shared} the child both have, {b_request} B's change
# request, {b_invoice} B's invoice, {b_number} B's reservation, {period} a real period.
PAGES: list[tuple[str, str, dict[str, str] | None, str]] = [
    ("GET", "/", None, "own"),
    ("GET", "/mon-compte", None, "own"),
    ("GET", "/mon-compte/demandes", None, "own"),
    ("POST", "/mon-compte/demandes/{b_request}/retrait", {}, "404"),
    ("GET", "/mon-compte/enfants/ajouter", None, "own"),
    ("POST", "/mon-compte/enfants/ajouter", {}, "refused"),
    ("GET", "/mon-compte/enfants/{b_child}", None, "404"),
    ("GET", "/mon-compte/enfants/{b_child}/modifier", None, "404"),
    ("POST", "/mon-compte/enfants/{b_child}/modifier", {"first_name": "Intrus"}, "404"),
    ("GET", "/mon-compte/enfants/{b_child}/modifier/identite", None, "404"),
    ("POST", "/mon-compte/enfants/{b_child}/modifier/identite", {"first_name": "Intrus"},
     "404"),
    ("GET", "/mon-compte/attestations-fiscales/{year}/{b_child}", None, "404"),
    ("GET", "/mon-compte/avoirs/{random}/pdf", None, "404"),
    ("GET", "/mon-compte/factures", None, "own"),
    ("GET", "/mon-compte/factures/{b_invoice}", None, "404"),
    ("POST", "/mon-compte/factures/{b_invoice}/paiement", {}, "404"),
    ("GET", "/mon-compte/factures/{b_invoice}/pdf", None, "404"),
    ("GET", "/mon-compte/famille", None, "own"),
    ("POST", "/mon-compte/famille", {}, "own"),
    ("GET", "/mon-compte/famille/adresse", None, "own"),
    ("POST", "/mon-compte/famille/adresse", {}, "own"),
    ("GET", "/mon-compte/login", None, "own"),
    ("POST", "/mon-compte/login", {}, "refused"),
    ("POST", "/mon-compte/login/annuler", {}, "own"),
    ("GET", "/mon-compte/login/confirmer", None, "own"),
    ("POST", "/mon-compte/login/confirmer", {}, "own"),
    ("POST", "/mon-compte/login/renvoyer", {}, "own"),
    ("GET", "/mon-compte/mes-donnees", None, "own"),
    ("GET", "/mon-compte/mes-donnees/imprimer", None, "own"),
    ("GET", "/mon-compte/mot-de-passe", None, "own"),
    ("POST", "/mon-compte/mot-de-passe", {}, "refused"),
    ("GET", "/mon-compte/paiements", None, "own"),
    ("GET", "/mon-compte/paiements/{random}", None, "404"),
    ("GET", "/mon-compte/prelevement", None, "own"),
    ("POST", "/mon-compte/prelevement/mandat", {}, "refused"),
    ("POST", "/mon-compte/prelevement/mandat/{random}/code", {}, "404"),
    ("POST", "/mon-compte/prelevement/mandat/{random}/revocation", {}, "404"),
    ("POST", "/mon-compte/prelevement/mandat/{random}/signature", {"code": "123456"},
     "404"),
    ("GET", "/mon-compte/reservations", None, "own"),
    ("GET", "/mon-compte/reservations/nouvelle", None, "own"),
    ("POST", "/mon-compte/reservations/nouvelle/confirmation",
     {"enfant": "{b_child}", "periode": "{period}", "cle": "{random}"}, "refused"),
    ("GET", "/mon-compte/reservations/nouvelle/planning?enfant={b_child}&periode={period}",
     None, "404"),
    ("GET", "/mon-compte/reservations/nouvelle/recapitulatif?enfant={b_child}"
            "&periode={period}", None, "404"),
    ("POST", "/mon-compte/reservations/nouvelle/selection",
     {"enfant": "{b_child}", "periode": "{period}"}, "refused"),
    ("GET", "/mon-compte/reservations/nouvelle/selection-automatique?enfant={b_child}"
            "&periode={period}", None, "404"),
    ("POST", "/mon-compte/reservations/offres/{random}", {"reponse": "accepter"}, "404"),
    ("GET", "/mon-compte/reservations/{b_number}", None, "404"),
    ("GET", "/mon-compte/reservations/{b_number}/enregistree", None, "404"),
    ("GET", "/reservations/offre", None, "own"),
    ("POST", "/reservations/offre", {"jeton": "x" * 43, "reponse": "accepter"}, "refused"),
]
API: list[tuple[str, str, Any, str]] = [
    ("GET", "/api/v1/balance", None, "own"),
    ("GET", "/api/v1/change-requests", None, "own"),
    ("POST", "/api/v1/change-requests/{b_request}/withdrawal", None, "404"),
    ("GET", "/api/v1/children", None, "own"),
    ("POST", "/api/v1/children", {}, "refused"),
    ("GET", "/api/v1/children/{b_child}", None, "404"),
    ("PATCH", "/api/v1/children/{b_child}", {"school": "Intrus"}, "404"),
    ("GET", "/api/v1/credit-notes/{random}/pdf", None, "404"),
    ("GET", "/api/v1/family", None, "own"),
    ("PATCH", "/api/v1/family", {}, "refused"),
    ("GET", "/api/v1/invoices", None, "own"),
    ("GET", "/api/v1/invoices/{b_invoice}", None, "404"),
    ("POST", "/api/v1/invoices/{b_invoice}/payments", {}, "404"),
    ("GET", "/api/v1/invoices/{b_invoice}/pdf", None, "404"),
    ("GET", "/api/v1/me/dashboard", None, "own"),
    ("POST", "/api/v1/me/email", {}, "refused"),
    ("PUT", "/api/v1/me/password", {}, "refused"),
    ("POST", "/api/v1/offers/{random}", {"accept": True}, "404"),
    ("GET", "/api/v1/payments", None, "own"),
    ("GET", "/api/v1/payments/{random}", None, "404"),
    ("POST", "/api/v1/payments/{random}/verification", None, "404"),
    ("GET", "/api/v1/periods?child_id={b_child}", None, "404"),
    ("GET", "/api/v1/planning?child_id={b_child}&period_id={period}&month={month}", None,
     "404"),
    ("GET", "/api/v1/reservations", None, "own"),
    ("POST", "/api/v1/reservations", {"child_id": "{b_child}", "period_id": "{period}",
                                      "kind": "book"}, "refused"),
    ("POST", "/api/v1/reservations/preview", {"child_id": "{b_child}", "period_id": "{period}",
                                              "kind": "book"}, "refused"),
    ("GET", "/api/v1/reservations/{b_number}", None, "404"),
    ("GET", "/api/v1/selection?child_id={b_child}&period_id={period}", None, "404"),
    ("POST", "/api/v1/selection", {"child_id": "{b_child}", "period_id": "{period}",
                                   "kind": "book", "action": "clear"}, "404"),
    ("GET", "/api/v1/tax-certificates", None, "own"),
    ("GET", "/api/v1/tax-certificates/{year}/{b_child}/pdf", None, "404"),
]
# Routes that hold no family's data (logging in, public pages, probes, the payment provider's
# callback, the waiting room), and logging out (it would end A's session): not called here.
NO_FAMILY_DATA = {
    ("GET", "/accessibilite"), ("GET", "/donnees-personnelles"), ("GET", "/mentions-legales"),
    ("GET", "/connexion"), ("POST", "/connexion"), ("POST", "/deconnexion"),
    ("GET", "/mot-de-passe-oublie"), ("POST", "/mot-de-passe-oublie"),
    ("GET", "/mot-de-passe-oublie/envoye"), ("GET", "/mot-de-passe/nouveau"),
    ("POST", "/mot-de-passe/nouveau"), ("GET", "/healthz"), ("GET", "/readyz"),
    ("GET", "/openapi.json"), ("GET", "/paiement/payfip/notification"),
    ("POST", "/paiement/payfip/notification"), ("POST", "/salle-d-attente/actualisation"),
    ("POST", "/api/v1/session"), ("DELETE", "/api/v1/session"), ("GET", "/api/v1/session/csrf"),
    ("POST", "/api/v1/password/forgot"), ("POST", "/api/v1/password/reset"),
    ("POST", "/api/v1/email/confirm"),
}
# The staff's back-office (its own access tests), static files and the development mail viewer.
NOT_PARENT = ("/gestion", "/static", "/dev/")
# The slugs the matrix takes for the router's {kind} and {section}.
SLUGS = ("/reservations/nouvelle", "/modifier/identite", "/famille/adresse")


@dataclass
class Scene:
    a: Family
    b: Family
    ids: dict[str, str]
    markers: list[str] = field(default_factory=list)

    def path(self, template: str) -> str:
        return template.format(**self.ids)

    def body(self, body: Any) -> Any:
        if isinstance(body, dict):
            return {k: self.path(v) if isinstance(v, str) else v for k, v in body.items()}
        return body

    def leaks(self, text: str) -> list[str]:
        return [m for m in self.markers if m in text]


@pytest.fixture(scope="module")
async def scene(stack: Stack) -> Scene:
    """Households A and B, each with its own file, sharing Hugo; B also has a child of its own,
    a pending change on Hugo and on its file, a reservation and an invoice."""
    a = await new_family(stack, name=f"Famille Amiel {uuid.uuid4().hex[:6]}",
                         children=("Hugo",))
    b = await new_family(
        stack, name=f"Famille Qwzxb {uuid.uuid4().hex[:6]}", children=(B_CHILD,),
        address={"line1": B_ADDRESS, "postal_code": "34150", "city": "Aniane"},
        phone_mobile=B_PHONE, qf=B_QF,
        guardians=[{"civility": "Madame", "last_name": "Qwzxb", "first_name": B_GUARDIAN,
                    "relationship": "mère", "phone_mobile": B_PHONE}],
        emergency_contacts=[{"name": B_CONTACT, "relationship": "oncle",
                             "phone": B_CONTACT_PHONE}])
    shared = a.children["Hugo"]
    parent_b = Actor(sub="parent-b", role="parent")
    async with families_db(stack).acquire() as conn:
        await households.link_child(conn, family_id=b.id, child_id=shared,
                                    reason="Résidence alternée", actor=SETUP)
        await change_requests.request_child_change(
            conn, family_id=b.id, child_id=shared, actor=parent_b,
            patch=ChildPatch(school=B_PENDING_SCHOOL))
        request = await change_requests.request_family_change(
            conn, family_id=b.id, actor=parent_b, patch=FamilyPatch(phone_home=B_PHONE))
    billed = await invoiced(stack, b.id, name=b.name, email=b.email)

    service = await staff_service(stack)
    try:
        site = await new_site(service)
        pool = stack.app("reservations")[common_keys.DB]

        async def arrived() -> bool:
            async with pool.acquire() as conn:
                return bool(await conn.fetchval("SELECT count(*) FROM children WHERE id = $1",
                                                b.children[B_CHILD]))

        await eventually(arrived)
        booked = await book(stack, b, site, B_CHILD, [(automatic_day(), "MATIN")])
    finally:
        await service.http.close()
    ids = {"b_child": str(b.children[B_CHILD]), "shared": str(shared),
           "b_request": str(request.id), "b_invoice": str(billed.invoice_id),
           "b_number": str(booked["number"]), "period": str(site.period["id"]),
           "random": RANDOM, "year": str(YEAR), "month": automatic_day().strftime("%Y-%m")}
    markers = [B_ADDRESS, B_PHONE, B_PHONE.replace(" ", ""), B_CONTACT, B_CONTACT_PHONE,
               B_GUARDIAN, str(B_QF), B_PENDING_SCHOOL, B_CHILD, b.email, b.name,
               str(billed.number), str(booked["number"]), str(b.id)]
    return Scene(a, b, ids, markers)


def parent_routes(stack: Stack) -> set[tuple[str, str]]:
    app: web.Application = stack.app("gateway")
    return {(r.method, r.resource.canonical) for r in app.router.routes()
            if r.resource is not None and r.method != "HEAD"
            and not r.resource.canonical.startswith(NOT_PARENT)}


def loose(path: str) -> str:
    """A path with every id or slug as « {} » (query left out): the router's and the
    matrix's spellings compared."""
    bare = path.split("?")[0]
    for slug in SLUGS:
        bare = bare.replace(slug, slug.rsplit("/", 1)[0] + "/{}")
    return re.sub(r"\{[a-z_]+\}", "{}", bare)


def test_every_parent_route_is_in_the_matrix(stack: Stack) -> None:
    served = {(m, loose(p)) for m, p in parent_routes(stack)}
    listed = {(m, loose(p)) for m, p, _, _ in PAGES + API} | {
        (m, loose(p)) for m, p in NO_FAMILY_DATA}

    assert served == listed


@pytest.fixture(scope="module")
async def browser_a(stack: Stack, scene: Scene) -> Any:
    async with browser_session() as http:
        browser = Browser(http, stack.gateway_url)
        await browser.login(scene.a.email, scene.a.password)
        yield browser


@pytest.fixture(scope="module")
async def token_a(stack: Stack, scene: Scene) -> dict[str, str]:
    async with browser_session() as http:
        return await bearer(Browser(http, stack.gateway_url), scene.a.login)


def check(scene: Scene, status: int, text: str, expect: str, where: str) -> None:
    # What A sent itself (an id in the path, echoed by a problem's `instance`) is no leak.
    leaks = [m for m in scene.leaks(text) if m not in where]
    assert not leaks, (where, leaks)
    if expect == "404":
        assert status == 404, (where, status)
    elif expect == "refused":
        assert 400 <= status < 500, (where, status)
    else:
        assert status < 500, (where, status)


@pytest.mark.parametrize(("method", "path", "data", "expect"), PAGES)
async def test_a_page_never_shows_household_a_what_is_bs(
        scene: Scene, browser_a: Browser, method: str, path: str,
        data: dict[str, str] | None, expect: str) -> None:
    url = scene.path(path)
    if method == "GET":
        resp, text = await browser_a.get(url)
    else:
        resp, text = await browser_a.post_form(url, scene.body(data or {}), page="/mon-compte")
    check(scene, resp.status, text, expect, f"{method} {url}")


@pytest.mark.parametrize(("method", "path", "body", "expect"), API)
async def test_an_api_call_never_gives_household_a_what_is_bs(
        scene: Scene, browser_a: Browser, token_a: dict[str, str], method: str, path: str,
        body: Any, expect: str) -> None:
    url = scene.path(path)
    async with browser_a.http.request(method, browser_a.url(url), json=scene.body(body),
                                      headers=token_a, allow_redirects=False) as resp:
        raw = await resp.read()
    check(scene, resp.status, raw.decode("utf-8", errors="replace"), expect,
          f"{method} {url}")


async def test_both_households_see_the_child_they_share_and_its_one_file(
        stack: Stack, scene: Scene, browser_a: Browser, token_a: dict[str, str]) -> None:
    shared = scene.ids["shared"]
    resp, html = await browser_a.get(f"/mon-compte/enfants/{shared}")
    assert resp.status == 200
    assert "Hugo" in text_of(html) and not scene.leaks(html)
    async with browser_session() as http:
        browser_b = Browser(http, stack.gateway_url)
        token_b = await bearer(browser_b, scene.b.login)
        resp, seen = await browser_b.api("GET", "/api/v1/children", headers=token_b)
        assert sorted(c["first_name"] for c in seen["items"]) == sorted(["Hugo", B_CHILD])
        # A's own values never reach B either.
        resp, family = await browser_b.api("GET", "/api/v1/family", headers=token_b)
        assert family["address"]["line1"] == B_ADDRESS
        resp, dashboard = await browser_b.api("GET", "/api/v1/me/dashboard", headers=token_b)
        assert scene.a.email not in str(dashboard) and scene.a.name not in str(dashboard)


async def test_the_two_demo_parents_each_see_hugo_and_nothing_of_the_other(
        stack: Stack) -> None:
    async def home(email: str) -> tuple[str, Any]:
        async with browser_session() as http:
            browser = Browser(http, stack.gateway_url)
            await browser.login(email, DEMO_PASSWORD)
            _, html = await browser.get("/mon-compte")
            _, invoices = await browser.get("/mon-compte/factures")
        async with browser_session() as http:
            api = Browser(http, stack.gateway_url)
            headers = await bearer(api, {"email": email, "password": DEMO_PASSWORD})
            _, children = await api.api("GET", "/api/v1/children", headers=headers)
        return text_of(html) + text_of(invoices), children

    first, first_children = await home(DEMO_PARENT_EMAIL)
    second, second_children = await home(DEMO_PARENT2_EMAIL)

    for children in (first_children, second_children):
        assert str(DEMO_CHILD_HUGO_ID) in [c["id"] for c in children["items"]]
    assert "5 avenue de la Gare" not in first and "Lodève" not in first
    assert "12 rue des Oliviers" not in second and "Léa" not in second
    assert "F-" not in second  # the first household's invoice numbers
