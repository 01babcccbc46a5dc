"""Application factory of the billing service."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.billing import keys
from services.billing.consumers import handlers
from services.billing.documents.render import Renderer
from services.billing.payments.payfip.provider import PayfipProvider
from services.billing.payments.payfip.sandbox import setup_sandbox
from services.billing.payments.poller import Poller
from services.billing.payments.provider import ProviderRefused, ProviderUnavailable
from services.billing.payments.service import Payments
from services.billing.routes import setup_routes
from services.billing.sepa.job import DebitJob
from services.billing.settings import SANDBOX_PATH, Settings
from services.common import keys as common_keys
from services.common.web import add_consumers, service_app

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(*, settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    app = service_app(settings, title="Portail Famille — facturation", migrations=MIGRATIONS)
    app[keys.SETTINGS] = settings
    setup_routes(app)
    if settings.serves_sandbox:  # never in production (settings refuse it)
        setup_sandbox(app, SANDBOX_PATH)
    app.cleanup_ctx.append(documents_context)
    app.cleanup_ctx.append(payments_context)
    app.cleanup_ctx.append(debit_job_context)
    add_consumers(app, handlers)
    return app


async def documents_context(app: web.Application) -> AsyncIterator[None]:
    renderer = Renderer(app[keys.SETTINGS].organisation)
    app[keys.RENDERER] = renderer
    try:
        yield
    finally:
        renderer.close()


async def payments_context(app: web.Application) -> AsyncIterator[None]:
    """The payment provider on the shared HTTP client, and the background checks."""
    settings = app[keys.SETTINGS]
    provider = PayfipProvider(app[common_keys.HTTP], base_url=settings.payfip_base_url,
                              numcli=settings.payfip_numcli, saisie=settings.payfip_saisie,
                              timeout=settings.payfip_timeout_seconds)
    payments = Payments(app[common_keys.DB], provider, settings)
    poller = Poller(payments)
    app[keys.PAYMENTS] = payments
    app[keys.POLLER] = poller
    check = asyncio.create_task(check_provider(provider))
    await poller.start()
    try:
        yield
    finally:
        check.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await check
        await poller.stop()


async def debit_job_context(app: web.Application) -> AsyncIterator[None]:
    """The pre-notifications and settlements of SEPA debits, in the background."""
    job = DebitJob(app[common_keys.DB], app[keys.SETTINGS])
    app[keys.DEBIT_JOB] = job
    await job.start()
    try:
        yield
    finally:
        await job.stop()


async def check_provider(provider: PayfipProvider) -> None:
    """PayFiP's labels of our client number: a configuration check, logged (the service runs
    meanwhile; online payments fail with a clear message until PayFiP answers)."""
    await asyncio.sleep(1.0)  # the sandbox, when it is ours, serves once the app is up
    try:
        labels = await provider.check_configuration()
    except (ProviderUnavailable, ProviderRefused) as exc:
        log.warning("PayFiP configuration check failed", extra={"error": str(exc),
                                                                "url": provider.base_url})
        return
    log.info("PayFiP configuration checked", extra={"client": labels})
