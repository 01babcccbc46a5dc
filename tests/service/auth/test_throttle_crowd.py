"""Logins under a crowd: the attempts of one account take turns (issue 13, point 1), so
simultaneous correct logins all succeed while simultaneous guesses still stop at the lock —
also across two auth processes sharing the database."""

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.auth.throttle import account_key
from tests.service.auth.conftest import PASSWORD, Auth, auth_settings, running_auth

# No delay stage: the guesses run straight into the lock, whose limit is what is checked.
SETTINGS = {"throttle_delay_seconds": 0.0}
WRONG = "ce n'est pas le bon mot de passe"
CROWD = 20


@pytest.fixture(scope="module")
async def two() -> AsyncIterator[tuple[Auth, Auth]]:
    """Two auth instances on one database, as two worker processes would be."""
    settings = auth_settings("throttle_crowd_pair", **SETTINGS)
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(running_auth(settings))
        second = await stack.enter_async_context(running_auth(settings))
        yield first, second


async def crowd(instances: tuple[Auth, ...], email: str, password: str
                ) -> list[tuple[int, Any]]:
    """`CROWD` logins of `email` at once, spread over `instances`."""

    async def one(i: int) -> tuple[int, Any]:
        status, body, _ = await instances[i % len(instances)].call(
            "POST", "/sessions", json_body={"email": email, "password": password})
        return status, body

    return await asyncio.gather(*(one(i) for i in range(CROWD)))


async def sessions_of(auth: Auth, account_id: Any) -> int:
    async with auth.db.acquire() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM sessions WHERE account_id = $1", account_id)
    return count


async def failures_of(auth: Auth, email: str) -> int:
    async with auth.db.acquire() as conn:
        failures: int | None = await conn.fetchval(
            "SELECT failures FROM login_throttle WHERE scope = 'account' AND key = $1",
            account_key(email))
    return failures or 0


@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "two-processes"])
async def test_simultaneous_correct_logins_of_one_account_all_open_a_session(
        auth: Auth, two: tuple[Auth, Auth], processes: int) -> None:
    instances = (auth,) if processes == 1 else two
    account = await instances[0].create_account()
    answers = await crowd(instances, account["email"], PASSWORD)
    assert Counter(status for status, _ in answers) == {201: CROWD}, answers
    assert await sessions_of(instances[0], account["id"]) == CROWD
    assert await failures_of(instances[0], account["email"]) == 0


@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "two-processes"])
async def test_simultaneous_guesses_stop_at_the_lock_and_it_holds_for_the_right_password(
        auth: Auth, two: tuple[Auth, Auth], processes: int) -> None:
    instances = (auth,) if processes == 1 else two
    lock_after = auth.settings.account_lock_after
    account = await instances[0].create_account()
    answers = await crowd(instances, account["email"], WRONG)
    statuses = Counter(status for status, _ in answers)
    # Exactly as many passwords checked (and refused) as the limit, every other one locked.
    assert statuses == {401: lock_after, 429: CROWD - lock_after}, answers
    assert all(body["type"] == "/problems/locked" for status, body in answers if status == 429)
    assert await failures_of(instances[0], account["email"]) == lock_after
    # The right password during the lock is still refused, and opens nothing.
    answers = await crowd(instances, account["email"], PASSWORD)
    assert Counter(status for status, _ in answers) == {429: CROWD}
    assert await sessions_of(instances[0], account["id"]) == 0
