"""Browser protections of the gateway: security headers, CSRF, production switches."""

from html import unescape
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError
from yarl import URL

from gateway.settings import Settings
from tests.e2e.stack import Stack, gateway_server
from tests.service.gateway.conftest import CSRF_FIELD, Browser, browser_session
from tests.support import metrics_of

PRODUCTION_SECRET = "a-production-secret-of-sufficient-length-0123456789"


async def test_pages_carry_strict_security_headers(browser: Browser) -> None:
    resp, _ = await browser.get("/connexion")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'self'" in csp
    assert "base-uri 'none'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in resp.headers


async def test_pages_have_no_inline_script_or_style(browser: Browser) -> None:
    _, html = await browser.get("/connexion")
    assert "<script>" not in html and "style=" not in html and "<style" not in html


async def test_token_pages_send_no_referrer(browser: Browser) -> None:
    for path in ("/mot-de-passe/nouveau?jeton=abc", "/mon-compte/login/confirmer?jeton=abc"):
        resp, _ = await browser.get(path)
        assert resp.headers["Referrer-Policy"] == "no-referrer", path


async def test_https_public_url_brings_hsts_and_secure_cookies(
        stack: Stack, parent: dict[str, Any]) -> None:
    async with gateway_server(stack, public_url="https://famille.example.test") as tls, \
            browser_session() as http:
        browser = Browser(http, str(tls.make_url("")).rstrip("/"))
        resp, _ = await browser.get("/connexion")
        assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
        cookies = resp.headers.getall("Set-Cookie")
        assert cookies and all("Secure" in c for c in cookies)


async def test_login_form_without_csrf_token_is_refused(browser: Browser,
                                                        parent: dict[str, Any]) -> None:
    await browser.get("/connexion")
    resp, html = await browser.post_form(
        "/connexion", {"email": parent["email"], "password": parent["password"]}, csrf=None)
    assert resp.status == 403
    assert "Le formulaire a expiré" in html
    assert browser.cookie("pf_access") is None


async def test_csrf_token_of_another_browser_is_refused(browser: Browser,
                                                        parent: dict[str, Any]) -> None:
    async with browser_session() as other_http:
        other = Browser(other_http, browser.base)
        foreign = await other.csrf()
    await browser.get("/connexion")
    resp, _ = await browser.post_form(
        "/connexion", {"email": parent["email"], "password": parent["password"]}, csrf=foreign)
    assert resp.status == 403


async def test_csrf_token_of_another_session_is_refused(
        stack: Stack, browser: Browser, parent: dict[str, Any]) -> None:
    """Even with the same CSRF cookie (planted, or copied), a token made for one session is
    worth nothing in another: it is bound to the session."""
    await browser.login(parent["email"], parent["password"])
    token = await browser.csrf("/mon-compte/mot-de-passe")
    seed = browser.cookie("pf_csrf")
    assert seed
    async with browser_session() as other_http:
        other = Browser(other_http, browser.base)
        await other.login(parent["email"], parent["password"])
        other_http.cookie_jar.update_cookies({"pf_csrf": seed}, URL(browser.base))
        resp, _ = await other.post_form("/deconnexion", {}, csrf=token)
        assert resp.status == 403
        assert other.cookie("pf_access") is not None
        # Its own token (the same cookie, its own session) goes through.
        resp, _ = await other.post_form("/deconnexion", {}, page="/mon-compte/mot-de-passe")
        assert resp.status == 303


async def test_login_and_logout_renew_the_csrf_token(
        browser: Browser, parent: dict[str, Any]) -> None:
    before = await browser.csrf("/connexion")
    await browser.login(parent["email"], parent["password"])
    resp, _ = await browser.post_form("/deconnexion", {}, csrf=before)
    assert resp.status == 403
    logged_in = await browser.csrf("/mon-compte/mot-de-passe")
    resp, _ = await browser.post_form("/deconnexion", {}, csrf=logged_in)
    assert resp.status == 303
    assert browser.cookie("pf_access") is None
    resp, _ = await browser.post_form("/mot-de-passe-oublie", {"email": "x@example.org"},
                                      csrf=logged_in)
    assert resp.status == 403
    resp, _ = await browser.post_form("/mot-de-passe-oublie", {"email": "x@example.org"})
    assert resp.status == 303


