"""Helpers of the billing tests: tokens, a client, events that feed the read models, months of
their own (a run bills every family of its month, so each test invoices its own month)."""

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

from services.billing import repo as read_models
from services.common import keys
from services.common.bus import Bus
from services.common.events import Envelope, Event
from services.common.events.families import Address, FamilyUpdated
from services.common.events.reservations import Cancelled, Line, ReservationSubmitted
from tests.support import TestTokens, eventually

TOKENS = TestTokens()
STAFF_SUB = "staff-" + uuid.uuid4().hex[:8]
COUNTED_TABLES = ("tariffs", "invoices", "invoice_items", "credit_notes", "credit_note_items",
                  "payments", "payment_allocations", "invoicing_runs", "documents", "outbox",
                  "pes_batches", "pes_batch_invoices", "mandates", "mandate_codes", "debits",
                  "debit_batches")
_MONTHS = itertools.count()


def fresh_month() -> date:
    """A month no other test of the run invoices (from January 2040 on)."""
    index = next(_MONTHS)
    return date(2040 + index // 12, index % 12 + 1, 1)


def staff() -> dict[str, str]:
    return TOKENS.headers(role="staff", sub=STAFF_SUB)


def parent(family_id: str | uuid.UUID) -> dict[str, str]:
    return TOKENS.headers(role="parent", family_id=uuid.UUID(str(family_id)))


@dataclass
class Answer:
    status: int
    body: Any
    headers: Any

    @property
    def fields(self) -> dict[str, str]:
        return {e["field"]: e["message"] for e in self.body.get("errors") or []}


@dataclass
class Child:
    id: uuid.UUID
    first_name: str
    birth_date: date


@dataclass
class Family:
    id: uuid.UUID
    name: str
    email: str
    qf: int | None
    version: int = 1
    children: list[Child] = field(default_factory=list)

    def child(self, first_name: str, birth_date: date) -> Child:
        found = Child(uuid.uuid4(), first_name, birth_date)
        self.children.append(found)
        return found


@dataclass
class Unit:
    establishment_id: uuid.UUID
    establishment_name: str
    id: uuid.UUID
    label: str


def new_unit(label: str = "Journée", establishment: str = "Accueil de loisirs Les Pins") -> Unit:
    return Unit(uuid.uuid4(), establishment, uuid.uuid4(), label)


def line(family: Family, child: Child, unit: Unit, day: date, *, state: str = "accepted",
         billable: bool = True, version: int = 1, line_id: uuid.UUID | None = None,
         reservation_id: uuid.UUID | None = None, late: bool = False) -> Line:
    return Line(
        line_id=line_id or uuid.uuid4(), reservation_id=reservation_id or uuid.uuid4(),
        reservation_number="R-2040-000001", family_id=family.id, child_id=child.id,
        child_first_name=child.first_name, child_last_name=family.name.split()[-1],
        child_birth_date=child.birth_date, date=day, unit_id=unit.id, unit_label=unit.label,
        establishment_id=unit.establishment_id, establishment_name=unit.establishment_name,
        period_id=uuid.uuid4(), period_name="Vacances", kind="book", state=state,  # type: ignore[arg-type]
        late=late, billable=billable, entity_version=version)


@dataclass
class Billing:
    """The running service, a client for it, its database and a bus to feed it events."""

    server: TestServer
    http: aiohttp.ClientSession
    bus: Bus

    @property
    def db(self) -> asyncpg.Pool:
        return self.server.app[keys.DB]

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def call(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                   json: Any = None, data: Any = None) -> Answer:
        async with self.http.request(method, self.url(path), headers=headers, json=json,
                                     data=data, allow_redirects=False) as resp:
            if resp.content_type.endswith("json"):
                body: Any = await resp.json(content_type=None)
            elif resp.content_type == "application/pdf":
                body = await resp.read()
            else:
                body = await resp.text()
            return Answer(resp.status, body, resp.headers)

    async def counts(self) -> dict[str, int]:
        async with self.db.acquire() as conn:
            return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in COUNTED_TABLES}

    async def publish(self, event: Event, producer: str) -> Envelope:
        envelope = event.envelope(producer=producer)
        await self.bus.publish(envelope)
        return envelope

    async def until_processed(self, envelope: Envelope) -> None:
        """Wait until the consumer has handled `envelope` (applied or found stale)."""
        async def seen() -> bool:
            async with self.db.acquire() as conn:
                return bool(await conn.fetchval(
                    "SELECT 1 FROM processed_events WHERE event_id = $1", envelope.id))

        await eventually(seen)

    async def family(self, *, qf: int | None = 620, name: str | None = None,
                     address: bool = True) -> Family:
        """A family known to billing through families.family_updated."""
        family = Family(uuid.uuid4(), name or f"Famille Test{uuid.uuid4().hex[:5]}",
                        f"famille.{uuid.uuid4().hex[:10]}@example.org", qf)
        await self.update_family(family, address=address)
        return family

    async def update_family(self, family: Family, *, address: bool = True,
                            wait: bool = True) -> Envelope:
        envelope = await self.publish(FamilyUpdated(
            family_id=family.id, name=family.name, email=family.email,
            address=Address(line1="12 rue des Oliviers", postal_code="34800",
                            city="Clermont-l'Hérault") if address else None,
            qf=family.qf, entity_version=family.version), "families")
        if wait:
            await self.until_family(family.id, family.version)
        return envelope

    async def until_family(self, family_id: uuid.UUID, version: int) -> asyncpg.Record:
        async def applied() -> asyncpg.Record | None:
            async with self.db.acquire() as conn:
                row = await read_models.get_family(conn, family_id)
            return row if row is not None and row["entity_version"] == version else None

        row: asyncpg.Record = await eventually(applied)
        return row

    async def book(self, family: Family, lines: list[Line]) -> None:
        """A reservation submitted with `lines`, applied to billing's read model."""
        await self.publish(ReservationSubmitted(
            reservation_id=lines[0].reservation_id, number=lines[0].reservation_number,
            family_id=family.id, email=family.email, family_name=family.name, kind="book",
            state="accepted", submitted_at=datetime.now(UTC), establishment_name="Accueil",
            period_name="Vacances", lines=lines), "reservations")
        for one in lines:
            await self.until_line(one.line_id, one.entity_version)

    async def cancel(self, family: Family, booked: Line, *, billable: bool) -> Line:
        """The booked line cancelled (late and billed when `billable`)."""
        cancelled = booked.model_copy(update={
            "state": "cancelled", "billable": billable, "late": billable,
            "entity_version": booked.entity_version + 1})
        await self.publish(Cancelled(email=family.email, family_name=family.name,
                                     line=cancelled), "reservations")
        await self.until_line(cancelled.line_id, cancelled.entity_version)
        return cancelled

    async def until_line(self, line_id: uuid.UUID, version: int) -> asyncpg.Record:
        async def applied() -> asyncpg.Record | None:
            async with self.db.acquire() as conn:
                row = await read_models.get_line(conn, line_id)
            return row if row is not None and row["entity_version"] == version else None

        row: asyncpg.Record = await eventually(applied)
        return row

    async def tariff(self, unit: Unit, brackets: list[tuple[int | None, int]], *,
                     reduction: int = 0, valid_from: str = "2000-01-01",
                     childcare: bool = True) -> dict[str, Any]:
        answer = await self.call("POST", "/tariffs", headers=staff(), json={
            "establishment_id": str(unit.establishment_id),
            "establishment_name": unit.establishment_name, "unit_id": str(unit.id),
            "unit_label": unit.label, "valid_from": valid_from,
            "brackets": [{"qf_max": q, "price_cents": p} for q, p in brackets],
            "sibling_reduction_percent": reduction, "childcare": childcare})
        assert answer.status == 201, answer.body
        body: dict[str, Any] = answer.body
        return body

    async def preview(self, month: date, **params: str) -> dict[str, Any]:
        query = "&".join(f"{k}={v}" for k, v in {"month": f"{month:%Y-%m}", **params}.items())
        answer = await self.call("GET", f"/invoicing/preview?{query}", headers=staff())
        assert answer.status == 200, answer.body
        body: dict[str, Any] = answer.body
        return body

    async def run(self, month: date) -> dict[str, Any]:
        answer = await self.call("POST", "/invoicing/runs", headers=staff(),
                                 json={"month": f"{month:%Y-%m}"})
        assert answer.status == 201, answer.body
        body: dict[str, Any] = answer.body
        return body

    async def invoices_of(self, family: Family) -> list[dict[str, Any]]:
        answer = await self.call("GET", f"/families/{family.id}/invoices", headers=parent(
            family.id))
        assert answer.status == 200, answer.body
        items: list[dict[str, Any]] = answer.body["items"]
        return items

    async def invoice(self, family: Family, invoice_id: str) -> dict[str, Any]:
        answer = await self.call("GET", f"/families/{family.id}/invoices/{invoice_id}",
                                 headers=parent(family.id))
        assert answer.status == 200, answer.body
        body: dict[str, Any] = answer.body
        return body


async def invoiced(billing: Billing, *, days: int = 3, price: int = 1000,
                   family: Family | None = None, email: str | None = None
                   ) -> tuple[Family, dict[str, Any]]:
    """A family (or `family`) with one issued invoice of `days` × `price`."""
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, [(None, price)])
    if family is None:
        family = await billing.family()
        if email is not None:
            family.email = email
            family.version += 1
            await billing.update_family(family)
    child = family.child("Léa", date(2019, 1, 1))
    await billing.book(family, [line(family, child, unit, month.replace(day=d + 1))
                                for d in range(days)])
    await billing.run(month)
    invoices = [i for i in await billing.invoices_of(family) if i["month"] == f"{month}"]
    return family, invoices[0]


def operation_of(redirect_url: str) -> str:
    query = redirect_url.split("?", 1)[1]
    return dict(p.split("=", 1) for p in query.split("&"))["idop"]
