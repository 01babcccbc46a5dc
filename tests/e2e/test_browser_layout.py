"""The layout in a real browser: a desktop's width used, pages that fit a phone (44 px tap
targets, no word or phone number broken), the legal pages from every footer, error pages that
keep the header. axe checks every page."""

from typing import Any

import pytest
from playwright.async_api import BrowserContext, expect

from services.common.demo import DEMO_PARENT_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import PHONE, Visit, open_visit
from tests.e2e.layout import layout_problems
from tests.e2e.stack import Stack

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


async def log_in(visit: Visit, email: str, password: str) -> None:
    await visit.goto("/")
    await visit.fill("Identifiant (adresse mail)", email)
    await visit.fill("Mot de passe", password)
    await visit.click("button", "Connexion")


async def test_legal_pages_are_reached_from_the_footer_of_a_parents_page(
        visit: Visit, parent: dict[str, Any]) -> None:
    page = visit.page
    await log_in(visit, parent["email"], parent["password"])
    footer = page.get_by_role("navigation", name="Informations légales", exact=True)
    await expect(footer).to_contain_text("Accessibilité : non conforme")

    async with page.expect_navigation():
        await footer.get_by_role("link", name="Données personnelles").click()
    await visit.audit()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Données personnelles")
    await expect(page.get_by_role("heading", name="Vos droits, et comment les exercer")
                 ).to_be_visible()
    await expect(page.get_by_role("link", name="dpo@example.org")).to_be_visible()
    await expect(page.get_by_role("row", name="Factures et paiements")).to_contain_text("10 ans")
    # Still logged in: the account header is there.
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    async with page.expect_navigation():
        await footer.get_by_role("link", name="Déclaration d'accessibilité").click()
    await visit.audit()
    await expect(page.get_by_role("heading", name="État de conformité")).to_be_visible()
    report = page.get_by_role("link", name="Signaler un défaut d'accessibilité par courriel")
    await expect(report).to_have_attribute("href", "mailto:jeunesse@example.org?subject="
                                           "Signaler%20un%20d%C3%A9faut%20d%27accessibilit%C3%A9"
                                           "%20du%20Portail%20Famille")

    async with page.expect_navigation():
        await footer.get_by_role("link", name="Mentions légales").click()
    await visit.audit()
    await expect(page.get_by_role("heading", name="Éditeur du portail")).to_be_visible()
    await expect(footer.get_by_role("link", name="Mentions légales")).to_have_attribute(
        "aria-current", "page")


async def test_the_dashboard_uses_a_desktop_screens_width(visit: Visit) -> None:
    page = visit.page
    await page.set_viewport_size(DESKTOP)
    await log_in(visit, DEMO_PARENT_EMAIL, DEMO_PASSWORD)
    informations = await page.get_by_role("region", name="Mes Informations").bounding_box()
    children = await page.get_by_role("region", name="Mes Enfants").bounding_box()
    assert informations is not None and children is not None
    assert informations["y"] == children["y"], "the first two blocks are not side by side"
    assert children["x"] > informations["x"] + informations["width"]
    main = await page.locator("main").bounding_box()
    assert main is not None and main["width"] >= 1100


@pytest.mark.parametrize("path", ["/", "/mot-de-passe-oublie", "/mentions-legales",
                                  "/donnees-personnelles", "/accessibilite"])
async def test_public_pages_fit_a_phone(context: BrowserContext, stack: Stack,
                                        path: str) -> None:
    visit = await open_visit(context, stack)
    await visit.page.set_viewport_size(PHONE)
    await visit.goto(path)
    assert await layout_problems(visit.page) == []
    assert not visit.unchecked()


async def test_parent_pages_fit_a_phone(context: BrowserContext, stack: Stack) -> None:
    visit = await open_visit(context, stack)
    await visit.page.set_viewport_size(PHONE)
    await log_in(visit, DEMO_PARENT_EMAIL, DEMO_PASSWORD)
    for path in ("/mon-compte", "/mon-compte/login", "/mon-compte/mot-de-passe",
                 "/mon-compte/demandes"):
        await visit.goto(path)
        assert await layout_problems(visit.page) == [], path
    assert not visit.unchecked()


async def test_a_missing_page_keeps_the_logged_in_header(visit: Visit,
                                                         parent: dict[str, Any]) -> None:
    page = visit.page
    await log_in(visit, parent["email"], parent["password"])
    await visit.goto("/mon-compte/nulle-part")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    await expect(page.get_by_role("navigation", name="Mon compte")).to_be_visible()
    await visit.click("link", "Retour à mon compte")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte famille")
