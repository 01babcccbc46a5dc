"""Password policy, forgotten password links, reset, and change of password."""

import hashlib
import logging
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest

from services.auth.passwords import policy_errors
from tests.service.auth.conftest import PASSWORD, Auth, EventTap, eventually

NEW_PASSWORD = "un tout nouveau secret de famille"
GONE = {"type": "/problems/gone", "status": 410,
        "title": "Ce lien n'est plus valide. Faites une nouvelle demande."}


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def request_reset(auth: Auth, events: EventTap, email: str) -> str:
    """Ask for a reset link and return the token the e-mail would carry."""
    before = len(events.matching("auth.password_reset_requested", email=email))
    status, body, _ = await auth.call("POST", "/password/forgot", json_body={"email": email})
    assert status == 202 and body == {}

    async def arrived() -> str | None:
        found = events.matching("auth.password_reset_requested", email=email)
        return found[-1]["data"]["token"] if len(found) > before else None

    return await eventually(arrived)


# --- policy -------------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "message"), [
    ("onze-lettre", "Le mot de passe doit contenir au moins 12 caractères."),
    ("x" * 129, "Le mot de passe doit contenir au plus 128 caractères."),
    ("motdepasse123", "Ce mot de passe est trop courant. Choisissez-en un autre."),
    ("azertyuiop123", "Ce mot de passe est trop courant. Choisissez-en un autre."),
    ("123456789012", "Ce mot de passe est trop courant. Choisissez-en un autre."),
    ("MotDePasse123", "Ce mot de passe est trop courant. Choisissez-en un autre."),
    ("Camille.Martin@example.org", "Le mot de passe ne doit pas être votre adresse e-mail."),
    ("camille.martin", "Le mot de passe ne doit pas être votre adresse e-mail."),
])
def test_policy_refuses(password: str, message: str) -> None:
    assert policy_errors(password, email="camille.martin@example.org") == [message]


@pytest.mark.parametrize("password", [
    "douze-lettres", "y" * 128, "le chat de la voisine dort", "sans aucun chiffre ni symbole",
])
def test_policy_accepts_long_uncommon_passwords_without_composition_rules(password: str) -> None:
    assert policy_errors(password, email="camille.martin@example.org") == []


# --- forgotten password -------------------------------------------------------------------

