"""« Mes Factures & Paiements » and the staff's billing pages through the real stack (auth,
families, reservations, billing with its PayFiP sandbox, notifier, the gateway): the demo
family's invoice and payment on the dashboard, the invoice detail (page and dialog content),
its PDF relayed from billing, an online payment through the sandbox and the pages coming back,
the JSON API, and who reaches what — routes read from the live router, so none escapes."""

import re
import uuid
from typing import Any

import pytest
from aiohttp import web

from services.billing import keys as billing_keys
from services.billing.sepa import service as direct_debit
from services.billing.sepa.schemas import MandateIn
from services.common.demo import DEMO_FAMILY_ID, DEMO_PARENT_EMAIL, DEMO_PASSWORD
from tests.e2e.stack import Stack, gateway_server
from tests.service.gateway.billing_support import (
    Billed,
    billing_db,
    book,
    counts,
    demo_invoice,
    invoiced,
)
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import (
    Family,
    bearer,
    errors_in,
    new_family,
    staff_account,
    text_of,
)
from tests.support import free_port

PROBLEM = "application/problem+json"
PAGE_LIMIT = 100 * 1024
DEMO_LOGIN = {"email": DEMO_PARENT_EMAIL, "password": DEMO_PASSWORD}
ID = "{id}"


# ---- set-up -----------------------------------------------------------------------------------

@pytest.fixture
async def family(stack: Stack) -> Family:
    return await new_family(stack)


@pytest.fixture
async def billed(stack: Stack, family: Family) -> Billed:
    """The test's family with an invoice of its own."""
    return await invoiced(stack, family.id, name=family.name, email=family.email)


@pytest.fixture
async def agent(stack: Stack) -> dict[str, Any]:
    return await staff_account(stack)


async def logged_in(browser: Browser, login: dict[str, str]) -> Browser:
    await browser.login(login["email"], login["password"])
    return browser


async def sandbox_pays(browser: Browser, url: str, action: str) -> str:
    """What the payer does on PayFiP's (sandbox) page: « Payer », « Refuser » or
    « Abandonner »; the sandbox notifies the gateway, then sends the browser back: the path
    it is sent back to."""
    async with browser.http.get(url) as resp:
        assert resp.status == 200
        page = await resp.text()
    idop = re.search(r'name="idop" value="([^"]+)"', page)
    assert idop is not None
    async with browser.http.post(url, data={"idop": idop.group(1), "action": action,
                                            "notify": "once"},
                                 allow_redirects=False) as resp:
        assert resp.status == 303
        back = resp.headers["Location"]
    assert back.startswith(browser.base + "/mon-compte/paiements/")
    return back.removeprefix(browser.base)


def provider_link(html: str) -> str:
    found = re.search(r'href="([^"]+)" data-follow', html)
    assert found is not None, "no link to PayFiP"
    return found.group(1).replace("&amp;", "&")


# ---- the parent's pages -----------------------------------------------------------------------

async def test_the_dashboard_shows_the_demo_invoice_and_payment_with_their_legends(
        browser: Browser, stack: Stack) -> None:
    invoice = await demo_invoice(stack)
    await logged_in(browser, DEMO_LOGIN)

    resp, html = await browser.get("/mon-compte")

    assert resp.status == 200
    assert len(html.encode()) <= PAGE_LIMIT
    text = text_of(html)
    assert "Mes Factures & Paiements" in text
    assert "ce service sera bientôt disponible" not in text.lower()
    assert f"Facture {invoice['number']}" in text
    assert "Partiellement réglée" in text  # the demo cheque paid part of it
    assert "Chèque" in text and "Validé" in text
    assert "Légende des états des factures" in text
    assert "En retard : la date d'échéance est passée" in text
    assert "Légende des états des paiements" in text
    assert f'href="/mon-compte/factures/{invoice["id"]}" data-invoice' in html


