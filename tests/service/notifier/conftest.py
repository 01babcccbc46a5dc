"""The notifier against a real SMTP sink, real RabbitMQ and PostgreSQL; helpers to read mails."""

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from deploy.mailsink import MailSink, read_maildir
from services.common import keys as common_keys
from services.common.bus import queue_name
from services.common.events import Envelope, Event
from services.notifier.app import create_app
from services.notifier.settings import Settings
from tests.support import AMQP_URL, NAMESPACE, RUN, eventually, free_port, serve, settings_for

T = TypeVar("T")

PUBLIC_URL = "https://famille.example.test"




def address(label: str) -> str:
    """A recipient no other test uses."""
    return f"{label}.{uuid.uuid4().hex[:8]}@example.org"


class Gatekeeper:
    """Wraps the sink's SMTP handler: refuses some recipients for a while (451, try later)
    and notes which client connection brought each message."""

    def __init__(self, inner: Any = None, refuse: dict[str, int] | None = None) -> None:
        self.inner = inner
        self.refuse = dict(refuse or {})  # address → how many more times to refuse it
        self.refused: list[str] = []
        self.peers: list[Any] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.refuse.get(address, 0) > 0:
            self.refuse[address] -= 1
            self.refused.append(address)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        result: str = await self.inner.handle_DATA(server, session, envelope)
        return result


class Sink:
    """The development mail sink on a free port, that a test can stop and start again."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.port = free_port()
        self.server: MailSink | None = None
        # Optional: stands in front of the sink's own handler (kept across restarts).
        self.gate: Gatekeeper | None = None

    def start(self) -> None:
        server = MailSink(self.maildir, port=self.port)
        if self.gate is not None:
            self.gate.inner = server.controller.handler
            server.controller.handler = self.gate
        server.start()
        self.server = server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def to(self, recipient: str) -> list[EmailMessage]:
        """Every mail received for `recipient`, oldest first."""
        return [m for m in read_maildir(self.maildir) if m["To"] == recipient]

    async def one_to(self, recipient: str) -> EmailMessage:
        """Wait for the mail to `recipient`; it must be the only one."""
        mails = await eventually(lambda: self.to(recipient))
        assert len(mails) == 1, f"{len(mails)} mails to {recipient}"
        return mails[0]


@dataclass
class RunningNotifier:
    app: web.Application
    settings: Settings
    server: TestServer

    async def publish(self, event: Event | Envelope) -> Envelope:
        """Publish as the producer's outbox relay would (same bus, same envelope)."""
        envelope = event if isinstance(event, Envelope) else event.envelope(producer="test")
        await self.app[common_keys.BUS].publish(envelope)
        return envelope

    def queue(self, event_type: str) -> str:
        return queue_name(self.settings.namespace, self.settings.service_name, event_type)

    def counter(self, name: str, template: str) -> float:
        value = self.app[common_keys.METRICS].get_sample_value(name, {"template": template})
        return value or 0.0


@contextlib.asynccontextmanager
async def running_notifier(sink: Sink, name: str, **overrides: Any
                           ) -> AsyncIterator[RunningNotifier]:
    """A notifier with its own database and namespace, sending to `sink`."""
    namespace = f"{NAMESPACE}_{name}"
    settings = settings_for(
        Settings, database=f"test_{RUN}_notifier_{name}", namespace=namespace,
        smtp_port=sink.port, public_url=PUBLIC_URL, **overrides,
    )
    app = create_app(settings=settings)
    try:
        async with serve(app) as server:
            yield RunningNotifier(app, settings, server)
    finally:
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            with contextlib.suppress(Exception):
                await channel.exchange_delete(f"{namespace}.events")


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[Sink]:
    """A sink of the test's own, not started yet (the test says when it is up)."""
    sink = Sink(tmp_path / "maildir")
    yield sink
    sink.stop()
