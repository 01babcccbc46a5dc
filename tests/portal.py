"""The portal as real processes for the load and fault tests (tests/load, tests/faults): the
parts started by bench.stack in this run's namespace and databases, a mail sink of their own,
and parents seeded in bulk — an account, a family and a child each — on a period that has
fewer places than they will ask for.

Set-up, not under test: the catalogue is written with the reservations service's own use
cases, the families and children into its read model (as the families events would), the
accounts straight into auth's database with one hash of one password; the parents then log in
for real (auth's `POST /sessions`)."""

import asyncio
import contextlib
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg

from bench.stack import Stack, queue_names, stack
from deploy.mailsink import MailSink, read_maildir
from gateway.waiting_room import TICKET_HEADER, Waiting
from services.auth import repo as auth_repo
from services.auth.passwords import Passwords
from services.common.bus import queue_name
from services.common.dates import today
from services.common.db import Conn, create_pool
from services.common.events.reservations import ReservationSubmitted
from services.common.settings import ServiceSettings
from services.reservations.households import service as households
from services.reservations.rules import is_public_holiday
from services.reservations.scale import open_period
from tests.service.auth.conftest import SIGNING_KEY
from tests.support import AMQP_URL, NAMESPACE, PG_DSN, RUN, eventually, free_port

PASSWORD = "une phrase de passe pour la charge"
UNITS = [("MATIN", "Matin"), ("APREM", "Après-midi")]
# The parts a parent's booking goes through, and the notifier that mails its recap.
PARTS = {"auth": 1, "reservations": 2, "notifier": 1, "gateway": 1}
# What every part of a test portal is told: test mode, quick outbox and retries, cheap Argon2
# (production keeps the defaults), no lock-out of the one address every parent comes from.
TEST_ENV = {
    "PORTAIL_ENV": "test", "PORTAIL_LOG_LEVEL": "WARNING",
    "AUTH_SIGNING_KEY": SIGNING_KEY, "AUTH_ARGON2_TIME_COST": "1",
    "AUTH_ARGON2_MEMORY_COST_KIB": "8192", "AUTH_ARGON2_PARALLELISM": "1",
    "AUTH_ADDRESS_LOCK_AFTER": "1000000",
    **{f"{part}_{name}": value for part in ("AUTH", "RESERVATIONS", "NOTIFIER")
       for name, value in (("OUTBOX_POLL_SECONDS", "0.2"), ("RETRY_DELAYS", "[0.1, 0.3]"))},
}
READY = "/readyz"


