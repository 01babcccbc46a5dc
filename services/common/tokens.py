"""Access-token verification (Ed25519 JWT, keys from auth's JWKS) and role/family guards."""

import asyncio
import logging
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import jwt
from aiohttp import web

from services.common.errors import Forbidden, NotFound, Unauthorized

log = logging.getLogger(__name__)

Role = Literal["parent", "staff", "admin", "integrator"]
STAFF_ROLES: frozenset[str] = frozenset({"staff", "admin"})
ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class Principal:
    """Who is calling, from a verified access token."""

    sub: str
    role: str
    family_id: uuid.UUID | None
    sid: str | None
    token: str

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class KeySource:
    """Public keys by key id."""

    async def get(self, kid: str) -> Any:
        raise NotImplementedError


class StaticKeys(KeySource):
    """Keys known in-process (auth verifies its own tokens; tests)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks.get("keys", [])}

    async def get(self, kid: str) -> Any:
        return self.keys.get(kid)


_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d{1,9})\s*(?:,|$)", re.IGNORECASE)


def max_age(cache_control: str | None, default: float) -> float:
    """The `max-age` of a Cache-Control header, in seconds (`default` without one)."""
    found = _MAX_AGE.search(cache_control or "")
    return float(found.group(1)) if found else default


class JwksKeys(KeySource):
    """Keys fetched from auth's JWKS endpoint, cached for the `max-age` auth's answer gives
    (so a key auth retires stops being accepted once that time is over), and refreshed on an
    unknown key id; never more than one fetch every `min_refresh` seconds, so forged kids
    (or auth being away) cannot flood auth."""

    def __init__(self, url: str, session: aiohttp.ClientSession, *, min_refresh: float = 5.0,
                 default_max_age: float = 300.0) -> None:
        self.url = url
        self.session = session
        self.min_refresh = min_refresh
        self.default_max_age = default_max_age
        self.keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")  # the last try, answered or not
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        self._fetched_at = time.monotonic()
        async with self.session.get(self.url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
            resp.raise_for_status()
            body = await resp.json()
            cache_control = resp.headers.get("Cache-Control")
        self.keys = {k["kid"]: jwt.PyJWK(k).key for k in body.get("keys", [])}
        self._expires_at = time.monotonic() + max_age(cache_control, self.default_max_age)

    def _stale(self, kid: str) -> bool:
        now = time.monotonic()
        if now - self._fetched_at < self.min_refresh:
            return False
        return kid not in self.keys or now >= self._expires_at

    async def get(self, kid: str) -> Any:
        if not self._stale(kid):
            if kid not in self.keys and self._lock.locked():
                # A fetch is under way (the first one after start, or a rotation): its
                # answer, not the keys of before it, says whether this kid is auth's.
                async with self._lock:
                    pass
            return self.keys.get(kid)
        async with self._lock:
            if self._stale(kid):
                try:
                    await self.refresh()
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    # The keys of before stay in use until auth answers again.
                    log.warning("JWKS fetch failed", extra={"error": repr(exc)})
        return self.keys.get(kid)


class TokenVerifier:
    # Tokens already verified, by their exact text, until they expire: one dashboard sends the
    # same token to billing three times at once and every click sends it again, and the
    # Ed25519 check was a quarter of billing's CPU (bench `dashboard`, py-spy). At each use
    # the expiry is checked again and the signing key looked up (a key auth withdraws from
    # its JWKS ends its tokens at once); revocation is the caller's check, as before.
    CACHE_SIZE = 10_000

    def __init__(self, keys: KeySource, *, issuer: str, audience: str, leeway: float = 5.0
                 ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self._verified: OrderedDict[str, tuple[Principal, float, str]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; `Unauthorized` for anything else."""
        known = self._verified.get(token)
        if known is not None:
            principal, expires, kid = known
            if time.time() < expires + self.leeway and await self.keys.get(kid) is not None:
                return principal
            self._verified.pop(token, None)
            raise Unauthorized()
        principal, expires, kid = await self._verify(token)
        self._verified[token] = (principal, expires, kid)
        if len(self._verified) > self.CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized() from exc
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise Unauthorized()
        key = await self.keys.get(kid)
        if key is None:
            raise Unauthorized()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "role"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized() from exc
        family = claims.get("family_id")
        try:
            family_id = uuid.UUID(family) if family else None
        except (TypeError, ValueError) as exc:
            raise Unauthorized() from exc
        return Principal(
            sub=str(claims["sub"]),
            role=str(claims["role"]),
            family_id=family_id,
            sid=claims.get("sid"),
            token=token,
        ), float(claims["exp"]), kid


PRINCIPAL_KEY: web.RequestKey[Principal] = web.RequestKey("principal", Principal)

def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def principal(request: web.Request) -> Principal:
    """The authenticated caller, or 401."""
    found: Principal | None = request.get(PRINCIPAL_KEY)
    if found is None:
        raise Unauthorized()
    return found


def require_role(request: web.Request, *roles: str) -> Principal:
    """The caller if they hold one of `roles`; 401 without a token, 403 otherwise."""
    who = principal(request)
    if who.role not in roles:
        raise Forbidden()
    return who


def require_staff(request: web.Request) -> Principal:
    return require_role(request, *STAFF_ROLES)


def require_family(request: web.Request, family_id: uuid.UUID) -> Principal:
    """Staff, or the parent of `family_id`. Another family's resource answers 404, as if it
    did not exist, so ids cannot be probed."""
    who = principal(request)
    if who.is_staff:
        return who
    if who.role == "parent" and who.family_id == family_id:
        return who
    raise NotFound()


def own_family(request: web.Request) -> uuid.UUID:
    """The family of a parent caller (scopes every parent query)."""
    who = require_role(request, "parent")
    if who.family_id is None:
        raise Forbidden()
    return who.family_id
