"""The gateway against the real auth and notifier services: a browser-like HTTP client."""

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.e2e.stack import Stack, running_stack

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with running_stack("gw", tmp_path_factory.mktemp("gateway_stack")) as running:
        yield running


@dataclass
class Browser:
    """An HTTP client keeping cookies like a browser (redirects are not followed, to see them)."""

    http: aiohttp.ClientSession
    base: str

    def url(self, path: str) -> str:
        return self.base + path

    def cookie(self, name: str) -> str | None:
        for morsel in self.http.cookie_jar:
            if morsel.key == name:
                return morsel.value
        return None

    async def get(self, path: str, **kwargs: Any) -> tuple[aiohttp.ClientResponse, str]:
        async with self.http.get(self.url(path), allow_redirects=False, **kwargs) as resp:
            return resp, await resp.text()

    async def csrf(self, path: str = "/connexion") -> str:
        """The CSRF token of a page's forms (the visit sets the CSRF cookie)."""
        _, html = await self.get(path)
        match = CSRF_FIELD.search(html)
        assert match, f"no CSRF field on {path}"
        return match.group(1)

    async def post_form(self, path: str, data: dict[str, str], *, csrf: str | bool | None = True,
                        page: str | None = None) -> tuple[aiohttp.ClientResponse, str]:
        """Submit a form as a browser does: with the CSRF token of the `page` showing it (by
        default the form's own path) unless told otherwise."""
        form = dict(data)
        if csrf is True:
            form["csrf"] = await self.csrf(page or path)
        elif isinstance(csrf, str):
            form["csrf"] = csrf
        async with self.http.post(self.url(path), data=form, allow_redirects=False) as resp:
            return resp, await resp.text()

    async def post_raw(self, path: str, pairs: list[tuple[str, str]]
                       ) -> tuple[aiohttp.ClientResponse, str]:
        """Submit a form's fields as they come, repeated names included (checkboxes)."""
        async with self.http.post(self.url(path), data=pairs, allow_redirects=False) as resp:
            return resp, await resp.text()

    async def api(self, method: str, path: str, *, body: Any = None,
                  headers: dict[str, str] | None = None) -> tuple[aiohttp.ClientResponse, Any]:
        async with self.http.request(method, self.url(path), json=body, headers=headers or {},
                                     allow_redirects=False) as resp:
            text = await resp.text()
            return resp, json.loads(text) if text else None

    async def login(self, email: str, password: str) -> aiohttp.ClientResponse:
        resp, _ = await self.post_form("/connexion", {"email": email, "password": password})
        assert resp.status == 303, resp.status
        return resp


def browser_session() -> aiohttp.ClientSession:
    # unsafe=True: the jar must keep cookies of an IP address host (127.0.0.1).
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@pytest.fixture
async def browser(stack: Stack) -> AsyncIterator[Browser]:
    async with browser_session() as http:
        yield Browser(http, stack.gateway_url)


@pytest.fixture
async def parent(stack: Stack) -> dict[str, Any]:
    """A parent account of the test's own."""
    return await stack.create_account()

