"""Use case: send the mails an event calls for, each of them once."""

import logging
from datetime import UTC, datetime

import asyncpg
from prometheus_client import CollectorRegistry, Counter

from services.common.db import Conn
from services.common.events import Envelope
from services.notifier import repo
from services.notifier.compose import COMPOSERS
from services.notifier.mails import Renderer
from services.notifier.settings import Settings
from services.notifier.smtp import Mailer, MailNotSent

log = logging.getLogger(__name__)


class Notifier:
    """Turns events into mails: renders, sends on the shared SMTP connection, logs each one."""

    def __init__(self, settings: Settings, *, mailer: Mailer, sent_log: asyncpg.Pool,
                 registry: CollectorRegistry) -> None:
        self.renderer = Renderer(settings)
        self.mailer = mailer
        # A pool of its own: a handler already holds a connection of the main pool, and
        # waiting there for a second one could starve every handler at once.
        self.sent_log = sent_log
        self.sent = Counter("notifier_mails_sent", "Mails accepted by the SMTP server",
                            ["template"], registry=registry)
        self.failed = Counter("notifier_mails_failed", "Mails the SMTP server did not take",
                              ["template"], registry=registry)

    async def notify(self, conn: Conn, envelope: Envelope) -> None:
        """Send every mail of `envelope` not sent yet; raise if one fails (the event is
        retried later, and the mails already sent are skipped then)."""
        for mail in COMPOSERS[envelope.type](envelope, self.renderer):
            where = {"event_id": str(envelope.id), "event_type": envelope.type,
                     "template": mail.template, "recipient_domain": mail.recipient_domain}
            if await repo.was_sent(conn, envelope.id, mail.recipient_kind):
                log.info("mail already sent, not sent again", extra=where)
                continue
            message = self.renderer.message(mail, event_id=envelope.id, now=datetime.now(UTC))
            try:
                await self.mailer.send(message)
            except MailNotSent as exc:
                self.failed.labels(mail.template).inc()
                log.warning("mail not sent", extra={**where, "error": str(exc)})
                raise
            # Committed at once, outside the handler's transaction: should a later mail of
            # this event fail, that transaction rolls back, yet this mail has gone out and
            # must be skipped when the event is retried.
            async with self.sent_log.acquire() as log_conn:
                await repo.record_sent(
                    log_conn, event_id=envelope.id, recipient_kind=mail.recipient_kind,
                    event_type=envelope.type, template=mail.template,
                    recipient_domain=mail.recipient_domain, message_id=message["Message-ID"],
                )
            self.sent.labels(mail.template).inc()
            log.info("mail sent", extra=where)
