"""Changing the login e-mail: a link to the new address, nothing changes until it is followed."""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.service.auth.conftest import PASSWORD, Auth, EventTap, eventually


async def logged_in(auth: Auth) -> tuple[dict[str, Any], str]:
    account = await auth.create_account()
    return account, (await auth.login(account["email"]))["access_token"]


async def request_change(auth: Auth, events: EventTap, token: str, account_id: str,
                         new_email: str) -> str:
    """Ask for the change and return the token of the link mailed to the new address."""
    before = len(events.matching("auth.email_change_requested", account_id=account_id))
    status, body, _ = await auth.call("POST", "/me/email", token=token, json_body={
        "new_email": new_email, "password": PASSWORD})
    assert (status, body) == (202, {})

    async def arrived() -> str | None:
        found = events.matching("auth.email_change_requested", account_id=account_id)
        return found[-1]["data"]["token"] if len(found) > before else None

    return await eventually(arrived)


async def test_request_mails_a_24_hour_link_to_the_new_address(
        auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    new_email = auth.new_email("nouvelle")
    await request_change(auth, events, access, str(account["id"]), new_email.upper())
    event = (await events.wait_for("auth.email_change_requested",
                                   account_id=str(account["id"])))["data"]
    assert event["old_email"] == account["email"]
    assert event["new_email"] == new_email
    expires = datetime.fromisoformat(event["expires_at"])
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=24)


