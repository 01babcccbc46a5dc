"""« Mes Factures & Paiements » in a real browser (guide §10–§11): the demo parent opens the
demo invoice in its dialog, downloads the PDF, pays the rest in the PayFiP sandbox and comes
back to « Paiement validé », the invoice « Réglée », the e-mail in the sink; an agent previews
and issues a month's invoicing, issues an avoir and records a cheque. axe checks every page of
the portal (the sandbox stands for PayFiP's own site)."""

import io
import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import pypdf
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from services.common.demo import DEMO_PARENT_EMAIL, DEMO_PASSWORD
from services.common.formats import month_label
from tests.e2e.conftest import PHONE, Visit, open_visit
from tests.e2e.layout import layout_problems
from tests.e2e.stack import Stack, eventually
from tests.e2e.test_browser_family import log_in
from tests.service.gateway.billing_support import book, demo_invoice
from tests.service.gateway.family_support import Family, new_family, staff_account

pytestmark = pytest.mark.browser


@pytest.fixture
async def agent_context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await chromium.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        yield ctx
    finally:
        await ctx.close()


def payment_mail(stack: Stack, amount: str) -> EmailMessage | None:
    for mail in stack.mails_to(DEMO_PARENT_EMAIL):
        subject = " ".join(str(mail["Subject"]).split())
        if subject == f"Votre paiement de {amount} € a bien été reçu":
            return mail
    return None


async def test_the_demo_parent_opens_downloads_and_pays_the_demo_invoice(
        visit: Visit, stack: Stack) -> None:
    invoice = await demo_invoice(stack)
    number = invoice["number"]
    page = visit.page
    await log_in(visit, DEMO_PARENT_EMAIL, DEMO_PASSWORD)

    block = page.get_by_role("region", name="Mes Factures & Paiements")
    await expect(block).to_contain_text(f"Facture {number}")
    await expect(block).to_contain_text("Partiellement réglée")
    await block.get_by_text("Légende des états des factures").click()
    await expect(block).to_contain_text("En retard : la date d'échéance est passée")

    # « Détail »: the invoice in a modal dialog, focus on its title, axe with it open.
    await block.get_by_role("link", name=f"Détail de la facture {number}").click()
    dialog = page.get_by_role("dialog", name=f"Facture {number}")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("heading", name=f"Facture {number}")).to_be_focused()
    await expect(dialog.get_by_role("table")).to_contain_text("Journée")
    await expect(dialog).to_contain_text("Reste à régler")
    await visit.audit()

    async with page.expect_download() as download_info:
        await dialog.get_by_role("link", name="Télécharger le PDF").click()
    download = await download_info.value
    assert download.suggested_filename == f"facture-{number}.pdf"
    path = await download.path()
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert number in text and "Famille Martin" in text

    # « Régler en ligne »: through the page that leads to PayFiP, on to the sandbox.
    visit.passes_through(f"/mon-compte/factures/{invoice['id']}/paiement")
    pay = dialog.get_by_role("button", name=re.compile(r"^Régler en ligne \(60,00"))
    await pay.click()
    await page.wait_for_url(re.compile(r"/payfip-sandbox/tpa/paiementws\.web\?idop="))
    await expect(page.get_by_role("heading", name="Paiement sécurisé")).to_be_visible()
    async with page.expect_navigation(url=re.compile(r"/mon-compte/paiements/")):
        await page.get_by_role("button", name="Payer").click()
    await visit.audit()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Paiement validé")
    await expect(page.get_by_role("main")).to_contain_text(f"Facture {number}")
    await expect(page.get_by_role("main")).to_contain_text("Réglée")
    mail = await eventually(lambda: payment_mail(stack, "60,00"))
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and number in str(body.get_content())

    await visit.goto("/mon-compte")
    await expect(block).to_contain_text("Réglée")
    await expect(block).to_contain_text("Paiement en ligne (carte bancaire, PayFiP)")
    await visit.goto("/mon-compte/factures")
    await visit.goto("/mon-compte/paiements")
    await visit.goto(f"/mon-compte/factures/{invoice['id']}")
    await expect(page.get_by_role("button", name=re.compile("Régler en ligne"))).to_have_count(0)
    assert not visit.unchecked()


@pytest.fixture
async def family(stack: Stack) -> Family:
    return await new_family(stack)


@pytest.fixture
async def agent(stack: Stack) -> dict[str, Any]:
    return await staff_account(stack)


async def test_an_agent_invoices_a_month_credits_a_day_and_records_a_cheque(
        agent_context: BrowserContext, stack: Stack, family: Family,
        agent: dict[str, Any]) -> None:
    booked = await book(stack, family.id, name=family.name, email=family.email, days=3)
    month = booked.month.strftime("%Y-%m")
    office = await open_visit(agent_context, stack)
    page = office.page
    await log_in(office, agent["email"], agent["password"])

    nav = page.get_by_role("navigation", name="Espace gestion")
    async with page.expect_navigation():
        await nav.get_by_role("link", name="Facturation").click()
    await office.audit()
    await office.fill("Mois à facturer", month)
    await office.click("button", "Voir l'aperçu")
    preview = page.get_by_role("region", name=f"{family.name} — 36,00\u00a0€")
    await expect(preview.get_by_role("row")).to_have_count(2)
    await office.click("button", f"Émettre les factures de {month_label(booked.month)}")
    await expect(page.get_by_role("status").first).to_contain_text(
        "La facturation du mois est émise.")

    row = page.get_by_role("row").filter(has_text=family.name)
    await expect(row).to_have_count(1)
    number = (await row.get_by_role("link").first.inner_text()).strip()
    assert re.fullmatch(r"F-\d{4}-\d{6}", number)
    await office.click("link", number)
    await page.get_by_role("group", name="Jours à créditer").get_by_role("checkbox").first.check()
    await office.fill("Motif de l'avoir", "Enfant malade")
    await office.click("button", "Émettre l'avoir")
    await expect(page.get_by_role("status").first).to_contain_text("L'avoir est émis.")
    await expect(page.get_by_role("main")).to_contain_text("Enfant malade")

    await office.click("link", "Retour au compte de la famille")
    await office.fill("Montant reçu (en euros)", "10,00")
    await office.fill("Date de réception", booked.month.replace(day=20).isoformat())
    await office.fill("Référence (numéro de chèque, de CESU…) — facultatif", "Chèque 77")
    await office.click("button", "Enregistrer le règlement")
    await expect(page.get_by_role("status").first).to_contain_text(
        "Le règlement est enregistré")
    balance = page.get_by_role("region", name="Solde")
    await expect(balance).to_contain_text(re.compile(r"Reste dû\s*14,00"))
    await expect(page.get_by_role("region", name="Règlements")).to_contain_text("Chèque")
    assert not office.unchecked()


async def test_the_billing_pages_fit_a_phone(context: BrowserContext, stack: Stack) -> None:
    invoice = await demo_invoice(stack)
    visit = await open_visit(context, stack)
    await visit.page.set_viewport_size(PHONE)
    await log_in(visit, DEMO_PARENT_EMAIL, DEMO_PASSWORD)
    for path in ("/mon-compte", "/mon-compte/factures", "/mon-compte/paiements",
                 f"/mon-compte/factures/{invoice['id']}"):
        await visit.goto(path)
        assert await layout_problems(visit.page) == [], path
    assert not visit.unchecked()
