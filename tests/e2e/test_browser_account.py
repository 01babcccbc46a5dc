"""A parent's account in a real browser: log in, forgotten password, login and password change,
the dashboard, on a desktop and on a phone."""

from typing import Any

import pytest
from playwright.async_api import BrowserContext, expect

from services.common.demo import DEMO_PARENT_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import PHONE, Visit, open_visit
from tests.e2e.stack import NEW_PASSWORD, Stack

pytestmark = pytest.mark.browser

BLOCK_TITLES = [
    "Mes Informations",
    "Mes Enfants",
    "Accueil de loisirs / Périscolaire – Les Inscriptions",
    "Mes Factures & Paiements",
]


async def log_in(visit: Visit, email: str, password: str) -> None:
    await visit.goto("/")
    await visit.fill("Identifiant (adresse mail)", email)
    await visit.fill("Mot de passe", password)
    await visit.click("button", "Connexion")


async def test_forgotten_password_from_the_login_page_to_the_dashboard(
        visit: Visit, stack: Stack, parent: dict[str, Any]) -> None:
    page = visit.page
    await visit.goto("/")
    await visit.click("link", "Identifiant ou Mot de passe oublié ?")
    await visit.fill("Indiquez l'adresse mail", parent["email"])
    await visit.click("button", "Valider")
    await expect(page.get_by_role("status")).to_have_text(
        "Si un compte existe pour cette adresse, un e-mail vient de lui être envoyé.")
    await visit.click("link", "OK")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Se connecter à votre espace personnel")

    link = stack.link_in(await stack.mail_to(parent["email"]))
    await page.goto(link)
    await visit.audit()
    await expect(page.get_by_text(parent["email"])).to_be_visible()
    await visit.fill("Nouveau mot de passe", NEW_PASSWORD)
    await visit.fill("Confirmation du nouveau mot de passe", NEW_PASSWORD)
    await visit.click("button", "Enregistrer mon mot de passe")

    await expect(page).to_have_url(stack.gateway_url + "/mon-compte")
    await expect(page.get_by_role("status")).to_contain_text(
        "Votre mot de passe a été enregistré.")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte famille")


async def test_login_change_through_the_emailed_link_without_our_script(
        context: BrowserContext, stack: Stack, parent: dict[str, Any]) -> None:
    # Our script never loads (as in a browser without JavaScript); axe still can run.
    await context.route("**/static/js/**", lambda route: route.abort())
    visit = await open_visit(context, stack)
    page = visit.page
    await log_in(visit, parent["email"], parent["password"])
    await visit.click("link", "Modifier mon login")
    new_email = stack.new_email("nouveau")
    await visit.fill("Nouvelle adresse mail", new_email)
    await visit.fill("Mot de passe actuel", parent["password"])
    await visit.click("button", "Modifier")
    status = page.get_by_role("status")
    await expect(status).to_contain_text(
        "Votre demande de changement d'adresse mail a été prise en compte.")
    await expect(status).to_contain_text(
        "Tant que votre e-mail ne sera pas validé, votre identifiant reste inchangé.")

    link = stack.link_in(await stack.mail_to(new_email))
    await page.goto(link)
    await visit.audit()
    await visit.click("button", "Confirmer ma nouvelle adresse mail")
    await expect(page).to_have_url(stack.gateway_url + "/mon-compte")
    await expect(page.get_by_role("status")).to_contain_text(
        "Votre nouvelle adresse mail est confirmée")
    await expect(page.locator(".facts dd").first).to_have_text(new_email)
    assert not visit.unchecked()


async def test_a_pending_login_change_is_shown_then_sent_again_and_cancelled(
        visit: Visit, stack: Stack, parent: dict[str, Any]) -> None:
    # Issue 10, point 5.
    page = visit.page
    await log_in(visit, parent["email"], parent["password"])
    await visit.click("link", "Modifier mon login")
    new_email = stack.new_email("nouveau")
    await visit.fill("Nouvelle adresse mail", new_email)
    await visit.fill("Mot de passe actuel", parent["password"])
    await visit.click("button", "Modifier")
    await stack.mail_to(new_email)
    await visit.click("link", "Modifier mon login")
    pending = page.get_by_role("region", name="Changement en attente de confirmation")
    await expect(pending).to_contain_text(new_email)
    await expect(pending).to_contain_text("valable jusqu'au")
    await visit.click("button", "Renvoyer le lien")
    await expect(page.get_by_role("status")).to_contain_text(
        "Un nouveau lien de confirmation vient d'être envoyé")
    await stack.mail_to(new_email, count=2)
    await visit.click("button", "Annuler la demande")
    await expect(page.get_by_role("status")).to_contain_text(
        "Votre demande de changement d'adresse est annulée")
    await expect(pending).to_have_count(0)
    assert not visit.unchecked()


