"""`python -m services.auth` commands: demo seed, staff accounts, refusal without a key."""

import asyncio
import os
import sys
from typing import Any

import jwt

from services.common import demo
from tests.service.auth.conftest import FAST_HASHING, SIGNING_KEY, Auth, EventTap
from tests.support import AMQP_URL, NAMESPACE, PG_DSN

STAFF_PASSWORD = "le mot de passe du service jeunesse"


def environment(auth: Auth, **extra: str) -> dict[str, str]:
    """The environment a deployment would give the command, aimed at the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_", "PORTAIL_"))}
    env.update({
        "PORTAIL_ENV": "test", "PORTAIL_PG_DSN": PG_DSN, "PORTAIL_AMQP_URL": AMQP_URL,
        "PORTAIL_NAMESPACE": NAMESPACE, "PORTAIL_LOG_LEVEL": "WARNING",
        "AUTH_DATABASE": auth.settings.database, "AUTH_SIGNING_KEY": SIGNING_KEY,
        **{f"AUTH_{k.upper()}": str(v) for k, v in FAST_HASHING.items()},
        **extra,
    })
    return env


async def run(auth: Auth, *args: str, stdin: str = "", **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.auth", *args, env=environment(auth, **env),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def claims(tokens: dict[str, Any]) -> dict[str, Any]:
    return dict(jwt.decode(tokens["access_token"], options={"verify_signature": False}))


async def test_seed_demo_makes_the_demo_logins_work_even_over_an_invitation(auth: Auth) -> None:
    # The families seed may have had the demo parent invited first.
    await auth.create_account(email=demo.DEMO_PARENT_EMAIL, status="invited",
                              family_id=demo.DEMO_FAMILY_ID)
    code, _, err = await run(auth, "seed-demo")
    assert code == 0, err
    parent = await auth.login(demo.DEMO_PARENT_EMAIL, demo.DEMO_PASSWORD)
    assert claims(parent)["role"] == "parent"
    assert claims(parent)["family_id"] == str(demo.DEMO_FAMILY_ID)
    agent = await auth.login(demo.DEMO_AGENT_EMAIL, demo.DEMO_PASSWORD)
    assert claims(agent)["role"] == "staff"


async def test_seed_demo_makes_the_second_households_parent(auth: Auth) -> None:
    assert (await run(auth, "seed-demo"))[0] == 0
    parent2 = await auth.login(demo.DEMO_PARENT2_EMAIL, demo.DEMO_PASSWORD)
    assert claims(parent2)["role"] == "parent"
    assert claims(parent2)["family_id"] == str(demo.DEMO_FAMILY2_ID)


async def test_seed_demo_can_run_again(auth: Auth) -> None:
    assert (await run(auth, "seed-demo"))[0] == 0
    assert (await run(auth, "seed-demo"))[0] == 0
    async with auth.db.acquire() as conn:
        counts = await conn.fetch(
            "SELECT email, count(*) AS n FROM accounts WHERE email = ANY($1::text[]) "
            "GROUP BY email", [demo.DEMO_PARENT_EMAIL, demo.DEMO_AGENT_EMAIL])
    assert {r["email"]: r["n"] for r in counts} == {demo.DEMO_PARENT_EMAIL: 1,
                                                     demo.DEMO_AGENT_EMAIL: 1}
    await auth.login(demo.DEMO_PARENT_EMAIL, demo.DEMO_PASSWORD)


async def test_create_staff_with_a_password_from_stdin(auth: Auth) -> None:
    email = auth.new_email("agent")
    code, out, err = await run(auth, "create-staff", "--email", email, "--role", "admin",
                               "--password-stdin", stdin=STAFF_PASSWORD + "\n")
    assert code == 0, err
    assert STAFF_PASSWORD not in out + err
    assert claims(await auth.login(email, STAFF_PASSWORD))["role"] == "admin"


async def test_create_staff_with_a_name_the_journal_shows(auth: Auth) -> None:
    email = auth.new_email("agent")
    code, _, err = await run(auth, "create-staff", "--email", email, "--name",
                             "  Sophie   Durand ", "--password-stdin",
                             stdin=STAFF_PASSWORD + "\n")
    assert code == 0, err
    token = (await auth.login(email, STAFF_PASSWORD))["access_token"]
    account_id = claims({"access_token": token})["sub"]
    status, body, _ = await auth.call("GET", f"/accounts?id={account_id}", token=token)
    assert status == 200 and body[0]["display_name"] == "Sophie Durand"
    code, _, err = await run(auth, "create-staff", "--email", auth.new_email("agent"),
                             "--name", "x" * 101)
    assert code == 1 and "100 caractères" in err


async def test_create_staff_applies_the_password_policy(auth: Auth) -> None:
    code, _, err = await run(auth, "create-staff", "--email", auth.new_email("agent"),
                             "--password-stdin", stdin="azertyuiop123\n")
    assert code == 1
    assert "Ce mot de passe est trop courant." in err


async def test_create_staff_without_a_password_mails_an_invitation(
        auth: Auth, events: EventTap) -> None:
    email = auth.new_email("agent")
    code, _, err = await run(auth, "create-staff", "--email", email)
    assert code == 0, err
    # Written to the outbox by the command; the running service relays it.
    invitation = (await events.wait_for("auth.account_invited", email=email))["data"]
    assert invitation["family_id"] is None
    status, body, _ = await auth.call("POST", "/password/check",
                                      json_body={"token": invitation["token"]})
    assert (status, body) == (200, {"email": email, "kind": "invitation"})


async def test_create_staff_refuses_an_existing_address(auth: Auth) -> None:
    account = await auth.create_account()
    code, _, err = await run(auth, "create-staff", "--email", account["email"])
    assert code == 1
    assert "Un compte existe déjà avec cette adresse e-mail." in err


async def test_the_service_refuses_to_start_in_production_without_a_signing_key(
        auth: Auth) -> None:
    code, _, err = await run(auth, "serve", PORTAIL_ENV="production", AUTH_SIGNING_KEY="",
                             AUTH_PORT="1")
    assert code == 2
    assert err.strip().startswith("auth: AUTH_SIGNING_KEY is required in production")
