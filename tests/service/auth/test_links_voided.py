"""A credential change voids every one-time link mailed before it: a password change, a reset
and a confirmed login change each leave no reset, invitation or login-change link usable."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.auth import repo
from services.auth.service import new_secret
from tests.service.auth.conftest import PASSWORD, Auth, EventTap, eventually

NEW_PASSWORD = "un tout nouveau secret de famille"


async def reset_link(auth: Auth, events: EventTap, account: dict[str, Any]) -> str:
    before = len(events.matching("auth.password_reset_requested", account_id=str(account["id"])))
    status, _, _ = await auth.call("POST", "/password/forgot",
                                   json_body={"email": account["email"]})
    assert status == 202

    async def arrived() -> str | None:
        found = events.matching("auth.password_reset_requested", account_id=str(account["id"]))
        return found[-1]["data"]["token"] if len(found) > before else None

    return await eventually(arrived)


async def login_change_link(auth: Auth, events: EventTap, access: str,
                            account: dict[str, Any]) -> str:
    before = len(events.matching("auth.email_change_requested", account_id=str(account["id"])))
    status, body, _ = await auth.call("POST", "/me/email", token=access, json_body={
        "new_email": auth.new_email("nouvelle"), "password": PASSWORD})
    assert status == 202, body

    async def arrived() -> str | None:
        found = events.matching("auth.email_change_requested", account_id=str(account["id"]))
        return found[-1]["data"]["token"] if len(found) > before else None

    return await eventually(arrived)


async def invitation_link(auth: Auth, account: dict[str, Any]) -> str:
    """An invitation link still pending (staff sent one before the parent activated)."""
    token, token_hash = new_secret()
    async with auth.db.acquire() as conn:
        await repo.insert_one_time(conn, token_hash=token_hash, account_id=account["id"],
                                   kind="invitation",
                                   expires_at=datetime.now(UTC) + timedelta(days=7))
    return token


async def usable(auth: Auth, kind: str, token: str) -> bool:
    """Whether the link still works, asked without using it."""
    async with auth.db.acquire() as conn:
        row = await repo.one_time_for_update(conn, hashlib.sha256(token.encode()).digest(),
                                             [kind])
    return row is not None


async def change_password(auth: Auth, events: EventTap, access: str,
                          account: dict[str, Any]) -> None:
    status, body, _ = await auth.call("PUT", "/me/password", token=access, json_body={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert status == 204, body


async def reset_password(auth: Auth, events: EventTap, access: str,
                         account: dict[str, Any]) -> None:
    # The reset link is asked for last: the newest reset link is the one followed.
    token = await reset_link(auth, events, account)
    status, body, _ = await auth.call("POST", "/password/reset", json_body={
        "token": token, "password": NEW_PASSWORD})
    assert status == 200, body


async def confirm_login_change(auth: Auth, events: EventTap, access: str,
                               account: dict[str, Any]) -> None:
    token = await login_change_link(auth, events, access, account)
    status, body, _ = await auth.call("POST", "/email/confirm", json_body={"token": token})
    assert status == 200, body


@pytest.mark.parametrize("change", [change_password, reset_password, confirm_login_change],
                         ids=["password-change", "reset", "login-change"])
async def test_a_credential_change_voids_every_outstanding_link(
        auth: Auth, events: EventTap, change: Any) -> None:
    account = await auth.create_account()
    access = (await auth.login(account["email"]))["access_token"]
    links = {
        "invitation": await invitation_link(auth, account),
        "email_change": await login_change_link(auth, events, access, account),
        "reset": await reset_link(auth, events, account),
    }
    assert all([await usable(auth, kind, token) for kind, token in links.items()])

    await change(auth, events, access, account)

    assert {kind: await usable(auth, kind, token) for kind, token in links.items()} == {
        "invitation": False, "email_change": False, "reset": False}


async def test_a_login_change_link_mailed_before_a_password_change_does_nothing(
        auth: Auth, events: EventTap) -> None:
    account = await auth.create_account()
    access = (await auth.login(account["email"]))["access_token"]
    token = await login_change_link(auth, events, access, account)
    await change_password(auth, events, access, account)

    status, body, _ = await auth.call("POST", "/email/confirm", json_body={"token": token})

    assert status == 410
    assert body["title"] == "Ce lien n'est plus valide. Faites une nouvelle demande."
    _, me, _ = await auth.call("GET", "/me", token=access)
    assert (me["email"], me["pending_email"]) == (account["email"], None)
    assert uuid.UUID(me["id"]) == account["id"]
