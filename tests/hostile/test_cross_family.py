"""Cross-family matrix (issue 13, point 7): every route of every service and of the gateway,
read from their routers, is in the table below, and each one a parent can reach is called by
the parent of another family (A) with the demo family's (B) real ids: 404, and nothing of B's
in the answer. A route the table does not know fails the test, so a new one is never
forgotten: say there how to fill it.

Kinds: `Foreign` names a resource (path, query or body): called with B's ids, under B's family
and, when it names more than the family, under A's own; `Own` reads the caller's own data from
the token: called, nothing of B's shows; `STAFF` is refused to a parent (403, called with A's
own ids so the refusal is about the role); `SELF` writes the caller's own account or family
and names nothing of another's (not called here: tests/service cover them); `PUBLIC` needs no
family (login, links from mails, the shared catalogue, health, legal pages): not called."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from aiohttp import web

from services.common.demo import (
    DEMO_CHILD_HUGO_ID,
    DEMO_CHILD_LEA_ID,
    DEMO_FAMILY_ID,
    DEMO_PARENT_EMAIL,
)
from tests.hostile.conftest import Caller, Hostile
from tests.service.gateway.conftest import Browser, browser_session

PARTS = ("auth", "families", "reservations", "billing", "notifier", "gateway")
KERNEL = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/openapi.json")}


@dataclass(frozen=True)
class Foreign:
    """Names B's resources: `query`/`body` values "{name}" are filled with B's ids."""

    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    # What the refusal is, where 404 is not (a form answered again with its error…).
    statuses: tuple[int, ...] = (404,)


@dataclass(frozen=True)
class Own:
    query: dict[str, str] = field(default_factory=dict)


STAFF, SELF, PUBLIC = "staff", "self", "public"
Entry = Foreign | Own | str

CHILD_BODY = {"last_name": "Intrus", "first_name": "Zoé", "birth_date": "2019-03-14",
              "sex": "F", "school_level": "CP"}
IBAN = "FR76 3000 6000 0112 3456 7890 189"
LINES = [{"date": "{day}", "unit_id": "{unit}"}]
SUBMISSION = {"child_id": "{child_id}", "period_id": "{period_id}", "kind": "book",
              "lines": LINES}
SHARES = {"invoices": [{"invoice_id": "{invoice_id}"}]}
PERIOD_QUERY = {"child_id": "{child_id}", "period_id": "{period_id}"}

TABLE: dict[str, dict[tuple[str, str], Entry]] = {
    "auth": {
        ("POST", "/sessions"): PUBLIC,
        ("POST", "/sessions/refresh"): PUBLIC,
        ("DELETE", "/sessions/current"): SELF,
        ("GET", "/me"): Own(),
        ("PUT", "/me/password"): SELF,
        ("POST", "/me/email"): SELF,
        ("POST", "/me/email/resend"): SELF,
        ("DELETE", "/me/email"): SELF,
        ("POST", "/email/check"): PUBLIC,
        ("POST", "/email/confirm"): PUBLIC,
        ("POST", "/password/forgot"): PUBLIC,
        ("POST", "/password/check"): PUBLIC,
        ("POST", "/password/reset"): PUBLIC,
        ("GET", "/accounts"): STAFF,
        ("POST", "/accounts/lookup"): STAFF,
        ("PUT", "/accounts/{account_id}/status"): STAFF,
        ("POST", "/accounts/{account_id}/invitation"): STAFF,
        ("GET", "/.well-known/jwks.json"): PUBLIC,
    },
    "families": {
        ("GET", "/families/{family_id}"): Foreign(),
        ("PATCH", "/families/{family_id}"): Foreign(body={"phone_mobile": "06 99 99 99 99"}),
        ("PUT", "/families/{family_id}/qf"): STAFF,
        ("GET", "/families/{family_id}/export"): Foreign(),
        ("GET", "/families"): STAFF,
        ("POST", "/families"): STAFF,
        ("GET", "/families/{family_id}/children"): Foreign(),
        ("POST", "/families/{family_id}/children"): Foreign(body=CHILD_BODY),
        ("GET", "/families/{family_id}/children/{child_id}"): Foreign(),
        ("PATCH", "/families/{family_id}/children/{child_id}"): Foreign(
            body={"school": "École des intrus"}),
        ("GET", "/children"): STAFF,
        ("POST", "/families/{family_id}/linked-children"): STAFF,
        ("POST", "/families/{family_id}/children/{child_id}/unlinking"): STAFF,
        ("GET", "/children/{child_id}/households"): STAFF,
        ("PUT", "/children/{child_id}/custody"): STAFF,
        ("GET", "/families/{family_id}/change-requests"): Foreign(),
        ("POST", "/families/{family_id}/change-requests/{request_id}/withdrawal"): Foreign(),
        ("GET", "/change-requests"): STAFF,
        ("GET", "/change-requests/{request_id}"): STAFF,
        ("POST", "/change-requests/{request_id}/decision"): STAFF,
        ("GET", "/audit"): STAFF,
    },
    "reservations": {
        ("GET", "/establishments"): PUBLIC,
        ("POST", "/establishments"): STAFF,
        ("PATCH", "/establishments/{establishment_id}"): STAFF,
        ("POST", "/establishments/{establishment_id}/units"): STAFF,
        ("PATCH", "/units/{unit_id}"): STAFF,
        ("GET", "/periods"): PUBLIC,
        ("GET", "/periods/{period_id}"): PUBLIC,
        ("POST", "/periods"): STAFF,
        ("PATCH", "/periods/{period_id}"): STAFF,
        ("PUT", "/periods/{period_id}/capacities"): STAFF,
        ("GET", "/periods/{period_id}/draw"): STAFF,
        ("POST", "/periods/{period_id}/draw"): STAFF,
        ("GET", "/families/{family_id}/periods"): Foreign(query={"child_id": "{child_id}"}),
        ("GET", "/families/{family_id}/planning"): Foreign(query=PERIOD_QUERY),
        ("GET", "/families/{family_id}/selection"): Foreign(query=PERIOD_QUERY),
        ("POST", "/families/{family_id}/selection"): Foreign(body={
            **SUBMISSION, "action": "toggle"}),
        ("POST", "/families/{family_id}/reservations/preview"): Foreign(body=SUBMISSION),
        ("POST", "/families/{family_id}/reservations"): Foreign(body=SUBMISSION),
        ("GET", "/families/{family_id}/reservations"): Foreign(),
        ("GET", "/families/{family_id}/reservations/{number}"): Foreign(),
        ("POST", "/families/{family_id}/offers/{line_id}"): Foreign(body={"accept": True}),
        ("POST", "/offers/reply"): PUBLIC,
        ("GET", "/waiting-lists"): STAFF,
        ("GET", "/waiting-lists/cells"): STAFF,
        ("GET", "/requests"): STAFF,
        ("POST", "/lines/{line_id}/decision"): STAFF,
        ("GET", "/attendance"): STAFF,
    },
    "billing": {
        ("GET", "/tariffs"): STAFF,
        ("POST", "/tariffs"): STAFF,
        ("GET", "/tariffs/{tariff_id}"): STAFF,
        ("PUT", "/tariffs/{tariff_id}"): STAFF,
        ("DELETE", "/tariffs/{tariff_id}"): STAFF,
        ("GET", "/invoicing/preview"): STAFF,
        ("POST", "/invoicing/runs"): STAFF,
        ("GET", "/invoices"): STAFF,
        ("GET", "/invoices/{invoice_id}"): STAFF,
        ("POST", "/invoices/{invoice_id}/credit-notes"): STAFF,
        ("GET", "/families/{family_id}/invoices"): Foreign(),
        ("GET", "/families/{family_id}/invoices/{invoice_id}"): Foreign(),
        ("GET", "/families/{family_id}/balance"): Foreign(),
        ("GET", "/families/{family_id}/invoices/{invoice_id}/pdf"): Foreign(),
        ("GET", "/families/{family_id}/credit-notes/{credit_note_id}/pdf"): Foreign(),
        ("GET", "/invoices/{invoice_id}/pdf"): STAFF,
        ("GET", "/credit-notes/{credit_note_id}/pdf"): STAFF,
        ("GET", "/families/{family_id}/tax-certificates"): Foreign(),
        ("GET", "/families/{family_id}/tax-certificates/{year}/{child_id}/pdf"): Foreign(),
        ("POST", "/families/{family_id}/payments"): Foreign(body=SHARES),
        ("POST", "/families/{family_id}/invoices/{invoice_id}/payments"): Foreign(body={}),
        ("GET", "/families/{family_id}/payments"): Foreign(),
        ("GET", "/families/{family_id}/payments/{payment_id}"): Foreign(),
        ("POST", "/families/{family_id}/payments/{payment_id}/verification"): Foreign(),
        ("POST", "/families/{family_id}/payments/offline"): STAFF,
        ("GET", "/payments"): STAFF,
        ("POST", "/payments/{payment_id}/refund"): STAFF,
        ("POST", "/payfip/notifications"): PUBLIC,
        ("GET", "/payfip/notifications"): PUBLIC,
        ("GET", "/pes/preview"): STAFF,
        ("GET", "/pes/batches"): STAFF,
        ("POST", "/pes/batches"): STAFF,
        ("GET", "/pes/batches/{batch_id}"): STAFF,
        ("GET", "/pes/batches/{batch_id}/file"): STAFF,
        ("POST", "/pes/batches/{batch_id}/sent"): STAFF,
        ("DELETE", "/pes/batches/{batch_id}"): STAFF,
        ("GET", "/families/{family_id}/direct-debit"): Foreign(),
        ("POST", "/families/{family_id}/mandates"): Foreign(body={
            "holder": "Intrus", "iban": IBAN}),
        ("POST", "/families/{family_id}/mandates/{mandate_id}/code"): Foreign(),
        ("POST", "/families/{family_id}/mandates/{mandate_id}/signature"): Foreign(
            body={"code": "123456"}),
        ("POST", "/families/{family_id}/mandates/{mandate_id}/revocation"): Foreign(),
        ("GET", "/direct-debits"): STAFF,
        ("POST", "/direct-debits/batches"): STAFF,
        ("GET", "/direct-debits/batches/{batch_id}/file"): STAFF,
        ("POST", "/direct-debits/returns"): STAFF,
        # The PayFiP sandbox billing serves in development: the provider's side.
        ("POST", "/payfip-sandbox/tpa/services/securite"): PUBLIC,
        ("GET", "/payfip-sandbox/tpa/paiementws.web"): PUBLIC,
        ("POST", "/payfip-sandbox/tpa/paiementws.web"): PUBLIC,
        ("POST", "/payfip-sandbox/control/{operation_id}"): PUBLIC,
    },
    "notifier": {},
    "gateway": {
        # Pages (cookie session; forms with their CSRF token).
        ("GET", "/connexion"): PUBLIC,
        ("GET", "/"): PUBLIC,
        ("POST", "/connexion"): PUBLIC,
        ("POST", "/deconnexion"): SELF,
        ("GET", "/mot-de-passe-oublie"): PUBLIC,
        ("POST", "/mot-de-passe-oublie"): PUBLIC,
        ("GET", "/mot-de-passe-oublie/envoye"): PUBLIC,
        ("GET", "/mot-de-passe/nouveau"): PUBLIC,
        ("POST", "/mot-de-passe/nouveau"): PUBLIC,
        ("GET", "/mon-compte"): Own(),
        ("GET", "/mon-compte/login"): Own(),
        ("POST", "/mon-compte/login"): SELF,
        ("POST", "/mon-compte/login/renvoyer"): SELF,
        ("POST", "/mon-compte/login/annuler"): SELF,
        ("GET", "/mon-compte/login/confirmer"): PUBLIC,
        ("POST", "/mon-compte/login/confirmer"): PUBLIC,
        ("GET", "/mon-compte/mot-de-passe"): Own(),
        ("POST", "/mon-compte/mot-de-passe"): SELF,
        ("GET", "/mon-compte/famille"): Own(),
        ("POST", "/mon-compte/famille"): SELF,
        ("GET", "/mon-compte/famille/{section}"): Own(),
        ("POST", "/mon-compte/famille/{section}"): SELF,
        ("GET", "/mon-compte/demandes"): Own(),
        ("POST", "/mon-compte/demandes/{request_id}/retrait"): Foreign(),
        ("GET", "/mon-compte/mes-donnees"): Own(),
        ("GET", "/mon-compte/mes-donnees/imprimer"): Own(),
        ("GET", "/mon-compte/enfants/ajouter"): Own(),
        ("POST", "/mon-compte/enfants/ajouter"): SELF,
        ("GET", "/mon-compte/enfants/{child_id}"): Foreign(),
        ("GET", "/mon-compte/enfants/{child_id}/modifier"): Foreign(),
        ("POST", "/mon-compte/enfants/{child_id}/modifier"): Foreign(body={
            "school": "École des intrus"}),
        ("GET", "/mon-compte/enfants/{child_id}/modifier/{section}"): Foreign(),
        ("POST", "/mon-compte/enfants/{child_id}/modifier/{section}"): Foreign(body={
            "school": "École des intrus"}),
        # A child not among the family's: the form starts with none chosen.
        ("GET", "/mon-compte/reservations/{kind}"): Foreign(query={
            "enfant": "{child_id}", "periode": "{period_id}"}, statuses=(200,)),
        ("GET", "/mon-compte/reservations/{kind}/planning"): Foreign(query={
            "enfant": "{child_id}", "periode": "{period_id}"}),
        ("POST", "/mon-compte/reservations/{kind}/selection"): Foreign(body={
            "enfant": "{child_id}", "periode": "{period_id}", "l": "{day}.0", "u0": "{unit}"}),
        ("GET", "/mon-compte/reservations/{kind}/selection-automatique"): Foreign(query={
            "enfant": "{child_id}", "periode": "{period_id}"}),
        # The family's selection for that child is empty: « nothing selected » (422), before
        # the child is looked at; nothing of B's either way.
        ("GET", "/mon-compte/reservations/{kind}/recapitulatif"): Foreign(query={
            "enfant": "{child_id}", "periode": "{period_id}"}, statuses=(404, 422)),
        ("POST", "/mon-compte/reservations/{kind}/confirmation"): Foreign(body={
            "enfant": "{child_id}", "periode": "{period_id}", "cle": "cle-de-test-0123456789"},
            statuses=(404, 422)),
        ("GET", "/mon-compte/reservations"): Own(),
        ("GET", "/mon-compte/reservations/{number}"): Foreign(),
        ("GET", "/mon-compte/reservations/{number}/enregistree"): Foreign(),
        ("POST", "/mon-compte/reservations/offres/{line_id}"): Foreign(body={
            "reponse": "accepter"}),
        ("GET", "/reservations/offre"): PUBLIC,
        ("POST", "/reservations/offre"): PUBLIC,
        ("GET", "/mon-compte/factures"): Own(),
        ("GET", "/mon-compte/paiements"): Own(),
        ("GET", "/mon-compte/factures/{invoice_id}"): Foreign(),
        ("GET", "/mon-compte/factures/{invoice_id}/pdf"): Foreign(),
        ("GET", "/mon-compte/avoirs/{credit_note_id}/pdf"): Foreign(),
        ("POST", "/mon-compte/factures/{invoice_id}/paiement"): Foreign(),
        ("GET", "/mon-compte/paiements/{payment_id}"): Foreign(),
        ("GET", "/mon-compte/attestations-fiscales/{year}/{child_id}"): Foreign(),
        ("GET", "/mon-compte/prelevement"): Own(),
        ("POST", "/mon-compte/prelevement/mandat"): SELF,
        ("POST", "/mon-compte/prelevement/mandat/{mandate_id}/code"): Foreign(),
        ("POST", "/mon-compte/prelevement/mandat/{mandate_id}/signature"): Foreign(body={
            "code": "123456"}),
        ("POST", "/mon-compte/prelevement/mandat/{mandate_id}/revocation"): Foreign(),
        ("POST", "/paiement/payfip/notification"): PUBLIC,
        ("GET", "/paiement/payfip/notification"): PUBLIC,
        ("GET", "/mentions-legales"): PUBLIC,
        ("GET", "/donnees-personnelles"): PUBLIC,
        ("GET", "/accessibilite"): PUBLIC,
        ("POST", "/salle-d-attente/actualisation"): PUBLIC,
        ("GET", "/dev/mails"): PUBLIC,
        ("GET", "/dev/mails/{key}"): PUBLIC,
        ("GET", "/dev/mails/{key}/html"): PUBLIC,
        ("GET", "/static"): PUBLIC,
        # The parents' JSON API (bearer token).
        ("POST", "/api/v1/session"): PUBLIC,
        ("DELETE", "/api/v1/session"): SELF,
        ("GET", "/api/v1/session/csrf"): PUBLIC,
        ("POST", "/api/v1/password/forgot"): PUBLIC,
        ("POST", "/api/v1/password/reset"): PUBLIC,
        ("PUT", "/api/v1/me/password"): SELF,
        ("POST", "/api/v1/me/email"): SELF,
        ("POST", "/api/v1/email/confirm"): PUBLIC,
        ("GET", "/api/v1/me/dashboard"): Own(),
        ("GET", "/api/v1/family"): Own(),
        ("PATCH", "/api/v1/family"): SELF,
        ("GET", "/api/v1/children"): Own(),
        ("POST", "/api/v1/children"): SELF,
        ("GET", "/api/v1/children/{child_id}"): Foreign(),
        ("PATCH", "/api/v1/children/{child_id}"): Foreign(body={"school": "École des intrus"}),
        ("GET", "/api/v1/change-requests"): Own(),
        ("POST", "/api/v1/change-requests/{request_id}/withdrawal"): Foreign(),
        ("GET", "/api/v1/periods"): Foreign(query={"child_id": "{child_id}"}),
        ("GET", "/api/v1/planning"): Foreign(query=PERIOD_QUERY),
        ("GET", "/api/v1/selection"): Foreign(query=PERIOD_QUERY),
        ("POST", "/api/v1/selection"): Foreign(body={**SUBMISSION, "action": "toggle"}),
        ("POST", "/api/v1/reservations/preview"): Foreign(body=SUBMISSION),
        ("POST", "/api/v1/reservations"): Foreign(body=SUBMISSION),
        ("GET", "/api/v1/reservations"): Own(),
        ("GET", "/api/v1/reservations/{number}"): Foreign(),
        ("POST", "/api/v1/offers/{line_id}"): Foreign(body={"accept": True}),
        ("GET", "/api/v1/invoices"): Own(),
        ("GET", "/api/v1/invoices/{invoice_id}"): Foreign(),
        ("GET", "/api/v1/invoices/{invoice_id}/pdf"): Foreign(),
        ("POST", "/api/v1/invoices/{invoice_id}/payments"): Foreign(body={}),
        ("GET", "/api/v1/credit-notes/{credit_note_id}/pdf"): Foreign(),
        ("GET", "/api/v1/payments"): Own(),
        ("GET", "/api/v1/payments/{payment_id}"): Foreign(),
        ("POST", "/api/v1/payments/{payment_id}/verification"): Foreign(),
        ("GET", "/api/v1/balance"): Own(),
        ("GET", "/api/v1/tax-certificates"): Own(),
        ("GET", "/api/v1/tax-certificates/{year}/{child_id}/pdf"): Foreign(),
    },
}
# The gateway's staff pages: refused to a parent whatever they name.
GATEWAY_STAFF_PREFIX = "/gestion"
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def routes_of(app: web.Application) -> set[tuple[str, str]]:
    return {(r.method, r.resource.canonical) for r in app.router.routes()
            if r.resource is not None and r.method != "HEAD"} - KERNEL


@dataclass
class Victim:
    """The demo family's ids (B) and the values of theirs nobody else may see."""

    ids: dict[str, str]
    secrets: set[str]


