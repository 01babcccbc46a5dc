"""The periodic work of direct debit, on every replica (rows claimed with SKIP LOCKED): the
pre-notifications due, then the settlement of the debits whose day has come."""

import asyncio
import contextlib
import logging

import asyncpg

from services.billing.sepa import debits
from services.billing.settings import Settings

log = logging.getLogger(__name__)


class DebitJob:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        async with self.pool.acquire() as conn:
            done = await debits.prenotify_due(conn, settings=self.settings)
            done += await debits.settle_due(conn)
        return done

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: try again at the next tick
                log.warning("direct debit job failed, will retry", extra={"error": repr(exc)})
            await asyncio.sleep(self.settings.sepa_job_seconds)

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="direct-debit-job")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
