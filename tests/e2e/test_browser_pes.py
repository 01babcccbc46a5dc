"""« Export PES (Trésor public) » in a real browser (issue 14, point 3): from « Facturation »,
an agent chooses the month, sees the pieces and the total, prepares the file, downloads it and
marks the batch as sent; axe checks every page, and the page fits a phone."""

import re
from typing import Any

import pytest
from playwright.async_api import expect

from services.billing.pes import structure
from services.common.formats import month_label
from tests.e2e.conftest import PHONE, Visit
from tests.e2e.layout import layout_problems
from tests.e2e.stack import Stack
from tests.e2e.test_browser_family import log_in
from tests.service.gateway.billing_support import invoiced
from tests.service.gateway.family_support import new_family, staff_account

pytestmark = pytest.mark.browser


@pytest.fixture
async def agent(stack: Stack) -> dict[str, Any]:
    return await staff_account(stack)


async def test_an_agent_exports_sends_and_sees_the_batch(visit: Visit, stack: Stack,
                                                         agent: dict[str, Any]) -> None:
    family = await new_family(stack)
    billed = await invoiced(stack, family.id, name=family.name, email=family.email, days=3)
    month = billed.month.strftime("%Y-%m")
    page = visit.page
    await log_in(visit, agent["email"], agent["password"])
    nav = page.get_by_role("navigation", name="Espace gestion")
    async with page.expect_navigation():
        await nav.get_by_role("link", name="Facturation").click()
    await visit.audit()
    await visit.click("link", "Export PES (Trésor public)")

    await visit.fill("Mois des factures", month)
    await visit.click("button", "Voir les pièces")
    row = page.get_by_role("row").filter(has_text=family.name)
    await expect(row).to_contain_text(str(billed.number))
    await expect(row).to_contain_text("36,00")
    await page.set_viewport_size(PHONE)
    assert await layout_problems(page) == []
    await page.set_viewport_size({"width": 1280, "height": 800})
    await visit.click("button", f"Préparer le fichier de {month_label(billed.month)}")
    await expect(page.get_by_role("status").first).to_contain_text("Le fichier PES est prêt.")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Télécharger le fichier").first.click()
    download = await download_info.value
    path = await download.path()
    assert structure.problems(path.read_bytes()) == []
    assert download.suggested_filename.startswith("ORMC")

    async with page.expect_navigation():
        await page.get_by_role("button", name=re.compile(r"^Marquer le lot n° \d+ comme envoyé$")
                               ).click()
    await visit.audit()
    await expect(page.get_by_role("status").first).to_contain_text(
        "Le lot est marqué comme envoyé")
    await expect(page.get_by_role("main")).to_contain_text("Envoyé le")
    await page.set_viewport_size(PHONE)
    assert await layout_problems(page) == []
