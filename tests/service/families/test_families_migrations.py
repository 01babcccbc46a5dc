"""The families database can be set up by its owner alone: the search's extensions (unaccent,
pg_trgm) are trusted ones, so an operator's DSN needs no superuser."""

import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from services.common.db import drop_database, prepare_database
from services.common.settings import replace_database
from services.families.app import MIGRATIONS
from services.families.settings import Settings
from tests.support import PG_DSN, RUN, settings_for


@pytest.fixture
async def owner_dsn() -> AsyncIterator[tuple[str, str]]:
    """A login role of this run, neither superuser nor allowed to create databases, and an
    empty database it owns; both removed afterwards."""
    role, database, password = f"test_{RUN}_owner", f"test_{RUN}_families_owner", \
        secrets.token_hex(12)
    admin = await asyncpg.connect(replace_database(PG_DSN, "postgres"))
    try:
        await admin.execute(f"CREATE ROLE \"{role}\" LOGIN NOSUPERUSER NOCREATEDB "
                            f"PASSWORD '{password}'")
        await admin.execute(f'CREATE DATABASE "{database}" OWNER "{role}"')
        parts = urlsplit(PG_DSN)
        netloc = f"{role}:{password}@{parts.hostname}:{parts.port or 5432}"
        yield urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), database
    finally:
        await drop_database(PG_DSN, database)
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


async def test_the_database_owner_migrates_without_being_a_superuser(
        owner_dsn: tuple[str, str]) -> None:
    dsn, database = owner_dsn
    settings = settings_for(Settings, database=database, pg_dsn=dsn)

    applied = await prepare_database(settings, MIGRATIONS)

    assert "families/0003_search.sql" in applied
    conn = await asyncpg.connect(settings.database_dsn())
    try:
        assert not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = user")
        assert await conn.fetchval("SELECT search_fold('Clermont-l''Hérault')") \
            == "clermont l herault"
    finally:
        await conn.close()
