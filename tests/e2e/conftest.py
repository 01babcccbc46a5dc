"""Browser tests: the whole stack in-process, headless Chromium, an accessibility check (axe)
on every page a test visits."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.e2e.stack import Stack, running_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with running_stack("e2e", tmp_path_factory.mktemp("e2e_stack")) as running:
        yield running


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Visit:
    """A browser tab whose every page is checked with axe: navigation helpers run the check
    once the page has loaded, and the test fails at the end if a page it reached was never
    checked (pages that only pass through, like a self-submitting form, are named so)."""

    page: Page
    base: str
    axe: Axe
    reached: list[str] = field(default_factory=list)
    audited: set[str] = field(default_factory=set)
    transit: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("framenavigated", self._navigated)

    def _navigated(self, frame: Any) -> None:
        if frame == self.page.main_frame and frame.url.startswith(self.base):
            self.reached.append(_path(frame.url))

    async def audit(self) -> None:
        """Check the current page; serious and critical violations fail the test."""
        await self.page.wait_for_load_state("load")
        results = await self.axe.run(self.page)
        path = _path(self.page.url)
        for violation in results.response["violations"]:
            if violation["impact"] in BLOCKING:
                targets = [", ".join(n["target"]) for n in violation["nodes"]]
                self.violations.append(
                    f"{path}: {violation['id']} ({violation['impact']}): "
                    f"{violation['help']} — {targets}")
        self.audited.add(path)
        assert not self.violations, "\n".join(self.violations)

    async def goto(self, path: str) -> None:
        await self.page.goto(self.base + path)
        await self.audit()

    async def click(self, role: str, name: str) -> None:
        """Click a link or button that leads to another page, then check that page."""
        async with self.page.expect_navigation():
            await self.page.get_by_role(role, name=name, exact=True).click()
        await self.audit()

    async def fill(self, label: str, value: str) -> None:
        await self.page.get_by_label(label, exact=True).fill(value)

    def passes_through(self, path_prefix: str) -> None:
        self.transit.add(path_prefix)

    def unchecked(self) -> list[str]:
        return [p for p in self.reached if p not in self.audited
                and not any(p.startswith(t) for t in self.transit)]


@pytest.fixture
async def context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await chromium.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        yield ctx
    finally:
        await ctx.close()


async def open_visit(context: BrowserContext, stack: Stack) -> Visit:
    page = await context.new_page()
    page.set_default_timeout(10_000)
    return Visit(page, stack.gateway_url, Axe())


@pytest.fixture
async def visit(context: BrowserContext, stack: Stack) -> AsyncIterator[Visit]:
    """A tab of a fresh browser profile, every page it shows checked for accessibility."""
    tab = await open_visit(context, stack)
    yield tab
    assert not tab.unchecked(), f"pages not checked for accessibility: {tab.unchecked()}"


@pytest.fixture
async def parent(stack: Stack) -> dict[str, Any]:
    """A parent account of the test's own."""
    return await stack.create_account()

