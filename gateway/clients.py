"""One small client per upstream service, on the shared HTTP session; upstream problems
become our own `Problem`s (same status, type and French title), outages a 503."""


import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from json import loads
from typing import Any, Literal, TypeVar

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from services.common import keys as common_keys
from services.common.errors import (
    PROBLEM_JSON,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    Problem,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from services.common.validation import digits

log = logging.getLogger(__name__)

# A query: a mapping, or pairs when a key repeats (`?id=a&id=b`).
Params = Mapping[str, str] | list[tuple[str, str]]

M = TypeVar("M", bound=BaseModel)

_BY_STATUS: dict[int, type[Problem]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
    410: Gone, 422: ValidationFailed, 429: TooManyRequests,
}


def problem_from(status: int, body: Any, *, retry_after: str | None = None) -> Problem:
    """Our `Problem` for an upstream 4xx answer, keeping its type, title, field errors and
    when to try again (`retry_after`, from the body or the `Retry-After` header)."""
    cls = _BY_STATUS.get(status, Problem)
    if not isinstance(body, dict):
        body = {}
    title = body.get("title") if isinstance(body.get("title"), str) else None
    errors = body.get("errors")
    if not (isinstance(errors, list) and all(isinstance(e, dict) for e in errors)):
        errors = None
    detail = body.get("detail") if isinstance(body.get("detail"), str) else None
    extra: dict[str, Any] = {}
    wait = body.get("retry_after")
    if not (isinstance(wait, int) and not isinstance(wait, bool) and wait >= 0):
        wait = digits(retry_after)
    if wait is not None:
        extra["retry_after"] = wait
    problem = cls(title, detail=detail, errors=errors, **extra)
    problem.status = status
    kind = body.get("type")
    if isinstance(kind, str) and kind.startswith("/problems/"):
        problem.slug = kind.removeprefix("/problems/")
    return problem


class Upstream:
    """JSON over HTTP to one service; raises `Problem` for any error answer."""

    def __init__(self, app: web.Application, base_url: str, *, name: str, timeout: float
                 ) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def call(self, method: str, path: str, *, token: str | None = None,
                   json: Any = None, params: Params | None = None,
                   forwarded_for: str | None = None, if_match: int | None = None) -> Any:
        headers = {"Accept": f"application/json, {PROBLEM_JSON}"}
        if if_match is not None:
            # The version the visitor saw: the service refuses (409) if it moved since.
            headers["If-Match"] = f'"{if_match}"'
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        http = self.app[common_keys.HTTP]
        try:
            async with http.request(method, self.base_url + path, json=json, params=params,
                                    headers=headers, timeout=self.timeout) as resp:
                text = await resp.text()
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("upstream unreachable",
                        extra={"upstream": self.name, "path": path, "error": repr(exc)})
            raise ServiceUnavailable() from exc
        body: Any = None
        if text:
            try:
                body = loads(text)
            except ValueError:
                body = None
        if status >= 500:
            log.warning("upstream error", extra={"upstream": self.name, "path": path,
                                                 "status": status})
            raise ServiceUnavailable()
        if status >= 400:
            raise problem_from(status, body, retry_after=retry_after)
        return body


class _Loose(BaseModel):
    # Upstream answers may grow: keep what we know, ignore the rest.
    model_config = ConfigDict(extra="ignore")


class Account(_Loose):
    id: str
    email: str
    role: str
    family_id: uuid.UUID | None = None


class Tokens(_Loose):
    access_token: str
    refresh_token: str
    expires_in: int = 600
    account: Account | None = None
    email: str | None = None


class Me(_Loose):
    id: str
    email: str
    role: str
    family_id: uuid.UUID | None = None
    pending_email: str | None = None


class PasswordCheck(_Loose):
    email: str
    kind: Literal["reset", "invitation"]


def _model(model: type[M], body: Any, upstream: str) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        log.warning("unexpected upstream answer", extra={"upstream": upstream,
                                                         "model": model.__name__})
        raise ServiceUnavailable() from exc


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ServiceUnavailable()
    return body


def _objects(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise ServiceUnavailable()
    return [item for item in body if isinstance(item, dict)]


def _page(page: int, page_size: int, **filters: str | None) -> dict[str, str]:
    params = {"page": str(page), "page_size": str(page_size)}
    params.update({name: value for name, value in filters.items() if value})
    return params


class AuthClient(Upstream):
    """Accounts, sessions and one-time links (docs/contracts.md, auth)."""

    async def login(self, email: str, password: str, *, forwarded_for: str | None) -> Tokens:
        body = await self.call("POST", "/sessions", json={"email": email, "password": password},
                               forwarded_for=forwarded_for)
        return _model(Tokens, body, self.name)

    async def refresh(self, refresh_token: str, *, forwarded_for: str | None) -> Tokens:
        body = await self.call("POST", "/sessions/refresh",
                               json={"refresh_token": refresh_token}, forwarded_for=forwarded_for)
        return _model(Tokens, body, self.name)

    async def logout(self, token: str) -> None:
        await self.call("DELETE", "/sessions/current", token=token)

    async def me(self, token: str) -> Me:
        return _model(Me, await self.call("GET", "/me", token=token), self.name)

    async def forgot_password(self, email: str, *, forwarded_for: str | None) -> None:
        await self.call("POST", "/password/forgot", json={"email": email},
                        forwarded_for=forwarded_for)

    async def check_password_token(self, token: str) -> PasswordCheck:
        body = await self.call("POST", "/password/check", json={"token": token})
        return _model(PasswordCheck, body, self.name)

    async def reset_password(self, token: str, password: str, *, forwarded_for: str | None
                             ) -> Tokens:
        body = await self.call("POST", "/password/reset",
                               json={"token": token, "password": password},
                               forwarded_for=forwarded_for)
        return _model(Tokens, body, self.name)

    async def change_password(self, token: str, *, current_password: str, new_password: str,
                              forwarded_for: str | None) -> None:
        await self.call("PUT", "/me/password", token=token, forwarded_for=forwarded_for, json={
            "current_password": current_password, "new_password": new_password})

    async def change_email(self, token: str, *, new_email: str, password: str,
                           forwarded_for: str | None) -> None:
        await self.call("POST", "/me/email", token=token, forwarded_for=forwarded_for,
                        json={"new_email": new_email, "password": password})

    async def confirm_email(self, token: str, *, forwarded_for: str | None) -> Tokens:
        body = await self.call("POST", "/email/confirm", json={"token": token},
                               forwarded_for=forwarded_for)
        return _model(Tokens, body, self.name)

    async def accounts(self, token: str, family_id: uuid.UUID) -> list[dict[str, Any]]:
        """The family's accounts with their invitation state (staff)."""
        return _objects(await self.call("GET", "/accounts", token=token,
                                        params={"family_id": str(family_id)}))

    async def emails_of(self, token: str, account_ids: list[str]) -> dict[str, str]:
        """Account id → login e-mail, for those of `account_ids` that exist (staff)."""
        if not account_ids:
            return {}
        found = _objects(await self.call("GET", "/accounts", token=token,
                                         params=[("id", i) for i in account_ids]))
        return {str(a.get("id")): str(a.get("email")) for a in found}

    async def reissue_invitation(self, token: str, account_id: uuid.UUID) -> None:
        await self.call("POST", f"/accounts/{account_id}/invitation", token=token)


class FamiliesClient(Upstream):
    """The family file (docs/contracts.md, families); answers passed through as JSON, so the
    service's French messages and new fields reach the pages and the API unchanged."""

    # ---- a family and its children (the parent's own, or any for staff) ----

    async def family(self, token: str, family_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call("GET", f"/families/{family_id}", token=token))

    async def children_page(self, token: str, family_id: uuid.UUID) -> dict[str, Any]:
        """`{items, pending_children}`: the children, and those asked for awaiting staff."""
        body = _object(await self.call("GET", f"/families/{family_id}/children", token=token))
        return {"items": _objects(body.get("items")),
                "pending_children": _objects(body.get("pending_children", []))}

    async def child(self, token: str, family_id: uuid.UUID, child_id: uuid.UUID
                    ) -> dict[str, Any]:
        return _object(await self.call("GET", f"/families/{family_id}/children/{child_id}",
                                       token=token))

    async def change_family(self, token: str, family_id: uuid.UUID, patch: dict[str, Any], *,
                            version: int | None = None) -> dict[str, Any]:
        """A parent's change request (202), or the file changed at once for staff (200)."""
        return _object(await self.call("PATCH", f"/families/{family_id}", token=token,
                                       json=patch, if_match=version))

    async def add_child(self, token: str, family_id: uuid.UUID, body: dict[str, Any]
                        ) -> dict[str, Any]:
        return _object(await self.call("POST", f"/families/{family_id}/children", token=token,
                                       json=body))

    async def change_child(self, token: str, family_id: uuid.UUID, child_id: uuid.UUID,
                           patch: dict[str, Any], *, version: int | None = None
                           ) -> dict[str, Any]:
        return _object(await self.call("PATCH", f"/families/{family_id}/children/{child_id}",
                                       token=token, json=patch, if_match=version))

    async def change_requests(self, token: str, family_id: uuid.UUID) -> list[dict[str, Any]]:
        body = _object(await self.call("GET", f"/families/{family_id}/change-requests",
                                       token=token))
        return _objects(body.get("items"))

    async def withdraw_request(self, token: str, family_id: uuid.UUID, request_id: uuid.UUID
                               ) -> dict[str, Any]:
        """The parent takes back a request not yet decided."""
        return _object(await self.call(
            "POST", f"/families/{family_id}/change-requests/{request_id}/withdrawal",
            token=token))

    async def export(self, token: str, family_id: uuid.UUID) -> dict[str, Any]:
        """Everything held about the family (RGPD)."""
        return _object(await self.call("GET", f"/families/{family_id}/export", token=token))

    # ---- staff ----

    async def search(self, token: str, *, q: str | None, page: int = 1, page_size: int = 20
                     ) -> dict[str, Any]:
        return _object(await self.call("GET", "/families", token=token,
                                       params=_page(page, page_size, q=q)))

    async def create_family(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return _object(await self.call("POST", "/families", token=token, json=body))

    async def set_qf(self, token: str, family_id: uuid.UUID, *, qf: str | None,
                     comment: str | None) -> dict[str, Any]:
        # The QF goes as typed: the service parses it and says what is wrong with it.
        return _object(await self.call("PUT", f"/families/{family_id}/qf", token=token,
                                       json={"qf": qf, "comment": comment}))

    async def queue(self, token: str, *, family_id: uuid.UUID | None = None,
                    state: str = "pending", page: int = 1, page_size: int = 20
                    ) -> dict[str, Any]:
        params = _page(page, page_size, state=state,
                       family_id=str(family_id) if family_id else None)
        return _object(await self.call("GET", "/change-requests", token=token, params=params))

    async def change_request(self, token: str, request_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call("GET", f"/change-requests/{request_id}", token=token))

    async def decide(self, token: str, request_id: uuid.UUID, *, decision: str,
                     comment: str | None) -> dict[str, Any]:
        return _object(await self.call("POST", f"/change-requests/{request_id}/decision",
                                       token=token,
                                       json={"decision": decision, "comment": comment}))

    async def audit(self, token: str, *, family_id: uuid.UUID | None = None, page: int = 1,
                    page_size: int = 50) -> dict[str, Any]:
        params = _page(page, page_size, family_id=str(family_id) if family_id else None)
        return _object(await self.call("GET", "/audit", token=token, params=params))


@dataclass(frozen=True)
class Clients:
    """Every upstream the gateway talks to; add a field (and a line below) per new service."""

    auth: AuthClient
    families: FamiliesClient


def make_clients(app: web.Application) -> Clients:
    settings = app[common_keys.SETTINGS]
    timeout = float(getattr(settings, "upstream_timeout_seconds", 8.0))
    return Clients(
        auth=AuthClient(app, settings.auth_url, name="auth", timeout=timeout),
        families=FamiliesClient(app, settings.families_url, name="families", timeout=timeout),
    )

