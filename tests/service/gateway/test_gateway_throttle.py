"""Auth's throttling seen through the gateway: per browser behind proxies, and when to try
again passed on (API and pages)."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from tests.e2e.stack import Stack, gateway_server
from tests.service.auth.conftest import PASSWORD, Auth, auth_settings, running_auth
from tests.service.gateway.conftest import Browser, browser_session

WRONG = "ce n'est pas le bon mot de passe"


async def fail_logins(browser: Browser, email: str, count: int) -> None:
    for _ in range(count):
        resp, _ = await browser.api("POST", "/api/v1/session",
                                    body={"email": email, "password": WRONG})
        assert resp.status == 401


async def test_the_api_passes_on_when_to_try_again(browser: Browser, stack: Stack) -> None:
    account = await stack.create_account()
    await fail_logins(browser, account["email"], 3)

    resp, problem = await browser.api("POST", "/api/v1/session", body={
        "email": account["email"], "password": account["password"]})

    assert resp.status == 429
    assert problem["type"] == "/problems/throttled"
    assert isinstance(problem["retry_after"], int) and problem["retry_after"] >= 1
    assert resp.headers["Retry-After"] == str(problem["retry_after"])


async def test_the_login_page_passes_on_when_to_try_again(
        browser: Browser, stack: Stack) -> None:
    account = await stack.create_account()
    await fail_logins(browser, account["email"], 3)

    resp, html = await browser.post_form("/connexion", {
        "email": account["email"], "password": account["password"]})

    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert "Trop de tentatives" in html


async def test_other_answers_carry_no_retry_after(browser: Browser,
                                                  parent: dict[str, Any]) -> None:
    resp, _ = await browser.api("POST", "/api/v1/session",
                                body={"email": parent["email"], "password": WRONG})
    assert resp.status == 401
    assert "Retry-After" not in resp.headers


@contextlib.asynccontextmanager
async def behind_a_proxy(stack: Stack) -> AsyncIterator[tuple[Auth, Browser]]:
    """Auth with its real address limit (20 failures), and a gateway that believes the proxy in
    front of it (this test's client, on 127.0.0.0/8) about each browser's address."""
    settings = auth_settings("gateway_addresses", address_lock_after=20)
    async with running_auth(settings) as auth, \
            gateway_server(stack, auth_url=auth.url("").rstrip("/"),
                           trusted_proxies=("127.0.0.0/8",)) as gateway, \
            browser_session() as http:
        yield auth, Browser(http, str(gateway.make_url("")).rstrip("/"))


async def login_from(browser: Browser, address: str, email: str, password: str) -> int:
    resp, _ = await browser.api("POST", "/api/v1/session", headers={"X-Forwarded-For": address},
                                body={"email": email, "password": password, "token": True})
    return resp.status


async def test_bad_logins_of_twenty_browsers_do_not_lock_every_login(stack: Stack) -> None:
    async with behind_a_proxy(stack) as (auth, browser):
        account = await auth.create_account()
        for n in range(1, 21):
            status = await login_from(browser, f"198.51.100.{n}", auth.new_email("inconnu"),
                                      WRONG)
            assert status == 401, n

        assert await login_from(browser, "203.0.113.7", account["email"], PASSWORD) == 201


async def test_a_browser_locked_by_its_bad_logins_does_not_lock_another(stack: Stack) -> None:
    async with behind_a_proxy(stack) as (auth, browser):
        account = await auth.create_account()
        for _ in range(20):
            assert await login_from(browser, "198.51.100.99", auth.new_email("inconnu"),
                                    WRONG) == 401

        assert await login_from(browser, "198.51.100.99", account["email"], PASSWORD) == 429
        assert await login_from(browser, "203.0.113.8", account["email"], PASSWORD) == 201