async def test_the_invoice_detail_is_a_page_and_the_dialog_s_content(
        browser: Browser, stack: Stack) -> None:
    invoice = await demo_invoice(stack)
    await logged_in(browser, DEMO_LOGIN)
    path = f"/mon-compte/factures/{invoice['id']}"

    resp, html = await browser.get(path)
    partial_resp, partial = await browser.get(path, headers={"X-Partial": "invoice"})

    assert resp.status == 200 and partial_resp.status == 200
    assert len(html.encode()) <= PAGE_LIMIT
    text = text_of(html)
    assert f"Facture {invoice['number']}" in text
    for heading in ("Enfant", "Unité", "Dates", "Quantité", "Prix unitaire", "Montant"):
        assert heading in text
    assert "Hugo" in text and "Léa" in text and "Journée" in text and "Midi (repas)" in text
    assert "Reste à régler" in text and "Déjà réglé" in text and "30,00" in text
    assert "Télécharger le PDF" in text and "Régler en ligne" in text
    assert '<h1 id="invoice-title">' in html
    # The dialog gets the detail alone, its title a level-2 heading.
    assert "<html" not in partial and '<h2 id="invoice-title">' in partial
    assert 'id="invoice-detail"' in partial


async def test_the_pdf_is_billing_s_own_relayed(browser: Browser, stack: Stack) -> None:
    invoice = await demo_invoice(stack)
    await logged_in(browser, DEMO_LOGIN)

    async with browser.http.get(browser.url(f"/mon-compte/factures/{invoice['id']}/pdf")
                                ) as resp:
        body = await resp.read()
        disposition = resp.headers["Content-Disposition"]
        content_type = resp.content_type

    assert resp.status == 200 and content_type == "application/pdf"
    assert body.startswith(b"%PDF")
    assert disposition == f'attachment; filename="facture-{invoice["number"]}.pdf"'


async def test_paying_online_through_the_sandbox_settles_the_invoice(
        browser: Browser, stack: Stack, family: Family, billed: Billed) -> None:
    await logged_in(browser, family.login)
    path = f"/mon-compte/factures/{billed.invoice_id}"

    resp, html = await browser.post_form(path + "/paiement", {}, page=path)

    assert resp.status == 200
    url = provider_link(html)
    assert url.startswith(stack.url("billing") + "/payfip-sandbox/tpa/paiementws.web?idop=")
    back = await sandbox_pays(browser, url, "pay")
    resp, html = await browser.get(back)
    assert resp.status == 200
    text = text_of(html)
    assert "Paiement validé" in text
    assert f"Facture {billed.number}" in text and "Réglée" in text
    mail = await stack.mail_to(family.email)
    assert mail is not None
    _, html = await browser.get(path)
    assert "Régler en ligne" not in text_of(html) and "Réglée" in text_of(html)


@pytest.mark.parametrize(("action", "heading", "state"), [
    ("refuse", "Paiement refusé", "Refusé"),
    ("abandon", "Paiement abandonné", "Annulé"),
])
async def test_the_return_page_says_a_refused_or_abandoned_payment(
        browser: Browser, stack: Stack, family: Family, billed: Billed, action: str,
        heading: str, state: str) -> None:
    await logged_in(browser, family.login)
    path = f"/mon-compte/factures/{billed.invoice_id}"
    _, html = await browser.post_form(path + "/paiement", {}, page=path)

    back = await sandbox_pays(browser, provider_link(html), action)
    resp, html = await browser.get(back)

    assert resp.status == 200
    text = text_of(html)
    assert heading in text and state in text and "rien n'a été débité" in text
    assert "À régler" in text  # the invoice is still to pay


