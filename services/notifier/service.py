"""Use case: send the mails an event calls for, each of them once."""

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge

from services.common.events import Envelope
from services.notifier import repo
from services.notifier.compose import COMPOSERS
from services.notifier.mails import Mail, Renderer
from services.notifier.settings import Settings
from services.notifier.smtp import Mailer, MailNotSent

log = logging.getLogger(__name__)

OLDEST_UNDELIVERED = "notifier_oldest_undelivered_mail_seconds"
PURGE_SENT = "DELETE FROM sent_mails WHERE sent_at < now() - make_interval(days => $1)"


class Notifier:
    """Turns events into mails: renders, sends on the shared SMTP connection, logs each one."""

    def __init__(self, settings: Settings, *, mailer: Mailer, sent_log: asyncpg.Pool,
                 registry: CollectorRegistry) -> None:
        self.renderer = Renderer(settings)
        self.mailer = mailer
        # A pool of its own, small: the consumer's pool stays free for /readyz and the
        # kernel's records whatever the mail server does.
        self.sent_log = sent_log
        self.sent = Counter("notifier_mails_sent", "Mails accepted by the SMTP server",
                            ["template"], registry=registry)
        self.failed = Counter("notifier_mails_failed", "Mails the SMTP server did not take",
                              ["template"], registry=registry)
        # Mails that failed and wait for a retry (or a replay): when each event occurred.
        self.undelivered: dict[tuple[uuid.UUID, str], datetime] = {}
        # Mails the server took whose sent log could not be written yet (the database away):
        # their Message-ID. The consumer retries the event in this process once the outage
        # is over, which logs them without sending them again (only this process's stop or
        # death during the outage would hand the event to another, which would send again).
        self.unlogged: dict[tuple[uuid.UUID, str], str] = {}
        # Sends in progress, so that an event's redelivery waits for its mail's send rather
        # than sending it a second time.
        self.sending: dict[tuple[uuid.UUID, str], asyncio.Task[str]] = {}
        Gauge(OLDEST_UNDELIVERED, "Age of the oldest mail not delivered yet (0 when none)",
              registry=registry).set_function(self.oldest_undelivered_seconds)

    def oldest_undelivered_seconds(self) -> float:
        if not self.undelivered:
            return 0.0
        return max(0.0, (datetime.now(UTC) - min(self.undelivered.values())).total_seconds())

    def smtp_state(self) -> dict[str, Any]:
        """What readiness says of the mail server: up, or degraded since when, and how many
        mails wait (mails wait in the queues meanwhile: the notifier stays ready)."""
        waiting = len(self.undelivered)
        since = self.mailer.down_since
        if since is None:
            return {"status": "up", "waiting_mails": waiting}
        return {"status": "degraded", "down_since": since.isoformat(),
                "down_seconds": round((datetime.now(UTC) - since).total_seconds()),
                "waiting_mails": waiting,
                "oldest_waiting_seconds": round(self.oldest_undelivered_seconds())}

    async def notify(self, envelope: Envelope) -> None:
        """Send every mail of `envelope` not sent yet; raise if one fails (the event is
        retried later, and the mails already sent are skipped then). Holds no transaction
        open across the SMTP round trip: the sent log's own short statements only."""
        for mail in COMPOSERS[envelope.type](envelope, self.renderer):
            where = {"event_id": str(envelope.id), "event_type": envelope.type,
                     "template": mail.template, "recipient_domain": mail.recipient_domain}
            key = (envelope.id, mail.recipient_kind)
            message_id = self.unlogged.get(key)
            if message_id is not None:
                log.info("mail already sent, logged now", extra=where)
            else:
                if key not in self.sending:
                    async with self.sent_log.acquire() as conn:
                        already = await repo.was_sent(conn, envelope.id, mail.recipient_kind)
                    if already:
                        self.undelivered.pop(key, None)
                        log.info("mail already sent, not sent again", extra=where)
                        continue
                if key not in self.sending:
                    sending = asyncio.create_task(self._send(envelope, mail, where))
                    sending.add_done_callback(self._sent)
                    self.sending[key] = sending
                # Shielded: the event's handling may be cancelled meanwhile (the broker's
                # connection lost, the consumer stopping), the send goes to its end and
                # leaves the mail in `unlogged`; the event's redelivery finds it there (or
                # still sending, and waits for it) instead of sending it again.
                message_id = await asyncio.shield(self.sending[key])
            # Committed at once: should a later mail of this event fail, the event is
            # retried, yet this mail has gone out and must be skipped then. Should the log
            # itself fail (the database away), the event waits out the outage and comes back
            # here: the mail is remembered as sent (`unlogged`), logged then, not sent again.
            async with self.sent_log.acquire() as log_conn:
                await repo.record_sent(
                    log_conn, event_id=envelope.id, recipient_kind=mail.recipient_kind,
                    event_type=envelope.type, template=mail.template,
                    recipient_domain=mail.recipient_domain, message_id=message_id,
                )
            self.unlogged.pop(key, None)

    async def _send(self, envelope: Envelope, mail: Mail, where: dict[str, str]) -> str:
        """Hand one mail to the server; its Message-ID, the mail noted in `unlogged`."""
        key = (envelope.id, mail.recipient_kind)
        message = self.renderer.message(mail, event_id=envelope.id, now=datetime.now(UTC))
        try:
            await self.mailer.send(message)
        except MailNotSent as exc:
            self.failed.labels(mail.template).inc()
            self.undelivered.setdefault(key, envelope.occurred_at)
            log.warning("mail not sent", extra={**where, "error": str(exc)})
            raise
        self.undelivered.pop(key, None)
        message_id = str(message["Message-ID"])
        self.unlogged[key] = message_id
        self.sent.labels(mail.template).inc()
        log.info("mail sent", extra=where)
        return message_id

    def _sent(self, task: asyncio.Task[str]) -> None:
        """A send ended: no longer in progress (its failure, if nobody awaits it any more,
        is already logged)."""
        for key, sending in list(self.sending.items()):
            if sending is task:
                del self.sending[key]
        if not task.cancelled():
            task.exception()

    async def purge_sent(self, keep_days: int) -> int:
        """Forget the mails sent more than `keep_days` ago (longer than any redelivery)."""
        async with self.sent_log.acquire() as conn:
            status = await conn.execute(PURGE_SENT, keep_days)
        return int(status.rsplit(" ", 1)[-1])
