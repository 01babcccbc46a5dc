"""One small client per upstream service, on the shared HTTP session; upstream problems
become our own `Problem`s (same status, type and French title), outages a 503."""


import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
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
                   forwarded_for: str | None = None, if_match: int | str | None = None,
                   idempotency_key: str | None = None) -> Any:
        _, body = await self.exchange(method, path, token=token, json=json, params=params,
                                      forwarded_for=forwarded_for, if_match=if_match,
                                      idempotency_key=idempotency_key)
        return body

    async def exchange(self, method: str, path: str, *, token: str | None = None,
                       json: Any = None, params: Params | None = None,
                       forwarded_for: str | None = None, if_match: int | str | None = None,
                       idempotency_key: str | None = None) -> tuple[int, Any]:
        """The answer's status and JSON body (a created resource and a replayed one differ
        only by their status)."""
        headers = {"Accept": f"application/json, {PROBLEM_JSON}"}
        if idempotency_key is not None:
            # The same key again gives the same result: a retried submission is not doubled.
            headers["Idempotency-Key"] = idempotency_key
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
        return status, body


    async def download(self, path: str, *, token: str, max_bytes: int = 20 * 1024 * 1024,
                       content_type: str = "application/pdf") -> tuple[bytes, str]:
        """A document (PDF, or `content_type`) of the service and its file name, relayed as
        the service made it (never rendered here); errors as `call` raises them."""
        headers = {"Accept": f"{content_type}, {PROBLEM_JSON}",
                   "Authorization": f"Bearer {token}"}
        http = self.app[common_keys.HTTP]
        try:
            async with http.get(self.base_url + path, headers=headers,
                                timeout=self.timeout) as resp:
                if resp.status >= 400 or resp.content_type != content_type:
                    text = await resp.text()
                    status = resp.status
                else:
                    data = await resp.content.read(max_bytes + 1)
                    if len(data) > max_bytes:
                        raise ServiceUnavailable()
                    return data, _filename(resp.headers.get("Content-Disposition"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("upstream unreachable",
                        extra={"upstream": self.name, "path": path, "error": repr(exc)})
            raise ServiceUnavailable() from exc
        if status >= 500 or status < 400:
            log.warning("upstream error", extra={"upstream": self.name, "path": path,
                                                 "status": status})
            raise ServiceUnavailable()
        try:
            body = loads(text) if text else None
        except ValueError:
            body = None
        raise problem_from(status, body)


_FILENAME = re.compile(r'filename="([A-Za-z0-9._-]{1,120})"')


def _filename(disposition: str | None) -> str:
    """The service's file name when it is a plain one, else a safe default."""
    found = _FILENAME.search(disposition or "")
    return found.group(1) if found else "document.pdf"


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
    pending_email_expires_at: datetime | None = None


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


def _page(cursor: str | None, page_size: int, **filters: str | None) -> dict[str, str]:
    """A list's query: the page's cursor (opaque, passed as received) and the filters set."""
    params = {"page_size": str(page_size)}
    params.update({name: value for name, value in {**filters, "cursor": cursor}.items()
                   if value})
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

    async def resend_email_link(self, token: str) -> None:
        await self.call("POST", "/me/email/resend", token=token)

    async def cancel_email_change(self, token: str) -> None:
        await self.call("DELETE", "/me/email", token=token)

    async def email_link(self, token: str) -> str:
        """The address a login-change link would confirm (Gone when no longer usable)."""
        body = await self.call("POST", "/email/check", json={"token": token})
        return str(body.get("email", "")) if isinstance(body, dict) else ""

    async def confirm_email(self, token: str, *, forwarded_for: str | None) -> Tokens:
        body = await self.call("POST", "/email/confirm", json={"token": token},
                               forwarded_for=forwarded_for)
        return _model(Tokens, body, self.name)

    async def accounts(self, token: str, family_id: uuid.UUID) -> list[dict[str, Any]]:
        """The family's accounts with their invitation state (staff)."""
        return _objects(await self.call("GET", "/accounts", token=token,
                                        params={"family_id": str(family_id)}))

    async def staff_accounts(self, token: str) -> list[dict[str, Any]]:
        """The service's own accounts, agents and administrators (staff)."""
        return _objects(await self.call("GET", "/accounts", token=token,
                                        params={"staff": "true"}))

    async def names_of(self, token: str, account_ids: list[str]) -> dict[str, str]:
        """Account id → the agent's name (their login e-mail when they have none), for those
        of `account_ids` that exist (staff)."""
        if not account_ids:
            return {}
        found = _objects(await self.call("GET", "/accounts", token=token,
                                         params=[("id", i) for i in account_ids]))
        return {str(a.get("id")): str(a.get("display_name") or a.get("email")) for a in found}

    async def reissue_invitation(self, token: str, account_id: uuid.UUID) -> None:
        await self.call("POST", f"/accounts/{account_id}/invitation", token=token)

    async def set_account_disabled(self, token: str, account_id: uuid.UUID, *,
                                   disabled: bool) -> None:
        """Disable an account (its sessions closed at once) or enable it again (admin)."""
        await self.call("PUT", f"/accounts/{account_id}/status", token=token,
                        json={"disabled": disabled})


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

    async def search(self, token: str, *, q: str | None, cursor: str | None = None,
                     page_size: int = 20) -> dict[str, Any]:
        return _object(await self.call("GET", "/families", token=token,
                                       params=_page(cursor, page_size, q=q)))

    async def create_family(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return _object(await self.call("POST", "/families", token=token, json=body))

    async def set_qf(self, token: str, family_id: uuid.UUID, *, qf: str | None,
                     comment: str | None) -> dict[str, Any]:
        # The QF goes as typed: the service parses it and says what is wrong with it.
        return _object(await self.call("PUT", f"/families/{family_id}/qf", token=token,
                                       json={"qf": qf, "comment": comment}))

    # ---- households: a child in two of them (separated parents, staff) ----

    async def lookup_children(self, token: str, *, last_name: str, first_name: str,
                              birth_date: str) -> dict[str, Any]:
        """`{items}`: children of this exact identity with their households' names. The
        values go as typed, a blank one left out: the service says what is missing or wrong."""
        typed = {"last_name": last_name, "first_name": first_name, "birth_date": birth_date}
        return _object(await self.call("GET", "/children", token=token,
                                       params={k: v for k, v in typed.items() if v}))

    async def link_child(self, token: str, family_id: uuid.UUID, *, child_id: str,
                         reason: str) -> dict[str, Any]:
        return _object(await self.call("POST", f"/families/{family_id}/linked-children",
                                       token=token,
                                       json={"child_id": child_id, "reason": reason}))

    async def unlink_child(self, token: str, family_id: uuid.UUID, child_id: uuid.UUID, *,
                           reason: str) -> dict[str, Any]:
        return _object(await self.call(
            "POST", f"/families/{family_id}/children/{child_id}/unlinking", token=token,
            json={"reason": reason}))

    async def child_households(self, token: str, child_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call("GET", f"/children/{child_id}/households",
                                       token=token))

    async def set_custody(self, token: str, child_id: uuid.UUID, *, pattern: str,
                          even_weeks_family_id: str | None) -> dict[str, Any]:
        return _object(await self.call("PUT", f"/children/{child_id}/custody", token=token,
                                       json={"pattern": pattern,
                                             "even_weeks_family_id": even_weeks_family_id}))

    async def queue(self, token: str, *, family_id: uuid.UUID | None = None,
                    state: str = "pending", cursor: str | None = None, page_size: int = 20,
                    q: str | None = None, target: str | None = None,
                    older_than_days: int | None = None) -> dict[str, Any]:
        params = _page(cursor, page_size, state=state,
                       family_id=str(family_id) if family_id else None, q=q, target=target,
                       older_than_days=None if older_than_days is None
                       else str(older_than_days))
        return _object(await self.call("GET", "/change-requests", token=token, params=params))

    async def change_request(self, token: str, request_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call("GET", f"/change-requests/{request_id}", token=token))

    async def decide(self, token: str, request_id: uuid.UUID, *, decision: str,
                     comment: str | None, refused: list[str] | None = None,
                     corrections: dict[str, str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"decision": decision, "comment": comment}
        if refused:
            body["refused"] = refused
        if corrections:
            body["corrections"] = corrections
        return _object(await self.call("POST", f"/change-requests/{request_id}/decision",
                                       token=token, json=body))

    async def audit(self, token: str, *, family_id: uuid.UUID | None = None,
                    cursor: str | None = None, page_size: int = 50) -> dict[str, Any]:
        params = _page(cursor, page_size, family_id=str(family_id) if family_id else None)
        return _object(await self.call("GET", "/audit", token=token, params=params))


def _query(**values: str | uuid.UUID | None) -> dict[str, str]:
    """Query parameters, without those not given."""
    return {name: str(value) for name, value in values.items() if value is not None}


class ReservationsClient(Upstream):
    """Catalogue, planning, selections, reservations and waiting lists (docs/contracts.md,
    reservations). Answers pass through as JSON: every state, outcome, deadline and position
    is the service's, and so are its French messages."""

    # ---- a family's own (parent; staff may act for any family) ----

    def _family(self, family_id: uuid.UUID, tail: str) -> str:
        return f"/families/{family_id}/{tail}"

    async def periods(self, token: str, family_id: uuid.UUID, *, child_id: str,
                      kind: str = "book") -> dict[str, Any]:
        """`{child, establishments: [{…, periods}]}`: where this child can book (or cancel)."""
        return _object(await self.call("GET", self._family(family_id, "periods"), token=token,
                                       params=_query(child_id=child_id, kind=kind)))

    async def planning(self, token: str, family_id: uuid.UUID, *, child_id: str,
                       period_id: str, month: str | None = None, kind: str = "book"
                       ) -> dict[str, Any]:
        """One month of a period for a child: every cell with its state and outcome."""
        return _object(await self.call(
            "GET", self._family(family_id, "planning"), token=token,
            params=_query(child_id=child_id, period_id=period_id, month=month, kind=kind)))

    async def selection(self, token: str, family_id: uuid.UUID, *, child_id: str,
                        period_id: str, kind: str = "book") -> dict[str, Any]:
        return _object(await self.call(
            "GET", self._family(family_id, "selection"), token=token,
            params=_query(child_id=child_id, period_id=period_id, kind=kind)))

    async def change_selection(self, token: str, family_id: uuid.UUID, body: dict[str, Any]
                               ) -> dict[str, Any]:
        """Toggle a cell, or a bulk action: `{items, changed, skipped}`."""
        return _object(await self.call("POST", self._family(family_id, "selection"),
                                       token=token, json=body))

    async def preview(self, token: str, family_id: uuid.UUID, body: Any) -> dict[str, Any]:
        """The outcome each line would get now (nothing recorded)."""
        return _object(await self.call("POST", self._family(family_id, "reservations/preview"),
                                       token=token, json=body))

    async def submit(self, token: str, family_id: uuid.UUID, body: Any, *,
                     idempotency_key: str | None) -> tuple[int, dict[str, Any]]:
        """201 and the new reservation, or 200 and the one this key already made."""
        status, answer = await self.exchange(
            "POST", self._family(family_id, "reservations"), token=token, json=body,
            idempotency_key=idempotency_key)
        return status, _object(answer)

    async def reservations(self, token: str, family_id: uuid.UUID, *,
                           cursor: str | None = None) -> dict[str, Any]:
        """`{items, next_cursor}`, newest first."""
        body = _object(await self.call("GET", self._family(family_id, "reservations"),
                                       token=token, params=_query(cursor=cursor or None)))
        return {"items": _objects(body.get("items")), "next_cursor": body.get("next_cursor")}

    async def reservation(self, token: str, family_id: uuid.UUID, number: str
                          ) -> dict[str, Any]:
        return _object(await self.call(
            "GET", self._family(family_id, f"reservations/{number}"), token=token))

    async def answer_offer(self, token: str, family_id: uuid.UUID, line_id: uuid.UUID, *,
                           accept: bool) -> dict[str, Any]:
        """The parent takes (or lets go) the place a waiting line is offered."""
        return _object(await self.call("POST", self._family(family_id, f"offers/{line_id}"),
                                       token=token, json={"accept": accept}))

    async def reply_offer(self, offer_token: str, *, accept: bool) -> dict[str, Any]:
        """The same from the e-mailed link, without a session: the link's token says who."""
        return _object(await self.call("POST", "/offers/reply",
                                       json={"token": offer_token, "accept": accept}))

    # ---- catalogue (read: any token; write: staff) ----

    async def establishments(self, token: str) -> list[dict[str, Any]]:
        body = _object(await self.call("GET", "/establishments", token=token))
        return _objects(body.get("items"))

    async def create_establishment(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return _object(await self.call("POST", "/establishments", token=token, json=body))

    async def change_establishment(self, token: str, establishment_id: uuid.UUID,
                                   body: dict[str, Any]) -> dict[str, Any]:
        return _object(await self.call("PATCH", f"/establishments/{establishment_id}",
                                       token=token, json=body))

    async def add_unit(self, token: str, establishment_id: uuid.UUID, body: dict[str, Any]
                       ) -> dict[str, Any]:
        return _object(await self.call("POST", f"/establishments/{establishment_id}/units",
                                       token=token, json=body))

    async def change_unit(self, token: str, unit_id: uuid.UUID, body: dict[str, Any]
                          ) -> dict[str, Any]:
        return _object(await self.call("PATCH", f"/units/{unit_id}", token=token, json=body))

    async def catalogue_periods(self, token: str, *, establishment_id: uuid.UUID | None = None
                                ) -> list[dict[str, Any]]:
        body = _object(await self.call("GET", "/periods", token=token,
                                       params=_query(establishment_id=establishment_id)))
        return _objects(body.get("items"))

    async def period(self, token: str, period_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call("GET", f"/periods/{period_id}", token=token))

    async def create_period(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return _object(await self.call("POST", "/periods", token=token, json=body))

    async def change_period(self, token: str, period_id: uuid.UUID, body: dict[str, Any]
                            ) -> dict[str, Any]:
        return _object(await self.call("PATCH", f"/periods/{period_id}", token=token,
                                       json=body))

    async def set_capacities(self, token: str, period_id: uuid.UUID, body: dict[str, Any]
                             ) -> dict[str, Any]:
        return _object(await self.call("PUT", f"/periods/{period_id}/capacities", token=token,
                                       json=body))

    async def draw(self, token: str, period_id: uuid.UUID) -> dict[str, Any]:
        """A lottery period: requests awaiting the draw, then the draw's record."""
        return _object(await self.call("GET", f"/periods/{period_id}/draw", token=token))

    async def make_draw(self, token: str, period_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call("POST", f"/periods/{period_id}/draw", token=token))

    # ---- staff ----

    async def requests(self, token: str, *, establishment_id: uuid.UUID | None = None,
                       period_id: uuid.UUID | None = None, cursor: str | None = None
                       ) -> dict[str, Any]:
        """Lines awaiting a decision, oldest first: `{items, next_cursor}`."""
        body = _object(await self.call("GET", "/requests", token=token, params=_query(
            establishment_id=establishment_id, period_id=period_id, cursor=cursor or None)))
        return {"items": _objects(body.get("items")), "next_cursor": body.get("next_cursor")}

    async def decide_line(self, token: str, line_id: uuid.UUID, *, decision: str,
                          comment: str | None) -> dict[str, Any]:
        return _object(await self.call("POST", f"/lines/{line_id}/decision", token=token,
                                       json={"decision": decision, "comment": comment}))

    async def waiting_lists(self, token: str, *, period_id: uuid.UUID,
                            date: str | None = None, unit_id: uuid.UUID | None = None
                            ) -> dict[str, Any]:
        return _object(await self.call("GET", "/waiting-lists", token=token, params=_query(
            period_id=period_id, date=date, unit_id=unit_id)))

    async def waiting_cells(self, token: str, *, establishment_id: uuid.UUID | None = None,
                            period_id: uuid.UUID | None = None, since: str | None = None
                            ) -> dict[str, Any]:
        """The cells that have a waiting list: `{items, truncated}`."""
        body = _object(await self.call("GET", "/waiting-lists/cells", token=token, params=_query(
            establishment_id=establishment_id, period_id=period_id, since=since)))
        return {"items": _objects(body.get("items")), "truncated": bool(body.get("truncated"))}

    async def attendance(self, token: str, *, establishment_id: uuid.UUID, date: str,
                         unit_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
        """The children expected that day (no health data: families has it)."""
        body = _object(await self.call("GET", "/attendance", token=token, params=_query(
            establishment_id=establishment_id, date=date, unit_id=unit_id)))
        return _objects(body.get("items"))


class BillingClient(Upstream):
    """Invoices, credit notes, payments and documents (docs/contracts.md, billing). Answers
    pass through as JSON: every amount, state and rule is the service's, and so are its French
    messages. Parents reach only their own family's paths (the service checks it too)."""

    def _family(self, family_id: uuid.UUID, tail: str) -> str:
        return f"/families/{family_id}/{tail}"

    # ---- a family's own (parent; staff for any family) ----

    async def invoices(self, token: str, family_id: uuid.UUID, *, cursor: str | None = None,
                       state: str | None = None, limit: int | None = None) -> dict[str, Any]:
        """`{items: [invoice summary], next_cursor}`, newest first."""
        body = _object(await self.call("GET", self._family(family_id, "invoices"), token=token,
                                       params=_query(cursor=cursor, state=state,
                                                     limit=str(limit) if limit else None)))
        return {"items": _objects(body.get("items")), "next_cursor": body.get("next_cursor")}

    async def invoice(self, token: str, family_id: uuid.UUID, invoice_id: uuid.UUID
                      ) -> dict[str, Any]:
        return _object(await self.call(
            "GET", self._family(family_id, f"invoices/{invoice_id}"), token=token))

    async def payments(self, token: str, family_id: uuid.UUID, *, cursor: str | None = None,
                       limit: int | None = None) -> dict[str, Any]:
        body = _object(await self.call("GET", self._family(family_id, "payments"), token=token,
                                       params=_query(cursor=cursor,
                                                     limit=str(limit) if limit else None)))
        return {"items": _objects(body.get("items")), "next_cursor": body.get("next_cursor")}

    async def payment(self, token: str, family_id: uuid.UUID, payment_id: uuid.UUID
                      ) -> dict[str, Any]:
        return _object(await self.call(
            "GET", self._family(family_id, f"payments/{payment_id}"), token=token))

    async def verify_payment(self, token: str, family_id: uuid.UUID, payment_id: uuid.UUID
                             ) -> dict[str, Any]:
        """Billing asks PayFiP now (the payer is back) and answers the payment as it stands."""
        return _object(await self.call(
            "POST", self._family(family_id, f"payments/{payment_id}/verification"),
            token=token))

    async def pay_invoice(self, token: str, family_id: uuid.UUID, invoice_id: uuid.UUID, *,
                          body: dict[str, Any] | None = None) -> dict[str, Any]:
        """`{payment, redirect_url}`: an online payment started (`body` `{amount_cents?}`:
        in full by default); send the payer there."""
        return _object(await self.call(
            "POST", self._family(family_id, f"invoices/{invoice_id}/payments"), token=token,
            json=body or {}))

    async def balance(self, token: str, family_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call("GET", self._family(family_id, "balance"), token=token))

    async def tax_certificates(self, token: str, family_id: uuid.UUID) -> list[dict[str, Any]]:
        body = _object(await self.call("GET", self._family(family_id, "tax-certificates"),
                                       token=token))
        return _objects(body.get("items"))

    async def invoice_pdf(self, token: str, family_id: uuid.UUID | None,
                          invoice_id: uuid.UUID) -> tuple[bytes, str]:
        """The invoice's PDF and its file name (`family_id` None: staff's route)."""
        tail = f"invoices/{invoice_id}/pdf"
        return await self.download(self._family(family_id, tail) if family_id else "/" + tail,
                                   token=token)

    async def credit_note_pdf(self, token: str, family_id: uuid.UUID | None,
                              credit_note_id: uuid.UUID) -> tuple[bytes, str]:
        tail = f"credit-notes/{credit_note_id}/pdf"
        return await self.download(self._family(family_id, tail) if family_id else "/" + tail,
                                   token=token)

    async def tax_certificate_pdf(self, token: str, family_id: uuid.UUID, year: int,
                                  child_id: uuid.UUID) -> tuple[bytes, str]:
        return await self.download(
            self._family(family_id, f"tax-certificates/{year}/{child_id}/pdf"), token=token)

    async def direct_debit(self, token: str, family_id: uuid.UUID) -> dict[str, Any]:
        """`{active, pending, former, creditor}`: the family's SEPA mandates (IBAN masked)."""
        return _object(await self.call("GET", self._family(family_id, "direct-debit"),
                                       token=token))

    async def create_mandate(self, token: str, family_id: uuid.UUID, *, holder: str, iban: str
                             ) -> dict[str, Any]:
        """A mandate awaiting its signature; billing e-mails the code that signs it."""
        return _object(await self.call("POST", self._family(family_id, "mandates"),
                                       token=token, json={"holder": holder, "iban": iban}))

    async def resend_mandate_code(self, token: str, family_id: uuid.UUID,
                                  mandate_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call(
            "POST", self._family(family_id, f"mandates/{mandate_id}/code"), token=token))

    async def sign_mandate(self, token: str, family_id: uuid.UUID, mandate_id: uuid.UUID, *,
                           code: str) -> dict[str, Any]:
        return _object(await self.call(
            "POST", self._family(family_id, f"mandates/{mandate_id}/signature"), token=token,
            json={"code": code}))

    async def revoke_mandate(self, token: str, family_id: uuid.UUID, mandate_id: uuid.UUID
                             ) -> dict[str, Any]:
        return _object(await self.call(
            "POST", self._family(family_id, f"mandates/{mandate_id}/revocation"), token=token))

    async def notify(self, idop: str) -> None:
        """PayFiP's notification, passed on: billing only asks PayFiP (no token needed)."""
        await self.call("POST", "/payfip/notifications", json={"idop": idop})

    # ---- staff ----

    async def preview(self, token: str, *, month: str, cursor: str | None = None,
                      limit: int = 20) -> dict[str, Any]:
        """What a run would issue now, `limit` draft invoices a page (with the month's count
        and total)."""
        return _object(await self.call("GET", "/invoicing/preview", token=token,
                                       params=_query(month=month, cursor=cursor,
                                                     limit=str(limit))))

    async def run(self, token: str, *, month: str) -> dict[str, Any]:
        return _object(await self.call("POST", "/invoicing/runs", token=token,
                                       json={"month": month}))

    async def all_invoices(self, token: str, *, family_id: uuid.UUID | None = None,
                           month: str | None = None, state: str | None = None,
                           cursor: str | None = None) -> dict[str, Any]:
        body = _object(await self.call("GET", "/invoices", token=token, params=_query(
            family_id=family_id, month=month, state=state, cursor=cursor)))
        return {"items": _objects(body.get("items")), "next_cursor": body.get("next_cursor")}

    async def staff_invoice(self, token: str, invoice_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call("GET", f"/invoices/{invoice_id}", token=token))

    async def credit_note(self, token: str, invoice_id: uuid.UUID, *, reason: str,
                          item_ids: list[str] | None) -> dict[str, Any]:
        return _object(await self.call("POST", f"/invoices/{invoice_id}/credit-notes",
                                       token=token,
                                       json={"reason": reason, "item_ids": item_ids}))

    async def month_debits(self, token: str, *, month: str) -> dict[str, Any]:
        """A month's SEPA debits to check (IBAN masked), its batches and the return codes."""
        return _object(await self.call("GET", "/direct-debits", token=token,
                                       params={"month": month}))

    async def build_debit_batch(self, token: str, *, month: str) -> dict[str, Any]:
        return _object(await self.call("POST", "/direct-debits/batches", token=token,
                                       json={"month": month}))

    async def debit_batch_file(self, token: str, batch_id: uuid.UUID) -> tuple[bytes, str]:
        """The batch's pain.008 file for the bank, as billing made it."""
        return await self.download(f"/direct-debits/batches/{batch_id}/file", token=token,
                                   content_type="application/xml")

    async def record_debit_return(self, token: str, *, invoice_number: str, code: str
                                  ) -> dict[str, Any]:
        return _object(await self.call("POST", "/direct-debits/returns", token=token,
                                       json={"invoice_number": invoice_number, "code": code}))

    async def record_payment(self, token: str, family_id: uuid.UUID, body: dict[str, Any]
                             ) -> dict[str, Any]:
        """A payment received by staff (chèque, espèces, CESU, chèques vacances,
        prélèvement), validated at once."""
        return _object(await self.call("POST", self._family(family_id, "payments/offline"),
                                       token=token, json=body))

    # ---- PES exports to the public accountant (staff) ----

    async def pes_preview(self, token: str, *, month: str) -> dict[str, Any]:
        """The pieces and totals a batch of the month would hold now, the invoices left out
        (with the service's reason), the budget's draft and the month's batches."""
        return _object(await self.call("GET", "/pes/preview", token=token,
                                       params=_query(month=month)))

    async def pes_prepare(self, token: str, *, month: str) -> dict[str, Any]:
        return _object(await self.call("POST", "/pes/batches", token=token,
                                       json={"month": month}))

    async def pes_batch(self, token: str, batch_id: uuid.UUID) -> dict[str, Any]:
        return _object(await self.call("GET", f"/pes/batches/{batch_id}", token=token))

    async def pes_file(self, token: str, batch_id: uuid.UUID) -> tuple[bytes, str]:
        return await self.download(f"/pes/batches/{batch_id}/file", token=token,
                                   content_type="application/xml")

    async def pes_mark_sent(self, token: str, batch_id: uuid.UUID, *,
                            file_sha256: str | None) -> dict[str, Any]:
        """Refused (409) if the file was rebuilt since the one the agent saw (its SHA-256)."""
        return _object(await self.call("POST", f"/pes/batches/{batch_id}/sent", token=token,
                                       if_match=file_sha256))

    async def pes_drop(self, token: str, batch_id: uuid.UUID) -> None:
        await self.call("DELETE", f"/pes/batches/{batch_id}", token=token)


@dataclass(frozen=True)
class Clients:
    """Every upstream the gateway talks to; add a field (and a line below) per new service."""

    auth: AuthClient
    families: FamiliesClient
    reservations: ReservationsClient
    billing: BillingClient


def make_clients(app: web.Application) -> Clients:
    settings = app[common_keys.SETTINGS]
    timeout = float(getattr(settings, "upstream_timeout_seconds", 8.0))
    return Clients(
        auth=AuthClient(app, settings.auth_url, name="auth", timeout=timeout),
        families=FamiliesClient(app, settings.families_url, name="families", timeout=timeout),
        reservations=ReservationsClient(app, settings.reservations_url, name="reservations",
                                        timeout=timeout),
        billing=BillingClient(app, settings.billing_url, name="billing", timeout=timeout),
    )

