"""Hostile input against the whole suite in-process (tests/e2e/stack.py, demo data): real
tokens from auth for the demo family's parent, another family's parent and an agent."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from services.common.demo import DEMO_AGENT_EMAIL, DEMO_PARENT_EMAIL, DEMO_PASSWORD
from tests.e2e.stack import Stack, running_stack


@dataclass
class Caller:
    """An account logged in for real: its bearer token and family."""

    token: str
    family_id: str | None
    account_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Hostile:
    stack: Stack
    http: aiohttp.ClientSession
    parent: Caller  # the demo family's parent (children, reservations, invoices…)
    staff: Caller
    admin: Caller

    async def login(self, email: str, password: str) -> Caller:
        async with self.http.post(self.stack.url("auth") + "/sessions",
                                  json={"email": email, "password": password}) as resp:
            assert resp.status == 201, await resp.text()
            tokens = await resp.json()
        account = tokens["account"]
        return Caller(tokens["access_token"], account.get("family_id"), account["id"])

    async def new_parent(self, family_id: uuid.UUID | None = None) -> Caller:
        account = await self.stack.create_account(family_id=family_id)
        return await self.login(account["email"], account["password"])

    async def call(self, part: str, method: str, path: str, caller: Caller | None = None,
                   json: Any = None) -> tuple[int, Any]:
        base = self.stack.gateway_url if part == "gateway" else self.stack.url(part)
        async with self.http.request(method, base + path, json=json, allow_redirects=False,
                                     headers=caller.headers if caller else {}) as resp:
            body = await resp.read()
            if resp.content_type.endswith("json") and body:
                return resp.status, await resp.json(content_type=None)
            return resp.status, body.decode("utf-8", "replace")

    async def openapi(self, part: str) -> dict[str, Any]:
        status, doc = await self.call(part, "GET", "/openapi.json")
        assert status == 200
        assert isinstance(doc, dict)
        return doc


@pytest.fixture(scope="package")
async def hostile(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hostile]:
    async with running_stack("hostile", tmp_path_factory.mktemp("hostile_stack")) as stack, \
            aiohttp.ClientSession() as http:
        hostile = Hostile(stack, http, None, None, None)  # type: ignore[arg-type]
        hostile.parent = await hostile.login(DEMO_PARENT_EMAIL, DEMO_PASSWORD)
        hostile.staff = await hostile.login(DEMO_AGENT_EMAIL, DEMO_PASSWORD)
        admin = await stack.create_account(role="admin")
        hostile.admin = await hostile.login(admin["email"], admin["password"])
        yield hostile
