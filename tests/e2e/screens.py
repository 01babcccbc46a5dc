"""`python -m tests.e2e.screens`: the screenshots of docs/screens/, taken on the demo data in
headless Chromium (the whole stack in-process, as the browser tests run it). Not collected by
pytest; run it again when a page it shows changes."""

import asyncio
import contextlib
import tempfile
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, async_playwright

from services.common.demo import DEMO_PARENT_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.e2e.stack import running_stack
from tests.service.gateway.waiting_room_gateway import SLOW_PAGE, room_settings, slowed_gateway

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


async def waiting_room_shot(browser: Browser) -> None:
    """« Salle d'attente » on a phone: a gateway alone, its one place held, the parent 4th."""
    gate = asyncio.Event()
    server = TestServer(slowed_gateway(room_settings(
        waiting_room_capacity=1, waiting_room_refresh_seconds=5), gate.wait),
                        host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession() as http:
            holder = asyncio.create_task(http.get(base + SLOW_PAGE))
            await asyncio.sleep(0.2)
            for _ in range(3):  # others came before (each a new ticket: no cookie kept)
                async with http.get(base + SLOW_PAGE) as resp:
                    await resp.read()
            context = await browser.new_context(locale="fr-FR", viewport=PHONE,
                                                java_script_enabled=False)
            page = await context.new_page()
            await page.goto(base + SLOW_PAGE)
            await page.screenshot(path=str(SCREENS / "waiting-room-390.png"), full_page=True)
            print(SCREENS / "waiting-room-390.png")
            await context.close()
            gate.set()
            with contextlib.suppress(aiohttp.ClientError):
                (await holder).close()
    finally:
        gate.set()
        await server.close()


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
            await waiting_room_shot(browser)
            await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
