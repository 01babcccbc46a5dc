"""The family file in a real browser: a parent's change validated (or refused) by an agent, a
family created by an agent, the family form on a phone. axe checks every page."""

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.e2e.conftest import PHONE, Visit, open_visit
from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser as GatewayBrowser
from tests.service.gateway.conftest import browser_session
from tests.service.gateway.family_support import Family, bearer, new_family, staff_account

pytestmark = pytest.mark.browser

NEW_ADDRESS = "3 place de la Mairie"


@pytest.fixture
async def family(stack: Stack) -> Family:
    return await new_family(stack, children=("Léa",))


@pytest.fixture
async def agent(stack: Stack) -> dict[str, Any]:
    return await staff_account(stack)


@pytest.fixture
async def agent_context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    """A second browser profile, so the agent and the parent each keep their own session."""
    ctx = await chromium.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        yield ctx
    finally:
        await ctx.close()


async def log_in(visit: Visit, email: str, password: str) -> None:
    await visit.goto("/")
    await visit.fill("Identifiant (adresse mail)", email)
    await visit.fill("Mot de passe", password)
    await visit.click("button", "Connexion")


async def test_address_change_validated_by_an_agent(
        visit: Visit, agent_context: BrowserContext, stack: Stack, family: Family,
        agent: dict[str, Any]) -> None:
    page = visit.page
    await log_in(visit, family.email, family.password)
    await visit.click("link", "Modifier les informations de la famille")
    await visit.fill("Adresse", NEW_ADDRESS)
    await visit.click("button", "Enregistrer")
    await expect(page.get_by_role("status")).to_contain_text(
        "Vos modifications ont été enregistrées. Elles seront appliquées après validation par "
        "les responsables de pôles.")
    informations = page.get_by_role("region", name="Mes Informations")
    address = informations.locator("dd").filter(has_text="12 rue des Oliviers")
    await expect(address).to_contain_text("En attente de validation : " + NEW_ADDRESS)

    office = await open_visit(agent_context, stack)
    await log_in(office, agent["email"], agent["password"])
    nav = office.page.get_by_role("navigation", name="Espace gestion")
    async with office.page.expect_navigation():
        await nav.get_by_role("link", name=re.compile(r"^Demandes à valider \(\d+\)$")).click()
    await office.audit()
    request = office.page.get_by_role("article", name=f"{family.name} — Informations de la famille")
    row = request.get_by_role("row", name="Adresse")
    await expect(row.get_by_role("cell")).to_have_text(["12 rue des Oliviers", NEW_ADDRESS])
    async with office.page.expect_navigation():
        await request.get_by_role("button", name=f"Accepter la demande de {family.name}").click()
    await office.audit()
    await expect(office.page.get_by_role("status")).to_contain_text("La demande a été acceptée")
    assert not office.unchecked()

    await visit.goto("/mon-compte")
    await expect(informations).to_contain_text(NEW_ADDRESS)
    await expect(informations).not_to_contain_text("En attente de validation")
    mail = await stack.mail_to(family.email)
    assert mail["Subject"] == "Votre demande de modification a été acceptée"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "Adresse" in str(body.get_content())


