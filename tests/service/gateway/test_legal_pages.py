"""The legal pages (« Mentions légales », « Données personnelles », « Déclaration
d'accessibilité »): linked from every page's footer, worded by the organisation (settings or
its own templates); error pages keep the logged-in visitor's header."""

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import Stack, gateway_server
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import text_of

LEGAL_LINKS = ('href="/mentions-legales"', 'href="/donnees-personnelles"',
               'href="/accessibilite"')


@pytest.mark.parametrize("path", ["/connexion", "/mot-de-passe-oublie", "/mentions-legales",
                                  "/page-qui-n-existe-pas"])
async def test_every_page_links_the_legal_pages_in_its_footer(browser: Browser,
                                                              path: str) -> None:
    _, html = await browser.get(path)
    footer = html[html.index('<footer class="site-footer">'):]
    for link in LEGAL_LINKS:
        assert link in footer, f"{path}: no {link} in the footer"
    assert "Accessibilité : non conforme" in text_of(footer)


async def test_the_dashboard_links_the_legal_pages_too(browser: Browser,
                                                       parent: dict[str, Any]) -> None:
    await browser.login(parent["email"], parent["password"])
    _, html = await browser.get("/mon-compte")
    footer = html[html.index('<footer class="site-footer">'):]
    assert all(link in footer for link in LEGAL_LINKS)


async def test_personal_data_page_says_what_why_how_long_and_how_to_use_the_rights(
        browser: Browser) -> None:
    resp, html = await browser.get("/donnees-personnelles")
    assert resp.status == 200
    text = text_of(html)
    for words in ("Pourquoi nous les utilisons", "Ce que nous conservons, et combien de temps",
                  "Santé des enfants : allergies, PAI, médecin traitant",
                  "Factures et paiements 10 ans", "Vos droits, et comment les exercer",
                  "Délégué à la protection des données (DPO) : dpo@example.org",
                  "Commission nationale de l'informatique et des libertés (CNIL)"):
        assert words in text
    assert 'href="mailto:dpo@example.org"' in html


async def test_accessibility_statement_gives_the_state_and_a_way_to_report_a_barrier(
        browser: Browser) -> None:
    _, html = await browser.get("/accessibilite")
    text = text_of(html)
    assert ("Le Portail Famille est non conforme avec le référentiel général d'amélioration de "
            "l'accessibilité (RGAA), version 4.1.") in text
    assert "Signaler un défaut d'accessibilité par courriel" in text
    assert 'href="mailto:jeunesse@example.org?subject=Signaler' in html
    assert "Défenseur des droits" in text


async def test_mentions_name_the_publisher_from_the_letterhead(browser: Browser) -> None:
    _, html = await browser.get("/mentions-legales")
    text = text_of(html)
    assert ("Le Portail Famille est édité par le service Jeunesse de la Communauté de communes "
            "du Clermontais, 20 avenue Raymond Lacombe, 34800 Clermont-l'Hérault.") in text


async def test_the_organisation_sets_its_dpo_and_conformity_state(stack: Stack) -> None:
    async with gateway_server(stack, legal_dpo_email="dpo@clermontais.example",
                              accessibility_state="partiellement conforme",
                              accessibility_audit="Audit du 2 mars 2027 : 82 % des critères."
                              ) as gateway, browser_session() as http:
        async with http.get(gateway.make_url("/donnees-personnelles")) as resp:
            data = text_of(await resp.text())
        async with http.get(gateway.make_url("/accessibilite")) as resp:
            statement = text_of(await resp.text())
    assert "Délégué à la protection des données (DPO) : dpo@clermontais.example" in data
    assert "Le Portail Famille est partiellement conforme avec" in statement
    assert "Audit du 2 mars 2027 : 82 % des critères." in statement
    assert "Accessibilité : partiellement conforme" in statement


async def test_the_organisation_rewords_a_legal_page_with_its_own_template(
        stack: Stack, tmp_path: Path) -> None:
    (tmp_path / "legal").mkdir()
    (tmp_path / "legal" / "mentions.html").write_text(
        '{% extends "base.html" %}{% block title %}Mentions légales{% endblock %}'
        "{% block content %}<h1>Mentions légales</h1><p>Hébergé par la régie "
        "informatique de {{ org.name }}.</p>{% endblock %}", encoding="utf-8")
    async with gateway_server(stack, templates_override=tmp_path) as gateway, \
            browser_session() as http:
        async with http.get(gateway.make_url("/mentions-legales")) as resp:
            mentions = text_of(await resp.text())
        async with http.get(gateway.make_url("/accessibilite")) as resp:
            statement = text_of(await resp.text())
    assert "Hébergé par la régie informatique de Communauté de communes du Clermontais." \
        in mentions
    assert "État de conformité" in statement  # the pages not overridden stay ours


# ---- error pages --------------------------------------------------------------------------------

async def test_a_missing_page_keeps_the_logged_in_header(browser: Browser,
                                                         parent: dict[str, Any]) -> None:
    await browser.login(parent["email"], parent["password"])
    resp, html = await browser.get("/mon-compte/page-qui-n-existe-pas")
    assert resp.status == 404
    assert 'aria-label="Mon compte"' in html
    assert "Se déconnecter" in html
    assert 'href="/mon-compte">Retour à mon compte</a>' in html


async def test_a_missing_page_for_a_visitor_has_no_account_header(browser: Browser) -> None:
    resp, html = await browser.get("/page-qui-n-existe-pas")
    assert resp.status == 404
    assert "Se déconnecter" not in html
    assert "Cette page n'existe pas ou n'existe plus." in text_of(html)
