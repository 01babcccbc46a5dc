"""The « Mon compte famille » aggregate: auth's account and each service's part, in parallel.

A section is optional: when its service is missing or down, the dashboard still answers,
with the section's empty value and its name in `unavailable`. Later services add a
`Section` to `SECTIONS` (and a field to `Dashboard`)."""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from gateway import keys
from gateway.clients import Clients, Me
from gateway.session import require_session, upstream
from services.common.errors import NotFound, Problem, Unauthorized
from services.common.tokens import Principal

log = logging.getLogger(__name__)


class AccountView(BaseModel):
    id: str
    email: str
    role: str
    family_id: uuid.UUID | None = None
    pending_email: str | None = None


class Dashboard(BaseModel):
    account: AccountView
    family: dict[str, Any] | None = None
    children: list[dict[str, Any]] = Field(default_factory=list)
    # Children the parent asked to add, awaiting validation by staff.
    pending_children: list[dict[str, Any]] = Field(default_factory=list)
    # Filled by the reservations and billing services once they exist.
    reservations: list[dict[str, Any]] = Field(default_factory=list)
    invoices: list[dict[str, Any]] = Field(default_factory=list)
    payments: list[dict[str, Any]] = Field(default_factory=list)
    # Sections whose service could not answer just now.
    unavailable: list[str] = Field(default_factory=list)


Loader = Callable[[Clients, str, Principal], Awaitable[Any]]


@dataclass(frozen=True)
class Section:
    """One optional part of the dashboard: `load(clients, token, principal)` gives the value
    of the `Dashboard` field `name`; `empty` stands in when there is nothing to show."""

    name: str
    load: Loader
    empty: Any = None


async def _family(clients: Clients, token: str, who: Principal) -> Any:
    if who.family_id is None:
        return None
    return await clients.families.family(token, who.family_id)


async def _children(clients: Clients, token: str, who: Principal) -> Any:
    if who.family_id is None:
        return []
    return await clients.families.children(token, who.family_id)


async def _pending_children(clients: Clients, token: str, who: Principal) -> Any:
    if who.family_id is None:
        return []
    return await clients.families.pending_children(token, who.family_id)


SECTIONS: list[Section] = [
    Section("family", _family, None),
    Section("children", _children, []),
    Section("pending_children", _pending_children, []),
]


async def load_dashboard(request: web.Request) -> Dashboard:
    clients = request.app[keys.CLIENTS]

    async def fetch(token: str) -> tuple[Me, list[Any]]:
        who = (await require_session(request)).principal
        me, *parts = await asyncio.gather(
            clients.auth.me(token),
            *(section.load(clients, token, who) for section in SECTIONS),
            return_exceptions=True,
        )
        if isinstance(me, BaseException):
            raise me
        assert isinstance(me, Me)
        return me, parts

    me, parts = await upstream(request, fetch)
    values: dict[str, Any] = {}
    unavailable: list[str] = []
    for section, result in zip(SECTIONS, parts, strict=True):
        if isinstance(result, NotFound):
            values[section.name] = section.empty
        elif isinstance(result, BaseException):
            if not isinstance(result, Problem | Unauthorized):
                log.error("dashboard section failed", exc_info=result,
                          extra={"section": section.name})
            values[section.name] = section.empty
            unavailable.append(section.name)
        else:
            values[section.name] = result if result is not None else section.empty
    account = AccountView.model_validate(me.model_dump())
    return Dashboard(account=account, unavailable=unavailable, **values)