async def test_child_change_refused_with_a_comment_the_parent_reads(
        visit: Visit, agent_context: BrowserContext, stack: Stack, family: Family,
        agent: dict[str, Any]) -> None:
    page = visit.page
    await log_in(visit, family.email, family.password)
    await visit.click("link", "Modifier la fiche de Léa Testeur")
    await page.get_by_label("Classe").select_option("CE2")
    await visit.click("button", "Enregistrer")
    children = page.get_by_role("region", name="Mes Enfants")
    await expect(children).to_contain_text("Modification en attente de validation")

    office = await open_visit(agent_context, stack)
    await log_in(office, agent["email"], agent["password"])
    await office.goto(f"/gestion/demandes?famille={family.id}")
    request = office.page.get_by_role(
        "article", name=f"{family.name} — Informations de l'enfant Léa Testeur")
    await expect(request.get_by_role("row", name="Classe").get_by_role("cell")).to_have_text(
        ["CE1", "CE2"])
    await request.get_by_label("Commentaire pour la famille").fill(
        "Le changement de classe se fait à la rentrée.")
    async with office.page.expect_navigation():
        await request.get_by_role("button", name=f"Refuser la demande de {family.name}").click()
    await office.audit()  # the refusal said again, with a way back
    await expect(office.page.get_by_role("heading", level=1)).to_contain_text(
        "Confirmer le refus")
    async with office.page.expect_navigation():
        await office.page.get_by_role("button", name="Confirmer le refus").click()
    await office.audit()
    await expect(office.page.get_by_role("status")).to_contain_text("La demande a été refusée.")
    assert not office.unchecked()

    await visit.goto("/mon-compte")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Mes demandes de modification").click()
    await visit.audit()
    answered = page.get_by_role("listitem").filter(has_text="Informations de l'enfant Léa")
    await expect(answered).to_contain_text("Refusée")
    await expect(answered).to_contain_text("Le changement de classe se fait à la rentrée.")
    legend = page.get_by_text("Légende des états")
    await legend.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("Refusée : votre dossier reste inchangé")).to_be_visible()


async def test_agent_creates_a_family_and_the_invitation_reaches_the_parent(
        visit: Visit, stack: Stack, agent: dict[str, Any]) -> None:
    page = visit.page
    email = stack.new_email("invitation")
    await log_in(visit, agent["email"], agent["password"])
    await visit.click("link", "Familles")
    await visit.click("link", "Créer une famille")
    await visit.fill("Adresse mail du parent (son identifiant)", email)
    await visit.fill("Nom de la famille", "Famille Lefèvre")
    await visit.fill("Adresse", "8 chemin des Vignes")
    await visit.fill("Code postal", "34800")
    await visit.fill("Commune", "Nébian")
    await visit.fill("Quotient familial (QF) (facultatif)", "480")
    await visit.click("button", "Créer la famille")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Famille Lefèvre")
    await expect(page.get_by_role("status")).to_contain_text("La famille a été créée.")

    mail = await stack.mail_to(email)
    assert mail["Subject"] == "Bienvenue sur le Portail Famille : choisissez votre mot de passe"
    await visit.goto(page.url.removeprefix(stack.gateway_url))
    accounts = page.get_by_role("region", name="Comptes")
    await expect(accounts).to_contain_text(email)
    await expect(accounts).to_contain_text("Invitation envoyée, mot de passe pas encore choisi")


