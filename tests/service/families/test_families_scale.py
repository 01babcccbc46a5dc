"""The scale fixture (`seed-scale`): families with 1–3 children, French names with their accents,
a queue and a journal, all searchable; its command, never in production."""

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.common.db import create_pool, prepare_database
from services.families.app import MIGRATIONS
from services.families.scale import seed_scale
from services.families.search import search_families
from services.families.settings import Settings
from tests.support import NAMESPACE, RUN, settings_for


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[asyncpg.Pool]:
    settings = settings_for(Settings, database=f"test_{RUN}_families_scale")
    await prepare_database(settings, MIGRATIONS)
    pool = await create_pool(settings)
    try:
        yield pool
    finally:
        await pool.close()


async def test_families_come_with_one_to_three_children_a_queue_and_a_journal(
        pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        seeded = await seed_scale(conn, families=300)
        again = await seed_scale(conn, families=10)  # a second run adds to the first
        children = await conn.fetch(
            "SELECT count(c.id) AS n FROM families f LEFT JOIN children c ON c.family_id = f.id"
            " GROUP BY f.id")
        pending = await conn.fetchval(
            "SELECT count(*) FROM change_requests WHERE state = 'pending'")
        journal = await conn.fetchval("SELECT count(*) FROM audit_entries")
        accented = await conn.fetchval(
            "SELECT count(*) FROM children WHERE first_name <> unaccent(first_name)")

    assert (seeded.families, again.families) == (300, 10)
    assert len(children) == 310
    assert {r["n"] for r in children} <= {1, 2, 3}
    assert seeded.children + again.children == sum(r["n"] for r in children)
    assert pending == seeded.requests + again.requests == 155
    assert journal == seeded.audit_entries + again.audit_entries == 310 + 155
    assert accented > 0


async def test_what_it_generates_is_searchable_like_any_family(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await seed_scale(conn, families=200)
        stale = await conn.fetchval(
            "SELECT count(*) FROM families f WHERE search_text IS DISTINCT FROM "
            "family_search_text(f.id, f.name, f.email, f.postal_code, f.city)")
        hélène = await conn.fetchval(
            "SELECT count(DISTINCT family_id) FROM children WHERE first_name = 'Hélène'")
        found, total = await search_families(conn, "helene", cursor=None, limit=1000)

    assert stale == 0
    assert hélène > 0
    assert total is not None and total >= hélène
    assert all(any(c.startswith("Hélène ") for c in r["children"]) or "helene" in r["email"]
               for r in found.items)


async def command(*args: str, env: str = "test") -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.families", "seed-scale", *args,
        env={**os.environ, "PORTAIL_ENV": env, "PORTAIL_NAMESPACE": NAMESPACE,
             "PORTAIL_LOG_LEVEL": "WARNING",
             "FAMILIES_DATABASE": f"test_{RUN}_families_scale_cli"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_adds_the_families_asked_for() -> None:
    code, out, err = await command("--families", "25")

    assert code == 0, err
    answer = json.loads(out)
    assert (answer["database"], answer["families"]) == (f"test_{RUN}_families_scale_cli", 25)


@pytest.mark.parametrize(("args", "env"), [(("--families", "10"), "production"),
                                           (("--families", "0"), "test"),
                                           (("--families", "10", "--seed", "7"), "test")])
async def test_the_command_refuses_production_and_odd_numbers(args: tuple[str, ...],
                                                             env: str) -> None:
    code, out, err = await command(*args, env=env)

    assert code == 2
    assert out == ""
    assert err
