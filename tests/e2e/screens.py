"""`python -m tests.e2e.screens`: the screenshots of docs/screens/, taken on the demo data in
headless Chromium (the whole stack in-process, as the browser tests run it). Not collected by
pytest; run it again when a page it shows changes."""

import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import Page, async_playwright

from services.common.demo import DEMO_PARENT_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.e2e.stack import running_stack

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
DESKTOP = {"width": 1280, "height": 900}
SHOTS = [  # file, viewport, page
    ("parent-dashboard-390.png", PHONE, "/mon-compte"),
    ("family-section-390.png", PHONE, "/mon-compte/famille/responsables"),
    ("parent-dashboard-1280.png", DESKTOP, "/mon-compte"),
]


async def log_in(page: Page, base: str) -> None:
    await page.goto(base + "/")
    await page.get_by_label("Identifiant (adresse mail)").fill(DEMO_PARENT_EMAIL)
    await page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    await page.wait_for_url("**/mon-compte")


async def main() -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        async with running_stack("screens", Path(tmp)) as stack, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
            page = await context.new_page()
            base = str(stack.servers["gateway"].make_url("")).rstrip("/")
            await log_in(page, base)
            for name, viewport, path in SHOTS:
                await page.set_viewport_size(viewport)
                await page.goto(base + path)
                await page.screenshot(path=str(SCREENS / name), full_page=True)
                print(SCREENS / name)
            await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
