"""A family created by staff gets its parent's account and invitation; staff manage accounts."""

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from services.common.bus import Bus
from services.common.events import Envelope
from services.common.events.families import FamilyCreated
from tests.service.auth.conftest import PASSWORD, Auth, EventTap, eventually
from tests.support import AMQP_URL, NAMESPACE

NEW_PASSWORD = "la phrase de passe de la famille"


@pytest.fixture(scope="module")
async def bus(auth: Auth) -> AsyncIterator[Bus]:
    """A publisher on the test exchange, as the families service would publish."""
    bus = Bus(AMQP_URL, NAMESPACE)
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.close()


@pytest.fixture(scope="module")
async def staff_token(auth: Auth) -> str:
    staff = await auth.create_account(role="staff")
    return str((await auth.login(staff["email"]))["access_token"])


def family_created(email: str, family_id: uuid.UUID | None = None) -> Envelope:
    return FamilyCreated(family_id=family_id or uuid.uuid4(), name="Famille Martin",
                         email=email).envelope(producer="families")


async def invitation_for(events: EventTap, email: str) -> dict[str, Any]:
    data: dict[str, Any] = (await events.wait_for("auth.account_invited", email=email))["data"]
    return data


async def settled(bus: Bus, auth: Auth, events: EventTap) -> None:
    """Wait until the events published so far are handled: a later one has been."""
    email = auth.new_email("sentinelle")
    await bus.publish(family_created(email))
    await invitation_for(events, email)