async def test_under_https_the_csrf_cookie_has_the_host_prefix(stack: Stack) -> None:
    async with gateway_server(stack, public_url="https://famille.example.test") as tls, \
            browser_session() as http:
        base = str(tls.make_url("")).rstrip("/")
        async with http.get(base + "/mot-de-passe-oublie") as resp:
            html = await resp.text()
            set_cookies = resp.headers.getall("Set-Cookie")
        csrf = [c for c in set_cookies if "csrf" in c]
        assert len(csrf) == 1 and csrf[0].startswith("__Host-pf_csrf=")
        assert "Secure" in csrf[0] and "Path=/" in csrf[0] and "Domain" not in csrf[0]
        seed = csrf[0].split(";", 1)[0].split("=", 1)[1]
        match = CSRF_FIELD.search(html)
        assert match
        # The gateway reads that cookie back (the jar would not send a Secure one over http).
        form = {"email": "x@example.org", "csrf": match.group(1)}
        async with aiohttp.ClientSession() as bare:
            async with bare.post(base + "/mot-de-passe-oublie", data=form,
                                 headers={"Cookie": f"__Host-pf_csrf={seed}"},
                                 allow_redirects=False) as resp:
                assert resp.status == 303
            async with bare.post(base + "/mot-de-passe-oublie", data=form,
                                 headers={"Cookie": f"pf_csrf={seed}"},
                                 allow_redirects=False) as resp:
                assert resp.status == 403


async def test_forgot_form_needs_the_csrf_token(browser: Browser) -> None:
    await browser.get("/mot-de-passe-oublie")
    resp, _ = await browser.post_form("/mot-de-passe-oublie", {"email": "x@example.org"},
                                      csrf=None)
    assert resp.status == 403
    resp, _ = await browser.post_form("/mot-de-passe-oublie", {"email": "x@example.org"})
    assert resp.status == 303


async def test_cookie_api_call_without_csrf_header_is_refused(
        browser: Browser, parent: dict[str, Any]) -> None:
    resp, _body = await browser.api("POST", "/api/v1/session", body={
        "email": parent["email"], "password": parent["password"]})
    assert resp.status == 201
    change = {"current_password": parent["password"], "new_password": "x" * 20}
    resp, problem = await browser.api("PUT", "/api/v1/me/password", body=change)
    assert resp.status == 403
    assert resp.content_type == "application/problem+json"
    assert problem["type"] == "/problems/csrf"


async def test_cookie_api_call_with_csrf_header_is_accepted(
        browser: Browser, parent: dict[str, Any]) -> None:
    _, session = await browser.api("POST", "/api/v1/session", body={
        "email": parent["email"], "password": parent["password"]})
    resp, _ = await browser.api(
        "POST", "/api/v1/me/email", body={"new_email": "nouvelle.adresse@example.org",
                                          "password": parent["password"]},
        headers={"X-CSRF-Token": session["csrf_token"]})
    assert resp.status == 202


async def test_bearer_api_call_needs_no_csrf(browser: Browser, parent: dict[str, Any]) -> None:
    _, session = await browser.api("POST", "/api/v1/session", body={
        "email": parent["email"], "password": parent["password"], "token": True})
    assert browser.cookie("pf_access") is None
    resp, _ = await browser.api(
        "POST", "/api/v1/me/email", body={"new_email": "autre.adresse@example.org",
                                          "password": parent["password"]},
        headers={"Authorization": f"Bearer {session['access_token']}"})
    assert resp.status == 202


async def test_dev_mails_is_not_served_in_production(stack: Stack, tmp_path: Path) -> None:
    async with gateway_server(stack, env="production", secret=PRODUCTION_SECRET) as prod, \
            browser_session() as http:
        browser = Browser(http, str(prod.make_url("")).rstrip("/"))
        resp, html = await browser.get("/dev/mails")
        assert resp.status == 404
        assert "Page introuvable" in html


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="GATEWAY_SECRET"):
        Settings(env="production")


async def test_unknown_page_is_a_french_404(browser: Browser) -> None:
    resp, html = await browser.get("/nulle-part")
    assert resp.status == 404
    assert '<html lang="fr">' in html
    assert "Cette page n'existe pas" in unescape(html)


async def test_metrics_are_not_served_through_the_gateway(browser: Browser,
                                                          stack: Stack) -> None:
    resp, body = await browser.get("/metrics")
    assert resp.status == 404
    assert "http_request_duration_seconds" not in body
    # They are on the gateway's internal port, for the monitoring only.
    assert "http_request_duration_seconds" in await metrics_of(stack.app("gateway"))
