"""The browser's session: tokens in HttpOnly cookies, verified here, refreshed transparently."""

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import jwt
from aiohttp import web

from gateway import keys
from gateway.clients import Tokens
from gateway.security import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    cookie,
    delete_cookie,
    has_session_cookie,
    renew_csrf,
    set_cookie,
)
from services.common import keys as common_keys
from services.common.addresses import client_address
from services.common.errors import BadRequest, Gone, Unauthorized, ValidationFailed
from services.common.tokens import Principal, bearer_token

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Session:
    """Who the browser (or API caller) is, and the tokens to call the services with."""

    principal: Principal
    access: str
    refresh: str | None
    via_bearer: bool
    refreshed: bool = False


SESSION_KEY: web.RequestKey[Session | None] = web.RequestKey("session", object)  # type: ignore[arg-type]


def forwarded_for(request: web.Request) -> str | None:
    """The browser's address, told to auth (which throttles by it), by the kernel's one rule
    (None when a trusted proxy did not say)."""
    return client_address(request, request.app[keys.SETTINGS].trusted_proxies)


class RefreshCoalescer:
    """Concurrent requests of one browser presenting the same refresh token share one refresh
    (auth rotates refresh tokens and treats a reuse as theft). Results live a few seconds,
    in memory only."""

    def __init__(self, ttl: float = 20.0) -> None:
        self.ttl = ttl
        self._flights: dict[str, tuple[float, asyncio.Future[Tokens]]] = {}

    async def refresh(self, request: web.Request, refresh_token: str) -> Tokens:
        now = time.monotonic()
        self._flights = {k: v for k, v in self._flights.items() if v[0] > now}
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        flight = self._flights.get(key)
        if flight is None:
            task = asyncio.ensure_future(request.app[keys.CLIENTS].auth.refresh(
                refresh_token, forwarded_for=forwarded_for(request)))
            flight = (now + self.ttl, task)
            self._flights[key] = flight
            task.add_done_callback(lambda done: self._forget_failed(key, done))
        return await asyncio.shield(flight[1])

    def _forget_failed(self, key: str, task: "asyncio.Future[Tokens]") -> None:
        # A failure (auth unreachable…) is not remembered: the next request tries again.
        if task.cancelled() or task.exception() is not None:
            self._flights.pop(key, None)


REFRESHER = web.AppKey("refresher", RefreshCoalescer)


async def _verify(request: web.Request, token: str) -> Principal:
    return await request.app[common_keys.VERIFIER].verify(token)


def _expires_soon(request: web.Request, token: str) -> bool:
    margin = request.app[keys.SETTINGS].refresh_margin_seconds
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return float(claims["exp"]) - time.time() <= margin
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return True


def start_session(request: web.Request, tokens: Tokens, *, opened: bool = True) -> None:
    """Keep freshly issued tokens in the browser's cookies; a session just `opened` (a login,
    not a refresh) gets a new CSRF seed, so no token of before works in it."""
    if opened:
        renew_csrf(request)
    set_cookie(request, ACCESS_COOKIE, tokens.access_token, same_site="Lax")
    # The refresh token only travels on requests started from our own pages.
    set_cookie(request, REFRESH_COOKIE, tokens.refresh_token, same_site="Strict")


def end_session(request: web.Request) -> None:
    renew_csrf(request)
    delete_cookie(request, ACCESS_COOKIE)
    delete_cookie(request, REFRESH_COOKIE)
    request[SESSION_KEY] = None


async def _refreshed(request: web.Request, refresh_token: str) -> Session | None:
    try:
        tokens = await request.app[REFRESHER].refresh(request, refresh_token)
    except (Unauthorized, BadRequest, Gone, ValidationFailed):
        end_session(request)
        return None
    start_session(request, tokens, opened=False)
    try:
        who = await _verify(request, tokens.access_token)
    except Unauthorized:
        end_session(request)
        return None
    return Session(who, tokens.access_token, tokens.refresh_token, via_bearer=False,
                   refreshed=True)


async def authenticate(request: web.Request) -> Session | None:
    """The caller's session: a bearer token (API), else the cookies, refreshing the access
    token when it is expired or about to be. None when not logged in."""
    if SESSION_KEY in request:
        return request[SESSION_KEY]
    session: Session | None = None
    token = bearer_token(request) if request.path.startswith("/api/") else None
    if token is not None:
        session = Session(await _verify(request, token), token, None, via_bearer=True)
    elif has_session_cookie(request):
        access = cookie(request, ACCESS_COOKIE)
        refresh = cookie(request, REFRESH_COOKIE)
        if access and not _expires_soon(request, access):
            try:
                session = Session(await _verify(request, access), access, refresh,
                                  via_bearer=False)
            except Unauthorized:
                session = None
        if session is None and refresh:
            session = await _refreshed(request, refresh)
        if session is None:
            end_session(request)
    request[SESSION_KEY] = session
    return session


async def require_session(request: web.Request) -> Session:
    session = await authenticate(request)
    if session is None:
        raise Unauthorized()
    return session


async def upstream(request: web.Request, call: Callable[[str], Awaitable[T]]) -> T:
    """Run `call(access_token)`; when the service answers 401 to a cookie session, refresh
    once and run it again (a revoked or lapsed token must not log the parent out early)."""
    session = await require_session(request)
    try:
        return await call(session.access)
    except Unauthorized:
        if session.via_bearer or session.refreshed or not session.refresh:
            raise
        renewed = await _refreshed(request, session.refresh)
        request[SESSION_KEY] = renewed
        if renewed is None:
            raise
        return await call(renewed.access)
