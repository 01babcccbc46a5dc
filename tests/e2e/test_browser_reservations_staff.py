"""The staff's reservation pages in a real browser: an agent accepts a parent's request and
refuses another with a comment (a refusal without one is explained first), then goes through
the attendance list, the waiting lists and the catalogue. axe checks every page."""

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import BrowserContext, expect

from services.common import keys as common_keys
from services.common.dates import today
from services.common.demo import (
    DEMO_AGENT_EMAIL,
    DEMO_ALSH_ID,
    DEMO_PASSWORD,
    DEMO_UNIT_ALSH_DAY_ID,
    history_days,
    history_month,
)
from tests.e2e.conftest import PHONE, Visit, open_visit
from tests.e2e.layout import layout_problems
from tests.e2e.stack import Stack
from tests.service.gateway.family_support import staff_account
from tests.service.gateway.reservations_support import (
    Service,
    book,
    known_family,
    line_of,
    new_site,
    request_day,
    staff_service,
)

pytestmark = pytest.mark.browser

COMMENT = "Le groupe du matin est complet ce jour-là."


@pytest.fixture
async def service(stack: Stack) -> AsyncIterator[Service]:
    client = await staff_service(stack)
    try:
        yield client
    finally:
        await client.http.close()


async def log_in(visit: Visit, email: str, password: str) -> None:
    await visit.goto("/")
    await visit.fill("Identifiant (adresse mail)", email)
    await visit.fill("Mot de passe", password)
    await visit.click("button", "Connexion")


async def submit(visit: Visit, button: Any) -> None:
    """Press a button that loads another page, then check that page."""
    async with visit.page.expect_navigation():
        await button.click()
    await visit.audit()


async def test_an_agent_accepts_one_request_and_refuses_another_with_a_comment(
        visit: Visit, stack: Stack, service: Service) -> None:
    site = await new_site(service)
    family = await known_family(stack, "Léa", "Tom")
    day = request_day()
    lines = {child: (await book(stack, family, site, child, [(day, "MATIN")]))["lines"][0]
             for child in ("Léa", "Tom")}
    assert {x["state"] for x in lines.values()} == {"requested"}
    agent = await staff_account(stack)
    page = visit.page

    await log_in(visit, agent["email"], agent["password"])
    nav = page.get_by_role("navigation", name="Espace gestion")
    await submit(visit, nav.get_by_role("link", name="Réservations", exact=True))
    await page.get_by_label("Établissement").select_option(label=site.establishment["name"])
    await visit.click("button", "Afficher")

    lea = page.get_by_role("article", name=re.compile(r"^Réservation — Léa Testeur"))
    tom = page.get_by_role("article", name=re.compile(r"^Réservation — Tom Testeur"))
    await expect(lea).to_contain_text(family.name)
    await expect(lea).to_contain_text("Matin")
    await submit(visit, lea.get_by_role("button", name=re.compile(r"^Accepter")))
    await expect(page.get_by_role("status")).to_contain_text("La demande est acceptée.")
    await expect(lea).to_have_count(0)

    await submit(visit, tom.get_by_role("button", name=re.compile(r"^Refuser")))
    await expect(page.get_by_role("alert")).to_contain_text(
        "Un commentaire est obligatoire pour refuser une demande.")
    await tom.get_by_label(re.compile(r"^Commentaire pour la famille")).fill(COMMENT)
    await submit(visit, tom.get_by_role("button", name=re.compile(r"^Refuser")))
    await expect(page.get_by_role("status")).to_contain_text("La demande est refusée.")
    await expect(page.get_by_text("Aucune demande de réservation n'attend de décision.")
                 ).to_be_visible()

    assert (await line_of(stack, lines["Léa"]["id"]))["state"] == "accepted"
    refused = await line_of(stack, lines["Tom"]["id"])
    assert (refused["state"], refused["comment"]) == ("refused", COMMENT)

    # The day's attendance list now has Léa, with her PAI and allergy.
    subnav = page.get_by_role("navigation", name="Réservations")
    await submit(visit, subnav.get_by_role("link", name="Listes de présence"))
    await page.get_by_label("Établissement").select_option(label=site.establishment["name"])
    await page.get_by_label("Jour", exact=True).fill(day.isoformat())
    await visit.click("button", "Afficher")
    listing = page.get_by_role("table")
    await expect(listing.get_by_role("row", name=re.compile("Testeur Léa"))).to_contain_text(
        "Arachide")
    await expect(page.get_by_role("link", name="Télécharger la liste (CSV pour Excel)")
                 ).to_be_visible()
    await expect(page.get_by_role("button", name="Imprimer la liste")).to_be_visible()
    # Printed: the list alone, without the navigation, the filters or the buttons.
    await page.emulate_media(media="print")
    await expect(page.get_by_role("navigation", name="Espace gestion")).to_be_hidden()
    await expect(page.get_by_role("button", name="Afficher")).to_be_hidden()
    await expect(page.get_by_role("button", name="Imprimer la liste")).to_be_hidden()
    await expect(listing).to_be_visible()
    await page.emulate_media(media="screen")

    # The other pages of the area, each checked.
    await submit(visit, subnav.get_by_role("link", name="Listes d'attente"))
    await submit(visit, subnav.get_by_role("link", name="Établissements"))
    await visit.click("link", site.establishment["name"])
    await visit.click("link", "Matin : modifier")
    await submit(visit, subnav.get_by_role("link", name="Périodes"))
    await page.get_by_label("Établissement").select_option(label=site.establishment["name"])
    await visit.click("button", "Afficher")
    await visit.click("link", site.period["name"])
    await expect(page.get_by_label("Nom de la période")).to_have_value(site.period["name"])
    await page.get_by_label("Premier jour").fill("")
    await visit.click("button", "Enregistrer la période")
    await expect(page.get_by_role("alert")).to_contain_text(
        "Premier jour : Ce champ est obligatoire.")


async def test_the_staff_reservation_pages_fit_a_phone(context: BrowserContext, stack: Stack
                                                       ) -> None:
    """The demo's catalogue (make run) on a 390-px screen: tables scroll in their own box,
    targets are 44 px, nothing wider than the screen."""
    visit = await open_visit(context, stack)
    await visit.page.set_viewport_size(PHONE)
    await log_in(visit, DEMO_AGENT_EMAIL, DEMO_PASSWORD)
    async with stack.app("reservations")[common_keys.DB].acquire() as conn:
        period_id = await conn.fetchval(
            "SELECT id FROM periods WHERE establishment_id = $1 ORDER BY start_date LIMIT 1",
            DEMO_ALSH_ID)
    day = history_days(history_month(today()))[0]
    base = "/gestion/reservations"
    for path in (base, f"{base}/listes-attente", f"{base}/presences",
                 f"{base}/presences?etablissement={DEMO_ALSH_ID}&date={day.isoformat()}",
                 f"{base}/etablissements", f"{base}/etablissements/{DEMO_ALSH_ID}",
                 f"{base}/etablissements/{DEMO_ALSH_ID}/unites/{DEMO_UNIT_ALSH_DAY_ID}",
                 f"{base}/periodes", f"{base}/periodes/{period_id}",
                 f"{base}/periodes/nouvelle?etablissement={DEMO_ALSH_ID}"):
        await visit.goto(path)
        assert await layout_problems(visit.page) == [], path
    assert not visit.unchecked()
