"""The whole suite in-process on free ports: mail sink, services and the gateway wired to them.

Each stack has its own databases, its own exchange namespace and its own Maildir, so it never
sees another test module's events or mails."""

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deploy.mailsink import MailSink, read_maildir
from gateway.app import create_app as create_gateway
from gateway.settings import Settings as GatewaySettings
from services.auth import accounts as auth_accounts
from services.auth import keys as auth_keys
from services.auth import repo as auth_repo
from services.auth.app import create_app as create_auth
from services.auth.settings import Settings as AuthSettings
from services.billing.app import create_app as create_billing
from services.billing.seed import seed_demo as seed_billing
from services.billing.settings import Settings as BillingSettings
from services.common import keys as common_keys
from services.common.demo import DEMO_AGENT_EMAIL, DEMO_PARENT_EMAIL, DEMO_PASSWORD
from services.common.settings import ServiceSettings
from services.families.app import create_app as create_families
from services.families.seed import seed_demo as seed_families
from services.families.settings import Settings as FamiliesSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import Settings as NotifierSettings
from services.reservations.app import create_app as create_reservations
from services.reservations.seed import seed_demo as seed_reservations
from services.reservations.settings import Settings as ReservationsSettings
from tests.support import AMQP_URL, NAMESPACE, RUN, eventually, free_port, settings_for

T = TypeVar("T")

PASSWORD = "une phrase de passe assez longue"
NEW_PASSWORD = "encore une autre phrase de passe"
# Cheap Argon2 so the suite stays fast; production keeps argon2-cffi's defaults.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 8192, "argon2_parallelism": 1}
LINK = re.compile(r"https?://[^\s<>\"']+")

__all__ = ["DEMO_AGENT_EMAIL", "DEMO_PARENT_EMAIL", "DEMO_PASSWORD", "NEW_PASSWORD",
           "PASSWORD", "Stack", "eventually", "running_stack"]




@dataclass(frozen=True)
class Part:
    """An upstream service of the stack: its factory, settings class and overrides."""

    name: str
    create_app: Callable[..., web.Application]
    settings: type[ServiceSettings]
    overrides: Callable[["Stack"], dict[str, Any]] = lambda stack: {}
    # Writes the part's demo data (SPEC §9) through its own code, once it runs.
    seed: Callable[[web.Application], Awaitable[Any]] | None = None
    # Told its own port before it starts (billing: the PayFiP sandbox it serves is addressed
    # from its settings).
    own_port: bool = False


def _signing_key() -> str:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()


async def _seed_auth(app: web.Application) -> None:
    await auth_accounts.seed_demo(app[auth_keys.CONTEXT], app[common_keys.DB])


async def _seed_families(app: web.Application) -> None:
    await seed_families(app[common_keys.DB])


async def _seed_reservations(app: web.Application) -> None:
    await seed_reservations(app[common_keys.DB])


async def _seed_billing(app: web.Application) -> None:
    await seed_billing(app[common_keys.DB], app[common_keys.SETTINGS])


# The services behind the gateway, started in this order (auth first: it publishes the keys).
# A new service is one line here (and its URL setting in `gateway_settings`).
PARTS: list[Part] = [
    Part("auth", create_auth, AuthSettings, lambda stack: {
        **FAST_HASHING, "signing_key": _signing_key(), "address_lock_after": 10_000},
        seed=_seed_auth),
    Part("families", create_families, FamiliesSettings, seed=_seed_families),
    Part("reservations", create_reservations, ReservationsSettings, seed=_seed_reservations),
    # PayFiP is its own sandbox; it notifies the gateway and sends the payer back there, as
    # in production.
    Part("billing", create_billing, BillingSettings, lambda stack: {
        "public_url": stack.gateway_url, "payment_poll_seconds": 0.5,
        "payment_first_check_seconds": 0.0}, seed=_seed_billing, own_port=True),
    Part("notifier", create_notifier, NotifierSettings, lambda stack: {
        "smtp_port": stack.smtp_port, "public_url": stack.gateway_url}),
]


