"""Logging in through the gateway: cookies, landing pages, redirects, logout, refresh."""

import asyncio
import time
from html import unescape
from typing import Any

import jwt
from aiohttp import web
from yarl import URL

from services.auth import keys as auth_keys
from services.common import keys as common_keys
from services.common.demo import DEMO_AGENT_EMAIL, DEMO_PARENT_EMAIL, DEMO_PASSWORD
from services.common.tokens import StaticKeys, TokenVerifier
from tests.e2e.stack import Stack, gateway_server
from tests.service.gateway.conftest import Browser, browser_session
from tests.support import TestTokens


def set_cookie_header(resp: Any, name: str) -> str:
    headers = [h for h in resp.headers.getall("Set-Cookie", []) if h.startswith(f"{name}=")]
    assert headers, f"no Set-Cookie for {name}"
    return str(headers[-1])


async def test_login_sets_httponly_samesite_session_cookies(browser: Browser,
                                                            parent: dict[str, Any]) -> None:
    resp = await browser.login(parent["email"], parent["password"])
    access = set_cookie_header(resp, "pf_access")
    refresh = set_cookie_header(resp, "pf_refresh")
    assert "HttpOnly" in access and "SameSite=Lax" in access and "Path=/" in access
    assert "HttpOnly" in refresh and "SameSite=Strict" in refresh
    # Served over http here: Secure would make the browser drop them.
    assert "Secure" not in access


async def test_parent_lands_on_the_dashboard(browser: Browser, parent: dict[str, Any]) -> None:
    resp = await browser.login(parent["email"], parent["password"])
    assert resp.headers["Location"] == "/mon-compte"
    page, html = await browser.get("/mon-compte")
    assert page.status == 200
    assert "Mon compte famille" in html


async def test_staff_land_on_the_management_space(browser: Browser) -> None:
    resp = await browser.login(DEMO_AGENT_EMAIL, DEMO_PASSWORD)
    assert resp.headers["Location"] == "/gestion"
    page, html = await browser.get("/gestion")
    assert page.status == 200
    assert "Espace gestion" in html


async def test_demo_parent_can_log_in(browser: Browser) -> None:
    resp = await browser.login(DEMO_PARENT_EMAIL, DEMO_PASSWORD)
    assert resp.headers["Location"] == "/mon-compte"


async def test_wrong_password_shows_the_generic_message(browser: Browser,
                                                        parent: dict[str, Any]) -> None:
    resp, html = await browser.post_form("/connexion", {"email": parent["email"],
                                                        "password": "pas le bon mot de passe"})
    assert resp.status == 401
    assert "Identifiant ou mot de passe incorrect." in html
    assert browser.cookie("pf_access") is None


async def test_unauthenticated_page_redirects_to_login_with_next(browser: Browser) -> None:
    resp, _ = await browser.get("/mon-compte/mot-de-passe")
    assert resp.status == 303
    assert resp.headers["Location"] == "/connexion?next=%2Fmon-compte%2Fmot-de-passe"


async def test_login_returns_to_the_page_asked_first(browser: Browser,
                                                     parent: dict[str, Any]) -> None:
    resp, _ = await browser.post_form("/connexion", {
        "email": parent["email"], "password": parent["password"],
        "next": "/mon-compte/mot-de-passe"})
    assert resp.headers["Location"] == "/mon-compte/mot-de-passe"


async def test_login_never_redirects_to_another_site(browser: Browser,
                                                     parent: dict[str, Any]) -> None:
    resp, _ = await browser.post_form("/connexion", {
        "email": parent["email"], "password": parent["password"],
        "next": "//evil.example/phish"})
    assert resp.headers["Location"] == "/mon-compte"


async def test_logged_in_visitor_of_the_login_page_goes_to_the_dashboard(
        browser: Browser, parent: dict[str, Any]) -> None:
    await browser.login(parent["email"], parent["password"])
    resp, _ = await browser.get("/")
    assert resp.status == 303
    assert resp.headers["Location"] == "/mon-compte"


async def test_logout_revokes_the_session_and_clears_cookies(
        browser: Browser, parent: dict[str, Any], stack: Stack) -> None:
    await browser.login(parent["email"], parent["password"])
    access = browser.cookie("pf_access")
    resp, _ = await browser.post_form("/deconnexion", {}, page="/mon-compte")
    assert resp.status == 303
    assert resp.headers["Location"] == "/connexion"
    assert browser.cookie("pf_access") is None
    assert browser.cookie("pf_refresh") is None
    async with browser.http.get(stack.url("auth") + "/me",
                                headers={"Authorization": f"Bearer {access}"}) as me:
        assert me.status == 401
    _page, html = await browser.get("/connexion")
    assert "Vous êtes déconnecté." in html


