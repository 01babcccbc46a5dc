"""Migrations: applied once, in order, recorded; concurrent migrators do not collide."""

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest

from services.common.db import drop_database, ensure_database, migrate
from services.common.settings import replace_database
from tests.support import PG_DSN, RUN


@pytest.fixture
async def scratch_db() -> str:
    name = f"test_{RUN}_mig_{uuid.uuid4().hex[:6]}"
    await ensure_database(PG_DSN, name)
    return name


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "demo" / "migrations"
    folder.mkdir(parents=True)
    # No IF NOT EXISTS: applying a file twice would fail loudly.
    (folder / "0001_first.sql").write_text(
        "-- first table\nCREATE TABLE first (id int PRIMARY KEY);\nSELECT pg_sleep(0.3);\n")
    (folder / "0002_second.sql").write_text(
        "-- second table, after the first\nCREATE TABLE second (id int REFERENCES first);\n")
    (folder / "notes.txt").write_text("not a migration")
    return folder


async def connect(database: str) -> asyncpg.Connection:
    return await asyncpg.connect(replace_database(PG_DSN, database))


async def test_migrations_apply_in_order_and_a_second_run_is_a_no_op(
        scratch_db: str, migrations: Path) -> None:
    conn = await connect(scratch_db)
    try:
        assert await migrate(conn, [migrations]) == [
            "demo/0001_first.sql", "demo/0002_second.sql"]
        assert await migrate(conn, [migrations]) == []
        recorded = await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")
    finally:
        await conn.close()
    assert [r["name"] for r in recorded] == ["demo/0001_first.sql", "demo/0002_second.sql"]


async def test_a_new_migration_file_is_applied_on_the_next_run(
        scratch_db: str, migrations: Path) -> None:
    conn = await connect(scratch_db)
    try:
        await migrate(conn, [migrations])
        (migrations / "0003_third.sql").write_text("ALTER TABLE first ADD COLUMN label text;")
        assert await migrate(conn, [migrations]) == ["demo/0003_third.sql"]
    finally:
        await conn.close()


async def test_two_concurrent_migrators_do_not_collide(scratch_db: str, migrations: Path) -> None:
    first, second = await connect(scratch_db), await connect(scratch_db)
    try:
        applied = await asyncio.gather(migrate(first, [migrations]),
                                       migrate(second, [migrations]))
        tables = await first.fetchval(
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('first', 'second')")
    finally:
        await first.close()
        await second.close()
    assert sorted(applied, key=len) == [[], ["demo/0001_first.sql", "demo/0002_second.sql"]]
    assert tables == 2


async def test_a_failing_migration_is_rolled_back_and_not_recorded(
        scratch_db: str, migrations: Path) -> None:
    (migrations / "0003_broken.sql").write_text(
        "CREATE TABLE third (id int);\nSELECT * FROM no_such_table;\n")
    conn = await connect(scratch_db)
    try:
        with pytest.raises(asyncpg.UndefinedTableError):
            await migrate(conn, [migrations])
        names = [r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")]
        third = await conn.fetchval("SELECT to_regclass('third')")
    finally:
        await conn.close()
    assert "demo/0003_broken.sql" not in names
    assert third is None


async def test_concurrent_database_creation_is_safe() -> None:
    name = f"test_{RUN}_created_{uuid.uuid4().hex[:6]}"
    await asyncio.gather(*(ensure_database(PG_DSN, name) for _ in range(4)))
    conn = await connect(name)
    await conn.close()
    await drop_database(PG_DSN, name)