async def test_family_form_fits_a_phone(context: BrowserContext, stack: Stack,
                                        family: Family) -> None:
    visit = await open_visit(context, stack)
    page = visit.page
    await page.set_viewport_size(PHONE)
    await log_in(visit, family.email, family.password)
    await visit.click("link", "Modifier les informations de la famille")

    async def fits() -> bool:
        return bool(await page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"))

    assert await fits(), "the family form scrolls sideways on a phone"
    await visit.fill("Code postal", "348")
    await visit.click("button", "Enregistrer")
    summary = page.locator("#error-summary")
    await expect(summary).to_contain_text("Le code postal doit comporter 5 chiffres.")
    assert await fits(), "the family form with its errors scrolls sideways on a phone"
    await summary.get_by_role("link").click()
    await expect(page.get_by_label("Code postal")).to_be_focused()
    assert not visit.unchecked()


SECTION_LINKS = ["Modifier : Adresse et téléphones", "Modifier : Responsables légaux",
                 "Modifier : Personnes à prévenir en cas d'urgence",
                 "Modifier : Personnes autorisées à récupérer les enfants",
                 "Modifier : Allocataire CAF"]


async def test_each_section_of_the_file_opens_on_its_own_within_three_phone_screens(
        context: BrowserContext, stack: Stack, family: Family) -> None:
    # Issue 10, point 2: from « Mes Informations », each section with its own « Enregistrer »,
    # at most ~3 phone screens (measured: 1.3 to 3.4; the whole form about 10); the same for a
    # child's file.
    visit = await open_visit(context, stack)
    page = visit.page
    await page.set_viewport_size(PHONE)
    await log_in(visit, family.email, family.password)

    async def screens() -> float:
        height = await page.evaluate("document.documentElement.scrollHeight")
        return float(height) / PHONE["height"]

    whole_form = 0.0
    await visit.click("link", "Modifier les informations de la famille")
    whole_form = await screens()
    for name in SECTION_LINKS:
        await visit.goto("/mon-compte")
        await visit.click("link", name)
        await expect(page.get_by_role("heading", level=1)).to_have_text(name)
        assert await page.get_by_role("button", name="Enregistrer").count() == 1
        assert await screens() <= 3.5, f"{name}: {await screens():.1f} phone screens"
    assert whole_form > 6  # the sections are what make it short
    await visit.goto("/mon-compte/famille/responsables")
    await page.locator('[id="f-guardians.0.phone_mobile"]').fill("12")
    await page.get_by_role("button", name="Enregistrer").click()
    summary = page.locator("#error-summary")
    await expect(summary).to_contain_text("Téléphone portable du responsable 1 :")

    await visit.goto(f"/mon-compte/enfants/{family.children['Léa']}")
    for name in ("Identité et scolarité", "Repas et santé", "Autorisations"):
        await visit.goto(f"/mon-compte/enfants/{family.children['Léa']}")
        await visit.click("link", f"Modifier : {name} de Léa Testeur")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Modifier : {name} de Léa Testeur")
        assert await screens() <= 3.5, f"{name}: {await screens():.1f} phone screens"
    assert not visit.unchecked()


async def test_an_agent_filters_the_queue_reads_it_compact_and_refuses_with_a_reason(
        visit: Visit, stack: Stack, family: Family, agent: dict[str, Any]) -> None:
    # Issue 10, point 12, in the browser with axe on every page.
    async with browser_session() as http:
        browser = GatewayBrowser(http, stack.gateway_url)
        headers = await bearer(browser, family.login)
        resp, _ = await browser.api("PATCH", "/api/v1/family", headers=headers,
                                    body={"phone_home": "0467000000"})
        assert resp.status == 202
    page = visit.page
    await log_in(visit, agent["email"], agent["password"])
    await visit.goto("/gestion/demandes")
    await visit.fill("Famille ou enfant", family.name)
    await visit.click("button", "Filtrer")
    await expect(page.get_by_role("article")).to_have_count(1)
    await visit.click("link", "Vue compacte (une ligne par demande)")
    await visit.click("link", family.name)
    await page.get_by_label("Motif de refus").select_option("justificatif")
    await visit.click("button", "Refuser")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Confirmer le refus")
    await visit.click("button", "Confirmer le refus")
    await expect(page.get_by_role("status")).to_contain_text("La demande a été refusée.")
    assert not visit.unchecked()


async def test_an_agent_accepts_part_of_a_request_and_the_parent_sees_what_was_applied(
        visit: Visit, agent_context: BrowserContext, stack: Stack, family: Family,
        agent: dict[str, Any]) -> None:
    # Issue 10, point 10, in the browser with axe on every page.
    async with browser_session() as http:
        browser = GatewayBrowser(http, stack.gateway_url)
        headers = await bearer(browser, family.login)
        resp, request = await browser.api("PATCH", "/api/v1/family", headers=headers, body={
            "phone_home": "0467000000", "phone_work": "0467222222"})
        assert resp.status == 202
    office = await open_visit(agent_context, stack)
    await log_in(office, agent["email"], agent["password"])
    await office.goto(f"/gestion/demandes/{request['id']}")
    await office.page.get_by_label("Appliquer : Téléphone professionnel").uncheck()
    await office.fill("Commentaire pour la famille", "Numéro professionnel à confirmer.")
    await office.click("button", "Accepter")
    await expect(office.page.get_by_role("status")).to_contain_text("La demande a été acceptée")
    assert not office.unchecked()

    page = visit.page
    await log_in(visit, family.email, family.password)
    await visit.click("link", "Mes demandes de modification")
    row = page.get_by_role("row", name="Téléphone professionnel")
    await expect(row).to_contain_text("Non appliquée")
    await expect(page.get_by_role("row", name="Téléphone du domicile")).to_contain_text(
        "Appliquée")
    assert not visit.unchecked()
