"""Reservations in a real browser with the demo data (guide §7–§9, issue 8 point 10): the demo
parent books days for both children through the planning (one by « Sélection automatique des
jours »), goes back from the recap to the planning without losing the selection, confirms, gets
the numbered final recap and the e-mail; requests a cancellation; sees the list with the states
and the waiting-list position of the nearly full day. The same booking path without
our script (as without JavaScript). axe checks every page."""

import re
from datetime import date, timedelta

import pytest
from playwright.async_api import BrowserContext, Locator, expect

from services.common.dates import today
from services.common.demo import DEMO_FAMILY_ID, DEMO_PARENT_EMAIL, DEMO_PASSWORD, hugo_household
from services.reservations.rules import is_public_holiday
from services.reservations.seed import DemoDates
from tests.e2e.conftest import PHONE, Visit, open_visit
from tests.e2e.layout import layout_problems
from tests.e2e.stack import Stack, eventually
from tests.e2e.test_browser_family import log_in

pytestmark = pytest.mark.browser

NUMBER = re.compile(r"R-\d{4}-\d{6}")
DAY_UNIT = 0  # « Journée », the leisure centre's first column
EVENING_UNIT = 2  # « Soir », the périscolaire site's third column
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def long_day(day: date) -> str:
    """As the pages write a day: « mardi 29 décembre 2026 »."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def cell(visit: Visit, day: date, column: int) -> Locator:
    return visit.page.locator(f"#c-{day.isoformat()}-{column}")


async def navigate(visit: Visit, target: Locator) -> None:
    async with visit.page.expect_navigation():
        await target.click()
    await visit.audit()


async def choose(visit: Visit, kind_link: str, child: str, establishment: str,
                 period: str) -> None:
    """« Nouvelle réservation » or « Demande d'annulation »: child → établissement → période,
    each followed by « Continuer », up to the planning."""
    await visit.goto("/mon-compte")
    block = visit.page.get_by_role("region", name=re.compile("Les Inscriptions"))
    await navigate(visit, block.get_by_role("link", name=kind_link, exact=True))
    page = visit.page
    # A choice with one option comes checked: the planning may open a step earlier.
    for label in (f"{child} Martin", establishment, period):
        if "/planning" in page.url:
            break
        await page.get_by_label(re.compile(re.escape(label))).check()
        await visit.click("button", "Continuer")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(f"{child} Martin")


async def show_month(visit: Visit, day: date) -> None:
    """The planning of `day`'s month (the « Mois » list and « Afficher »)."""
    if await cell(visit, day, 0).count() or await visit.page.locator(
            f"#j-{day.isoformat()}").count():
        return
    await visit.page.get_by_label("Mois", exact=True).select_option(f"{day:%Y-%m}")
    await visit.click("button", "Afficher")


async def final_number(visit: Visit, words: str) -> str:
    """The final recap's number (« Numéro de la réservation »)."""
    page = visit.page
    await expect(page.get_by_role("status")).to_contain_text(words)
    text = await page.locator("dl.recap-facts").inner_text()
    found = NUMBER.search(text)
    assert found is not None, text
    return found.group()


async def recap_mail(stack: Stack, subject: str) -> str:
    mails = await eventually(lambda: [m for m in stack.mails_to(DEMO_PARENT_EMAIL)
                                      if m["Subject"] == subject])
    assert len(mails) == 1, f"{len(mails)} mails « {subject} »"
    body = mails[0].get_body(("plain",))
    assert body is not None
    return re.sub(r"[\u00a0 ]+", " ", str(body.get_content()))


def holiday_days(dates: DemoDates) -> list[date]:
    return [d for d in dates.holidays() if d.isoweekday() <= 5 and not is_public_holiday(d)]


