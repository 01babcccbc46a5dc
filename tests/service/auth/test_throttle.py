"""Login throttling: growing delay, 15-minute lock, per address, the same for unknown accounts."""

import itertools
from datetime import timedelta
from typing import Any

from services.auth.throttle import account_key
from tests.service.auth.conftest import PASSWORD, Auth, auth_settings, running_auth

SETTINGS = {"address_lock_after": 8}
WRONG = "ce n'est pas le bon mot de passe"
LOCKED_TITLE = "Trop de tentatives. Votre accès est bloqué pendant 15 minutes."
_addresses = itertools.count(1)


def new_address() -> dict[str, str]:
    """A client address of its own for a test (as the gateway forwards it)."""
    return {"X-Forwarded-For": f"203.0.113.{next(_addresses)}"}


async def attempt(auth: Auth, email: str, password: str, headers: dict[str, str]
                  ) -> tuple[int, Any, Any]:
    return await auth.call("POST", "/sessions", json_body={"email": email, "password": password},
                           headers=headers)


async def age_failures(auth: Auth, email: str, seconds: int = 60) -> None:
    """Let time pass for the account's counter (past any delay, within the window)."""
    async with auth.db.acquire() as conn:
        await conn.execute(
            "UPDATE login_throttle SET last_failure_at = last_failure_at - $2::interval "
            "WHERE scope = 'account' AND key = $1", account_key(email), timedelta(seconds=seconds))


async def fail(auth: Auth, email: str, times: int, headers: dict[str, str]) -> None:
    for _ in range(times):
        status, body, _ = await attempt(auth, email, WRONG, headers)
        assert status == 401, body
        await age_failures(auth, email)


async def test_after_three_failures_the_next_attempt_must_wait(auth: Auth) -> None:
    account = await auth.create_account()
    where = new_address()
    for _ in range(3):
        assert (await attempt(auth, account["email"], WRONG, where))[0] == 401
    status, body, resp = await attempt(auth, account["email"], PASSWORD, where)
    assert status == 429
    assert body["type"] == "/problems/throttled"
    assert 1 <= body["retry_after"] <= 2
    assert resp.headers["Retry-After"] == str(body["retry_after"])


async def test_the_delay_grows_with_each_failure(auth: Auth) -> None:
    account = await auth.create_account()
    where = new_address()
    for _ in range(3):
        await attempt(auth, account["email"], WRONG, where)
    first = (await attempt(auth, account["email"], WRONG, where))[1]["retry_after"]
    await age_failures(auth, account["email"])
    assert (await attempt(auth, account["email"], WRONG, where))[0] == 401
    second = (await attempt(auth, account["email"], WRONG, where))[1]["retry_after"]
    assert second > first


async def test_five_failures_lock_the_account_for_15_minutes(auth: Auth) -> None:
    account = await auth.create_account()
    where = new_address()
    await fail(auth, account["email"], 5, where)
    status, body, _ = await attempt(auth, account["email"], PASSWORD, where)
    assert status == 429
    assert body["type"] == "/problems/locked"
    assert body["title"] == LOCKED_TITLE
    assert 890 <= body["retry_after"] <= 900
    # Even from elsewhere: the lock is the account's.
    assert (await attempt(auth, account["email"], PASSWORD, new_address()))[0] == 429


async def test_a_lock_reads_the_same_for_an_unknown_account(auth: Auth) -> None:
    account = await auth.create_account()
    unknown = auth.new_email("nobody")
    answers = []
    for email in (account["email"], unknown):
        where = new_address()
        await fail(auth, email, 5, where)
        status, body, _ = await attempt(auth, email, PASSWORD, where)
        answers.append((status, {k: v for k, v in body.items()
                                 if k not in ("request_id", "retry_after")}))
    assert answers[0] == answers[1]
    assert answers[0][0] == 429 and answers[0][1]["type"] == "/problems/locked"


async def test_the_lock_ends_after_its_time(auth: Auth) -> None:
    account = await auth.create_account()
    where = new_address()
    await fail(auth, account["email"], 5, where)
    async with auth.db.acquire() as conn:
        await conn.execute("UPDATE login_throttle SET locked_until = now() - interval '1 second' "
                           "WHERE scope = 'account' AND key = $1", account_key(account["email"]))
    assert (await attempt(auth, account["email"], PASSWORD, where))[0] == 201


async def test_a_success_clears_the_account_counter(auth: Auth) -> None:
    account = await auth.create_account()
    where = new_address()
    for _ in range(2):
        await attempt(auth, account["email"], WRONG, where)
    assert (await attempt(auth, account["email"], PASSWORD, where))[0] == 201
    # Three fresh failures in a row are allowed again without waiting.
    for _ in range(3):
        assert (await attempt(auth, account["email"], WRONG, where))[0] == 401


async def test_too_many_failures_from_one_address_lock_that_address(auth: Auth) -> None:
    account = await auth.create_account()
    where = new_address()
    for _ in range(8):  # each on another account: no account counter is anywhere near its limit
        assert (await attempt(auth, auth.new_email("spray"), WRONG, where))[0] == 401
    status, body, _ = await attempt(auth, account["email"], PASSWORD, where)
    assert status == 429 and body["type"] == "/problems/locked"
    assert (await attempt(auth, account["email"], PASSWORD, new_address()))[0] == 201


async def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    settings = auth_settings("throttle_untrusted", trusted_proxies=(), address_lock_after=3)
    async with running_auth(settings) as auth:
        for _ in range(3):
            status, _, _ = await attempt(auth, auth.new_email("spray"), WRONG, new_address())
            assert status == 401
        # Another forged X-Forwarded-For does not help: the peer itself is counted.
        status, body, _ = await attempt(auth, auth.new_email("spray"), WRONG, new_address())
        assert status == 429 and body["type"] == "/problems/locked"


async def test_wrong_current_password_is_throttled_like_a_login(auth: Auth) -> None:
    account = await auth.create_account()
    where = new_address()
    token = (await auth.login(account["email"], headers=where))["access_token"]
    change = {"current_password": WRONG, "new_password": "une toute nouvelle phrase"}
    for _ in range(3):
        status, body, _ = await auth.call("PUT", "/me/password", json_body=change, token=token,
                                          headers=where)
        assert status == 422
    status, body, _ = await auth.call("PUT", "/me/password", json_body=change, token=token,
                                      headers=where)
    assert status == 429 and body["type"] == "/problems/throttled"