async def test_a_payment_the_provider_has_not_finished_is_said_in_progress(
        browser: Browser, stack: Stack, family: Family, billed: Billed) -> None:
    await logged_in(browser, family.login)
    path = f"/mon-compte/factures/{billed.invoice_id}"
    _, html = await browser.post_form(path + "/paiement", {}, page=path)
    payment_id = await _latest_payment(stack, family.id)

    resp, html = await browser.get(f"/mon-compte/paiements/{payment_id}")

    assert resp.status == 200
    assert "Paiement en cours" in text_of(html) and "Actualiser" in text_of(html)
    # A second « Régler en ligne » while it runs: billing refuses, the page says why.
    resp, html = await browser.post_form(path + "/paiement", {}, page=path)
    assert resp.status == 409
    assert "role=\"alert\"" in html and "Facture" in text_of(html)


async def _latest_payment(stack: Stack, family_id: uuid.UUID) -> uuid.UUID:
    async with billing_db(stack).acquire() as conn:
        found: uuid.UUID = await conn.fetchval(
            "SELECT id FROM payments WHERE family_id = $1 ORDER BY created_at DESC LIMIT 1",
            family_id)
    return found


async def test_the_notification_is_passed_on_without_session_or_csrf(
        browser: Browser, stack: Stack) -> None:
    for method, kwargs in (("GET", {"params": {"idOp": "inconnue-123"}}),
                           ("POST", {"data": {"idop": "inconnue-123"}})):
        async with browser.http.request(method, browser.url("/paiement/payfip/notification"),
                                        **kwargs) as resp:
            assert resp.status == 200, method
    async with browser.http.post(browser.url("/paiement/payfip/notification"),
                                 data={"idop": "<script>"}) as resp:
        assert resp.status == 400


async def test_the_dashboard_still_answers_when_billing_is_down(stack: Stack) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with gateway_server(stack, billing_url=dead) as server, browser_session() as http:
        browser = Browser(http, str(server.make_url("")).rstrip("/"))
        await logged_in(browser, DEMO_LOGIN)
        resp, html = await browser.get("/mon-compte")
        api, body = await browser.api("GET", "/api/v1/me/dashboard")

    assert resp.status == 200
    text = text_of(html)
    assert "Vos factures et paiements ne peuvent pas être affichés pour le moment." in text
    assert "Mes Enfants" in text and "Hugo" in text
    assert api.status == 200 and body["unavailable"] == ["billing"]


# ---- the JSON API -----------------------------------------------------------------------------

async def test_the_api_gives_the_family_s_invoices_payments_and_pdf(
        browser: Browser, stack: Stack, family: Family, billed: Billed) -> None:
    auth = await bearer(browser, family.login)

    resp, page = await browser.api("GET", "/api/v1/invoices", headers=auth)
    assert resp.status == 200
    assert [i["number"] for i in page["items"]] == [billed.number]
    resp, invoice = await browser.api("GET", f"/api/v1/invoices/{billed.invoice_id}",
                                      headers=auth)
    assert resp.status == 200 and invoice["lines"][0]["quantity"] == 2
    async with browser.http.get(browser.url(f"/api/v1/invoices/{billed.invoice_id}/pdf"),
                                headers=auth) as pdf:
        assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
    resp, started = await browser.api("POST", f"/api/v1/invoices/{billed.invoice_id}/payments",
                                      headers=auth, body={})
    assert resp.status == 201
    assert started["redirect_url"].startswith(stack.url("billing") + "/payfip-sandbox/")
    resp, payments = await browser.api("GET", "/api/v1/payments", headers=auth)
    assert [p["state"] for p in payments["items"]] == ["pending"]
    resp, dashboard = await browser.api("GET", "/api/v1/me/dashboard", headers=auth)
    assert [i["number"] for i in dashboard["invoices"]] == [billed.number]
    assert [p["id"] for p in dashboard["payments"]] == [started["payment"]["id"]]
    resp, problem = await browser.api("POST", f"/api/v1/invoices/{billed.invoice_id}/payments",
                                      headers=auth, body={"amount_cents": "tout"})
    assert resp.status == 422 and resp.content_type == PROBLEM
    assert [e["field"] for e in problem["errors"]] == ["amount_cents"]


# ---- who reaches what -------------------------------------------------------------------------

