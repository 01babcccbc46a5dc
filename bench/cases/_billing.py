"""What the billing benchmarks share: a database of their own (dropped afterwards) with
billing's schema and the demo tariffs; the families and their billable lines come from
billing's scale fixture (services/billing/scale.py)."""

import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator

import asyncpg

from services.billing.app import MIGRATIONS
from services.billing.invoicing import repo as invoicing_repo
from services.billing.scale import generate, write
from services.billing.seed import demo_tariffs
from services.billing.settings import Settings
from services.common.db import create_pool, drop_database, prepare_database

__all__ = ["billing_database", "generate", "write"]


@contextlib.asynccontextmanager
async def billing_database(case: str) -> AsyncIterator[tuple[Settings, asyncpg.Pool]]:
    settings = Settings(env="test", log_level="WARNING",
                        database=f"bench_{case}_{secrets.token_hex(4)}")
    await prepare_database(settings, MIGRATIONS)
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            for tariff in demo_tariffs():
                await invoicing_repo.insert_tariff(conn, uuid.uuid4(), tariff)
        yield settings, pool
    finally:
        await pool.close()
        await drop_database(settings.pg_dsn, settings.database)
