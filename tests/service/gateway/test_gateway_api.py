"""The parent JSON API `/api/v1`: answers, problem+json errors, the aggregated dashboard."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

from services.common.demo import DEMO_PARENT_EMAIL, DEMO_PASSWORD
from tests.e2e.stack import NEW_PASSWORD, Stack, gateway_server
from tests.service.gateway.conftest import Browser, browser_session
from tests.support import free_port

PROBLEM = "application/problem+json"


async def token_login(browser: Browser, account: dict[str, Any]) -> dict[str, str]:
    resp, body = await browser.api("POST", "/api/v1/session", body={
        "email": account["email"], "password": account["password"], "token": True})
    assert resp.status == 201, body
    return {"Authorization": f"Bearer {body['access_token']}"}


async def test_login_with_token_answers_the_tokens_and_the_account(
        browser: Browser, parent: dict[str, Any]) -> None:
    resp, body = await browser.api("POST", "/api/v1/session", body={
        "email": parent["email"], "password": parent["password"], "token": True})
    assert resp.status == 201
    assert body["account"]["email"] == parent["email"]
    assert body["account"]["role"] == "parent"
    assert body["access_token"] and body["refresh_token"] and body["expires_in"] > 0


async def test_cookie_login_keeps_tokens_out_of_the_body(browser: Browser,
                                                         parent: dict[str, Any]) -> None:
    resp, body = await browser.api("POST", "/api/v1/session", body={
        "email": parent["email"], "password": parent["password"]})
    assert resp.status == 201
    assert body["access_token"] is None and body["refresh_token"] is None
    assert body["csrf_token"]
    assert browser.cookie("pf_access")


async def test_wrong_credentials_are_a_french_problem(browser: Browser,
                                                      parent: dict[str, Any]) -> None:
    resp, problem = await browser.api("POST", "/api/v1/session", body={
        "email": parent["email"], "password": "pas le bon mot de passe"})
    assert resp.status == 401
    assert resp.content_type == PROBLEM
    assert problem["type"] == "/problems/invalid-credentials"
    assert problem["title"] == "Identifiant ou mot de passe incorrect."


async def test_invalid_body_gives_field_errors(browser: Browser) -> None:
    resp, problem = await browser.api("POST", "/api/v1/session", body={"email": "a@b.c"})
    assert resp.status == 422
    assert resp.content_type == PROBLEM
    assert problem["errors"] == [{"field": "password", "message": "Ce champ est obligatoire."}]


async def test_dashboard_without_session_is_401(browser: Browser) -> None:
    resp, problem = await browser.api("GET", "/api/v1/me/dashboard")
    assert resp.status == 401
    assert resp.content_type == PROBLEM
    assert problem["title"] == "Veuillez vous connecter."


def missing_parts(stack: Stack) -> list[str]:
    """Sections of services the stack does not run (yet): named unavailable, never an error."""
    return [part for part in ("reservations", "billing") if part not in stack.servers]


async def test_dashboard_aggregates_account_family_and_children(browser: Browser,
                                                               stack: Stack) -> None:
    demo = {"email": DEMO_PARENT_EMAIL, "password": DEMO_PASSWORD}
    headers = await token_login(browser, demo)
    resp, body = await browser.api("GET", "/api/v1/me/dashboard", headers=headers)
    assert resp.status == 200
    assert body["account"]["email"] == DEMO_PARENT_EMAIL
    assert body["family"]["name"] == "Famille Martin"
    assert sorted(c["first_name"] for c in body["children"]) == ["Hugo", "Léa"]
    # The demo invoice, partly paid by the demo cheque (billing's seed-demo).
    assert [i["number"][:2] for i in body["invoices"]] == ["F-"]
    assert [(p["method"], p["state"]) for p in body["payments"]] == [("cheque", "validated")]
    assert body["unavailable"] == missing_parts(stack)


async def test_dashboard_answers_without_the_families_service(
        stack: Stack, parent: dict[str, Any]) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with gateway_server(stack, families_url=nowhere) as alone, \
            browser_session() as http:
        browser = Browser(http, str(alone.make_url("")).rstrip("/"))
        headers = await token_login(browser, parent)
        resp, body = await browser.api("GET", "/api/v1/me/dashboard", headers=headers)
        assert resp.status == 200
        assert body["account"]["email"] == parent["email"]
        assert body["family"] is None and body["children"] == []
        assert body["unavailable"] == ["family", "children", *missing_parts(stack)]
        page, html = await browser.get("/mon-compte", headers=headers)
        assert page.status == 303  # pages use the cookie session, not a bearer token
        await browser.login(parent["email"], parent["password"])
        page, html = await browser.get("/mon-compte")
        assert page.status == 200
        assert "Mes Factures &amp; Paiements" in html


async def test_forgot_password_is_always_202(browser: Browser) -> None:
    resp, body = await browser.api("POST", "/api/v1/password/forgot",
                                   body={"email": "personne@example.org"})
    assert resp.status == 202
    assert body == {}


async def test_reset_with_the_mailed_token_logs_in(browser: Browser, stack: Stack,
                                                   parent: dict[str, Any]) -> None:
    await browser.api("POST", "/api/v1/password/forgot", body={"email": parent["email"]})
    link = stack.link_in(await stack.mail_to(parent["email"]))
    token = parse_qs(urlsplit(link).query)["jeton"][0]
    resp, body = await browser.api("POST", "/api/v1/password/reset",
                                   body={"token": token, "password": NEW_PASSWORD})
    assert resp.status == 200
    assert body["account"]["email"] == parent["email"]
    assert browser.cookie("pf_access")
    resp, problem = await browser.api("POST", "/api/v1/password/reset",
                                      body={"token": token, "password": NEW_PASSWORD},
                                      headers={"X-CSRF-Token": body["csrf_token"]})
    assert resp.status == 410
    assert problem["title"]


async def test_password_change_refused_by_policy_shows_auth_field_errors(
        browser: Browser, parent: dict[str, Any]) -> None:
    headers = await token_login(browser, parent)
    resp, problem = await browser.api("PUT", "/api/v1/me/password", headers=headers, body={
        "current_password": parent["password"], "new_password": "court"})
    assert resp.status == 422
    assert resp.content_type == PROBLEM
    assert [e["field"] for e in problem["errors"]] == ["new_password"]


async def test_password_change_with_bearer_is_204(browser: Browser,
                                                  parent: dict[str, Any]) -> None:
    headers = await token_login(browser, parent)
    resp, _ = await browser.api("PUT", "/api/v1/me/password", headers=headers, body={
        "current_password": parent["password"], "new_password": NEW_PASSWORD})
    assert resp.status == 204


async def test_email_change_then_confirm_switches_the_login(
        browser: Browser, stack: Stack, parent: dict[str, Any]) -> None:
    headers = await token_login(browser, parent)
    new_email = stack.new_email("nouveau")
    resp, _ = await browser.api("POST", "/api/v1/me/email", headers=headers,
                                body={"new_email": new_email, "password": parent["password"]})
    assert resp.status == 202
    link = stack.link_in(await stack.mail_to(new_email))
    token = parse_qs(urlsplit(link).query)["jeton"][0]
    resp, body = await browser.api("POST", "/api/v1/email/confirm", body={"token": token})
    assert resp.status == 200
    assert body["account"]["email"] == new_email


async def test_logout_with_bearer_revokes_the_token(browser: Browser,
                                                    parent: dict[str, Any]) -> None:
    headers = await token_login(browser, parent)
    resp, _ = await browser.api("DELETE", "/api/v1/session", headers=headers)
    assert resp.status == 204
    resp, _ = await browser.api("GET", "/api/v1/me/dashboard", headers=headers)
    assert resp.status == 401


async def test_openapi_documents_the_parent_api(browser: Browser) -> None:
    resp, doc = await browser.api("GET", "/openapi.json")
    assert resp.status == 200
    assert {"/api/v1/session", "/api/v1/password/forgot", "/api/v1/password/reset",
            "/api/v1/me/password", "/api/v1/me/email", "/api/v1/email/confirm",
            "/api/v1/me/dashboard"} <= set(doc["paths"])
    # Logging out needs no session (204 either way): schemathesis holds the document to it.
    assert "security" not in doc["paths"]["/api/v1/session"]["delete"]