PARENT_PAGES = ("/mon-compte/factures", "/mon-compte/paiements", "/mon-compte/avoirs",
                "/mon-compte/attestations-fiscales", "/mon-compte/prelevement")
PARENT_API = ("/api/v1/invoices", "/api/v1/payments", "/api/v1/credit-notes",
              "/api/v1/balance", "/api/v1/tax-certificates")
STAFF = ("/gestion/facturation", "/gestion/factures", "/gestion/avoirs", "/gestion/prelevements")


def routes_of(stack: Stack, prefixes: tuple[str, ...]) -> set[tuple[str, str]]:
    app: web.Application = stack.app("gateway")
    return {(r.method, r.resource.canonical) for r in app.router.routes()
            if r.resource is not None and r.resource.canonical.startswith(prefixes)
            and r.method != "HEAD"}


def staff_routes(stack: Stack) -> set[tuple[str, str]]:
    return routes_of(stack, STAFF) | {
        (m, p) for m, p in routes_of(stack, ("/gestion/familles/",))
        if p.endswith("/compte") or "/compte/" in p}


def filled(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


async def test_another_family_s_invoice_payment_or_document_is_not_found_anywhere(
        browser: Browser, stack: Stack, family: Family) -> None:
    """Every parent billing route of the gateway, pages and API, with the demo family's ids
    (its invoice, its payment, a credit note on it, a child): 404, and nothing of it shows."""
    invoice = await demo_invoice(stack)
    async with billing_db(stack).acquire() as conn:
        payment_id = await conn.fetchval("SELECT id FROM payments WHERE family_id = $1",
                                         DEMO_FAMILY_ID)
        child_id = await conn.fetchval("SELECT child_id FROM invoice_items "
                                       "WHERE invoice_id = $1 LIMIT 1", invoice["id"])
    victim = await invoiced(stack, uuid.uuid4(), name="Famille Voisine",
                            email="voisine@example.org")
    async with billing_db(stack).acquire() as conn:
        from services.billing.invoicing import service as invoicing  # set-up through billing
        from services.billing.invoicing.schemas import CreditNoteIn
        note = await invoicing.issue_credit_note(
            conn, invoice_id=victim.invoice_id, body=CreditNoteIn(reason="Erreur"),
            actor="test-setup")
        mandate = await direct_debit.create_mandate(
            conn, family_id=victim.family_id, actor="test-setup",
            body=MandateIn(holder="Zoé Voisine", iban="FR7630004000310001234567865"),
            settings=stack.app("billing")[billing_keys.SETTINGS])
    ids = {"invoice_id": str(invoice["id"]), "payment_id": str(payment_id),
           "credit_note_id": str(note.id), "child_id": str(child_id),
           "year": str(invoice["number"][2:6]), "family_id": str(DEMO_FAMILY_ID),
           "mandate_id": str(mandate.id)}
    auth = await bearer(browser, family.login)
    await logged_in(browser, family.login)
    routes = routes_of(stack, PARENT_PAGES + PARENT_API)
    with_ids = sorted((m, p) for m, p in routes if "{" in p)
    assert len(with_ids) >= 15, with_ids
    for method, route in with_ids:
        path = filled(route, ids)
        if route.startswith("/api/"):
            resp, _ = await browser.api(method, path, headers=auth,
                                        body={} if method == "POST" else None)
        elif method == "POST":
            resp, _ = await browser.post_form(path, {}, page="/mon-compte")
        else:
            resp, html = await browser.get(path)
            assert invoice["number"] not in html
        assert resp.status == 404, (method, route, resp.status)


async def test_every_route_asks_a_visitor_to_log_in(browser: Browser, stack: Stack) -> None:
    ids = {name: str(uuid.uuid4()) for name in ("invoice_id", "payment_id", "credit_note_id",
                                                "child_id", "family_id", "batch_id",
                                                "mandate_id")} | {
        "year": "2026"}
    routes = routes_of(stack, PARENT_PAGES + PARENT_API) | staff_routes(stack)
    for method, route in sorted(routes):
        path = filled(route, ids)
        if route.startswith("/api/"):
            resp, _ = await browser.api(method, path, body={} if method == "POST" else None)
            assert resp.status == 401, (method, route)
        elif method == "GET":
            resp, _ = await browser.get(path)
            assert resp.status == 303 and resp.headers["Location"].startswith("/connexion")
        else:
            resp, _ = await browser.post_form(path, {}, page="/connexion")
            assert resp.headers.get("Location", "").startswith("/connexion") or \
                resp.status == 303, (method, route, resp.status)


async def test_staff_pages_are_refused_to_a_parent(browser: Browser, stack: Stack,
                                                   family: Family) -> None:
    await logged_in(browser, family.login)
    ids = {"invoice_id": str(uuid.uuid4()), "credit_note_id": str(uuid.uuid4()),
           "family_id": str(family.id), "batch_id": str(uuid.uuid4())}
    routes = staff_routes(stack)
    assert len(routes) >= 9, routes
    for method, route in sorted(routes):
        path = filled(route, ids)
        if method == "GET":
            resp, html = await browser.get(path)
        else:
            resp, html = await browser.post_form(path, {"mois": "2045-01"}, page="/mon-compte")
        assert resp.status == 403, (method, route, resp.status)
        assert "Cet espace est réservé aux agents du service." in text_of(html)


async def test_forms_need_their_csrf_token(browser: Browser, stack: Stack, family: Family,
                                           billed: Billed, agent: dict[str, Any]) -> None:
    before = await counts(stack)
    await logged_in(browser, family.login)
    resp, _ = await browser.post_form(f"/mon-compte/factures/{billed.invoice_id}/paiement", {},
                                      csrf=False)
    assert resp.status == 403
    async with browser_session() as http:
        staff = await logged_in(Browser(http, browser.base), agent)
        for path, form in (("/gestion/facturation/emission", {"mois": billed.month.strftime(
                "%Y-%m")}), (f"/gestion/factures/{billed.invoice_id}/avoirs",
                             {"reason": "Erreur"}),
                           (f"/gestion/familles/{family.id}/compte/paiements",
                            {"method": "cheque", "amount": "10", "received_on": "2045-01-02"})):
            resp, _ = await staff.post_form(path, form, csrf="faux")
            assert resp.status == 403, path
    assert await counts(stack) == before


# ---- the staff's pages ------------------------------------------------------------------------

async def test_an_agent_previews_then_issues_a_month(browser: Browser, stack: Stack,
                                                     family: Family,
                                                     agent: dict[str, Any]) -> None:
    booked = await book(stack, family.id, name=family.name, email=family.email, days=3)
    month = booked.month.strftime("%Y-%m")
    await logged_in(browser, agent)

    resp, html = await browser.get(f"/gestion/facturation?mois={month}")
    assert resp.status == 200 and len(html.encode()) <= PAGE_LIMIT
    text = text_of(html)
    assert f"{family.name} — 36,00" in text  # 3 days at the 451–900 bracket's 12,00 €
    assert "1 facture pour un total de 36,00" in text
    before = await counts(stack)

    resp, _ = await browser.post_form("/gestion/facturation/emission", {"mois": month},
                                      page=f"/gestion/facturation?mois={month}")

    assert resp.status == 303 and resp.headers["Location"] == f"/gestion/factures?mois={month}"
    after = await counts(stack)
    assert after["invoices"] == before["invoices"] + 1
    _, html = await browser.get(resp.headers["Location"])
    assert "La facturation du mois est émise." in text_of(html)
    assert re.search(r"F-\d{4}-\d{6}", text_of(html)) and family.name in text_of(html)
    # A second run finds nothing left to bill.
    resp, _ = await browser.post_form("/gestion/facturation/emission", {"mois": month},
                                      page=f"/gestion/facturation?mois={month}")
    _, html = await browser.get(resp.headers["Location"])
    assert "Il n'y avait rien à facturer" in text_of(html)
    assert (await counts(stack))["invoices"] == after["invoices"]


async def test_a_month_not_shaped_as_one_is_said_and_nothing_asked(
        browser: Browser, agent: dict[str, Any]) -> None:
    await logged_in(browser, agent)
    resp, html = await browser.get("/gestion/facturation?mois=2045-13")
    assert resp.status == 422
    errors = errors_in(html)
    assert list(errors) == ["mois"]
    assert errors["mois"].endswith("Indiquez un mois au format AAAA-MM, par exemple 2027-07.")


async def test_an_agent_issues_a_credit_note_with_its_reason(
        browser: Browser, stack: Stack, family: Family, billed: Billed,
        agent: dict[str, Any]) -> None:
    await logged_in(browser, agent)
    path = f"/gestion/factures/{billed.invoice_id}"
    before = await counts(stack)

    resp, html = await browser.post_form(path + "/avoirs", {"reason": "  "}, page=path)
    assert resp.status == 422
    assert errors_in(html)["reason"].endswith("Indiquez le motif de l'avoir.")
    assert await counts(stack) == before

    _, page = await browser.get(path)
    first_day = re.search(r'name="item_ids" value="([^"]+)"', page)
    assert first_day is not None
    async with browser.http.post(browser.url(path + "/avoirs"), data={
            "csrf": await browser.csrf(path), "reason": "Enfant malade",
            "item_ids": first_day.group(1)}, allow_redirects=False) as resp:
        assert resp.status == 303
    _, html = await browser.get(path)
    text = text_of(html)
    assert "L'avoir est émis." in text
    assert re.search(r"A-\d{4}-\d{6} du .* : 12,00 € — Enfant malade", text)
    assert "Partiellement" not in text and "12,00" in text
    assert (await counts(stack))["credit_notes"] == before["credit_notes"] + 1
    # The family sees the avoir on its invoice and downloads it.
    async with browser_session() as http:
        parent = await logged_in(Browser(http, browser.base), family.login)
        _, html = await parent.get(f"/mon-compte/factures/{billed.invoice_id}")
        assert "Enfant malade" in text_of(html) and "Avoirs" in text_of(html)
        link = re.search(r'href="(/mon-compte/avoirs/[0-9a-f-]{36}/pdf)"', html)
        assert link is not None
        async with http.get(parent.url(link.group(1))) as resp:
            assert resp.status == 200 and (await resp.read()).startswith(b"%PDF")
            assert re.fullmatch(r'attachment; filename="avoir-A-\d{4}-\d{6}\.pdf"',
                                resp.headers["Content-Disposition"])


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"method": "cheque", "amount": "douze", "received_on": "2045-01-02"}, "amount",
     "Indiquez un montant en euros, par exemple 25,50."),
    ({"method": "carte", "amount": "12", "received_on": "2045-01-02"}, "method",
     "Choisissez le mode de règlement."),
    ({"method": "cash", "amount": "12", "received_on": "hier"}, "received_on",
     "Indiquez la date de réception, par exemple 2027-07-14."),
    ({"method": "cesu", "amount": "9999", "received_on": "2045-01-02"}, "amount", None),
])
async def test_a_payment_entry_that_is_wrong_is_said_and_nothing_written(
        browser: Browser, stack: Stack, family: Family, billed: Billed,
        agent: dict[str, Any], form: dict[str, str], field: str, message: str | None) -> None:
    await logged_in(browser, agent)
    path = f"/gestion/familles/{family.id}/compte"
    before = await counts(stack)

    resp, html = await browser.post_form(path + "/paiements", {
        "reference": "", "invoice_id": "", **form}, page=path)

    assert resp.status == 422
    errors = errors_in(html)
    assert field in errors
    if message is not None:
        assert errors[field].endswith(message)
    else:  # more than is due: billing's own message
        assert "dépasse ce que la famille doit encore" in errors[field]
    assert await counts(stack) == before


