"""Helpers of the families tests: tokens for each role, a client, request bodies, an event log."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

from services.common import keys
from services.common.events import Envelope, Event
from services.common.outbox import add_event
from tests.support import TestTokens, eventually

TOKENS = TestTokens()
STAFF_SUB = "staff-" + uuid.uuid4().hex[:8]
COUNTED_TABLES = ("families", "guardians", "contacts", "children", "change_requests",
                  "audit_entries", "outbox")


def staff() -> dict[str, str]:
    return TOKENS.headers(role="staff", sub=STAFF_SUB)


def parent(family_id: str | uuid.UUID, sub: str | None = None) -> dict[str, str]:
    return TOKENS.headers(role="parent", family_id=uuid.UUID(str(family_id)), sub=sub)


def integrator() -> dict[str, str]:
    return TOKENS.headers(role="integrator")


@dataclass
class Answer:
    status: int
    body: Any
    headers: Any

    @property
    def fields(self) -> dict[str, str]:
        """field → French message of a 422 problem."""
        return {e["field"]: e["message"] for e in self.body.get("errors") or []}


@dataclass
class Families:
    """The running service, a client for it and its database pool."""

    server: TestServer
    http: aiohttp.ClientSession

    @property
    def db(self) -> asyncpg.Pool:
        return self.server.app[keys.DB]

    async def call(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                   json: Any = None) -> Answer:
        async with self.http.request(method, self.server.make_url(path), headers=headers,
                                     json=json) as resp:
            if resp.content_type.endswith("json"):
                body = await resp.json(content_type=None)
            else:
                body = await resp.text()
            return Answer(resp.status, body, resp.headers)

    async def counts(self) -> dict[str, int]:
        """Rows in every table the service writes (to show that nothing was written)."""
        async with self.db.acquire() as conn:
            return {t: await conn.fetchval(f"SELECT count(*) FROM {t}")
                    for t in COUNTED_TABLES}

    async def new_family(self, **overrides: Any) -> dict[str, Any]:
        """A family opened by staff, with a unique e-mail."""
        body = family_body(**overrides)
        answer = await self.call("POST", "/families", headers=staff(), json=body)
        assert answer.status == 201, answer.body
        family: dict[str, Any] = answer.body
        return family

    async def new_child(self, family_id: str, **overrides: Any) -> dict[str, Any]:
        """A child added by staff (applied at once)."""
        answer = await self.call("POST", f"/families/{family_id}/children", headers=staff(),
                                 json=child_body(**overrides))
        assert answer.status == 201, answer.body
        child: dict[str, Any] = answer.body
        return child

    async def decide(self, request_id: str, decision: str, comment: str | None = None
                     ) -> Answer:
        return await self.call("POST", f"/change-requests/{request_id}/decision",
                               headers=staff(), json={"decision": decision, "comment": comment})


def family_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Famille Durand",
        "email": f"durand.{uuid.uuid4().hex[:10]}@example.org",
        "address": {"line1": "3 place de la République", "postal_code": "34800",
                    "city": "Clermont-l'Hérault"},
        "phone_mobile": "06 01 02 03 04",
        "guardians": [{"civility": "Madame", "last_name": "Durand", "first_name": "Sophie",
                       "relationship": "mère", "phone_mobile": "0601020304"}],
    }
    body.update(overrides)
    return body


def child_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "last_name": "Durand", "first_name": "Inès", "birth_date": "2019-03-14", "sex": "F",
        "school": "École Jules Ferry", "school_level": "CP", "allergies": "Gluten",
        "pai": True, "pai_details": "Panier repas fourni par la famille.",
        "doctor_name": "Docteur Martin", "doctor_phone": "04 67 00 00 00",
    }
    body.update(overrides)
    return body


@dataclass
class EventLog:
    """Every `families.*` event published on the run's exchange, seen by a queue of our own."""

    received: list[Envelope] = field(default_factory=list)

    def of(self, event_type: str, where: Callable[[dict[str, Any]], bool] | None = None,
           **data: Any) -> list[Envelope]:
        """The events of `event_type` whose data hold `data` (and satisfy `where`)."""
        return [e for e in self.received if e.type == event_type
                and all(str(e.data.get(k)) == str(v) for k, v in data.items())
                and (where is None or where(e.data))]

    async def wait_for(self, event_type: str,
                       where: Callable[[dict[str, Any]], bool] | None = None,
                       **data: Any) -> Envelope:
        async def found() -> Envelope | None:
            matches = self.of(event_type, where, **data)
            return matches[-1] if matches else None

        found_event: Envelope = await eventually(found)
        return found_event

    async def quiet(self, families: "Families") -> None:
        """Wait until every event families committed so far has arrived: a marker written
        to its outbox now is published after them (the relay follows commit order) and
        reaches this log after them (one queue, first in first out)."""
        async with families.db.acquire() as conn, conn.transaction():
            marker = await add_event(conn, Quiet(), producer="families")
        await eventually(lambda: any(e.id == marker.id for e in self.received))


class Quiet(Event):
    """A marker no service consumes (see `EventLog.quiet`)."""

    TYPE = "families.test_quiet"