def expired_copy(stack: Stack, token: str) -> str:
    """The same access token, signed by auth's own key, but expired a minute ago."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 60
    signer = stack.app("auth")[auth_keys.CONTEXT].signer
    header = jwt.get_unverified_header(token)
    return jwt.encode(claims, signer.key, algorithm="EdDSA",
                      headers={"kid": header["kid"]})


async def test_expired_access_cookie_is_refreshed_transparently(
        browser: Browser, parent: dict[str, Any], stack: Stack) -> None:
    await browser.login(parent["email"], parent["password"])
    old_refresh = browser.cookie("pf_refresh")
    expired = expired_copy(stack, browser.cookie("pf_access") or "")
    browser.http.cookie_jar.update_cookies({"pf_access": expired}, URL(browser.base))
    page, html = await browser.get("/mon-compte")
    assert page.status == 200
    assert "Mon compte famille" in html
    assert browser.cookie("pf_access") not in (None, expired)
    assert browser.cookie("pf_refresh") not in (None, old_refresh)


async def test_access_token_about_to_expire_is_refreshed_before_use(
        stack: Stack, parent: dict[str, Any]) -> None:
    # Every access token is "about to expire" for this gateway.
    async with gateway_server(stack, refresh_margin_seconds=100_000) as eager, \
            browser_session() as http:
        browser = Browser(http, str(eager.make_url("")).rstrip("/"))
        await browser.login(parent["email"], parent["password"])
        first = browser.cookie("pf_refresh")
        page, _ = await browser.get("/mon-compte")
        assert page.status == 200
        # Refresh tokens rotate: a new one shows the refresh happened.
        assert browser.cookie("pf_refresh") not in (None, first)


async def test_revoked_session_sends_back_to_the_login_page(
        browser: Browser, parent: dict[str, Any], stack: Stack) -> None:
    await browser.login(parent["email"], parent["password"])
    access = browser.cookie("pf_access")
    async with browser.http.delete(stack.url("auth") + "/sessions/current",
                                   headers={"Authorization": f"Bearer {access}"}) as out:
        assert out.status == 204
    page, _ = await browser.get("/mon-compte")
    assert page.status == 303
    assert page.headers["Location"] == "/connexion?next=%2Fmon-compte"
    assert browser.cookie("pf_access") is None


async def test_access_token_refused_by_a_service_is_refreshed_once_and_retried(
        stack: Stack, parent: dict[str, Any]) -> None:
    # This gateway also trusts a signer auth does not know: a token of that signer passes the
    # gateway's check but auth answers 401, as for a token revoked or signed by a retired key.
    tokens = TestTokens()
    auth_jwks = stack.app("auth")[auth_keys.CONTEXT].signer.jwks()

    def trust_both(app: web.Application) -> None:
        keys = {"keys": tokens.jwks()["keys"] + auth_jwks["keys"]}
        app[common_keys.VERIFIER] = TokenVerifier(StaticKeys(keys), issuer=tokens.issuer,
                                                  audience=tokens.audience)

    async with gateway_server(stack, prepare=trust_both) as gateway, \
            browser_session() as http:
        browser = Browser(http, str(gateway.make_url("")).rstrip("/"))
        await browser.login(parent["email"], parent["password"])
        unknown = tokens.issue(role="parent", family_id=parent["family_id"],
                               sub=str(parent["id"]))
        http.cookie_jar.update_cookies({"pf_access": unknown}, URL(browser.base))
        page, html = await browser.get("/mon-compte")
        assert page.status == 200
        assert parent["email"] in html
        assert browser.cookie("pf_access") != unknown


async def test_parallel_requests_share_one_refresh(stack: Stack,
                                                   parent: dict[str, Any]) -> None:
    # Auth treats a reused refresh token as theft and revokes the session: two tabs loading
    # at once with an expiring token must not look like that.
    async with gateway_server(stack, refresh_margin_seconds=100_000) as eager, \
            browser_session() as http:
        browser = Browser(http, str(eager.make_url("")).rstrip("/"))
        await browser.login(parent["email"], parent["password"])
        pages = await asyncio.gather(*(browser.get("/mon-compte") for _ in range(3)))
        assert [resp.status for resp, _ in pages] == [200, 200, 200]
        later, _ = await browser.get("/mon-compte")
        assert later.status == 200


async def test_parent_cannot_open_the_management_space(browser: Browser,
                                                       parent: dict[str, Any]) -> None:
    await browser.login(parent["email"], parent["password"])
    resp, html = await browser.get("/gestion")
    assert resp.status == 403
    assert "Cet espace est réservé aux agents du service." in unescape(html)