async def test_an_agent_records_a_cheque_and_sees_the_balance(
        browser: Browser, stack: Stack, family: Family, billed: Billed,
        agent: dict[str, Any]) -> None:
    await logged_in(browser, agent)
    path = f"/gestion/familles/{family.id}/compte"
    resp, html = await browser.get(path)
    assert resp.status == 200
    assert "Reste dû 24,00" in text_of(html) and billed.number in text_of(html)

    resp, _ = await browser.post_form(path + "/paiements", {
        "method": "cheque", "amount": "10,50", "received_on": "2045-01-02",
        "reference": "Chèque 42", "invoice_id": str(billed.invoice_id)}, page=path)

    assert resp.status == 303 and resp.headers["Location"] == path
    _, html = await browser.get(path)
    text = text_of(html)
    assert "Le règlement est enregistré" in text
    assert "Reste dû 13,50" in text and "10,50 € — Chèque" in text
    assert "Partiellement réglée" in text
    mails = await stack.mail_to(family.email)
    assert mails is not None


async def test_the_staff_pdf_and_the_family_page_link(
        browser: Browser, stack: Stack, family: Family, billed: Billed,
        agent: dict[str, Any]) -> None:
    await logged_in(browser, agent)
    _, html = await browser.get(f"/gestion/familles/{family.id}")
    assert f'href="/gestion/familles/{family.id}/compte"' in html
    assert 'href="/gestion/facturation"' in html
    async with browser.http.get(browser.url(f"/gestion/factures/{billed.invoice_id}/pdf")
                                ) as resp:
        assert resp.status == 200 and (await resp.read()).startswith(b"%PDF")


