"""An administrator disables an account (its sessions closed at once, in auth and through
`auth.session_revoked` in every service) and enables it again, and sees its latest logins
(issue 10, point 14)."""

import uuid

from services.auth import accounts
from tests.service.auth.conftest import PASSWORD, Auth, EventTap
from tests.service.auth.test_revocations import sid_of


async def status_of(auth: Auth, account_id: object) -> str:
    async with auth.db.acquire() as conn:
        return str(await conn.fetchval("SELECT status FROM accounts WHERE id = $1", account_id))


async def test_an_admin_disables_an_account_its_sessions_close_and_it_comes_back(
        auth: Auth, events: EventTap) -> None:
    admin = await auth.create_account(role="admin")
    admin_token = (await auth.login(admin["email"]))["access_token"]
    parent = await auth.create_account()
    first = await auth.login(parent["email"])
    second = await auth.login(parent["email"])

    status, body, _ = await auth.call("PUT", f"/accounts/{parent['id']}/status",
                                      json_body={"disabled": True}, token=admin_token)
    assert status == 200, body
    assert body["status"] == "disabled"
    assert len(body["recent_logins"]) == 2
    assert await status_of(auth, parent["id"]) == "disabled"
    # Closed at once in auth, and every service told.
    status, _, _ = await auth.call("GET", "/me", token=first["access_token"])
    assert status == 401
    status, _, _ = await auth.call("POST", "/sessions/refresh",
                                   json_body={"refresh_token": second["refresh_token"]})
    assert status == 401
    for tokens in (first, second):
        await events.wait_for("auth.session_revoked", sid=sid_of(tokens))
    # A disabled account cannot log in: the same answer as a wrong password.
    status, body, _ = await auth.call("POST", "/sessions", json_body={
        "email": parent["email"], "password": PASSWORD})
    assert status == 401

    status, body, _ = await auth.call("PUT", f"/accounts/{parent['id']}/status",
                                      json_body={"disabled": False}, token=admin_token)
    assert status == 200 and body["status"] == "active"
    await auth.login(parent["email"])
    status, body, _ = await auth.call("GET", f"/accounts?id={parent['id']}", token=admin_token)
    assert status == 200 and len(body[0]["recent_logins"]) == 3
    assert body[0]["recent_logins"] == sorted(body[0]["recent_logins"], reverse=True)


async def test_an_invited_account_enabled_again_is_invited_again(auth: Auth) -> None:
    admin = await auth.create_account(role="admin")
    token = (await auth.login(admin["email"]))["access_token"]
    invited = await auth.create_account(status="invited")
    for disabled, expected in ((True, "disabled"), (False, "invited")):
        status, body, _ = await auth.call("PUT", f"/accounts/{invited['id']}/status",
                                          json_body={"disabled": disabled}, token=token)
        assert (status, body["status"]) == (200, expected)


async def test_only_an_admin_may_and_never_on_their_own_account(auth: Auth) -> None:
    parent = await auth.create_account()
    staff = await auth.create_account(role="staff")
    admin = await auth.create_account(role="admin")
    for who in (parent, staff):
        token = (await auth.login(who["email"]))["access_token"]
        status, _, _ = await auth.call("PUT", f"/accounts/{parent['id']}/status",
                                       json_body={"disabled": True}, token=token)
        assert status == 403
    assert await status_of(auth, parent["id"]) == "active"
    token = (await auth.login(admin["email"]))["access_token"]
    status, body, _ = await auth.call("PUT", f"/accounts/{admin['id']}/status",
                                      json_body={"disabled": True}, token=token)
    assert status == 409
    assert accounts.NOT_YOURSELF in (body.get("detail"), body["title"])
    assert await status_of(auth, admin["id"]) == "active"
    status, body, _ = await auth.call("PUT", f"/accounts/{uuid.uuid4()}/status",
                                      json_body={"disabled": True}, token=token)
    assert status == 404
    status, body, _ = await auth.call("PUT", f"/accounts/{parent['id']}/status",
                                      json_body={"disabled": "peut-être"}, token=token)
    assert status == 422
    assert await status_of(auth, parent["id"]) == "active"


async def test_the_staff_list_holds_agents_and_administrators_only(auth: Auth) -> None:
    admin = await auth.create_account(role="admin")
    agent = await auth.create_account(role="staff")
    parent = await auth.create_account()
    token = (await auth.login(agent["email"]))["access_token"]
    status, body, _ = await auth.call("GET", "/accounts?staff=true", token=token)
    assert status == 200
    emails = {a["email"] for a in body}
    assert {admin["email"], agent["email"]} <= emails and parent["email"] not in emails
    assert {a["role"] for a in body} <= {"staff", "admin"}