@dataclass
class Parent:
    email: str
    family_id: uuid.UUID
    child_id: uuid.UUID
    token: str = ""

    def headers(self, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers


@dataclass
class Portal:
    parts: Stack
    sink: MailSink
    maildir: Path
    smtp_port: int
    period_id: uuid.UUID = field(default_factory=uuid.uuid4)
    capacity: int = 0
    units: list[uuid.UUID] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    parents: list[Parent] = field(default_factory=list)
    # How many times a parent was told to wait in the gateway's waiting room.
    waited: int = 0
    mail_up: bool = True

    def url(self, part: str, path: str = "") -> str:
        return self.parts.url(part) + path

    @contextlib.asynccontextmanager
    async def db(self, part: str) -> AsyncIterator[Conn]:
        """A connection to the part's database on the real server (never through a test's
        proxy), with the kernel's codecs."""
        database = self.parts.parts[part].database
        assert database is not None
        pool = await create_pool(ServiceSettings(database=database, pg_dsn=PG_DSN,
                                                 pool_min_size=1, pool_max_size=1))
        try:
            async with pool.acquire() as conn:
                yield conn
        finally:
            await pool.close()

    def booking(self, parent: Parent, cells: Iterable[tuple[date, uuid.UUID]], *,
                all_or_nothing: bool = False) -> dict[str, Any]:
        return {"child_id": str(parent.child_id), "period_id": str(self.period_id),
                "kind": "book", "all_or_nothing": all_or_nothing,
                "lines": [{"date": d.isoformat(), "unit_id": str(u)} for d, u in cells]}

    def client(self) -> aiohttp.ClientSession:
        """An API client as parents' apps are: no cookies kept (one session serves every
        parent here), a connection each, patient."""
        return aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(),
                                     connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=180))

    async def submit(self, http: aiohttp.ClientSession, parent: Parent, body: dict[str, Any],
                     key: str) -> tuple[int, Any]:
        """A booking through the gateway's API, as a mobile app sends it: told to wait its
        turn (the gateway's waiting room, SPEC §7b), it sends the same booking again after
        Retry-After with its ticket, as a client that keeps no cookies does."""
        headers = parent.headers(key)
        while True:
            async with http.post(self.url("gateway", "/api/v1/reservations"), json=body,
                                 headers=headers) as resp:
                answer = await resp.json(content_type=None)
                if resp.status != 503 or not str(answer.get("type", "")).endswith(
                        "/" + Waiting.slug):
                    return resp.status, answer
                self.waited += 1
                headers = {**headers, TICKET_HEADER: answer["ticket"]}
                await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))

    def cells_of(self, index: int) -> list[tuple[date, uuid.UUID]]:
        """Parent `index`'s wish: two days in a row (of the period's, in turn), both units."""
        days = [self.days[index % len(self.days)], self.days[(index + 1) % len(self.days)]]
        return [(day, unit) for day in days for unit in self.units]

    async def stream(self, http: aiohttp.ClientSession, answers: list[tuple[int, Any]], *,
                     lanes: int = 4, parents: slice = slice(None)) -> None:
        """Every parent (of the slice) books their `cells_of`, a steady stream on `lanes`
        connections, each answer appended to `answers` as it comes (a test acts after so
        many)."""
        waiting = list(enumerate(self.parents))[parents]

        async def lane() -> None:
            while waiting:
                index, parent = waiting.pop(0)
                answers.append(await self.submit(http, parent, self.booking(
                    parent, self.cells_of(index)), uuid.uuid4().hex))

        await asyncio.gather(*(lane() for _ in range(lanes)))

    # What the tests check afterwards ------------------------------------------------------

    async def overbooked_cells(self) -> list[dict[str, Any]]:
        """Cells holding more places (accepted, requested or offered lines) than they have,
        counted from the lines themselves; and cells whose counter disagrees with them."""
        async with self.db("reservations") as conn:
            rows = await conn.fetch("""
                SELECT c.unit_id, c.day, c.capacity, c.taken,
                       count(l.id) FILTER (WHERE l.kind = 'book'
                                           AND l.state IN ('accepted', 'requested', 'offered'))
                           AS held
                FROM cells c LEFT JOIN lines l
                  ON (l.period_id, l.unit_id, l.day) = (c.period_id, c.unit_id, c.day)
                WHERE c.period_id = $1
                GROUP BY c.unit_id, c.day, c.capacity, c.taken""", self.period_id)
        return [dict(r) for r in rows if r["held"] > r["capacity"] or r["held"] != r["taken"]]

    async def submitted_events(self) -> list[uuid.UUID]:
        """The ids of the reservation_submitted events written, published or not."""
        async with self.db("reservations") as conn:
            rows = await conn.fetch("SELECT id FROM outbox WHERE type = $1",
                                    ReservationSubmitted.TYPE)
        return [r["id"] for r in rows]

    async def sent_recaps(self) -> list[asyncpg.Record]:
        """The notifier's sent log of reservation recaps."""
        async with self.db("notifier") as conn:
            return await conn.fetch(
                "SELECT event_id, message_id FROM sent_mails WHERE event_type = $1",
                ReservationSubmitted.TYPE)

    def mails(self) -> list[EmailMessage]:
        """Every mail the portal's sink received (the portal mails nothing but recaps)."""
        return read_maildir(self.maildir)

    async def every_recap_sent_once(self, *, timeout: float = 60) -> list[EmailMessage]:
        """Wait until every reservation_submitted event has its recap in the sink (the
        notifier's log says sent, and its queue is drained); then check that none came twice:
        one per event, each Message-ID and recipient once."""
        events = set(await self.submitted_events())

        async def all_sent() -> bool:
            sent = await self.sent_recaps()
            return {r["event_id"] for r in sent} == events and len(self.mails()) >= len(events)

        await eventually(all_sent, timeout=timeout, interval=0.3)
        await eventually(self.notifier_idle, timeout=timeout, interval=0.3)
        sent = await self.sent_recaps()
        mails = self.mails()
        ids = Counter(str(m["Message-ID"]) for m in mails)
        assert [i for i, n in ids.items() if n > 1] == [], "a recap was mailed twice"
        assert set(ids) == {r["message_id"] for r in sent}
        assert len(mails) == len(events)
        return mails

    async def notifier_idle(self) -> bool:
        """Nothing left in the notifier's queue of recaps, nothing unacked."""
        name = queue_name(self.parts.namespace, "notifier", ReservationSubmitted.TYPE)
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, passive=True)
            return queue.declaration_result.message_count == 0 and \
                await self._processed_all()

    async def _processed_all(self) -> bool:
        events = await self.submitted_events()
        async with self.db("notifier") as conn:
            done = await conn.fetchval(
                "SELECT count(*) FROM processed_events WHERE event_id = ANY($1::uuid[])",
                events)
        return bool(done == len(events))

    async def dead_letters(self) -> dict[str, int]:
        """The messages in every dead-letter queue of the running parts, by queue (none
        expected: an outage is waited out, never counted as a failure)."""
        names = [name for part in self.parts.parts.values()
                 for name in await queue_names(part, self.parts.namespace, self.parts.env)
                 if name.endswith(".dead")]
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            counts = {}
            for name in names:
                queue = await channel.declare_queue(name, passive=True)
                counts[name] = queue.declaration_result.message_count
        return {name: n for name, n in counts.items() if n}

    def stop_mail(self) -> None:
        """The mail server goes away: connections refused."""
        self.sink.stop()
        self.mail_up = False

    def start_mail(self) -> None:
        """The mail server is back, on the same port and Maildir."""
        self.sink = MailSink(self.maildir, port=self.smtp_port)
        self.sink.start()
        self.mail_up = True

    async def readiness(self, part: str) -> int:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            try:
                async with http.get(self.url(part, READY)) as resp:
                    return resp.status
            except (aiohttp.ClientError, TimeoutError):
                return 0