@pytest.fixture(scope="module")
async def victim(hostile: Hostile) -> Victim:
    b, staff = hostile.parent, hostile.staff
    family = f"/families/{DEMO_FAMILY_ID}"
    ids = {"family_id": str(DEMO_FAMILY_ID), "child_id": str(DEMO_CHILD_LEA_ID),
           "year": str(date.today().year), "account_id": b.account_id,
           "section": "adresse", "kind": "nouvelle",
           # Not a family's: staff routes only (refused before they are looked at).
           **{name: str(uuid.uuid4()) for name in (
               "tariff_id", "batch_id", "establishment_id", "unit_id")}}
    status, change = await hostile.call("families", "PATCH", family, b,
                                        {"phone_mobile": "06 44 33 22 11"})
    assert status == 202, change
    ids["request_id"] = change["id"]
    status, invoices = await hostile.call("billing", "GET", family + "/invoices", b)
    assert status == 200 and invoices["items"], invoices
    invoice = invoices["items"][0]
    ids["invoice_id"] = invoice["id"]
    status, note = await hostile.call("billing", "POST", f"/invoices/{invoice['id']}/credit-notes",
                                      staff, {"reason": "Journée annulée par le service"})
    assert status == 201, note
    ids["credit_note_id"] = note["id"]
    status, payments = await hostile.call("billing", "GET", family + "/payments", b)
    assert status == 200 and payments["items"], payments
    ids["payment_id"] = payments["items"][0]["id"]
    status, mandate = await hostile.call("billing", "POST", family + "/mandates", b,
                                         {"holder": "Claire Martin", "iban": IBAN})
    assert status == 201, mandate
    ids["mandate_id"] = mandate["id"]
    status, reservations = await hostile.call("reservations", "GET",
                                              family + "/reservations", b)
    assert status == 200 and reservations["items"], reservations
    number = reservations["items"][0]["number"]
    status, reservation = await hostile.call("reservations", "GET",
                                             f"{family}/reservations/{number}", b)
    assert status == 200, reservation
    line = reservation["lines"][0]
    ids |= {"number": number, "line_id": line["id"], "period_id": reservation["period"]["id"],
            "day": line["date"], "unit": line["unit_id"]}
    secrets = {ids[k] for k in ("family_id", "child_id", "request_id", "invoice_id",
                                "credit_note_id", "payment_id", "mandate_id", "number",
                                "line_id", "account_id")}
    secrets |= {str(DEMO_CHILD_HUGO_ID), DEMO_PARENT_EMAIL, invoice["number"],
                reservation["id"]}
    return Victim(ids, secrets)


