"""The demo data (issue 8 point 9): catalogue, periods open relative to today, a nearly full day
whose second booking waits with its position, last month's history; idempotent, and right
whatever the order of the seed and the families events."""

import asyncio
import json
import os
import sys
import uuid

import asyncpg

from services.common.dates import today
from services.common.db import database
from services.common.demo import (
    DEMO_ALSH_ID,
    DEMO_CHILD_HUGO_ID,
    DEMO_CHILD_LEA_ID,
    DEMO_FAMILY_ID,
    DEMO_PARENT_EMAIL,
    DEMO_PERI_ID,
    DEMO_UNIT_ALSH_AFTERNOON_ID,
    DEMO_UNIT_ALSH_DAY_ID,
    DEMO_UNIT_ALSH_MORNING_ID,
    born,
    history_days,
    history_month,
)
from services.reservations.app import MIGRATIONS
from services.reservations.households import service as households
from services.reservations.seed import (
    DEMO_PERIOD_HOLIDAYS_ID,
    DEMO_PERIOD_TERM_ID,
    DEMO_PERIOD_WEDNESDAYS_ID,
    DemoDates,
    seed_demo,
)
from services.reservations.settings import Settings
from tests.service.reservations.helpers import Reservations, parent
from tests.support import NAMESPACE, RUN, settings_for

DEMO = f"/families/{DEMO_FAMILY_ID}"


async def test_the_demo_is_seeded_once_and_the_parent_can_book_it(
        reservations: Reservations) -> None:
    first = await seed_demo(reservations.db)
    counts = await reservations.counts()
    second = await seed_demo(reservations.db)

    assert first["catalogue"] == 9 and first["periods"] == 3, first
    assert first["history"] is not None and first["history"].startswith("R-")
    assert second == {"catalogue": 0, "periods": 0, "history": None}
    assert await reservations.counts() == counts

    establishments = {e["id"]: e for e in (await reservations.ok(
        "GET", "/establishments", headers=parent(DEMO_FAMILY_ID)))["items"]}
    alsh, peri = establishments[str(DEMO_ALSH_ID)], establishments[str(DEMO_PERI_ID)]
    assert (alsh["kind"], peri["kind"]) == ("accueil_de_loisirs", "periscolaire")
    assert [u["label"] for u in alsh["units"]] == ["Journée", "Matin", "Après-midi",
                                                   "Midi (repas)"]
    assert [u["label"] for u in peri["units"]] == ["Matin", "Midi (repas)", "Soir"]
    day = next(u for u in alsh["units"] if u["id"] == str(DEMO_UNIT_ALSH_DAY_ID))
    assert set(day["excludes"]) == {str(DEMO_UNIT_ALSH_MORNING_ID),
                                    str(DEMO_UNIT_ALSH_AFTERNOON_ID)}

    # The parent's periods: all three open for booking today.
    periods = (await reservations.ok("GET", f"{DEMO}/periods?child_id={DEMO_CHILD_HUGO_ID}",
                                     headers=parent(DEMO_FAMILY_ID)))
    listed = json.dumps(periods)
    for period_id in (DEMO_PERIOD_HOLIDAYS_ID, DEMO_PERIOD_WEDNESDAYS_ID, DEMO_PERIOD_TERM_ID):
        assert str(period_id) in listed

    # Last month's history, accepted, as billing invoices it.
    month = history_month(today())
    history = (await reservations.ok("GET", f"{DEMO}/reservations",
                                     headers=parent(DEMO_FAMILY_ID)))["items"]
    assert [(r["number"], r["state"], r["period"]["name"]) for r in history] == [
        (first["history"], "accepted", "Mercredis en période scolaire")]
    assert sorted({(line["date"], line["child_first_name"], line["state"])
                   for line in history[0]["lines"]}) == sorted(
        {(d.isoformat(), name, "accepted") for d in history_days(month)
         for name in ("Léa", "Hugo")})

    # The nearly full day: one place; Léa takes it, Hugo waits first in line.
    nearly_full = DemoDates.of(today()).nearly_full
    answers = []
    for child in (DEMO_CHILD_LEA_ID, DEMO_CHILD_HUGO_ID):
        answers.append(await reservations.ok("POST", f"{DEMO}/reservations",
                                             headers=parent(DEMO_FAMILY_ID), status=201, json={
            "child_id": str(child), "period_id": str(DEMO_PERIOD_HOLIDAYS_ID), "kind": "book",
            "lines": [{"date": nearly_full.isoformat(),
                       "unit_id": str(DEMO_UNIT_ALSH_DAY_ID)}]}))
    assert [(a["state"], a["lines"][0]["state"], a["lines"][0]["position"])
            for a in answers] == [("accepted", "accepted", None), ("waiting", "waiting", 1)]


async def _read_model(pool: asyncpg.Pool) -> tuple[list[tuple[object, ...]], list[object]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, first_name, version FROM children ORDER BY id")
        members = await conn.fetch("SELECT child_id FROM memberships WHERE family_id = $1 "
                                   "ORDER BY child_id", DEMO_FAMILY_ID)
        family = await conn.fetchrow("SELECT email, version FROM families WHERE id = $1",
                                     DEMO_FAMILY_ID)
    assert family is not None
    return ([tuple(r) for r in rows] + [tuple(family)], [m["child_id"] for m in members])


async def _families_events(pool: asyncpg.Pool) -> None:
    """What the families events bring (version 1, a renamed child and another address)."""
    async with pool.acquire() as conn:
        await households.apply_family(conn, family_id=DEMO_FAMILY_ID, name="Famille Martin",
                                      email="claire.martin@example.org", version=1)
        for child_id, name in ((DEMO_CHILD_LEA_ID, "Léa-Rose"), (DEMO_CHILD_HUGO_ID, "Hugo")):
            await households.apply_child(conn, child_id=child_id, family_id=DEMO_FAMILY_ID,
                                         first_name=name, last_name="Martin",
                                         birth_date=born(7, 0, on=today()), school_level="CP",
                                         version=1)


async def test_the_families_events_win_whichever_comes_first() -> None:
    expected = ([(DEMO_CHILD_LEA_ID, "Léa-Rose", 1), (DEMO_CHILD_HUGO_ID, "Hugo", 1),
                 ("claire.martin@example.org", 1)], [DEMO_CHILD_LEA_ID, DEMO_CHILD_HUGO_ID])
    for order in ("events first", "seed first"):
        name = f"test_{RUN}_reservations_seed_{uuid.uuid4().hex[:6]}"
        async with database(settings_for(Settings, database=name), MIGRATIONS) as pool:
            if order == "events first":
                await _families_events(pool)
                await seed_demo(pool)
            else:
                await seed_demo(pool)
                async with pool.acquire() as conn:
                    email = await conn.fetchval("SELECT email FROM families")
                assert email == DEMO_PARENT_EMAIL  # the seed's, until the events come
                await _families_events(pool)
            assert await _read_model(pool) == expected, order


async def test_the_seed_command_is_idempotent() -> None:
    env = {**os.environ, "PORTAIL_ENV": "test", "PORTAIL_NAMESPACE": NAMESPACE,
           "PORTAIL_LOG_LEVEL": "WARNING",
           "RESERVATIONS_DATABASE": f"test_{RUN}_reservations_seed_command"}
    outputs = []
    for _ in range(2):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.reservations", "seed-demo", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        outputs.append(json.loads(out))

    assert outputs[0]["periods"] == 3 and outputs[0]["history"].startswith("R-")
    assert outputs[1] == {"catalogue": 0, "periods": 0, "history": None}
