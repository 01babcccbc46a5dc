"""Helpers of the reservations tests: tokens, a movable clock, a client, a catalogue and
families to book with."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

from services.common import keys
from services.common.dates import today
from services.common.events import Envelope
from services.reservations.households import service as households
from tests.support import TestTokens, eventually

TOKENS = TestTokens()
STAFF_SUB = "staff-" + uuid.uuid4().hex[:8]
COUNTED_TABLES = ("establishments", "units", "unit_exclusions", "periods", "period_units",
                  "capacity_overrides", "reservations", "lines", "offers", "selections",
                  "idempotency_keys", "reservation_counters", "audit_entries", "outbox",
                  "draws")


def staff() -> dict[str, str]:
    return TOKENS.headers(role="staff", sub=STAFF_SUB)


def parent(family_id: str | uuid.UUID, sub: str | None = None) -> dict[str, str]:
    return TOKENS.headers(role="parent", family_id=uuid.UUID(str(family_id)), sub=sub)


def integrator() -> dict[str, str]:
    return TOKENS.headers(role="integrator")


class Clock:
    """The service's clock: real time unless a test sets it."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed or datetime.now(UTC)

    def set(self, moment: datetime | None) -> None:
        self.fixed = moment


@dataclass
class Answer:
    status: int
    body: Any
    headers: Any

    @property
    def fields(self) -> dict[str, str]:
        return {e["field"]: e["message"] for e in self.body.get("errors") or []}


@dataclass
class Family:
    id: uuid.UUID
    children: list[uuid.UUID]

    @property
    def child(self) -> uuid.UUID:
        return self.children[0]

    @property
    def path(self) -> str:
        return f"/families/{self.id}"

    def headers(self) -> dict[str, str]:
        return parent(self.id)


@dataclass
class Catalogue:
    """An accueil de loisirs (Journée excludes Matin and Après-midi) and a period."""

    establishment: dict[str, Any]
    units: dict[str, str]  # code → id
    period: dict[str, Any]

    def unit(self, code: str) -> str:
        return self.units[code]


@dataclass
class Reservations:
    server: TestServer
    http: aiohttp.ClientSession
    clock: Clock

    @property
    def db(self) -> asyncpg.Pool:
        return self.server.app[keys.DB]

    async def call(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                   json: Any = None, data: bytes | None = None) -> Answer:
        async with self.http.request(method, self.server.make_url(path), headers=headers,
                                     json=json, data=data) as resp:
            if resp.content_type.endswith("json"):
                body = await resp.json(content_type=None)
            else:
                body = await resp.text()
            return Answer(resp.status, body, resp.headers)

    async def ok(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                 json: Any = None, status: int = 200) -> Any:
        answer = await self.call(method, path, headers=headers or staff(), json=json)
        assert answer.status == status, answer.body
        return answer.body

    async def counts(self) -> dict[str, int]:
        async with self.db.acquire() as conn:
            return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in COUNTED_TABLES}

    async def family(self, *ages: float, levels: tuple[str | None, ...] = ()) -> Family:
        """A family of the read model with children of these ages (years), as the families
        events would have brought them."""
        family_id = uuid.uuid4()
        children: list[uuid.UUID] = []
        async with self.db.acquire() as conn:
            await households.apply_family(conn, family_id=family_id, name="Famille Test",
                                          email=f"famille.{family_id.hex[:10]}@example.org",
                                          version=1)
            for i, age in enumerate(ages or (8,)):
                child_id = uuid.uuid4()
                await households.apply_child(
                    conn, child_id=child_id, family_id=family_id, first_name=f"Enfant{i + 1}",
                    last_name="Test", birth_date=today() - timedelta(days=round(age * 365.25)),
                    school_level=levels[i] if i < len(levels) else None, version=1)
                children.append(child_id)
        return Family(family_id, children)

    async def catalogue(self, **period: Any) -> Catalogue:
        establishment = await self.ok("POST", "/establishments", json={
            "name": f"Accueil de loisirs {uuid.uuid4().hex[:6]}", "kind": "accueil_de_loisirs"},
            status=201)
        units: dict[str, str] = {}
        for code, label, position, excludes in [
            ("JOURNEE", "Journée", 1, []), ("MATIN", "Matin", 2, ["JOURNEE"]),
            ("APREM", "Après-midi", 3, ["JOURNEE"]), ("REPAS", "Repas", 4, []),
        ]:
            unit = await self.ok("POST", f"/establishments/{establishment['id']}/units", json={
                "code": code, "label": label, "position": position,
                "excludes": [units[x] for x in excludes]}, status=201)
            units[code] = unit["id"]
        body = period_body(establishment["id"], units, **period)
        created = await self.ok("POST", "/periods", json=body, status=201)
        return Catalogue(establishment, units, created)

    async def book(self, family: Family, catalogue: Catalogue, lines: list[tuple[date, str]],
                   *, kind: str = "book", child: uuid.UUID | None = None,
                   key: str | None = None, **extra: Any) -> Answer:
        headers = family.headers()
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.call("POST", f"{family.path}/reservations", headers=headers, json={
            "child_id": str(child or family.child), "period_id": catalogue.period["id"],
            "kind": kind,
            "lines": [{"date": d.isoformat(), "unit_id": catalogue.unit(u)} for d, u in lines],
            **extra})

    async def cell(self, catalogue: Catalogue, day: date, code: str) -> asyncpg.Record:
        async with self.db.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM cells WHERE period_id = $1 AND unit_id = $2 AND day = $3",
                uuid.UUID(catalogue.period["id"]), uuid.UUID(catalogue.unit(code)), day)
        assert row is not None
        return row


