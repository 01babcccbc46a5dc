"""« Prélèvement automatique » and the staff's « Prélèvements » through the real stack (auth,
families, billing, notifier and its mail sink, the gateway): the parent signs a mandate with
the code mailed to their login address, the next invoice is marked « prélèvement le … » and
pre-notified by mail; an agent checks the month's list, builds the batch, downloads the
pain.008 file (valid against the ISO 20022 schema, the only place with the full IBAN) and
records a reject the parent then sees. The IBAN is in no page but the file, in no mail."""

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sepaxml
import xmlschema

from services.billing import keys as billing_keys
from tests.e2e.stack import Stack
from tests.service.gateway.billing_support import billing_db, book, invoiced
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import (
    Family,
    errors_in,
    new_family,
    staff_account,
    text_of,
)

IBAN = "FR7630004000310001234567865"
IBAN_TYPED = "fr76 3000 4000 3100 0123 4567 865"
MASKED = "FR76 •••• •••• 7865"
PAGE = "/mon-compte/prelevement"
PAIN008_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"


def mail_text(mail: Any) -> str:
    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    return f"{mail['Subject']}\n{plain.get_content()}\n{html.get_content()}"


async def mandate_rows(stack: Stack) -> int:
    async with billing_db(stack).acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM mandates"))


@pytest.fixture
async def family(stack: Stack) -> Family:
    """A family billing knows (its read model), with no mandate."""
    family = await new_family(stack)
    await book(stack, family.id, name=family.name, email=family.email, days=0)
    return family


async def sign(browser: Browser, stack: Stack, family: Family) -> str:
    """The parent signs a mandate on the page with the code mailed to them; its RUM."""
    resp, _ = await browser.post_form(PAGE + "/mandat", {"holder": "Camille Testeur",
                                                         "iban": IBAN_TYPED}, page=PAGE)
    assert resp.status == 303, resp.status
    _, html = await browser.get(PAGE)
    text = text_of(html)
    assert "Mandat à signer" in text and MASKED in text and IBAN not in html
    rum = re.search(r"PF-\d{4}-[0-9A-F]{12}", text)
    assert rum is not None
    mail = await stack.mail_to(family.email)
    body = mail_text(mail)
    code = re.search(r"\b(\d{6})\b", str(mail["Subject"]))
    assert code is not None and rum.group(0) in body
    assert IBAN not in body and IBAN[-4:] not in body
    action = re.search(r'action="(/mon-compte/prelevement/mandat/[^"]+/signature)"', html)
    assert action is not None
    resp, _ = await browser.post_form(action.group(1), {"code": code.group(1)}, page=PAGE)
    assert resp.status == 303, resp.status
    return rum.group(0)


async def test_the_block_offers_direct_debit_to_a_family_without_mandate(
        browser: Browser, stack: Stack, family: Family) -> None:
    await browser.login(**family.login)

    _, dashboard = await browser.get("/mon-compte")
    resp, html = await browser.get(PAGE)

    assert "Mettre en place le prélèvement automatique" in text_of(dashboard)
    assert resp.status == 200
    text = text_of(html)
    for said in ("Identifiant créancier SEPA (ICS)", "FR72ZZZ123456", "20 avenue Raymond Lacombe",
                 "dans les 8 semaines", "Titulaire du compte", "IBAN du compte à débiter"):
        assert said in text, said
    assert len(html.encode()) <= 100 * 1024  # a light page; its forms need no script


@pytest.mark.parametrize(("iban", "said"), [
    ("FR7630004000310001234567866", "clé de contrôle"),
    ("FR76300040003100012345678", "longueur attendue"),
    ("SA0380000000608010167519", "zone SEPA")])
async def test_a_wrong_iban_is_said_on_the_page_and_nothing_written(
        browser: Browser, stack: Stack, family: Family, iban: str, said: str) -> None:
    await browser.login(**family.login)
    before = await mandate_rows(stack)

    resp, html = await browser.post_form(PAGE + "/mandat", {"holder": "Camille Testeur",
                                                            "iban": iban}, page=PAGE)

    assert resp.status == 422
    assert said in errors_in(html).get("iban", "")
    assert await mandate_rows(stack) == before