async def test_the_demo_parent_books_both_children_then_cancels_a_day(
        visit: Visit, stack: Stack) -> None:
    dates = DemoDates.of(today())
    full = dates.nearly_full
    other = holiday_days(dates)[-1]  # Léa's second day, cancelled at the end
    page = visit.page
    await log_in(visit, DEMO_PARENT_EMAIL, DEMO_PASSWORD)

    # Léa: two days clicked in the planning, one of them in another month when the holidays
    # straddle two; the recap and back keeps them.
    await choose(visit, "Nouvelle réservation", "Léa", "Accueil de loisirs Les Pins",
                 "Vacances scolaires")
    for day in (full, other):
        await show_month(visit, day)
        await cell(visit, day, DAY_UNIT).click()
        await expect(cell(visit, day, DAY_UNIT)).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#selection-count")).to_contain_text("2 jours sélectionnés")
    await visit.click("link", "Valider le planning")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Veuillez vérifier les jours de réservation")
    for day in (full, other):
        await expect(page.get_by_role("row", name=re.compile(long_day(day)))).to_contain_text(
            "Acceptée")
    await visit.click("link", "Retour au planning")
    await expect(cell(visit, full, DAY_UNIT)).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#selection-count")).to_contain_text("2 jours sélectionnés")
    await visit.click("link", "Valider le planning")
    await visit.click("button", "Confirmer la réservation")
    lea_number = await final_number(visit, "Votre réservation est enregistrée")
    facts = page.locator("dl.recap-facts")
    await expect(facts).to_contain_text("Léa Martin")
    await expect(facts).to_contain_text("Vacances scolaires")
    await expect(facts).to_contain_text("Acceptée")
    text = await recap_mail(stack, f"Votre réservation {lea_number} est enregistrée")
    assert f"Votre réservation n° {lea_number} pour Léa Martin est enregistrée" in text
    assert f"- {long_day(full).capitalize()}, Journée : acceptée" in text
    await visit.click("link", "Terminer")

    # Hugo: every Tuesday of the holidays by « Sélection automatique des jours »; the nearly
    # full one (Léa took its last place) goes to the waiting list.
    await choose(visit, "Nouvelle réservation", "Hugo", "Accueil de loisirs Les Pins",
                 "Vacances scolaires")
    await show_month(visit, full)
    await page.locator("#menu-0 summary").click()
    await page.get_by_role("link", name="Sélection automatique des jours (Journée)").click()
    dialog = page.get_by_role("dialog", name="Sélection automatique des jours")
    await expect(dialog).to_be_visible()
    await visit.audit()
    await dialog.get_by_label("Mardi", exact=True).check()
    await expect(dialog.get_by_label("Sur toute la période")).to_be_checked()
    await dialog.get_by_role("button", name="Valider", exact=True).click()
    await expect(dialog).to_be_hidden()
    await expect(cell(visit, full, DAY_UNIT)).to_have_attribute("aria-pressed", "true")
    tuesdays = [d for d in holiday_days(dates) if d.isoweekday() == 2]
    await expect(page.locator("#selection-count")).to_contain_text(
        f"{len(tuesdays)} jour")
    await visit.click("link", "Valider le planning")
    await expect(page.get_by_role("row", name=re.compile(long_day(full)))).to_contain_text(
        "Liste d'attente (n° 1)")
    await visit.click("button", "Confirmer la réservation")
    hugo_number = await final_number(visit, "Votre réservation est enregistrée")
    text = await recap_mail(stack, f"Votre réservation {hugo_number} est enregistrée")
    assert f"- {long_day(full).capitalize()}, Journée : liste d'attente (position 1)" in text
    await visit.click("link", "Terminer")

    # « Demande d'annulation » of Léa's second day: a week ahead or more, accepted at once.
    await choose(visit, "Demande d'annulation", "Léa", "Accueil de loisirs Les Pins",
                 "Vacances scolaires")
    await show_month(visit, other)
    await cell(visit, other, DAY_UNIT).click()
    await expect(cell(visit, other, DAY_UNIT)).to_have_attribute("aria-pressed", "true")
    await visit.click("link", "Valider le planning")
    await expect(page.get_by_role("row", name=re.compile(long_day(other)))).to_contain_text(
        "Annulation")
    await visit.click("button", "Confirmer la demande d'annulation")
    cancel_number = await final_number(visit, "Votre demande d'annulation est enregistrée")
    text = await recap_mail(stack, f"Votre demande d'annulation {cancel_number} est "
                                   "enregistrée")
    assert f"- {long_day(other).capitalize()}, Journée : annulation acceptée" in text

    # The list: every reservation with its state (icon and words), the legend, and the
    # waiting-list position of the nearly full day.
    await visit.goto("/mon-compte/reservations")
    expected = {lea_number: ("Acceptée", "success"),
                hugo_number: ("Partiellement acceptée", "info"),
                cancel_number: ("Annulée", "cancel")}
    for number, (state, icon) in expected.items():
        item = page.locator("li.reservation").filter(has_text=number)
        await expect(item.locator(".reservation__state .state")).to_have_text(state)
        await expect(item.locator(".reservation__state .state img")).to_have_attribute(
            "src", f"/static/icons/{icon}.svg")
    hugo = page.locator("li.reservation").filter(has_text=hugo_number)
    await expect(hugo).to_contain_text(f"Liste d'attente : n° 1 le {long_day(full)}")
    await expect(page.get_by_text("Légende des états")).to_be_visible()
    await page.set_viewport_size(PHONE)  # and on a phone
    assert await layout_problems(page) == []
    await navigate(visit, hugo.get_by_role("link", name=f"Détail de la réservation "
                                                        f"{hugo_number}"))
    await expect(page.get_by_role("row", name=re.compile(long_day(full)))).to_contain_text(
        "Liste d'attente (n° 1)")
    assert await layout_problems(page) == []