@dataclass
class Attacker:
    """Another family's parent (A): their bearer token, a browser logged in, their ids."""

    caller: Caller
    browser: Browser
    ids: dict[str, str]


@pytest.fixture(scope="module")
async def attacker(hostile: Hostile, victim: Victim) -> Any:
    body = {"name": "Famille Intrus", "email": f"intrus.{uuid.uuid4().hex[:8]}@example.org",
            "address": {"line1": "1 rue du Guet", "postal_code": "34800", "city": "Aspiran"},
            "phone_mobile": "06 01 02 03 04",
            "guardians": [{"civility": "Monsieur", "last_name": "Intrus", "first_name": "Léo",
                           "relationship": "père", "phone_mobile": "0601020304"}]}
    status, family = await hostile.call("families", "POST", "/families", hostile.staff, body)
    assert status == 201, family
    account = await hostile.stack.create_account(family_id=uuid.UUID(family["id"]))
    caller = await hostile.login(account["email"], account["password"])
    async with browser_session() as http:
        browser = Browser(http, hostile.stack.gateway_url)
        await browser.login(account["email"], account["password"])
        yield Attacker(caller, browser, {**victim.ids, "family_id": family["id"],
                                         "account_id": caller.account_id})


def fill(text: str, ids: dict[str, str]) -> str:
    return PARAM.sub(lambda m: ids[m.group(1)], text)


def filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return fill(value, ids)
    if isinstance(value, dict):
        return {k: filled(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, ids) for v in value]
    return value


def placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PARAM.findall(value))
    if isinstance(value, dict):
        return {m for v in value.values() for m in placeholders(v)}
    if isinstance(value, list):
        return {m for v in value for m in placeholders(v)}
    return set()


async def send(hostile: Hostile, attacker: Attacker, part: str, method: str, path: str,
               query: dict[str, str], body: Any) -> tuple[int, str]:
    """As A: a page through A's browser (forms with their CSRF token), else A's token."""
    if part == "gateway" and not path.startswith("/api/"):
        if method == "GET":
            resp, text = await attacker.browser.get(path, params=query)
        else:
            resp, text = await attacker.browser.post_form(
                path, {k: str(v) for k, v in (body or {}).items()}, page="/mon-compte")
        return resp.status, text
    base = hostile.stack.gateway_url if part == "gateway" else hostile.stack.url(part)
    async with hostile.http.request(method, base + path, params=query, json=body,
                                    headers=attacker.caller.headers,
                                    allow_redirects=False) as resp:
        return resp.status, (await resp.read()).decode("utf-8", "replace")


def entries_of(part: str, served: set[tuple[str, str]]) -> dict[tuple[str, str], Entry]:
    table = dict(TABLE[part])
    if part == "gateway":
        table |= {route: STAFF for route in served
                  if route[1] == GATEWAY_STAFF_PREFIX
                  or route[1].startswith(GATEWAY_STAFF_PREFIX + "/")}
    return table


