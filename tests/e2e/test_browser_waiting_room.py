"""The waiting room in a real browser (issue 13, point 3): on a phone, accessible (axe) and
laid out like every page; without JavaScript, the page refreshes itself and lets the parent in
once a place frees."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, expect

from tests.e2e.conftest import PHONE, Visit
from tests.e2e.layout import layout_problems
from tests.service.gateway.waiting_room_gateway import SLOW_PAGE, room_settings, slowed_gateway

pytestmark = pytest.mark.browser


class Gate:
    """Heavy requests wait until the test opens the gate."""

    def __init__(self) -> None:
        self.open = asyncio.Event()

    async def wait(self) -> None:
        await self.open.wait()


@pytest.fixture
async def full_room() -> AsyncIterator[tuple[str, Gate]]:
    """A gateway whose one place (capacity 1) a request holds until the gate opens."""
    gate = Gate()
    server = TestServer(slowed_gateway(room_settings(waiting_room_capacity=1), gate.wait),
                        host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        holder = asyncio.create_task(http.get(base + SLOW_PAGE))
        await asyncio.sleep(0.2)
        try:
            yield base, gate
        finally:
            gate.open.set()
            (await holder).close()
            await server.close()


async def test_the_waiting_page_is_accessible_on_a_phone(
        chromium: Browser, full_room: tuple[str, Gate]) -> None:
    base, _ = full_room
    context = await chromium.new_context(locale="fr-FR", viewport=PHONE)
    try:
        visit = Visit(await context.new_page(), base, Axe())
        await visit.goto(SLOW_PAGE)
        page = visit.page
        await expect(page.get_by_role("heading", level=1)).to_have_text("Salle d'attente")
        await expect(page.get_by_role("status")).to_contain_text(
            "Votre position dans la file : 1")
        assert await layout_problems(page) == []
    finally:
        await context.close()


async def test_without_javascript_the_page_lets_the_parent_in_by_itself(
        chromium: Browser, full_room: tuple[str, Gate]) -> None:
    base, gate = full_room
    context = await chromium.new_context(locale="fr-FR", java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(base + SLOW_PAGE)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Salle d'attente")
        gate.open.set()  # the place frees: the next refresh (1 s) lets the parent in
        await expect(page.locator("body")).to_have_text("servi", timeout=10_000)
    finally:
        await context.close()
