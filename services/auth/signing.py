"""The Ed25519 key that signs access tokens, its JWKS, and the tokens themselves."""

import base64
import hashlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.auth.settings import Settings
from services.common.tokens import ALGORITHM

log = logging.getLogger(__name__)


class SigningKeyError(RuntimeError):
    """The signing key is missing or unusable: the service must not start."""


def load_signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The configured key; in development and tests a key kept in a local file when none is
    configured; in production, no key is a refusal to start."""
    # An empty variable (as compose files often pass one) counts as absent.
    configured = settings.signing_key.get_secret_value().strip() if settings.signing_key else ""
    # A PEM on one line with `\n` escapes (an env file that cannot hold several lines).
    configured = configured.replace("\\n", "\n")
    if configured:
        return _private_key(configured.encode(), "AUTH_SIGNING_KEY")
    if settings.env == "production":
        raise SigningKeyError(
            "AUTH_SIGNING_KEY is required in production: an Ed25519 private key in PEM "
            "(for example from `openssl genpkey -algorithm ed25519`)."
        )
    return development_key(settings.signing_key_file)


def development_key(path: Path) -> Ed25519PrivateKey:
    """Read the development key, or create it once (several processes may race: the first
    to create the file wins, the others read it)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            log.warning("development signing key generated", extra={"path": str(path)})
    # A racing creator may not have written yet: a short wait beats a confusing error.
    for _ in range(50):
        data = path.read_bytes()
        if data:
            return _private_key(data, str(path))
        time.sleep(0.02)
    raise SigningKeyError(f"the development signing key {path} is empty")


def _private_key(pem: bytes, origin: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{origin} is not a readable PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{origin} must be an Ed25519 key")
    return key


def public_jwk(key: Ed25519PublicKey) -> dict[str, Any]:
    """The JWK of `key`, its `kid` being the RFC 7638 thumbprint (stable across restarts)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=")
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid.decode(), "alg": ALGORITHM,
            "use": "sig"}


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


class Signer:
    """Issues access tokens; publishes the public keys that verify them."""

    def __init__(self, key: Ed25519PrivateKey, *, issuer: str, audience: str, ttl: int,
                 retired: tuple[Ed25519PublicKey, ...] = ()) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl
        current = public_jwk(key.public_key())
        self.kid: str = current["kid"]
        self._jwks = {"keys": [current, *(public_jwk(k) for k in retired)]}

    @classmethod
    def from_settings(cls, settings: Settings) -> "Signer":
        retired: list[Ed25519PublicKey] = []
        for pem in settings.retired_public_keys:
            key = serialization.load_pem_public_key(pem.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise SigningKeyError("AUTH_RETIRED_PUBLIC_KEYS must hold Ed25519 public keys")
            retired.append(key)
        return cls(load_signing_key(settings), issuer=settings.token_issuer,
                   audience=settings.token_audience, ttl=settings.access_token_seconds,
                   retired=tuple(retired))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(k) for k in self._jwks["keys"]]}

    def issue(self, *, account_id: uuid.UUID, role: str, family_id: uuid.UUID | None,
              session_id: uuid.UUID) -> AccessToken:
        now = int(time.time())
        claims = {
            "sub": str(account_id),
            "role": role,
            # Only a parent's token scopes data to a family (contracts: `family_id` (parents)).
            "family_id": str(family_id) if family_id is not None and role == "parent" else None,
            "sid": str(session_id),
            "iat": now,
            "exp": now + self.ttl,
            "iss": self.issuer,
            "aud": self.audience,
        }
        token = jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})
        return AccessToken(token=token, expires_in=self.ttl)