def term_day(dates: DemoDates) -> date:
    """A périscolaire day a week ahead or more (automatic), outside the holidays, in a week
    Hugo spends with the Martin family (alternate weeks with the Lodève household)."""
    day = today() + timedelta(days=7)
    while (day.isoweekday() not in (1, 2, 4, 5) or is_public_holiday(day)
           or dates.holidays_start <= day <= dates.holidays_end
           or hugo_household(day, seeded_on=today()) != DEMO_FAMILY_ID):
        day += timedelta(days=1)
    return day


async def test_booking_without_our_script(context: BrowserContext, stack: Stack) -> None:
    # Our script never loads (as in a browser without JavaScript); axe still can run.
    await context.route("**/static/js/**", lambda route: route.abort())
    visit = await open_visit(context, stack)
    page = visit.page
    day = term_day(DemoDates.of(today()))
    await log_in(visit, DEMO_PARENT_EMAIL, DEMO_PASSWORD)
    await choose(visit, "Nouvelle réservation", "Hugo", "Périscolaire école Jules Ferry",
                 "Périscolaire en période scolaire")
    await show_month(visit, day)
    # Each click posts the planning's form; the page comes back at the same cell.
    await navigate(visit, cell(visit, day, EVENING_UNIT))
    await expect(cell(visit, day, EVENING_UNIT)).to_have_attribute("aria-pressed", "true")
    await visit.click("link", "Valider le planning")
    await expect(page.get_by_role("row", name=re.compile(long_day(day)))).to_contain_text(
        "Acceptée")
    await visit.click("link", "Retour au planning")
    await expect(cell(visit, day, EVENING_UNIT)).to_have_attribute("aria-pressed", "true")
    await visit.click("link", "Valider le planning")
    await visit.click("button", "Confirmer la réservation")
    number = await final_number(visit, "Votre réservation est enregistrée")
    await expect(page.locator("dl.recap-facts")).to_contain_text("Hugo Martin")
    text = await recap_mail(stack, f"Votre réservation {number} est enregistrée")
    assert f"- {long_day(day).capitalize()}, Soir : acceptée" in text
    assert not visit.unchecked(), visit.unchecked()