async def test_a_parent_signs_with_the_code_and_a_wrong_code_is_said(
        browser: Browser, stack: Stack, family: Family) -> None:
    await browser.login(**family.login)
    await browser.post_form(PAGE + "/mandat", {"holder": "Camille Testeur", "iban": IBAN},
                            page=PAGE)
    _, html = await browser.get(PAGE)
    action = re.search(r'action="(/mon-compte/prelevement/mandat/[^"]+/signature)"', html)
    assert action is not None

    resp, html = await browser.post_form(action.group(1), {"code": "000000x"}, page=PAGE)
    assert resp.status == 422
    assert "Code incorrect" in errors_in(html).get("code", "")

    mail = await stack.mail_to(family.email)
    code = re.search(r"\b(\d{6})\b", str(mail["Subject"]))
    assert code is not None
    resp, _ = await browser.post_form(action.group(1), {"code": code.group(1)}, page=PAGE)
    assert resp.status == 303
    _, html = await browser.get(PAGE)
    assert "Prélèvement automatique activé" in text_of(html) and MASKED in text_of(html)
    assert IBAN not in html
    _, dashboard = await browser.get("/mon-compte")
    assert "Activé" in text_of(dashboard) and MASKED in text_of(dashboard)


async def test_the_next_invoice_is_marked_prenotified_batched_and_a_reject_is_seen(
        browser: Browser, stack: Stack, family: Family,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await browser.login(**family.login)
    rum = await sign(browser, stack, family)
    billed = await invoiced(stack, family.id, name=family.name, email=family.email)
    async with billing_db(stack).acquire() as conn:
        planned_on: date = await conn.fetchval(
            "SELECT planned_on FROM debits WHERE invoice_id = $1", billed.invoice_id)
    await stack.app("billing")[billing_keys.DEBIT_JOB].run_once()

    _, invoices = await browser.get("/mon-compte/factures")
    assert f"prélèvement le {planned_on:%d/%m/%Y}" in text_of(invoices)
    notice = await stack.mail_to(family.email, count=4)  # code, signed, invoice, notice
    notices = [m for m in stack.mails_to(family.email) if "Prélèvement de" in str(m["Subject"])]
    assert notices, [str(m["Subject"]) for m in stack.mails_to(family.email)]
    body = mail_text(notices[0])
    assert billed.number in body and rum in body and "FR72ZZZ123456" in body
    assert f"{planned_on.day}" in body
    assert all(IBAN not in mail_text(m) for m in stack.mails_to(family.email))
    assert notice is not None

    month = f"{planned_on:%Y-%m}"
    async with browser_session() as http:
        agent = await staff_account(stack)
        staff = Browser(http, browser.base)
        await staff.login(agent["email"], agent["password"])
        resp, html = await staff.get(f"/gestion/prelevements?mois={month}")
        assert resp.status == 200
        text = text_of(html)
        assert family.name in text and billed.number in text and MASKED in text and rum in text
        assert IBAN not in html
        resp, _ = await staff.post_form("/gestion/prelevements/lot", {"mois": month},
                                        page=f"/gestion/prelevements?mois={month}")
        assert resp.status == 303
        _, html = await staff.get(f"/gestion/prelevements?mois={month}")
        links = re.findall(r'href="(/gestion/prelevements/lots/[^"]+/fichier)"', html)
        assert links
        async with http.get(staff.url(links[-1])) as file:
            assert file.status == 200
            assert file.content_type == "application/xml"
            xml = await file.read()
        xmlschema.XMLSchema(PAIN008_XSD).validate(xml)
        assert IBAN.encode() in xml and rum.encode() in xml
        resp, html = await staff.post_form("/gestion/prelevements/rejets", {
            "mois": month, "invoice_number": "F-1999-000001", "code": "AM04"},
            page=f"/gestion/prelevements?mois={month}")
        assert resp.status == 422
        assert "Aucun prélèvement" in errors_in(html).get("invoice_number", "")
        resp, _ = await staff.post_form("/gestion/prelevements/rejets", {
            "mois": month, "invoice_number": billed.number or "", "code": "AM04"},
            page=f"/gestion/prelevements?mois={month}")
        assert resp.status == 303

    _, page = await browser.get(f"/mon-compte/factures/{billed.invoice_id}")
    text = text_of(page)
    assert "prélèvement rejeté (provision insuffisante)" in text
    assert "À régler" in text
    rejected = await stack.mail_to(family.email, count=5)
    assert any("rejeté" in str(m["Subject"]) for m in stack.mails_to(family.email)), rejected
    # Every part ran in this process: no log line of any of them has the IBAN.
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records and IBAN not in logged and IBAN_TYPED not in logged.lower()