@dataclass
class Stack:
    """A running suite: `gateway_url` is what a browser opens."""

    name: str
    maildir: Path
    namespace: str
    smtp_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    servers: dict[str, TestServer] = field(default_factory=dict)
    _counter: int = 0

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def url(self, part: str) -> str:
        return str(self.servers[part].make_url("")).rstrip("/")

    def app(self, part: str) -> web.Application:
        return self.servers[part].app

    def gateway_settings(self, **overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "env": "test",
            "log_level": "WARNING",
            "namespace": self.namespace,
            "public_url": self.gateway_url,
            "maildir": self.maildir,
            "metrics_port": 0,
            "auth_url": self.url("auth"),
            # Only the waiting room's own tests queue anybody (tests/service/gateway).
            "waiting_room": False,
        }
        # Nobody listens there when the stack runs without that service.
        for part in ("families", "reservations", "billing"):
            values[f"{part}_url"] = (self.url(part) if part in self.servers
                                     else f"http://127.0.0.1:{free_port()}")
        values.update(overrides)
        return GatewaySettings(**values)

    # Accounts ---------------------------------------------------------------------------

    def new_email(self, label: str = "parent") -> str:
        self._counter += 1
        return f"{label}.{self.name}.{self._counter}.{uuid.uuid4().hex[:6]}@example.org"

    async def create_account(self, *, email: str | None = None, password: str = PASSWORD,
                             role: str = "parent", family_id: uuid.UUID | None = None
                             ) -> dict[str, Any]:
        """An active account written through auth's own repository (set-up, not under test)."""
        app = self.app("auth")
        ctx = app[auth_keys.CONTEXT]
        email = email or self.new_email(role)
        if role == "parent" and family_id is None:
            family_id = uuid.uuid4()
        async with app[common_keys.DB].acquire() as conn:
            row = await auth_repo.insert_account(
                conn, account_id=uuid.uuid4(), email=email,
                password_hash=await ctx.passwords.hash(password), role=role,
                family_id=family_id, status="active")
        return {**dict(row), "password": password}

    async def invite_staff(self, email: str) -> None:
        """A staff account created without a password: auth mails an invitation link."""
        app = self.app("auth")
        await auth_accounts.create_staff(app[auth_keys.CONTEXT], app[common_keys.DB],
                                         email=email, role="staff", password=None)

    # Mails ------------------------------------------------------------------------------

    def mails_to(self, recipient: str) -> list[EmailMessage]:
        return [m for m in read_maildir(self.maildir)
                if recipient in str(m.get("To", ""))]

    async def mail_to(self, recipient: str, *, count: int = 1) -> EmailMessage:
        """The latest mail to `recipient`, once `count` of them have arrived."""
        mails: list[EmailMessage] = await eventually(
            lambda: (found := self.mails_to(recipient)) and len(found) >= count and found)
        return mails[-1]

    def link_in(self, mail: EmailMessage) -> str:
        """The gateway link of a mail's text part."""
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        for url in LINK.findall(str(body.get_content())):
            if url.startswith(self.gateway_url) and "jeton=" in url:
                return url.rstrip(".,;)")
        raise AssertionError("no gateway link in the mail")


async def _serve(app: web.Application, *, port: int | None = None) -> TestServer:
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    return server


async def _stop(server: TestServer) -> None:
    consumer = server.app.get(common_keys.CONSUMER)
    if consumer is not None:
        await consumer.delete_queues()
    await server.close()


@contextlib.asynccontextmanager
async def gateway_server(stack: Stack, *, port: int | None = None,
                         prepare: Callable[[web.Application], None] | None = None,
                         **overrides: Any) -> AsyncIterator[TestServer]:
    """A gateway wired to the stack's services (the stack has one; tests may add others,
    `prepare` adjusting the app before it starts)."""
    app = create_gateway(settings=stack.gateway_settings(**overrides))
    if prepare is not None:
        prepare(app)
    server = await _serve(app, port=port)
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def running_stack(name: str, tmp: Path, *, demo: bool = True) -> AsyncIterator[Stack]:
    """Start the mail sink, every part of `PARTS`, then the gateway; seed the demo accounts."""
    stack = Stack(name=name, maildir=tmp / "maildir", namespace=f"{NAMESPACE}_{name}")
    sink = MailSink(stack.maildir, port=stack.smtp_port)
    sink.start()
    try:
        async with contextlib.AsyncExitStack() as exits:
            for part in PARTS:
                # Parts started before are reached at their test address (never 808x).
                urls = {f"{started}_url": stack.url(started) for started in stack.servers}
                port = {"port": free_port()} if part.own_port else {}
                settings = settings_for(
                    part.settings, database=f"test_{RUN}_{part.name}_{name}",
                    namespace=stack.namespace, **urls, **port, **part.overrides(stack))
                server = await _serve(part.create_app(settings=settings), port=port.get("port"))
                exits.push_async_callback(_stop, server)
                stack.servers[part.name] = server
            if demo:
                for part in PARTS:
                    if part.seed is not None:
                        await part.seed(stack.app(part.name))
            gateway = await exits.enter_async_context(
                gateway_server(stack, port=stack.gateway_port))
            stack.servers["gateway"] = gateway
            await _wait_ready(stack)
            yield stack
    finally:
        sink.stop()
        await _delete_exchange(stack.namespace)


async def _wait_ready(stack: Stack) -> None:
    async with aiohttp.ClientSession() as http:
        async def ready() -> bool:
            for server in stack.servers.values():
                async with http.get(server.make_url("/readyz")) as resp:
                    if resp.status != 200:
                        return False
            return True

        await eventually(ready)


async def _delete_exchange(namespace: str) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        with contextlib.suppress(Exception):
            await channel.exchange_delete(f"{namespace}.events")
