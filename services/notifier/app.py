"""Application factory of the notifier service."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from services.common import keys as common_keys
from services.common.web import add_consumers, service_app
from services.notifier import keys
from services.notifier.consumers import handlers
from services.notifier.routes import setup_routes
from services.notifier.service import Notifier
from services.notifier.settings import Settings
from services.notifier.smtp import Mailer

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


def create_app(*, settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    app = service_app(settings, title="Portail Famille — notifications", migrations=MIGRATIONS)
    app[keys.SETTINGS] = settings
    setup_routes(app)
    # After the kernel's database context (migrated), before the consumers start.
    app.cleanup_ctx.append(notifier_context)
    app[common_keys.READY_CHECKS].append(smtp)
    add_consumers(app, handlers)
    return app


async def notifier_context(app: web.Application) -> AsyncIterator[None]:
    """The SMTP connection, checked at start-up, and the sent-mail log's own small pool."""
    settings = app[keys.SETTINGS]
    mailer = Mailer(settings)
    # An unreachable server is only a warning: mails wait in the queues until it answers.
    await mailer.check()
    sent_log = await asyncpg.create_pool(settings.database_dsn(), min_size=1, max_size=2)
    assert sent_log is not None
    app[keys.MAILER] = mailer
    app[keys.SENT_LOG] = sent_log
    notifier = Notifier(settings, mailer=mailer, sent_log=sent_log,
                        registry=app[common_keys.METRICS])
    app[keys.NOTIFIER] = notifier
    purger = asyncio.create_task(purge_sent_mails(notifier, settings))
    try:
        yield
    finally:
        purger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purger
        await sent_log.close()
        await mailer.close()


async def purge_sent_mails(notifier: Notifier, settings: Settings) -> None:
    while True:
        try:
            purged = await notifier.purge_sent(settings.sent_mails_keep_days)
            if purged:
                log.info("sent mails purged", extra={"count": purged})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database away: next time
            log.warning("sent mails purge failed", extra={"error": repr(exc)})
        await asyncio.sleep(settings.sent_mails_purge_seconds)


async def smtp(app: web.Application) -> dict[str, Any]:
    """Readiness of the mail server (see Notifier.smtp_state); never makes the notifier
    unready: mails wait in the queues while the server is away."""
    return app[keys.NOTIFIER].smtp_state()