def open_days(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.isoweekday() <= 5 and not is_public_holiday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


async def seed_period(portal: Portal, conn: Conn, *, days: int,
                      capacity: int) -> None:
    """A leisure centre, two units, a period of `days` open days (from in three weeks, so
    every booking is decided at once) with `capacity` places per unit and day."""
    portal.days = open_days(today() + timedelta(days=21), days)
    portal.capacity = capacity
    now = datetime.now(UTC)
    portal.period_id, portal.units = await open_period(
        conn, name="Vacances de la ruée", units=UNITS, capacity=capacity, start=portal.days[0],
        end=portal.days[-1], opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
        now=now)


async def seed_parents(portal: Portal, count: int) -> None:
    """`count` families of one child each in reservations' read model, an active account each
    in auth's database; then every parent logs in."""
    parents = []
    async with portal.db("reservations") as conn:
        for i in range(count):
            family_id, child_id = uuid.uuid4(), uuid.uuid4()
            email = f"rush.{i}.{family_id.hex[:8]}@example.org"
            await households.apply_family(conn, family_id=family_id, name=f"Famille Ruée {i}",
                                          email=email, version=1)
            await households.apply_child(
                conn, child_id=child_id, family_id=family_id, first_name=f"Enfant{i}",
                last_name=f"Ruée{i}", birth_date=today() - timedelta(days=8 * 365),
                school_level=None, version=1)
            parents.append(Parent(email, family_id, child_id))
    passwords = Passwords(time_cost=1, memory_cost=8192, parallelism=1)
    password_hash = await passwords.hash(PASSWORD)
    async with portal.db("auth") as conn:
        await conn.executemany(auth_repo.INSERT_ACCOUNT, [
            (uuid.uuid4(), p.email, password_hash, "parent", p.family_id, "active")
            for p in parents])
    gate = asyncio.Semaphore(8)
    async with aiohttp.ClientSession() as http:

        async def log_in(parent: Parent) -> None:
            async with gate, http.post(portal.url("auth", "/sessions"), json={
                    "email": parent.email, "password": PASSWORD}) as resp:
                body = await resp.json()
                assert resp.status == 201, body
                parent.token = body["access_token"]

        await asyncio.gather(*(log_in(p) for p in parents))
    portal.parents = parents


@contextlib.asynccontextmanager
async def running_portal(name: str, tmp: Path, *, parents: int, days: int, capacity: int,
                         workers: dict[str, int] | None = None, env: dict[str, str] | None = None,
                         smtp_port: int | None = None) -> AsyncIterator[Portal]:
    """The mail sink, then the parts (`PARTS` unless `workers` says), in a namespace and
    databases of their own; the period and the parents seeded. `env` goes to every part
    (a test's proxies); `smtp_port` is where the notifier sends (default: the sink)."""
    maildir = tmp / "maildir"
    sink_port = free_port()
    portal: Portal | None = None
    sink = MailSink(maildir, port=sink_port)
    sink.start()
    part_env = {**TEST_ENV, "NOTIFIER_SMTP_PORT": str(smtp_port or sink_port),
                "NOTIFIER_PUBLIC_URL": "http://127.0.0.1:8080", **(env or {})}
    try:
        async with stack(workers or PARTS, env=part_env, namespace=f"{NAMESPACE}_{name}",
                         prefix=f"test_{RUN}_{name}", logs=tmp / "logs") as parts:
            portal = Portal(parts, sink, maildir, sink_port)
            async with portal.db("reservations") as conn:
                await seed_period(portal, conn, days=days, capacity=capacity)
            await seed_parents(portal, parents)
            yield portal
    finally:
        if portal is None:
            sink.stop()
        elif portal.mail_up:  # the test may have left it stopped (or restarted it)
            portal.sink.stop()


def log_tail(portal: Portal, part: str, lines: int = 30) -> str:
    """The end of a part's log, for a failing assertion's message."""
    path = portal.parts.parts[part].log
    if not os.path.exists(path):
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
