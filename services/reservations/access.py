"""Who reaches what, checked before a body is even read: a parent only their own family
(another family's id answers 404, as if it did not exist), staff everything, an integrator
only the catalogue."""

import functools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from services.common.errors import Forbidden
from services.common.tokens import Principal, principal, require_family, require_staff
from services.common.validation import path_uuid

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Access:
    who: Principal
    # The family every query is scoped to: for a parent, the one of their token.
    family_id: uuid.UUID


ACCESS: web.RequestKey[Access] = web.RequestKey("reservations_access", Access)


def family_access(request: web.Request) -> None:
    """Staff, or the parent of the path's family; integrators are refused."""
    family_id = path_uuid(request, "family_id")
    who = principal(request)
    if who.role == "integrator":
        raise Forbidden()
    request[ACCESS] = Access(require_family(request, family_id), family_id)


def staff_only(request: web.Request) -> None:
    require_staff(request)


def any_token(request: web.Request) -> None:
    principal(request)


def guard(check: Callable[[web.Request], None]) -> Callable[[Handler], Handler]:
    """Run `check` before the body is parsed, so a refused caller learns nothing from it."""
    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)  # keeps the `@api` declaration for /openapi.json
        async def endpoint(request: web.Request) -> web.StreamResponse:
            check(request)
            return await handler(request)

        return endpoint

    return wrap


def access(request: web.Request) -> Access:
    return request[ACCESS]
