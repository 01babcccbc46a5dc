"""« Export PES (Trésor public) » through the real stack: an agent previews a month's pieces
and totals, prepares the file, downloads it as billing built it, marks it as sent; what is
refused is said in French and writes nothing. (A parent and a visitor on these routes: the
staff routes' tests of test_billing_pages.py read them from the live router.)"""

import re
from typing import Any

import pytest

from gateway.pages.staff_billing import last_month
from services.billing.pes import structure
from tests.e2e.stack import Stack
from tests.service.gateway.billing_support import Billed, counts, demo_invoice, invoiced
from tests.service.gateway.conftest import Browser
from tests.service.gateway.family_support import (
    Family,
    errors_in,
    new_family,
    staff_account,
    text_of,
)

PES = "/gestion/facturation/pes"


@pytest.fixture
async def family(stack: Stack) -> Family:
    return await new_family(stack)


@pytest.fixture
async def billed(stack: Stack, family: Family) -> Billed:
    return await invoiced(stack, family.id, name=family.name, email=family.email)


@pytest.fixture
async def agent(browser: Browser, stack: Stack) -> Browser:
    login: dict[str, Any] = await staff_account(stack)
    await browser.login(login["email"], login["password"])
    return browser


def batch_of(html: str) -> str:
    found = re.search(r"/gestion/facturation/pes/lots/([0-9a-f-]{36})/fichier", html)
    assert found is not None, "no file to download"
    return found.group(1)


async def test_an_agent_exports_a_month_to_the_tresor_public(
        agent: Browser, stack: Stack, family: Family, billed: Billed) -> None:
    month = billed.month.strftime("%Y-%m")
    page = f"{PES}?mois={month}"

    resp, html = await agent.get(page)
    assert resp.status == 200
    text = text_of(html)
    assert family.name in text and str(billed.number) in text
    assert "1 pièce pour un total de 24,00" in text  # 2 days at 12,00 €

    resp, _ = await agent.post_form(f"{PES}/preparation", {"mois": month}, page=page)
    assert resp.status == 303 and resp.headers["Location"] == page
    _, html = await agent.get(page)
    assert "Le fichier PES est prêt." in text_of(html)
    assert "en préparation" in text_of(html)
    batch_id = batch_of(html)

    async with agent.http.get(agent.url(f"{PES}/lots/{batch_id}/fichier"),
                              allow_redirects=False) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/xml; charset=ISO-8859-1"
        assert re.search(r'filename="ORMC\d+\.xml"', resp.headers["Content-Disposition"])
        xml = await resp.read()
    assert structure.problems(xml) == []
    assert b'<MtBordHt V="24.00" />' in xml

    shown = re.search(r'name="fichier" value="([0-9a-f]{64})"', html)
    assert shown is not None
    resp, html = await agent.post_form(f"{PES}/lots/{batch_id}/envoi",
                                       {"mois": month, "fichier": "0" * 64}, page=page)
    assert resp.status == 409 and "préparé de nouveau" in text_of(html)
    resp, _ = await agent.post_form(f"{PES}/lots/{batch_id}/envoi",
                                    {"mois": month, "fichier": shown.group(1)}, page=page)
    assert resp.status == 303
    _, html = await agent.get(page)
    assert "Le lot est marqué comme envoyé" in text_of(html)
    assert "Envoyé le" in text_of(html)
    assert "Aucune facture de" in text_of(html)
    before = await counts(stack)

    resp, html = await agent.post_form(f"{PES}/preparation", {"mois": month}, page=page)
    assert resp.status == 409 and "Aucune facture de" in text_of(html)
    resp, html = await agent.post_form(f"{PES}/lots/{batch_id}/envoi", {"mois": month},
                                       page=page)
    assert resp.status == 409 and "déjà été marqué comme envoyé" in text_of(html)
    assert await counts(stack) == before


async def test_a_month_not_shaped_as_one_is_said_on_the_pes_page(agent: Browser) -> None:
    resp, html = await agent.get(f"{PES}?mois=2045-13")

    assert resp.status == 422
    assert errors_in(html)["mois"].endswith(
        "Indiquez un mois au format AAAA-MM, par exemple 2027-07.")


async def test_the_pes_forms_need_their_csrf_token(agent: Browser, stack: Stack,
                                                   billed: Billed) -> None:
    before = await counts(stack)

    resp, _ = await agent.post_form(f"{PES}/preparation",
                                    {"mois": billed.month.strftime("%Y-%m")}, csrf="faux")

    assert resp.status == 403
    assert await counts(stack) == before


async def test_the_billing_pages_lead_to_the_export(agent: Browser) -> None:
    _, html = await agent.get("/gestion/facturation")

    assert f'href="{PES}"' in html


async def test_the_demo_month_exports_as_after_make_run(agent: Browser, stack: Stack) -> None:
    """The demo's issued invoice (last month, « Famille Martin ») is in the file an agent
    prepares; abandoning the draft leaves the demo as seeded."""
    invoice = await demo_invoice(stack)
    month = last_month()
    page = f"{PES}?mois={month}"
    _, html = await agent.get(PES)
    assert f'value="{month}"' in html  # the month proposed is last month

    _, html = await agent.get(page)
    assert "Famille Martin" in text_of(html) and invoice["number"] in text_of(html)
    resp, _ = await agent.post_form(f"{PES}/preparation", {"mois": month}, page=page)
    assert resp.status == 303
    _, html = await agent.get(page)
    batch_id = batch_of(html)
    async with agent.http.get(agent.url(f"{PES}/lots/{batch_id}/fichier")) as resp:
        xml = await resp.read()
    assert structure.problems(xml) == []
    assert b'<Nom V="MARTIN" />' in xml and b'<CP V="34800" />' in xml
    assert f'<NumeroFacture V="{invoice["number"]}" />'.encode() in xml

    resp, _ = await agent.post_form(f"{PES}/lots/{batch_id}/abandon", {"mois": month},
                                    page=page)
    assert resp.status == 303
    _, html = await agent.get(page)
    assert "Le lot en préparation est abandonné" in text_of(html)
    assert "Préparer le fichier de" in text_of(html)