@pytest.mark.parametrize("part", PARTS)
async def test_the_table_covers_exactly_the_routers(hostile: Hostile, part: str) -> None:
    served = routes_of(hostile.stack.app(part))
    table = entries_of(part, served)
    missing = sorted(served - set(table))
    assert not missing, (f"{part}: routes the cross-family matrix does not know; add each "
                         f"to TABLE with how to fill it: {missing}")
    assert not set(table) - served, f"{part}: routes gone: {sorted(set(table) - served)}"


# The access checks the services run before a handler (services/*/access.py, `before`,
# `guard`), found in the handlers' closures: the table must agree with them.
STAFF_GUARDS = {"staff_actor", "staff_only", "_staff", "_admin"}
FAMILY_GUARDS = {"family_access", "reader_access", "parent_access", "signer_access"}
# Path parameters naming a family's resource: never on a route left uncalled.
RESOURCES = {"family_id", "child_id", "request_id", "invoice_id", "payment_id",
             "credit_note_id", "number", "line_id", "mandate_id", "account_id"}


def guards_of(handler: Any) -> set[str]:
    names: set[str] = set()
    while handler is not None:
        for cell in getattr(handler, "__closure__", None) or ():
            contents = cell.cell_contents
            for check in contents if isinstance(contents, tuple) else (contents,):
                if callable(check) and not isinstance(check, type):
                    names.add(getattr(check, "__name__", ""))
        handler = getattr(handler, "__wrapped__", None)
    return names