def next_weekday(start: date, weekday: int = 1) -> date:
    """The first ISO `weekday` on or after `start` that is not a public holiday."""
    from services.reservations.rules import is_public_holiday

    day = start
    while day.isoweekday() != weekday or is_public_holiday(day):
        day += timedelta(days=1)
    return day


def quiet_monday(start: date) -> date:
    """The first Monday on or after `start` of a week without a public holiday."""
    from services.reservations.rules import is_public_holiday

    day = next_weekday(start)
    while any(is_public_holiday(day + timedelta(days=i)) for i in range(5)):
        day = next_weekday(day + timedelta(days=7))
    return day


def period_body(establishment_id: str, units: dict[str, str], **overrides: Any
                ) -> dict[str, Any]:
    """A period from in 2 weeks for 10 weeks, window open, automatic ≥ 7 days ahead,
    requests ≥ 2 days ahead (calendar days), 20 places per unit and day."""
    now = datetime.now(UTC)
    start = today() + timedelta(days=14)
    body: dict[str, Any] = {
        "establishment_id": establishment_id,
        "name": "Vacances de test",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=70)).isoformat(),
        "weekdays": [1, 2, 3, 4, 5],
        "closures": [],
        "units": [{"unit_id": unit_id, "capacity": 20} for unit_id in units.values()],
        "eligibility": {"min_age": 3, "max_age": 12},
        "window": {"opens_at": (now - timedelta(days=1)).isoformat(),
                   "closes_at": (now + timedelta(days=60)).isoformat()},
        "rules": {"auto_days": 7, "request_days": 2, "day_count": "calendar",
                  "bill_late_cancellations": True},
        "offer_hours": 48,
    }
    body.update(overrides)
    return body


@dataclass
class EventLog:
    """Every `reservations.*` event published on the run's exchange."""

    received: list[Envelope] = field(default_factory=list)

    def of(self, event_type: str, where: Callable[[dict[str, Any]], bool] | None = None
           ) -> list[Envelope]:
        return [e for e in self.received if e.type == event_type
                and (where is None or where(e.data))]

    async def wait_for(self, event_type: str,
                       where: Callable[[dict[str, Any]], bool] | None = None,
                       count: int = 1) -> list[Envelope]:
        found: list[Envelope] = await eventually(
            lambda: (m := self.of(event_type, where)) and len(m) >= count and m)
        return found
