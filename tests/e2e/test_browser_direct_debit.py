"""SEPA direct debit in a real browser (issue 14): the parent sets it up from « Mes Factures &
Paiements » and signs with the code e-mailed; the next invoice says « prélèvement le … »; an
agent checks the month's list, prepares the batch, downloads the pain.008 file and records a
reject the parent then sees. axe checks every page; the pages fit a phone; no script needed."""

import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from playwright.async_api import Browser, BrowserContext, expect

from services.billing import keys as billing_keys
from tests.e2e.conftest import PHONE, Visit, open_visit
from tests.e2e.layout import layout_problems
from tests.e2e.stack import Stack
from tests.e2e.test_browser_family import log_in
from tests.service.gateway.billing_support import billing_db, book, invoiced
from tests.service.gateway.family_support import Family, new_family, staff_account

pytestmark = pytest.mark.browser

IBAN = "FR7630004000310001234567865"
PAIN008_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"


@pytest.fixture
async def agent_context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await chromium.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        yield ctx
    finally:
        await ctx.close()


@pytest.fixture
async def family(stack: Stack) -> Family:
    family = await new_family(stack)
    await book(stack, family.id, name=family.name, email=family.email, days=0)
    return family


async def test_a_parent_signs_then_an_agent_debits_and_records_a_reject(
        visit: Visit, agent_context: BrowserContext, stack: Stack, family: Family) -> None:
    page = visit.page
    await log_in(visit, family.email, family.password)
    await visit.click("link", "Mettre en place le prélèvement automatique")
    await expect(page.get_by_role("main")).to_contain_text("FR72ZZZ123456")
    await visit.fill("Titulaire du compte", "Camille Testeur")
    await visit.fill("IBAN du compte à débiter", "FR76 3000 4000 3100 0123 4567 865")
    await visit.click("button", "Recevoir le code de signature")
    await expect(page.get_by_role("status").first).to_contain_text("Un code de signature")
    await expect(page.get_by_role("main")).to_contain_text("FR76 •••• •••• 7865")
    mail = await stack.mail_to(family.email)
    code = re.search(r"\b(\d{6})\b", str(mail["Subject"]))
    assert code is not None
    await visit.fill("Code de signature reçu par e-mail", code.group(1))
    await visit.click("button", "Signer le mandat")
    await expect(page.get_by_role("heading", name="Prélèvement automatique activé")).to_be_visible()
    assert IBAN not in await page.content()
    await page.set_viewport_size(PHONE)
    assert await layout_problems(page) == []
    await page.set_viewport_size({"width": 1280, "height": 800})

    billed = await invoiced(stack, family.id, name=family.name, email=family.email, days=3)
    async with billing_db(stack).acquire() as conn:
        planned_on: date = await conn.fetchval(
            "SELECT planned_on FROM debits WHERE invoice_id = $1", billed.invoice_id)
    await stack.app("billing")[billing_keys.DEBIT_JOB].run_once()
    await visit.goto("/mon-compte")
    await expect(page.get_by_role("main")).to_contain_text(
        f"prélèvement le {planned_on:%d/%m/%Y}")

    month = f"{planned_on:%Y-%m}"
    agent = await staff_account(stack)
    office = await open_visit(agent_context, stack)
    await log_in(office, agent["email"], agent["password"])
    nav = office.page.get_by_role("navigation", name="Espace gestion")
    async with office.page.expect_navigation():
        await nav.get_by_role("link", name="Prélèvements").click()
    await office.audit()
    await office.fill("Mois des prélèvements", month)
    await office.click("button", "Afficher")
    row = office.page.get_by_role("row").filter(has_text=family.name)
    await expect(row).to_contain_text(str(billed.number))
    await expect(row).to_contain_text("FR76 •••• •••• 7865")
    await office.page.set_viewport_size(PHONE)
    assert await layout_problems(office.page) == []
    await office.page.set_viewport_size({"width": 1280, "height": 800})
    await office.click("button", "Préparer le lot et son fichier")
    await expect(office.page.get_by_role("status").first).to_contain_text(
        "Le lot de prélèvements est prêt")
    async with office.page.expect_download() as download_info:
        await office.page.get_by_role(
            "link", name="Télécharger le fichier pour la banque (pain.008)").first.click()
    download = await download_info.value
    xml = (await download.path()).read_bytes()
    xmlschema.XMLSchema(PAIN008_XSD).validate(xml)
    assert IBAN.encode() in xml

    await office.fill("Numéro de facture", str(billed.number))
    await office.page.get_by_label("Motif du rejet").select_option("AM04")
    await office.click("button", "Enregistrer le rejet")
    await expect(office.page.get_by_role("status").first).to_contain_text(
        "Le rejet est enregistré")
    assert not office.unchecked(), office.unchecked()

    await visit.goto("/mon-compte/factures")
    await expect(page.get_by_role("main")).to_contain_text(
        "prélèvement rejeté (provision insuffisante)")