@pytest.mark.parametrize("part", PARTS)
async def test_the_table_agrees_with_the_access_checks(hostile: Hostile, part: str) -> None:
    app = hostile.stack.app(part)
    table = entries_of(part, routes_of(app))
    wrong = []
    for route in app.router.routes():
        key = (route.method, route.resource.canonical if route.resource else "")
        if key not in table:
            continue
        entry, guards = table[key], guards_of(route.handler)
        if guards & STAFF_GUARDS and entry != STAFF:
            wrong.append(f"{key}: guarded for staff ({guards & STAFF_GUARDS}), not STAFF")
        elif not guards & STAFF_GUARDS and guards & FAMILY_GUARDS \
                and not isinstance(entry, Foreign):
            wrong.append(f"{key}: a family's route ({guards & FAMILY_GUARDS}), not Foreign")
        if entry in (SELF, PUBLIC) and set(PARAM.findall(key[1])) & RESOURCES:
            wrong.append(f"{key}: names a family's resource, so it must be called")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("part", PARTS)
async def test_another_family_gets_404_and_sees_nothing(hostile: Hostile, victim: Victim,
                                                        attacker: Attacker, part: str) -> None:
    served = routes_of(hostile.stack.app(part))
    wrong: list[str] = []
    for (method, path), entry in sorted(entries_of(part, served).items()):
        if (method, path) not in served or entry in (SELF, PUBLIC):
            continue
        if isinstance(entry, Foreign):
            # B's resources under B's family, and, when more than the family is named, under
            # A's own (an id of B's slipped into A's path, query or body).
            names = set(PARAM.findall(path)) | {
                m for v in (entry.query, entry.body) for m in placeholders(v)}
            tries = [victim.ids]
            if names - {"family_id", "section", "kind", "year"}:
                tries.append(attacker.ids | {k: victim.ids[k] for k in names - {"family_id"}})
            if "family_id" not in set(PARAM.findall(path)):
                tries = tries[-1:]  # the gateway's family is the caller's own
            for ids in tries:
                query = filled(entry.query, ids)
                body = filled(entry.body, ids)
                status, text = await send(hostile, attacker, part, method, fill(path, ids),
                                          query, body)
                sent = set(ids.values()) & victim.secrets if ids is not victim.ids else set()
                sent |= {v for v in victim.secrets if v in repr((query, body, fill(path, ids)))}
                leaked = {s for s in victim.secrets - sent if s in text}
                if status not in entry.statuses or leaked:
                    wrong.append(f"{method} {fill(path, ids)} {query or ''}: {status}, "
                                 f"leaked {sorted(leaked)}: {text[:200]}")
        elif isinstance(entry, Own):
            status, text = await send(hostile, attacker, part, method,
                                      fill(path, attacker.ids), entry.query, None)
            leaked = {s for s in victim.secrets if s in text}
            if status >= 400 or leaked:
                wrong.append(f"{method} {path}: {status}, leaked {sorted(leaked)}: "
                             f"{text[:200]}")
        else:
            assert entry == STAFF
            status, text = await send(hostile, attacker, part, method,
                                      fill(path, attacker.ids), {}, {} if method != "GET"
                                      else None)
            if status != 403:
                wrong.append(f"{method} {path} (staff): {status}: {text[:200]}")
    assert not wrong, "\n".join(wrong)


async def test_the_values_looked_for_are_those_the_family_itself_sees(
        hostile: Hostile, victim: Victim) -> None:
    """The control: B's own dashboard shows B's values, so their absence above means
    something."""
    status, text = await send(hostile, Attacker(hostile.parent, None, {}),  # type: ignore[arg-type]
                              "gateway", "GET", "/api/v1/me/dashboard", {}, None)
    assert status == 200
    assert {victim.ids["child_id"], victim.ids["invoice_id"]} <= {
        s for s in victim.secrets if s in text}
