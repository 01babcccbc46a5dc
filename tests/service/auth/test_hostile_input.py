"""Hostile bodies on every auth route (read from the live router): a NUL, JSON nested 100,000
deep, a 5,000-digit number — each a 4xx with a French message, and nothing written."""

from typing import Any

import pytest

from tests.service.auth.conftest import Auth

TABLES = ("accounts", "sessions", "refresh_tokens", "one_time_tokens", "login_throttle",
          "reset_requests", "outbox")
NUL = "Ce champ contient un caractère nul, non autorisé."


def body_routes(auth: Auth) -> list[tuple[str, str]]:
    found = sorted(
        (route.method, route.resource.canonical)
        for route in auth.server.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
        and getattr(getattr(route.handler, "__api__", None), "body", None) is not None)
    assert ("POST", "/sessions") in found
    return found


async def counts(auth: Auth) -> dict[str, int]:
    async with auth.db.acquire() as conn:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def send(auth: Auth, method: str, path: str, raw: str, token: str) -> tuple[int, Any]:
    async with auth.http.request(method, auth.url(path), data=raw.encode(), headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json(content_type=None)


@pytest.mark.parametrize(("raw", "status", "message"), [
    ("[" * 100_000 + "]" * 100_000, 400, "Le corps de la demande est trop imbriqué."),
    ('{"email": ' + "1" * 5000 + "}", 422, "Ce nombre est trop long."),
    ('{"email": "camille\\u0000@example.org", "password": "x\\u0000", '
     '"token": "\\u0000", "refresh_token": "\\u0000", "current_password": "\\u0000", '
     '"new_password": "\\u0000", "new_email": "\\u0000"}', 422, None),
], ids=["nested", "digits", "nul"])
async def test_every_body_refuses_hostile_json_and_writes_nothing(
        auth: Auth, raw: str, status: int, message: str | None) -> None:
    # An administrator reaches every route (a parent is refused the staff's before the body).
    account = await auth.create_account(role="admin")
    token = (await auth.login(account["email"]))["access_token"]
    for method, path in body_routes(auth):
        before = await counts(auth)

        answer = await send(auth, method, path.format(account_id=account["id"]), raw, token)

        assert answer[0] == status, (method, path, answer)
        problem = answer[1]
        if message is not None:
            assert message in [problem["title"], *[e["message"] for e in
                                                   problem.get("errors", [])]], problem
        else:
            assert problem["errors"] and all(e["message"].startswith(("Ce ", "Adresse"))
                                             for e in problem["errors"]), problem
        assert await counts(auth) == before


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/accounts/lookup"), ("PUT", "/accounts/{account_id}/status"),
    ("GET", "/accounts?id=pas-un-id")])
async def test_a_parent_is_refused_the_staff_routes_before_the_body_is_read(
        auth: Auth, method: str, path: str) -> None:
    """Issue 13, point 7: a 403 whatever is sent, never a 422 telling what the route wants."""
    account = await auth.create_account()
    token = (await auth.login(account["email"]))["access_token"]

    status, problem = await send(auth, method, path.format(account_id=account["id"]), "{",
                                 token)

    assert status == 403, problem


async def test_a_login_with_a_nul_is_a_french_422(auth: Auth) -> None:
    before = await counts(auth)

    status, problem, _ = await auth.call("POST", "/sessions", json_body={
        "email": "camille\u0000@example.org", "password": "une phrase de passe"})

    assert status == 422
    assert problem["errors"] == [{"field": "email", "message": NUL}]
    assert await counts(auth) == before
