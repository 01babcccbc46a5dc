"""Separated parents in a real browser (issue 11): an agent links a child of one family to a
second household, sets alternate weeks, then unlinks it; the second household's parent sees
the child meanwhile. axe checks every page."""

import uuid

import pytest
from playwright.async_api import Browser, expect

from services.families import service as families_service
from services.families.schemas import ChildCreate
from tests.e2e.conftest import Visit, open_visit
from tests.e2e.stack import Stack
from tests.service.gateway.family_support import (
    SETUP,
    child_body,
    families_db,
    new_family,
    staff_account,
)

pytestmark = pytest.mark.browser


async def log_in(visit: Visit, email: str, password: str) -> None:
    await visit.goto("/")
    await visit.fill("Identifiant (adresse mail)", email)
    await visit.fill("Mot de passe", password)
    await visit.click("button", "Connexion")


async def test_an_agent_links_sets_custody_and_unlinks_a_child(
        visit: Visit, chromium: Browser, stack: Stack) -> None:
    a = await new_family(stack, name=f"Famille Aubert {uuid.uuid4().hex[:6]}")
    b = await new_family(stack, name=f"Famille Blanc {uuid.uuid4().hex[:6]}")
    last_name = f"Aubert{uuid.uuid4().hex[:6]}"
    async with families_db(stack).acquire() as conn:
        await families_service.create_child(
            conn, family_id=a.id, actor=SETUP, body=ChildCreate.model_validate(
                child_body("Hugo", last_name=last_name, birth_date="2017-02-11")))
    agent = await staff_account(stack)
    page = visit.page

    await log_in(visit, agent["email"], agent["password"])
    await visit.goto(f"/gestion/familles/{b.id}")
    await visit.click("link", "Rattacher un enfant d'une autre famille")
    await visit.fill("Nom de l'enfant", last_name)
    await visit.fill("Prénom de l'enfant", "Hugo")
    await visit.fill("Date de naissance", "2017-02-11")
    await visit.click("button", "Rechercher")
    choice = page.get_by_role("group", name="Enfant à rattacher")
    await expect(choice).to_contain_text(f"foyer : {a.name}")
    await visit.fill("Motif du rattachement", "Résidence alternée (jugement du 3 mars)")
    await visit.click("button", f"Rattacher à {b.name}")
    await expect(page.get_by_role("status")).to_contain_text("L'enfant est rattaché")

    await visit.click("link", "Foyers et garde de Hugo (rattacher, détacher de ce foyer)")
    await expect(page.get_by_role("heading", name=f"Foyer 1 : {a.name}")).to_be_visible()
    await expect(page.get_by_role("heading", name=f"Foyer 2 : {b.name}")).to_be_visible()
    await page.get_by_label("Semaines alternées").check()
    await page.get_by_label(b.name, exact=True).check()
    await visit.click("button", "Enregistrer la garde")
    await expect(page.get_by_role("status")).to_contain_text("La garde de l'enfant est enregistrée")

    parent_context = await chromium.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        parent_tab = await open_visit(parent_context, stack)
        await log_in(parent_tab, b.email, b.password)
        children = parent_tab.page.get_by_role("region", name="Mes Enfants")
        await expect(children).to_contain_text("deux foyers, semaines paires chez vous")
        assert not parent_tab.unchecked()
    finally:
        await parent_context.close()

    await page.get_by_label("Motif du détachement").nth(1).fill("Fin de la résidence alternée")
    await visit.click("button", f"Détacher de ce foyer ({b.name})")
    await expect(page.get_by_role("status")).to_contain_text("L'enfant est détaché de ce foyer")
    await expect(page.get_by_role("heading", name=f"Foyer 2 : {b.name}")).to_have_count(0)
