"""Every way a session closes tells the other services (`auth.session_revoked`), so they
refuse its access tokens at once rather than until they expire."""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from tests.service.auth.conftest import PASSWORD, Auth, EventTap
from tests.service.auth.test_passwords import request_reset
from tests.service.auth.test_sessions import age_rotation

NEW_PASSWORD = "une toute nouvelle phrase de passe"


def sid_of(tokens: dict[str, Any]) -> str:
    sid: str = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]
    return sid


async def revoked(events: EventTap, tokens: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = (await events.wait_for("auth.session_revoked",
                                                  sid=sid_of(tokens)))["data"]
    return data


async def test_logout_publishes_the_session_revoked_until_its_tokens_expire(
        auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    tokens = await auth.login(account["email"])
    other = await auth.login(account["email"])
    status, _, _ = await auth.call("DELETE", "/sessions/current", token=tokens["access_token"])
    assert status == 204
    event = await revoked(events, tokens)
    exp = jwt.decode(tokens["access_token"], options={"verify_signature": False})["exp"]
    expires_at = datetime.fromisoformat(event["expires_at"])
    # Kept at least as long as the token lives, not much longer.
    assert datetime.fromtimestamp(exp, UTC) <= expires_at
    assert expires_at <= datetime.now(UTC) + timedelta(
        seconds=auth.settings.access_token_seconds + 120)
    assert events.matching("auth.session_revoked", sid=sid_of(other)) == []
    # Logging out again revokes nothing more.
    await auth.call("DELETE", "/sessions/current", token=tokens["access_token"])
    await auth.call("DELETE", "/sessions/current", token=other["access_token"])
    await revoked(events, other)
    assert len(events.matching("auth.session_revoked", sid=sid_of(tokens))) == 1


async def test_a_reused_refresh_token_publishes_its_session_revoked(
        auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    first = await auth.login(account["email"])
    await auth.call("POST", "/sessions/refresh",
                    json_body={"refresh_token": first["refresh_token"]})
    await age_rotation(auth, auth.settings.refresh_reuse_grace_seconds + 1)
    status, _, _ = await auth.call("POST", "/sessions/refresh",
                                   json_body={"refresh_token": first["refresh_token"]})
    assert status == 401
    await revoked(events, first)


async def test_a_password_change_revokes_the_other_sessions_only(
        auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    phone = await auth.login(account["email"])
    laptop = await auth.login(account["email"])
    status, _, _ = await auth.call("PUT", "/me/password", token=laptop["access_token"],
                                   json_body={"current_password": PASSWORD,
                                              "new_password": NEW_PASSWORD})
    assert status == 204
    await revoked(events, phone)
    assert events.matching("auth.session_revoked", sid=sid_of(laptop)) == []


async def test_a_reset_revokes_every_session(auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    phone = await auth.login(account["email"])
    laptop = await auth.login(account["email"])
    token = await request_reset(auth, events, account["email"])
    status, _, _ = await auth.call("POST", "/password/reset", json_body={
        "token": token, "password": NEW_PASSWORD})
    assert status == 200
    await revoked(events, phone)
    await revoked(events, laptop)