async def test_login_is_unchanged_until_the_link_is_followed(
        auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    new_email = auth.new_email("nouvelle")
    await request_change(auth, events, access, str(account["id"]), new_email)
    await auth.login(account["email"])
    status, _, _ = await auth.call("POST", "/sessions", json_body={
        "email": new_email, "password": PASSWORD})
    assert status == 401
    _, me, _ = await auth.call("GET", "/me", token=access)
    assert me["email"] == account["email"]
    assert me["pending_email"] == new_email


async def test_following_the_link_switches_the_login_and_logs_in(
        auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    new_email = auth.new_email("nouvelle")
    token = await request_change(auth, events, access, str(account["id"]), new_email)
    status, body, _ = await auth.call("POST", "/email/confirm", json_body={"token": token})
    assert status == 200
    assert body["email"] == new_email
    assert body["account"]["email"] == new_email
    _, me, _ = await auth.call("GET", "/me", token=body["access_token"])
    assert me["email"] == new_email and me["pending_email"] is None
    await auth.login(new_email)
    old = await auth.call("POST", "/sessions", json_body={"email": account["email"],
                                                          "password": PASSWORD})
    assert old[0] == 401
    changed = await events.wait_for("auth.email_changed", account_id=str(account["id"]))
    assert changed["data"] == {"account_id": str(account["id"]),
                               "family_id": str(account["family_id"]),
                               "old_email": account["email"], "new_email": new_email,
                               "entity_version": 1}  # the login's first change


async def test_the_link_works_once(auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    token = await request_change(auth, events, access, str(account["id"]),
                                 auth.new_email("nouvelle"))
    assert (await auth.call("POST", "/email/confirm", json_body={"token": token}))[0] == 200
    status, body, _ = await auth.call("POST", "/email/confirm", json_body={"token": token})
    assert status == 410
    assert body["title"] == "Ce lien n'est plus valide. Faites une nouvelle demande."


async def test_a_newer_request_supersedes_the_older_link(auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    older = await request_change(auth, events, access, str(account["id"]),
                                 auth.new_email("premiere"))
    newer_email = auth.new_email("seconde")
    newer = await request_change(auth, events, access, str(account["id"]), newer_email)
    assert (await auth.call("POST", "/email/confirm", json_body={"token": older}))[0] == 410
    status, body, _ = await auth.call("POST", "/email/confirm", json_body={"token": newer})
    assert (status, body["email"]) == (200, newer_email)


async def test_an_expired_link_is_gone(auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    token = await request_change(auth, events, access, str(account["id"]),
                                 auth.new_email("nouvelle"))
    async with auth.db.acquire() as conn:
        await conn.execute("UPDATE one_time_tokens SET expires_at = now() - interval '1 second' "
                           "WHERE token_hash = $1", hashlib.sha256(token.encode()).digest())
    assert (await auth.call("POST", "/email/confirm", json_body={"token": token}))[0] == 410


async def test_an_address_of_another_account_is_refused_at_request(auth: Auth) -> None:
    _, access = await logged_in(auth)
    other = await auth.create_account()
    status, body, _ = await auth.call("POST", "/me/email", token=access, json_body={
        "new_email": other["email"].upper(), "password": PASSWORD})
    assert status == 422
    assert body["errors"] == [{"field": "new_email",
                               "message": "Cette adresse e-mail est déjà utilisée."}]


async def test_an_address_taken_meanwhile_is_refused_at_confirmation(
        auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    wanted = auth.new_email("convoitee")
    token = await request_change(auth, events, access, str(account["id"]), wanted)
    await auth.create_account(email=wanted)
    status, body, _ = await auth.call("POST", "/email/confirm", json_body={"token": token})
    assert status == 409
    assert body["title"] == "Cette adresse e-mail est déjà utilisée par un autre compte."
    await auth.login(account["email"])


async def test_a_wrong_password_is_refused(auth: Auth) -> None:
    _, access = await logged_in(auth)
    status, body, _ = await auth.call("POST", "/me/email", token=access, json_body={
        "new_email": auth.new_email("nouvelle"), "password": "pas le mot de passe"})
    assert status == 422
    assert body["errors"] == [{"field": "password", "message": "Le mot de passe est incorrect."}]


async def test_an_invalid_address_is_refused(auth: Auth) -> None:
    _, access = await logged_in(auth)
    status, body, _ = await auth.call("POST", "/me/email", token=access, json_body={
        "new_email": "pas-une-adresse", "password": PASSWORD})
    assert status == 422
    assert body["errors"] == [{"field": "new_email", "message": "Adresse e-mail invalide."}]


async def test_reset_links_sent_to_the_old_address_die_with_it(
        auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    await auth.call("POST", "/password/forgot", json_body={"email": account["email"]})
    reset = (await events.wait_for("auth.password_reset_requested",
                                   account_id=str(account["id"])))["data"]["token"]
    token = await request_change(auth, events, access, str(account["id"]),
                                 auth.new_email("nouvelle"))
    await auth.call("POST", "/email/confirm", json_body={"token": token})
    assert (await auth.call("POST", "/password/check", json_body={"token": reset}))[0] == 410


async def test_an_email_change_link_is_not_a_password_link(
        auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    token = await request_change(auth, events, access, str(account["id"]),
                                 auth.new_email("nouvelle"))
    assert (await auth.call("POST", "/password/check", json_body={"token": token}))[0] == 410
    assert (await auth.call("POST", "/password/reset", json_body={
        "token": token, "password": "une phrase de passe neuve"}))[0] == 410


async def test_probing_addresses_in_use_is_throttled_like_a_wrong_password(auth: Auth) -> None:
    """« Adresse déjà utilisée » tells that an account exists: each such answer counts as a
    failed password, so after three the next request must wait."""
    _, access = await logged_in(auth)
    for _ in range(3):
        other = await auth.create_account()
        status, body, _ = await auth.call("POST", "/me/email", token=access, json_body={
            "new_email": other["email"], "password": PASSWORD})
        assert status == 422, body
    other = await auth.create_account()
    status, body, resp = await auth.call("POST", "/me/email", token=access, json_body={
        "new_email": other["email"], "password": PASSWORD})
    assert status == 429 and body["type"] == "/problems/throttled"
    assert int(resp.headers["Retry-After"]) >= 1


async def test_confirmation_mails_to_one_address_are_capped_at_five_an_hour(
        auth: Auth, events: EventTap) -> None:
    target = auth.new_email("cible")
    first, access = await logged_in(auth)
    for _ in range(5):
        await request_change(auth, events, access, str(first["id"]), target)
    # Another account asking for the same address: the cap is the address's.
    second, other_access = await logged_in(auth)
    status, body, resp = await auth.call("POST", "/me/email", token=other_access, json_body={
        "new_email": target, "password": PASSWORD})
    assert status == 429, body
    assert body["title"] == ("Trop de liens de confirmation ont été envoyés à cette adresse. "
                             "Veuillez réessayer dans une heure.")
    assert resp.headers["Retry-After"] == "3600"
    # Another address is not affected.
    await request_change(auth, events, other_access, str(second["id"]),
                         auth.new_email("autre"))
    assert len(events.matching("auth.email_change_requested", new_email=target)) == 5


# ---- a pending change: shown, its link sent again, cancelled (issue 10, point 5) ---------------

async def test_the_pending_change_is_shown_with_its_link_validity(
        auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    new_email = auth.new_email("nouvelle")
    await request_change(auth, events, access, str(account["id"]), new_email)
    status, me, _ = await auth.call("GET", "/me", token=access)
    assert status == 200 and me["pending_email"] == new_email
    until = datetime.fromisoformat(me["pending_email_expires_at"])
    assert timedelta(hours=23) < until - datetime.now(UTC) <= timedelta(hours=24)


async def test_sending_the_link_again_kills_the_older_one(auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    new_email = auth.new_email("nouvelle")
    first = await request_change(auth, events, access, str(account["id"]), new_email)
    before = len(events.matching("auth.email_change_requested", account_id=str(account["id"])))
    status, body, _ = await auth.call("POST", "/me/email/resend", token=access)
    assert (status, body) == (202, {})

    async def arrived() -> str | None:
        found = events.matching("auth.email_change_requested", account_id=str(account["id"]))
        return found[-1]["data"]["token"] if len(found) > before else None

    second = await eventually(arrived)
    assert second != first
    status, _, _ = await auth.call("POST", "/email/confirm", json_body={"token": first})
    assert status == 410
    status, body, _ = await auth.call("POST", "/email/check", json_body={"token": second})
    assert (status, body) == (200, {"email": new_email})
    status, body, _ = await auth.call("POST", "/email/confirm", json_body={"token": second})
    assert status == 200 and body["email"] == new_email


async def test_cancelling_kills_the_link_and_keeps_the_login(
        auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    link = await request_change(auth, events, access, str(account["id"]),
                                auth.new_email("nouvelle"))
    status, _, _ = await auth.call("DELETE", "/me/email", token=access)
    assert status == 204
    status, me, _ = await auth.call("GET", "/me", token=access)
    assert me["pending_email"] is None and me["pending_email_expires_at"] is None
    assert me["email"] == account["email"]
    for path in ("/email/check", "/email/confirm"):
        status, _, _ = await auth.call("POST", path, json_body={"token": link})
        assert status == 410
    # Nothing pending: nothing to send again.
    status, body, _ = await auth.call("POST", "/me/email/resend", token=access)
    assert status == 409
    assert "Aucun changement d'adresse" in body["title"]


async def test_checking_a_link_does_not_use_it(auth: Auth, events: EventTap) -> None:
    account, access = await logged_in(auth)
    new_email = auth.new_email("nouvelle")
    link = await request_change(auth, events, access, str(account["id"]), new_email)
    for _ in range(2):
        status, body, _ = await auth.call("POST", "/email/check", json_body={"token": link})
        assert (status, body) == (200, {"email": new_email})
    status, _, _ = await auth.call("POST", "/email/check", json_body={"token": "inconnu"})
    assert status == 410