async def test_the_parent_downloads_the_attestation_fiscale_from_the_block(
        browser: Browser, stack: Stack) -> None:
    """Léa (5) is under 6 on 1 January: the childcare paid for her (the demo cheque, shared
    among the invoice's children) is on a yearly attestation the block links to."""
    await logged_in(browser, DEMO_LOGIN)
    _, html = await browser.get("/mon-compte")
    link = re.search(r'href="(/mon-compte/attestations-fiscales/(\d{4})/[0-9a-f-]{36})"', html)
    assert link is not None
    assert re.search(r"Attestation \d{4} — Léa Martin \(\d+,\d\d", text_of(html))

    async with browser.http.get(browser.url(link.group(1))) as resp:
        body = await resp.read()
        disposition = resp.headers["Content-Disposition"]

    assert resp.status == 200 and body.startswith(b"%PDF")
    assert disposition == (f'attachment; filename="attestation-fiscale-{link.group(2)}'
                           '-lea-martin.pdf"')
    resp, _ = await browser.get(link.group(1).replace(link.group(2), "1999"))
    assert resp.status == 404


async def test_the_preview_of_a_busy_month_is_paged_and_stays_light(
        browser: Browser, stack: Stack, agent: dict[str, Any]) -> None:
    first = await book(stack, uuid.uuid4(), name="Famille Aperçu 00", email="a0@example.org",
                       days=10)
    for index in range(1, 21):
        await book(stack, uuid.uuid4(), name=f"Famille Aperçu {index:02d}",
                   email=f"a{index}@example.org", days=10, month=first.month)
    month = first.month.strftime("%Y-%m")
    await logged_in(browser, agent)

    resp, html = await browser.get(f"/gestion/facturation?mois={month}")

    assert resp.status == 200 and len(html.encode()) <= PAGE_LIMIT
    text = text_of(html)
    assert "21 factures pour un total de 2 520,00" in text  # 21 × 10 days × 12,00 €
    assert len(re.findall(r'<h3 id="draft-\d+">Famille Aperçu', html)) == 20
    following = re.search(r'href="([^"]+)" rel="next"', html)
    assert following is not None
    _, html = await browser.get(following.group(1).replace("&amp;", "&"))
    assert len(re.findall(r'<h3 id="draft-\d+">Famille Aperçu', html)) == 1
