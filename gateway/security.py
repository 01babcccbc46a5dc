"""Browser-facing protections: signed values, cookies set per response, CSRF and headers."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import jwt
from aiohttp import web

from gateway import keys
from services.common.errors import Forbidden
from services.common.tokens import bearer_token

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ACCESS_COOKIE = "pf_access"
REFRESH_COOKIE = "pf_refresh"
CSRF_COOKIE = "pf_csrf"
FLASH_COOKIE = "pf_flash"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Paths answered as JSON (problem+json errors, no CSRF form field).
# Called by other sites, never by a browser with our cookies: no CSRF token (PayFiP's
# server-to-server notification, which only triggers a check with PayFiP).
CSRF_EXEMPT = frozenset({"/paiement/payfip/notification"})
JSON_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/openapi.json")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


class CsrfRejected(Forbidden):
    slug = "csrf"
    title = ("Le formulaire a expiré ou ne vient pas de ce site. "
             "Veuillez recharger la page et réessayer.")


def is_json_path(path: str) -> bool:
    return path.startswith(JSON_PREFIXES)


def sign(request: web.Request, purpose: str, value: str) -> str:
    """A MAC of `value` for one `purpose`, with the gateway's secret."""
    secret = request.app[keys.SETTINGS].secret.get_secret_value().encode()
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signed(request: web.Request, purpose: str, value: str) -> str:
    return f"{value}.{sign(request, purpose, value)}"


def unsigned(request: web.Request, purpose: str, data: str | None) -> str | None:
    """The value of a `signed()` string, or None when it was tampered with."""
    if not data or "." not in data:
        return None
    value, _, mac = data.rpartition(".")
    return value if hmac.compare_digest(mac, sign(request, purpose, value)) else None


@dataclass
class _CookieOp:
    value: str | None  # None deletes the cookie
    http_only: bool
    same_site: Literal["Lax", "Strict"]


COOKIE_OPS: web.RequestKey[dict[str, _CookieOp]] = web.RequestKey("cookie_ops", dict)


def set_cookie(request: web.Request, name: str, value: str, *,
               same_site: Literal["Lax", "Strict"] = "Lax") -> None:
    """Send `name=value` with this request's answer (HttpOnly, never readable by scripts)."""
    request.setdefault(COOKIE_OPS, {})[name] = _CookieOp(value, True, same_site)


def delete_cookie(request: web.Request, name: str) -> None:
    request.setdefault(COOKIE_OPS, {})[name] = _CookieOp(None, True, "Lax")


def cookie(request: web.Request, name: str) -> str | None:
    """The cookie as this request will leave it (set or deleted earlier in the request)."""
    op: _CookieOp | None = request.get(COOKIE_OPS, {}).get(name)
    if op is not None:
        return op.value
    value: str | None = request.cookies.get(name)
    return value


def _apply_cookies(request: web.Request, response: web.StreamResponse) -> None:
    secure = request.app[keys.SETTINGS].secure_cookies
    for name, op in request.get(COOKIE_OPS, {}).items():
        if op.value is None:
            response.del_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
        else:
            response.set_cookie(name, op.value, path="/", secure=secure, httponly=op.http_only,
                                samesite=op.same_site)


@web.middleware
async def cookies_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Write the cookies the request decided on, on whatever answer leaves (errors included)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _apply_cookies(request, exc)
        raise
    _apply_cookies(request, response)
    return response


def csrf_cookie_name(request: web.Request) -> str:
    """Under https the CSRF cookie carries the `__Host-` prefix: browsers then accept it only
    Secure, for path `/` and from this very host, so a sibling subdomain cannot plant one."""
    return "__Host-" + CSRF_COOKIE if request.app[keys.SETTINGS].secure_cookies else CSRF_COOKIE


def _session_of(access: str | None) -> str:
    """The session id an access cookie names ("" without one). Read without checking the
    signature: it only binds the CSRF token to the session, the token itself is checked
    wherever it is used."""
    if not access:
        return ""
    try:
        claims = jwt.decode(access, options={"verify_signature": False})
    except jwt.PyJWTError:
        return ""
    sid = claims.get("sid") if isinstance(claims, dict) else None
    return sid if isinstance(sid, str) else ""


def _csrf_mac(request: web.Request, seed: str, access: str | None) -> str:
    return sign(request, "csrf", f"{seed}:{_session_of(access)}")


def renew_csrf(request: web.Request) -> None:
    """A new CSRF seed for this browser (at login and logout): tokens of before stop working."""
    set_cookie(request, csrf_cookie_name(request), secrets.token_urlsafe(32))


def csrf_token(request: web.Request) -> str:
    """The token forms and scripts send back: a MAC of this browser's random cookie and of
    its session, so it is worth nothing in another session (nor once logged in or out)."""
    name = csrf_cookie_name(request)
    seed = cookie(request, name)
    if not seed or len(seed) > 128:
        seed = secrets.token_urlsafe(32)
        set_cookie(request, name, seed)
    return _csrf_mac(request, seed, cookie(request, ACCESS_COOKIE))


def csrf_valid(request: web.Request, token: str | None) -> bool:
    seed = request.cookies.get(csrf_cookie_name(request))
    if not seed or not token or len(seed) > 128:
        return False
    return hmac.compare_digest(token, _csrf_mac(request, seed, request.cookies.get(ACCESS_COOKIE)))


def has_session_cookie(request: web.Request) -> bool:
    return ACCESS_COOKIE in request.cookies or REFRESH_COOKIE in request.cookies


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse unsafe browser requests that do not carry this browser's CSRF token.

    Forms send it as a hidden field, scripts as `X-CSRF-Token`. API calls with a bearer token
    carry no ambient credential, and cookie-less API calls neither (JSON bodies cannot be sent
    cross-site without a CORS preflight we never grant), so only those are exempt."""
    if request.method in SAFE_METHODS or request.path in CSRF_EXEMPT:
        return await handler(request)
    if request.path.startswith("/api/"):
        if bearer_token(request) is not None or not has_session_cookie(request):
            return await handler(request)
        token = request.headers.get(CSRF_HEADER)
    else:
        token = request.headers.get(CSRF_HEADER)
        if token is None and request.content_type in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    if not csrf_valid(request, token):
        raise CsrfRejected()
    return await handler(request)


NO_REFERRER: web.RequestKey[bool] = web.RequestKey("no_referrer", bool)


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Strict security headers on every answer; pages and API answers are never cached."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _security_headers(request, exc)
        raise
    _security_headers(request, response)
    return response


def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Pages reached through an e-mailed token must not leak it to another site.
    referrer = "no-referrer" if request.get(NO_REFERRER) else "same-origin"
    headers["Referrer-Policy"] = referrer
    if request.app[keys.SETTINGS].secure_cookies:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "public, max-age=3600")
    else:
        headers.setdefault("Cache-Control", "no-store")