async def test_forgot_answers_the_same_for_existing_and_unknown_accounts(
        auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    known = await auth.call("POST", "/password/forgot", json_body={"email": account["email"]})
    unknown = await auth.call("POST", "/password/forgot",
                              json_body={"email": auth.new_email("nobody")})
    assert (known[0], known[1]) == (unknown[0], unknown[1]) == (202, {})


async def test_forgot_takes_similar_time_for_existing_and_unknown_accounts(auth: Auth) -> None:
    existing = [(await auth.create_account())["email"] for _ in range(10)]
    unknown = [auth.new_email("nobody") for _ in range(10)]

    async def timed(email: str) -> float:
        started = time.perf_counter()
        status, _, _ = await auth.call("POST", "/password/forgot", json_body={"email": email})
        assert status == 202
        return time.perf_counter() - started

    known_times, unknown_times = [], []
    for known_email, unknown_email in zip(existing, unknown, strict=True):  # interleaved
        known_times.append(await timed(known_email))
        unknown_times.append(await timed(unknown_email))
    a, b = statistics.median(known_times), statistics.median(unknown_times)
    assert max(a, b) / min(a, b) < 3


async def test_forgot_mails_a_30_minute_link_to_an_existing_account(
        auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    await auth.call("POST", "/password/forgot", json_body={"email": account["email"].upper()})
    event = await events.wait_for("auth.password_reset_requested", email=account["email"])
    assert event["producer"] == "auth"
    assert event["data"]["account_id"] == str(account["id"])
    assert len(event["data"]["token"]) >= 43
    expires = datetime.fromisoformat(event["data"]["expires_at"])
    assert timedelta(minutes=29) < expires - datetime.now(UTC) <= timedelta(minutes=30)


async def test_forgot_for_an_unknown_address_sends_nothing(auth: Auth, events: EventTap) -> None:
    nobody = auth.new_email("nobody")
    account = await auth.create_account()
    await auth.call("POST", "/password/forgot", json_body={"email": nobody})
    await auth.call("POST", "/password/forgot", json_body={"email": account["email"]})
    await events.wait_for("auth.password_reset_requested", email=account["email"])
    assert events.matching("auth.password_reset_requested", email=nobody) == []


async def test_reset_links_are_stored_hashed(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    token = await request_reset(auth, events, account["email"])
    async with auth.db.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT token_hash FROM one_time_tokens WHERE account_id = $1", account["id"])
    assert bytes(stored) == token_digest(token)


async def test_reset_links_per_hour_are_capped(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    for _ in range(5):
        await request_reset(auth, events, account["email"])
    status, body, _ = await auth.call("POST", "/password/forgot",
                                      json_body={"email": account["email"]})
    assert (status, body) == (202, {})
    async with auth.db.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM one_time_tokens WHERE account_id = $1", account["id"])
    assert count == 5


# --- reset --------------------------------------------------------------------------------

async def test_check_tells_what_a_reset_link_is_for(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    token = await request_reset(auth, events, account["email"])
    status, body, _ = await auth.call("POST", "/password/check", json_body={"token": token})
    assert (status, body) == (200, {"email": account["email"], "kind": "reset"})


async def test_reset_sets_the_password_and_logs_in(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    token = await request_reset(auth, events, account["email"])
    status, body, _ = await auth.call("POST", "/password/reset",
                                      json_body={"token": token, "password": NEW_PASSWORD})
    assert status == 200
    assert body["account"]["id"] == str(account["id"])
    assert (await auth.call("GET", "/me", token=body["access_token"]))[0] == 200
    await auth.login(account["email"], NEW_PASSWORD)
    old = await auth.call("POST", "/sessions",
                          json_body={"email": account["email"], "password": PASSWORD})
    assert old[0] == 401


async def test_a_used_link_is_gone(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    token = await request_reset(auth, events, account["email"])
    await auth.call("POST", "/password/reset", json_body={"token": token, "password": NEW_PASSWORD})
    status, body, _ = await auth.call("POST", "/password/reset", json_body={
        "token": token, "password": "encore une autre phrase"})
    assert status == 410
    assert {k: body[k] for k in GONE} == GONE
    assert (await auth.call("POST", "/password/check", json_body={"token": token}))[0] == 410


async def test_an_expired_link_is_gone(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    token = await request_reset(auth, events, account["email"])
    async with auth.db.acquire() as conn:
        await conn.execute("UPDATE one_time_tokens SET expires_at = now() - interval '1 second' "
                           "WHERE token_hash = $1", token_digest(token))
    status, body, _ = await auth.call("POST", "/password/reset",
                                      json_body={"token": token, "password": NEW_PASSWORD})
    assert status == 410 and body["title"] == GONE["title"]


async def test_a_newer_request_supersedes_the_older_link(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    older = await request_reset(auth, events, account["email"])
    newer = await request_reset(auth, events, account["email"])
    assert (await auth.call("POST", "/password/reset", json_body={
        "token": older, "password": NEW_PASSWORD}))[0] == 410
    assert (await auth.call("POST", "/password/reset", json_body={
        "token": newer, "password": NEW_PASSWORD}))[0] == 200


async def test_an_unknown_link_is_gone(auth: Auth) -> None:
    status, body, _ = await auth.call("POST", "/password/reset", json_body={
        "token": "inconnu", "password": NEW_PASSWORD})
    assert status == 410 and body["type"] == "/problems/gone"


async def test_reset_refuses_a_weak_password_and_keeps_the_link(
        auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    token = await request_reset(auth, events, account["email"])
    status, body, _ = await auth.call("POST", "/password/reset", json_body={
        "token": token, "password": "motdepasse123"})
    assert status == 422
    assert body["errors"] == [{"field": "password",
                               "message": "Ce mot de passe est trop courant. Choisissez-en un "
                                          "autre."}]
    assert (await auth.call("POST", "/password/reset", json_body={
        "token": token, "password": NEW_PASSWORD}))[0] == 200


async def test_reset_closes_every_session(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    before = await auth.login(account["email"])
    token = await request_reset(auth, events, account["email"])
    await auth.call("POST", "/password/reset", json_body={"token": token, "password": NEW_PASSWORD})
    assert (await auth.call("GET", "/me", token=before["access_token"]))[0] == 401
    assert (await auth.call("POST", "/sessions/refresh", json_body={
        "refresh_token": before["refresh_token"]}))[0] == 401


async def test_reset_sends_a_password_changed_notice(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    token = await request_reset(auth, events, account["email"])
    await auth.call("POST", "/password/reset", json_body={"token": token, "password": NEW_PASSWORD})
    await events.wait_for("auth.password_changed", account_id=str(account["id"]))


# --- change -------------------------------------------------------------------------------

async def test_change_password_keeps_this_session_and_closes_the_others(
        auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    here = await auth.login(account["email"])
    elsewhere = await auth.login(account["email"])
    status, body, _ = await auth.call("PUT", "/me/password", token=here["access_token"],
                                      json_body={"current_password": PASSWORD,
                                                 "new_password": NEW_PASSWORD})
    assert status == 204, body
    assert (await auth.call("GET", "/me", token=here["access_token"]))[0] == 200
    assert (await auth.call("GET", "/me", token=elsewhere["access_token"]))[0] == 401
    assert (await auth.call("POST", "/sessions/refresh", json_body={
        "refresh_token": elsewhere["refresh_token"]}))[0] == 401
    await auth.login(account["email"], NEW_PASSWORD)
    event = await events.wait_for("auth.password_changed", account_id=str(account["id"]))
    assert event["data"]["email"] == account["email"]


async def test_change_password_with_a_wrong_current_password(auth: Auth) -> None:
    account = await auth.create_account()
    token = (await auth.login(account["email"]))["access_token"]
    status, body, _ = await auth.call("PUT", "/me/password", token=token, json_body={
        "current_password": "ce n'est pas lui", "new_password": NEW_PASSWORD})
    assert status == 422
    assert body["errors"] == [{"field": "current_password",
                               "message": "Le mot de passe actuel est incorrect."}]
    await auth.login(account["email"], PASSWORD)


async def test_change_password_applies_the_policy(auth: Auth) -> None:
    account = await auth.create_account()
    token = (await auth.login(account["email"]))["access_token"]
    status, body, _ = await auth.call("PUT", "/me/password", token=token, json_body={
        "current_password": PASSWORD, "new_password": account["email"]})
    assert status == 422
    assert body["errors"] == [{"field": "new_password", "message":
                               "Le mot de passe ne doit pas être votre adresse e-mail."}]


async def test_change_password_invalidates_pending_reset_links(
        auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    token = await request_reset(auth, events, account["email"])
    access = (await auth.login(account["email"]))["access_token"]
    await auth.call("PUT", "/me/password", token=access, json_body={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert (await auth.call("POST", "/password/check", json_body={"token": token}))[0] == 410


async def test_change_password_needs_an_open_session(auth: Auth) -> None:
    account = await auth.create_account()
    tokens = await auth.login(account["email"])
    await auth.call("DELETE", "/sessions/current", token=tokens["access_token"])
    status, _, _ = await auth.call("PUT", "/me/password", token=tokens["access_token"],
                                   json_body={"current_password": PASSWORD,
                                              "new_password": NEW_PASSWORD})
    assert status == 401


async def test_no_password_or_token_reaches_the_logs(
        auth: Auth, events: EventTap, caplog: pytest.LogCaptureFixture) -> None:
    # Our own loggers at every level (setup_logging keeps the broker libraries, whose debug
    # output dumps frames, at WARNING).
    caplog.set_level(logging.DEBUG, logger="services")
    account = await auth.create_account()
    await auth.call("POST", "/sessions", json_body={"email": account["email"],
                                                    "password": "un essai malheureux"})
    tokens = await auth.login(account["email"])
    link = await request_reset(auth, events, account["email"])
    await auth.call("POST", "/password/reset", json_body={"token": link,
                                                          "password": NEW_PASSWORD})
    secrets = [PASSWORD, NEW_PASSWORD, "un essai malheureux", link, tokens["refresh_token"],
               tokens["access_token"]]
    logged = [repr(vars(record)) for record in caplog.records
              if record.name.startswith("services")]
    assert logged  # the service did log (logins, the reset)
    assert not [s for s in secrets if any(s in line for line in logged)]
