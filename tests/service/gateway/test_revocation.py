"""A closed session's access token is refused by every service a moment after auth closed
it (`auth.session_revoked`), not only once it expires; another session's goes on."""

from typing import Any

import aiohttp

from tests.e2e.stack import Stack
from tests.service.gateway.family_support import new_family
from tests.support import eventually


async def test_services_refuse_a_logged_out_session_and_accept_another(stack: Stack) -> None:
    family = await new_family(stack)
    async with aiohttp.ClientSession() as http:
        async def login() -> str:
            async with http.post(stack.url("auth") + "/sessions", json=family.login) as resp:
                assert resp.status == 201
                body: dict[str, Any] = await resp.json()
                return str(body["access_token"])

        async def status(part: str, path: str, token: str) -> int:
            async with http.get(stack.url(part) + path,
                                headers={"Authorization": f"Bearer {token}"}) as resp:
                return resp.status

        reads = {"families": f"/families/{family.id}",
                 "reservations": f"/families/{family.id}/reservations"}
        closed, kept = await login(), await login()
        for part, path in reads.items():
            assert await status(part, path, closed) == 200, part
        async with http.delete(stack.url("auth") + "/sessions/current",
                               headers={"Authorization": f"Bearer {closed}"}) as resp:
            assert resp.status == 204
        for part, path in reads.items():
            async def refused(part: str = part, path: str = path) -> bool:
                return await status(part, path, closed) == 401

            await eventually(refused, timeout=10)
            assert await status(part, path, kept) == 200, part
