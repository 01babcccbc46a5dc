"""The demo family (SPEC §9): Famille Martin and two children aged 5 and 9, seeded once."""

import asyncio
import json
import os
import sys
from datetime import date

from services.common.demo import (
    DEMO_CHILD_HUGO_ID,
    DEMO_CHILD_LEA_ID,
    DEMO_FAMILY2_ID,
    DEMO_FAMILY_ID,
    DEMO_PARENT2_EMAIL,
    DEMO_PARENT_EMAIL,
    hugo_even_weeks_household,
)
from services.families.fields import today
from services.families.seed import seed_demo
from tests.service.families.helpers import EventLog, Families, parent, staff
from tests.support import NAMESPACE, RUN


def age(born: str, on: date) -> int:
    birth = date.fromisoformat(born)
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


async def test_the_demo_family_is_seeded_once_with_its_children_and_events(
        families: Families, events: EventLog) -> None:
    assert await seed_demo(families.db) is True
    assert await seed_demo(families.db) is False

    family = (await families.call("GET", f"/families/{DEMO_FAMILY_ID}",
                                  headers=parent(DEMO_FAMILY_ID))).body
    assert (family["name"], family["email"], family["qf"]) == (
        "Famille Martin", DEMO_PARENT_EMAIL, 620)
    assert (family["address"]["postal_code"], family["address"]["city"]) == (
        "34800", "Clermont-l'Hérault")
    assert [g["first_name"] for g in family["guardians"]] == ["Claire", "Julien"]
    children = (await families.call("GET", f"/families/{DEMO_FAMILY_ID}/children",
                                    headers=parent(DEMO_FAMILY_ID))).body["items"]
    now = today()
    assert [(c["id"], c["first_name"], age(c["birth_date"], now), c["school_level"])
            for c in children] == [
        (str(DEMO_CHILD_HUGO_ID), "Hugo", 9, "CM1"), (str(DEMO_CHILD_LEA_ID), "Léa", 5, "GS")]
    lea = children[1]
    assert (lea["allergies"], lea["pai"]) == ("Arachide", True)

    await events.wait_for("families.family_created", family_id=DEMO_FAMILY_ID,
                          email=DEMO_PARENT_EMAIL)
    for child_id in (DEMO_CHILD_LEA_ID, DEMO_CHILD_HUGO_ID):
        await events.wait_for("families.child_created", child_id=child_id)
    assert len(events.of("families.family_created", family_id=DEMO_FAMILY_ID)) == 1


async def test_the_demo_second_household_shares_hugo_in_alternate_weeks(
        families: Families, events: EventLog) -> None:
    await seed_demo(families.db)

    second = (await families.call("GET", f"/families/{DEMO_FAMILY2_ID}",
                                  headers=parent(DEMO_FAMILY2_ID))).body
    assert (second["email"], second["address"]["city"], second["qf"]) == (
        DEMO_PARENT2_EMAIL, "Lodève", 940)
    children = (await families.call("GET", f"/families/{DEMO_FAMILY2_ID}/children",
                                    headers=parent(DEMO_FAMILY2_ID))).body["items"]
    assert [c["id"] for c in children] == [str(DEMO_CHILD_HUGO_ID)]
    view = (await families.call("GET", f"/children/{DEMO_CHILD_HUGO_ID}/households",
                                headers=staff())).body
    assert [h["family_id"] for h in view["households"]] == [str(DEMO_FAMILY_ID),
                                                            str(DEMO_FAMILY2_ID)]
    assert view["custody"] == {"pattern": "alternate_weeks",
                               "even_weeks_family_id": str(hugo_even_weeks_household(today()))}
    linked = await events.wait_for("families.child_linked", child_id=DEMO_CHILD_HUGO_ID)
    assert linked.data["family_ids"] == [str(DEMO_FAMILY2_ID), str(DEMO_FAMILY_ID)]


async def test_the_seed_command_is_idempotent() -> None:
    env = {**os.environ, "PORTAIL_ENV": "test", "PORTAIL_NAMESPACE": NAMESPACE,
           "PORTAIL_LOG_LEVEL": "WARNING", "FAMILIES_DATABASE": f"test_{RUN}_families_seed"}
    outputs = []
    for _ in range(2):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.families", "seed-demo", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        outputs.append(json.loads(out))

    assert [o["created"] for o in outputs] == [True, False]
    assert outputs[0]["family_id"] == str(DEMO_FAMILY_ID)
