"""SMTP client: one reused aiosmtplib connection, replaced when the server dropped it."""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from email.message import EmailMessage

import aiosmtplib

from services.notifier.settings import Settings

log = logging.getLogger(__name__)


class MailNotSent(Exception):
    """The SMTP server did not take a mail; the event is retried, then dead-lettered.

    Carries no address: its text ends up in logs and in the dead-letter headers.
    """


def describe(exc: BaseException) -> str:
    """What went wrong, without the server's text (it may quote the recipient's address)."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{type(exc).__name__} (code {exc.code})"
    return type(exc).__name__


# The server itself is away (as opposed to refusing one mail).
UNREACHABLE = (OSError, TimeoutError, aiosmtplib.SMTPServerDisconnected,
               aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError)


class Mailer:
    """Sends one message at a time on a single connection, reopened on demand."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None
        # Since when the server has not answered (None while it does): readiness says it.
        self.down_since: datetime | None = None
        # One connection serves one SMTP transaction at a time.
        self._lock = asyncio.Lock()

    @property
    def address(self) -> str:
        return f"{self.settings.smtp_host}:{self.settings.smtp_port}"

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        password = s.smtp_password.get_secret_value() if s.smtp_password is not None else None
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user,
            password=password,
            start_tls=s.smtp_starttls,
            timeout=s.smtp_timeout,
        )

    async def _connection(self) -> aiosmtplib.SMTP:
        """The open connection if the server still answers on it, else a new one."""
        if self._smtp is not None and self._smtp.is_connected:
            try:
                await self._smtp.noop()
                return self._smtp
            except aiosmtplib.SMTPException:
                await self._discard()  # dropped by the server (idle timeout, restart)
        smtp = self._client()
        await smtp.connect()  # logs in too when a user and password are configured
        self._smtp = smtp
        return smtp

    async def _discard(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            smtp.close()

    async def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server; raise `MailNotSent` when it was not accepted."""
        async with self._lock:
            try:
                smtp = await self._connection()
                await smtp.send_message(message)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                # A fresh connection next time: this one may be in an unknown state.
                await self._discard()
                self._answered(not isinstance(exc, UNREACHABLE))
                raise MailNotSent(f"SMTP {self.address}: {describe(exc)}") from None
            self._answered(True)

    def _answered(self, up: bool) -> None:
        if up:
            self.down_since = None
        elif self.down_since is None:
            self.down_since = datetime.now(UTC)

    async def check(self) -> bool:
        """Whether the server answers; warn clearly when it does not (mails wait meanwhile)."""
        async with self._lock:
            try:
                await self._connection()
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self._discard()
                self._answered(False)
                log.warning(
                    "SMTP server unreachable: mails wait in the queues and are retried",
                    extra={"smtp": self.address, "error": describe(exc)},
                )
                return False
            self._answered(True)
        log.info("SMTP server reachable", extra={"smtp": self.address})
        return True

    async def close(self) -> None:
        async with self._lock:
            if self._smtp is not None and self._smtp.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                    await self._smtp.quit()
            await self._discard()
