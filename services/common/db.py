"""PostgreSQL: one database per service, created when absent, migrated under an advisory lock."""

import json
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from services.common.settings import ServiceSettings, replace_database

log = logging.getLogger(__name__)

# What repositories and handlers receive: a plain connection or one lent by a pool.
Conn = asyncpg.Connection | PoolConnectionProxy

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant shared by every migrator; the lock is per database, so services do not wait
# for each other, only replicas of one service do.
MIGRATION_LOCK = 0x504F5254  # "PORT"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_DATABASE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED = "SELECT name FROM schema_migrations"
INSERT_APPLIED = "INSERT INTO schema_migrations (name) VALUES ($1)"


async def ensure_database(server_dsn: str, database: str) -> None:
    """Create `database` on the server when it does not exist (safe if several try at once)."""
    if not _DATABASE.match(database):
        raise ValueError(f"invalid database name: {database!r}")
    conn = await asyncpg.connect(replace_database(server_dsn, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{database}"')
                log.info("database created", extra={"database": database})
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                pass  # another process created it between our check and our CREATE
    finally:
        await conn.close()


async def drop_database(server_dsn: str, database: str) -> None:
    """Drop a database, closing its remaining connections (tests clean up with it)."""
    if not _DATABASE.match(database):
        raise ValueError(f"invalid database name: {database!r}")
    conn = await asyncpg.connect(replace_database(server_dsn, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


def migration_files(*directories: Path) -> list[tuple[str, Path]]:
    """(recorded name, path) of every migration, in order: one directory after the other."""
    found: list[tuple[str, Path]] = []
    for directory in directories:
        files = sorted(p for p in directory.glob("*.sql") if _NAME.match(p.name))
        found.extend((f"{directory.parent.name}/{p.name}", p) for p in files)
    return found


async def migrate(conn: Conn, directories: Sequence[Path]) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names.

    A session-level advisory lock serialises replicas starting together: the second one
    waits, then finds everything applied and does nothing.
    """
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(CREATE_MIGRATIONS_TABLE)
        applied = {r["name"] for r in await conn.fetch(SELECT_APPLIED)}
        for name, path in migration_files(*directories):
            if name in applied:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute(INSERT_APPLIED, name)
            applied_now.append(name)
            log.info("migration applied", extra={"migration": name})
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now


async def init_connection(conn: asyncpg.Connection) -> None:
    """The codecs every connection of ours uses (pools, and the benchmarks' own)."""
    # jsonb columns come and go as Python objects.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(settings: ServiceSettings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        settings.database_dsn(),
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        init=init_connection,
        # Our queries are short: compiling one (JIT, tried above a cost that a scan of a
        # large table reaches) costs more than it saves, and made a search of 50,000
        # families wait tens of milliseconds for nothing.
        server_settings={"jit": "off"},
    )
    assert pool is not None
    return pool


async def prepare_database(settings: ServiceSettings, migrations: Path) -> list[str]:
    """Create the service's database if needed and bring its schema up to date."""
    await ensure_database(settings.pg_dsn, settings.database)
    conn = await asyncpg.connect(settings.database_dsn())
    try:
        return await migrate(conn, [COMMON_MIGRATIONS, migrations])
    finally:
        await conn.close()


@asynccontextmanager
async def database(settings: ServiceSettings, migrations: Path) -> AsyncIterator[asyncpg.Pool]:
    """Prepared database and a pool on it, closed on exit."""
    await prepare_database(settings, migrations)
    pool = await create_pool(settings)
    try:
        yield pool
    finally:
        await pool.close()