async def test_login_confirmation_link_submits_itself_with_javascript(
        visit: Visit, stack: Stack, parent: dict[str, Any]) -> None:
    await log_in(visit, parent["email"], parent["password"])
    await visit.click("link", "Modifier mon login")
    new_email = stack.new_email("nouveau")
    await visit.fill("Nouvelle adresse mail", new_email)
    await visit.fill("Mot de passe actuel", parent["password"])
    await visit.click("button", "Modifier")

    link = stack.link_in(await stack.mail_to(new_email))
    visit.passes_through("/mon-compte/login/confirmer")
    await visit.page.goto(link)
    await expect(visit.page).to_have_url(stack.gateway_url + "/mon-compte")
    await visit.audit()
    await expect(visit.page.get_by_role("status")).to_contain_text(
        "Votre nouvelle adresse mail est confirmée")


async def test_password_change_then_log_in_with_the_new_one(
        visit: Visit, stack: Stack, parent: dict[str, Any]) -> None:
    page = visit.page
    await log_in(visit, parent["email"], parent["password"])
    await visit.click("link", "Modifier mon mot de passe")
    await visit.fill("Mot de passe actuel", parent["password"])
    await visit.fill("Nouveau mot de passe", NEW_PASSWORD)
    await visit.fill("Nouveau mot de passe (confirmation)", NEW_PASSWORD)
    await visit.click("button", "Modifier")
    await expect(page.get_by_role("status")).to_contain_text(
        "Votre mot de passe a été modifié.")

    await visit.click("button", "Se déconnecter")
    await log_in(visit, parent["email"], parent["password"])
    await expect(page.get_by_role("alert")).to_contain_text(
        "Identifiant ou mot de passe incorrect.")
    await visit.fill("Identifiant (adresse mail)", parent["email"])
    await visit.fill("Mot de passe", NEW_PASSWORD)
    await visit.click("button", "Connexion")
    await expect(page).to_have_url(stack.gateway_url + "/mon-compte")


async def test_mismatched_new_password_is_shown_by_its_field(
        visit: Visit, parent: dict[str, Any]) -> None:
    page = visit.page
    await log_in(visit, parent["email"], parent["password"])
    await visit.click("link", "Modifier mon mot de passe")
    await visit.fill("Mot de passe actuel", parent["password"])
    await visit.fill("Nouveau mot de passe", NEW_PASSWORD)
    await visit.fill("Nouveau mot de passe (confirmation)", NEW_PASSWORD + "?")
    await visit.click("button", "Modifier")
    summary = page.locator("#error-summary")
    await expect(summary).to_be_focused()
    await summary.get_by_role("link").click()
    confirmation = page.get_by_label("Nouveau mot de passe (confirmation)", exact=True)
    await expect(confirmation).to_be_focused()
    await expect(confirmation).to_have_accessible_description(
        "Erreur : Les deux mots de passe saisis ne sont pas identiques.")


async def test_dashboard_shows_its_four_blocks(visit: Visit, stack: Stack) -> None:
    await log_in(visit, DEMO_PARENT_EMAIL, DEMO_PASSWORD)
    page = visit.page
    await expect(page.get_by_role("heading", level=2)).to_have_text(BLOCK_TITLES)
    informations = page.get_by_role("region", name="Mes Informations")
    await expect(informations).to_contain_text(DEMO_PARENT_EMAIL)
    await expect(informations).to_contain_text("Famille Martin")
    children = page.get_by_role("region", name="Mes Enfants")
    await expect(children.get_by_role("listitem")).to_have_count(2)
    await expect(informations.get_by_role("link", name="Modifier mon login")).to_be_visible()
    await expect(informations.get_by_role("link", name="Modifier mon mot de passe")
                 ).to_be_visible()
    reservations = page.get_by_role("region", name=BLOCK_TITLES[2])
    await expect(reservations.get_by_role("heading", name="Les réservations")).to_be_visible()
    if "reservations" in stack.servers:
        await expect(reservations.get_by_role("link", name="Nouvelle réservation")).to_be_visible()
    else:  # a service down leaves its block saying so, the rest of the page works
        await expect(reservations).to_contain_text("Les réservations ne peuvent pas être "
                                                   "affichées pour le moment.")
    await expect(page.get_by_role("link", name="Mes demandes de modification")).to_have_count(1)
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


async def test_login_and_dashboard_fit_a_phone(context: BrowserContext, stack: Stack) -> None:
    visit = await open_visit(context, stack)
    await visit.page.set_viewport_size(PHONE)

    async def fits() -> bool:
        return bool(await visit.page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"))

    await visit.goto("/")
    assert await fits(), "the login page scrolls sideways on a phone"
    await log_in(visit, DEMO_PARENT_EMAIL, DEMO_PASSWORD)
    await expect(visit.page.get_by_role("heading", level=1)).to_have_text("Mon compte famille")
    assert await fits(), "the dashboard scrolls sideways on a phone"
    assert not visit.unchecked()


async def test_skip_link_is_the_first_stop_and_leads_to_the_content(visit: Visit) -> None:
    await visit.goto("/")
    await visit.page.keyboard.press("Tab")
    skip = visit.page.get_by_role("link", name="Aller au contenu")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_visible()
