"""Set-up for the staff's reservation pages: a catalogue made through the reservations API with
a staff token, a family whose children reached the reservations read model (by the families
events), bookings made with the parent's token — all on the real stack."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp

from services.common import keys as common_keys
from services.common.dates import today
from services.reservations.rules import is_public_holiday
from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import Family, bearer, new_family, staff_account
from tests.service.reservations.helpers import period_body
from tests.support import eventually


@dataclass
class Site:
    """An accueil de loisirs with Matin and Repas, and a period open every day from today:
    booking 3 to 6 days ahead is a request for staff, 7 days or more is automatic."""

    establishment: dict[str, Any]
    units: dict[str, str]  # code → id
    period: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.establishment["id"])

    def unit(self, code: str) -> str:
        return self.units[code]


def free_day(first: int, last: int) -> date:
    """The first day from today + `first` to today + `last` that is no public holiday."""
    for offset in range(first, last + 1):
        day = today() + timedelta(days=offset)
        if not is_public_holiday(day):
            return day
    raise AssertionError("no working day in that range")


def request_day() -> date:
    """A day booked as a request (3 to 6 days ahead)."""
    return free_day(3, 6)


def automatic_day() -> date:
    """A day booked at once while places remain (10 days ahead or later)."""
    return free_day(10, 20)


class Service:
    """The reservations service called directly with a token (set-up, and what it recorded)."""

    def __init__(self, stack: Stack, http: aiohttp.ClientSession, headers: dict[str, str]):
        self.stack = stack
        self.http = http
        self.headers = headers

    async def call(self, method: str, path: str, *, json: Any = None,
                   headers: dict[str, str] | None = None, status: int = 200) -> Any:
        async with self.http.request(method, self.stack.url("reservations") + path,
                                     json=json, headers=headers or self.headers) as resp:
            body = await resp.json(content_type=None)
            assert resp.status == status, body
            return body


async def staff_service(stack: Stack) -> Service:
    """A staff token's client of the reservations service (its session lives with the test)."""
    account = await staff_account(stack)
    http = browser_session()
    headers = await bearer(Browser(http, stack.gateway_url),
                           {"email": account["email"], "password": account["password"]})
    return Service(stack, http, headers)


async def new_site(service: Service, *, name: str | None = None) -> Site:
    establishment = await service.call("POST", "/establishments", json={
        "name": name or f"Accueil de loisirs {uuid.uuid4().hex[:6]}",
        "kind": "accueil_de_loisirs"}, status=201)
    units: dict[str, str] = {}
    for code, label, position in [("MATIN", "Matin", 1), ("REPAS", "Repas", 2)]:
        unit = await service.call("POST", f"/establishments/{establishment['id']}/units",
                                  json={"code": code, "label": label, "position": position},
                                  status=201)
        units[code] = unit["id"]
    start = today()
    period = await service.call("POST", "/periods", json=period_body(
        establishment["id"], units, name="Été de test", start_date=start.isoformat(),
        end_date=(start + timedelta(days=40)).isoformat(), weekdays=[1, 2, 3, 4, 5, 6, 7],
        rules={"auto_days": 7, "request_days": 2, "day_count": "calendar",
               "bill_late_cancellations": False}), status=201)
    return Site(establishment, units, period)


async def known_family(stack: Stack, *children: str) -> Family:
    """A family (children born 2019, PAI and peanut allergy) once the reservations read model
    has its children."""
    family = await new_family(stack, children=children)
    pool = stack.app("reservations")[common_keys.DB]

    async def arrived() -> bool:
        async with pool.acquire() as conn:
            count = await conn.fetchval("SELECT count(*) FROM children WHERE id = ANY($1)",
                                        list(family.children.values()))
        return bool(count == len(family.children))

    await eventually(arrived)
    return family


async def book(stack: Stack, family: Family, site: Site, child: str,
               lines: list[tuple[date, str]], *, kind: str = "book") -> dict[str, Any]:
    """A reservation submitted with the parent's token: the service's answer."""
    async with browser_session() as http:
        headers = await bearer(Browser(http, stack.gateway_url), family.login)
        service = Service(stack, http, headers)
        body: dict[str, Any] = await service.call(
            "POST", f"/families/{family.id}/reservations", status=201, json={
                "child_id": str(family.children[child]), "period_id": site.period["id"],
                "kind": kind, "lines": [{"date": d.isoformat(), "unit_id": site.unit(u)}
                                        for d, u in lines]})
    return body


async def line_of(stack: Stack, line_id: str) -> dict[str, Any]:
    pool = stack.app("reservations")[common_keys.DB]
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT state, comment, decided_by FROM lines WHERE id = $1",
                                  uuid.UUID(line_id))
    assert row is not None
    return dict(row)
