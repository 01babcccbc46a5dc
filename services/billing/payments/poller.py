"""Background checks of unfinished online payments, so a lost notification never leaves one
hanging: each replica claims due payments with SKIP LOCKED (each goes to one replica), pushes
their next check further each time, and asks the provider."""

import asyncio
import contextlib
import logging

from services.billing.payments import repo, service
from services.billing.payments.service import Payments

log = logging.getLogger(__name__)


class Poller:
    def __init__(self, payments: Payments, *, batch: int = 20) -> None:
        self.payments = payments
        self.batch = batch
        self._task: asyncio.Task[None] | None = None

    async def poll_once(self) -> int:
        """Check the payments due now; how many were checked."""
        async with self.payments.pool.acquire() as conn:
            due = await repo.claim_due(conn, batch=self.batch,
                                       interval=self.payments.settings.payment_poll_seconds)
        for row in due:
            await service.verify(self.payments, payment_id=row["id"])
        return len(due)

    async def run(self) -> None:
        interval = self.payments.settings.payment_poll_seconds
        while True:
            try:
                while await self.poll_once() == self.batch:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: try again at the next tick
                log.warning("payment checks failed, will retry", extra={"error": repr(exc)})
            await asyncio.sleep(interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="payment-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