async def test_a_new_family_gets_an_invited_parent_account(
        auth: Auth, bus: Bus, events: EventTap, staff_token: str) -> None:
    email, family_id = auth.new_email("famille"), uuid.uuid4()
    await bus.publish(family_created(email.upper(), family_id))
    invitation = await invitation_for(events, email)
    assert invitation["family_id"] == str(family_id)
    expires = datetime.fromisoformat(invitation["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    status, accounts, _ = await auth.call("GET", f"/accounts?family_id={family_id}",
                                          token=staff_token)
    assert status == 200
    assert [(a["email"], a["role"], a["status"]) for a in accounts] == [
        (email, "parent", "invited")]
    assert accounts[0]["id"] == invitation["account_id"]
    assert accounts[0]["invitation_expires_at"] is not None


async def test_the_invitation_link_lets_the_parent_choose_a_password(
        auth: Auth, bus: Bus, events: EventTap) -> None:
    email, family_id = auth.new_email("famille"), uuid.uuid4()
    await bus.publish(family_created(email, family_id))
    token = (await invitation_for(events, email))["token"]
    status, body, _ = await auth.call("POST", "/password/check", json_body={"token": token})
    assert (status, body) == (200, {"email": email, "kind": "invitation"})
    status, body, _ = await auth.call("POST", "/password/reset", json_body={
        "token": token, "password": NEW_PASSWORD})
    assert status == 200
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["family_id"] == str(family_id) and claims["role"] == "parent"
    await auth.login(email, NEW_PASSWORD)


async def test_an_invited_account_cannot_log_in_before_choosing_a_password(
        auth: Auth, bus: Bus, events: EventTap) -> None:
    email = auth.new_email("famille")
    await bus.publish(family_created(email))
    await invitation_for(events, email)
    status, body, _ = await auth.call("POST", "/sessions", json_body={
        "email": email, "password": PASSWORD})
    assert status == 401 and body["type"] == "/problems/invalid-credentials"


async def test_an_expired_invitation_is_gone(auth: Auth, bus: Bus, events: EventTap) -> None:
    email = auth.new_email("famille")
    await bus.publish(family_created(email))
    token = (await invitation_for(events, email))["token"]
    async with auth.db.acquire() as conn:
        await conn.execute("UPDATE one_time_tokens SET expires_at = now() - interval '1 second' "
                           "WHERE token_hash = $1", hashlib.sha256(token.encode()).digest())
    assert (await auth.call("POST", "/password/check", json_body={"token": token}))[0] == 410


async def test_an_existing_account_is_linked_to_the_family_and_not_invited(
        auth: Auth, bus: Bus, events: EventTap) -> None:
    account = await auth.create_account(role="parent", family_id=None)
    async with auth.db.acquire() as conn:
        await conn.execute("UPDATE accounts SET family_id = NULL WHERE id = $1", account["id"])
    family_id = uuid.uuid4()
    await bus.publish(family_created(account["email"], family_id))
    await settled(bus, auth, events)
    async with auth.db.acquire() as conn:
        linked = await conn.fetchval("SELECT family_id FROM accounts WHERE id = $1",
                                     account["id"])
    assert linked == family_id
    assert events.matching("auth.account_invited", email=account["email"]) == []
    claims = jwt.decode((await auth.login(account["email"]))["access_token"],
                        options={"verify_signature": False})
    assert claims["family_id"] == str(family_id)


async def test_an_account_of_another_family_keeps_its_family(
        auth: Auth, bus: Bus, events: EventTap) -> None:
    account = await auth.create_account()
    await bus.publish(family_created(account["email"]))
    await settled(bus, auth, events)
    async with auth.db.acquire() as conn:
        family_id = await conn.fetchval("SELECT family_id FROM accounts WHERE id = $1",
                                        account["id"])
    assert family_id == account["family_id"]


async def test_a_staff_account_is_never_linked_to_a_family(
        auth: Auth, bus: Bus, events: EventTap) -> None:
    """Families refuses a staff address; should an event carry one all the same, the agent
    does not become the family's parent."""
    for role in ("staff", "admin"):
        account = await auth.create_account(role=role)
        await bus.publish(family_created(account["email"].upper()))
        await settled(bus, auth, events)
        async with auth.db.acquire() as conn:
            family_id = await conn.fetchval("SELECT family_id FROM accounts WHERE id = $1",
                                            account["id"])
        assert family_id is None
        assert events.matching("auth.account_invited", email=account["email"]) == []
        claims = jwt.decode((await auth.login(account["email"]))["access_token"],
                            options={"verify_signature": False})
        assert claims["family_id"] is None and claims["role"] == role


async def test_staff_look_up_the_role_of_an_address(auth: Auth, staff_token: str) -> None:
    agent = await auth.create_account(role="staff")
    parent = await auth.create_account()
    for email, role in ((agent["email"].upper(), "staff"), (parent["email"], "parent"),
                        (auth.new_email("personne"), None)):
        status, body, _ = await auth.call("POST", "/accounts/lookup", token=staff_token,
                                          json_body={"email": email})
        assert (status, body) == (200, {"role": role})
    parent_token = (await auth.login(parent["email"]))["access_token"]
    status, _, _ = await auth.call("POST", "/accounts/lookup", token=parent_token,
                                   json_body={"email": agent["email"]})
    assert status == 403
    status, _, _ = await auth.call("POST", "/accounts/lookup",
                                   json_body={"email": agent["email"]})
    assert status == 401


async def test_the_same_event_twice_makes_one_account_and_one_invitation(
        auth: Auth, bus: Bus, events: EventTap) -> None:
    email = auth.new_email("famille")
    envelope = family_created(email)
    await bus.publish(envelope)
    await bus.publish(envelope)
    await invitation_for(events, email)
    await settled(bus, auth, events)
    async with auth.db.acquire() as conn:
        accounts = await conn.fetchval("SELECT count(*) FROM accounts WHERE email = $1", email)
        links = await conn.fetchval(
            "SELECT count(*) FROM one_time_tokens t JOIN accounts a ON a.id = t.account_id "
            "WHERE a.email = $1", email)
    assert (accounts, links) == (1, 1)
    assert len(events.matching("auth.account_invited", email=email)) == 1


async def test_staff_can_send_a_new_invitation(
        auth: Auth, bus: Bus, events: EventTap, staff_token: str) -> None:
    email = auth.new_email("famille")
    await bus.publish(family_created(email))
    first = await invitation_for(events, email)
    status, body, _ = await auth.call(
        "POST", f"/accounts/{first['account_id']}/invitation", token=staff_token)
    assert (status, body) == (202, {})

    async def second() -> dict[str, Any] | None:
        found = events.matching("auth.account_invited", email=email)
        return found[1]["data"] if len(found) > 1 else None

    newer = await eventually(second)
    assert (await auth.call("POST", "/password/check",
                            json_body={"token": first["token"]}))[0] == 410
    assert (await auth.call("POST", "/password/check",
                            json_body={"token": newer["token"]}))[0] == 200


async def test_no_new_invitation_for_an_active_account(auth: Auth, staff_token: str) -> None:
    account = await auth.create_account()
    status, body, _ = await auth.call("POST", f"/accounts/{account['id']}/invitation",
                                      token=staff_token)
    assert status == 409 and body["type"] == "/problems/conflict"


async def test_a_new_invitation_for_an_unknown_account_is_404(
        auth: Auth, staff_token: str) -> None:
    status, _, _ = await auth.call("POST", f"/accounts/{uuid.uuid4()}/invitation",
                                   token=staff_token)
    assert status == 404


async def test_parents_cannot_manage_accounts(auth: Auth) -> None:
    account = await auth.create_account()
    token = (await auth.login(account["email"]))["access_token"]
    assert (await auth.call("GET", "/accounts", token=token))[0] == 403
    assert (await auth.call("POST", f"/accounts/{account['id']}/invitation",
                            token=token))[0] == 403


async def test_accounts_of_a_family_show_their_state(auth: Auth, staff_token: str) -> None:
    family_id = uuid.uuid4()
    active = await auth.create_account(family_id=family_id)
    other = await auth.create_account()
    status, accounts, _ = await auth.call("GET", f"/accounts?family_id={family_id}",
                                          token=staff_token)
    assert status == 200
    assert accounts == [{
        "id": str(active["id"]), "email": active["email"], "role": "parent",
        "family_id": str(family_id), "display_name": None, "status": "active",
        "created_at": accounts[0]["created_at"], "invitation_expires_at": None,
        "pending_email": None, "recent_logins": []}]
    assert other["email"] not in {a["email"] for a in accounts}


async def test_staff_find_accounts_by_id_to_name_who_acted(auth: Auth, staff_token: str) -> None:
    first, second, _other = (await auth.create_account(), await auth.create_account(),
                             await auth.create_account())

    status, found, _ = await auth.call(
        "GET", f"/accounts?id={first['id']}&id={second['id']}&id={uuid.uuid4()}",
        token=staff_token)

    assert status == 200
    assert sorted(a["email"] for a in found) == sorted([first["email"], second["email"]])
    status, one, _ = await auth.call("GET", f"/accounts?id={first['id']}", token=staff_token)
    assert [a["email"] for a in one] == [first["email"]]
    status, problem, _ = await auth.call("GET", "/accounts?id=someone", token=staff_token)
    assert status == 422
    assert problem["errors"] == [{"field": "id.0", "message": "Identifiant invalide."}]
