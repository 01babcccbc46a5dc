"""Auth's throttling seen through the gateway: when to try again is passed on (API and pages)."""

from typing import Any

from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser

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
