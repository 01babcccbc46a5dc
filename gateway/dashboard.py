"""The « Mon compte famille » aggregate: auth's account and each service's part, in parallel.

Every section is optional, the account (auth) included: when its service is missing or down,
the dashboard still answers, with the section's empty value and its name in `unavailable`
(tokens are verified locally, so auth being down does not stop the rest). Later services add a
`Section` to `SECTIONS` (and a field to `Dashboard`)."""

import asyncio
import logging
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


class Dashboard(BaseModel):
    # Null (and "account" in `unavailable`) when auth cannot answer: the token is checked
    # locally, so the rest of the dashboard still shows.
    account: Me | None = None
    family: dict[str, Any] | None = None
    children: list[dict[str, Any]] = Field(default_factory=list)
    # Children the parent asked to add, awaiting validation by staff.
    pending_children: list[dict[str, Any]] = Field(default_factory=list)
    # The family's latest reservations (first page, newest first), lines included.
    reservations: list[dict[str, Any]] = Field(default_factory=list)
    # The family's latest invoices and payments (first page, newest first), and the tax
    # certificates (attestations fiscales) it may download.
    invoices: list[dict[str, Any]] = Field(default_factory=list)
    payments: list[dict[str, Any]] = Field(default_factory=list)
    tax_certificates: list[dict[str, Any]] = Field(default_factory=list)
    # The family's SEPA direct debit (« Prélèvement automatique »): mandates, IBAN masked.
    direct_debit: dict[str, Any] | None = None
    # Sections whose service could not answer just now.
    unavailable: list[str] = Field(default_factory=list)


Loader = Callable[[Clients, str, Principal], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Section:
    """One optional part of the dashboard, fetched by one upstream call:
    `load(clients, token, principal)` gives the values of some `Dashboard` fields; `empty`
    names those fields with their stand-in when there is nothing to show."""

    name: str
    load: Loader
    empty: dict[str, Any]


async def _account(clients: Clients, token: str, who: Principal) -> dict[str, Any]:
    return {"account": await clients.auth.me(token)}


async def _family(clients: Clients, token: str, who: Principal) -> dict[str, Any]:
    if who.family_id is None:
        return {}
    return {"family": await clients.families.family(token, who.family_id)}


async def _children(clients: Clients, token: str, who: Principal) -> dict[str, Any]:
    if who.family_id is None:
        return {}
    page = await clients.families.children_page(token, who.family_id)
    return {"children": page["items"], "pending_children": page["pending_children"]}


async def _reservations(clients: Clients, token: str, who: Principal) -> dict[str, Any]:
    if who.family_id is None:
        return {}
    page = await clients.reservations.reservations(token, who.family_id)
    return {"reservations": page["items"]}


async def _billing(clients: Clients, token: str, who: Principal) -> dict[str, Any]:
    if who.family_id is None:
        return {}
    billing = clients.billing
    invoices, payments, certificates, direct_debit = await asyncio.gather(
        billing.invoices(token, who.family_id, limit=DASHBOARD_ITEMS),
        billing.payments(token, who.family_id, limit=DASHBOARD_ITEMS),
        billing.tax_certificates(token, who.family_id),
        billing.direct_debit(token, who.family_id))
    return {"invoices": invoices["items"], "payments": payments["items"],
            "tax_certificates": certificates, "direct_debit": direct_debit}


# How many invoices and payments the dashboard shows (the rest: « Toutes mes factures »).
DASHBOARD_ITEMS = 5

SECTIONS: list[Section] = [
    Section("account", _account, {"account": None}),
    Section("family", _family, {"family": None}),
    Section("children", _children, {"children": [], "pending_children": []}),
    Section("reservations", _reservations, {"reservations": []}),
    Section("billing", _billing, {"invoices": [], "payments": [], "tax_certificates": [],
                                  "direct_debit": None}),
]


async def load_dashboard(request: web.Request) -> Dashboard:
    clients = request.app[keys.CLIENTS]

    async def fetch(token: str) -> list[Any]:
        who = (await require_session(request)).principal
        parts = await asyncio.gather(
            *(section.load(clients, token, who) for section in SECTIONS),
            return_exceptions=True,
        )
        # A service refusing the token (a session closed meanwhile): refresh once, or log in.
        for part in parts:
            if isinstance(part, Unauthorized):
                raise part
        return parts

    parts = await upstream(request, fetch)
    values: dict[str, Any] = {}
    unavailable: list[str] = []
    for section, result in zip(SECTIONS, parts, strict=True):
        values.update(section.empty)
        if isinstance(result, BaseException) and not isinstance(result, NotFound):
            if not isinstance(result, Problem):
                log.error("dashboard section failed", exc_info=result,
                          extra={"section": section.name})
            unavailable.append(section.name)
        elif isinstance(result, dict):
            values.update({k: v for k, v in result.items() if v is not None})
    return Dashboard(unavailable=unavailable, **values)
