"""The signing key: configured, generated once for development, refused when unusable."""

import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.auth.app import create_app
from services.auth.settings import Settings
from services.auth.signing import Signer, SigningKeyError
from services.common.tokens import StaticKeys, TokenVerifier
from tests.service.auth.conftest import SIGNING_KEY


def pem(key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def settings(**values: object) -> Settings:
    return Settings(**{"env": "test", **values})  # type: ignore[arg-type]


async def verify(signer: Signer, token: str) -> str:
    verifier = TokenVerifier(StaticKeys(signer.jwks()), issuer="portail-auth",
                             audience="portail")
    return (await verifier.verify(token)).sub


def test_production_without_a_key_refuses_to_start() -> None:
    with pytest.raises(SigningKeyError, match="AUTH_SIGNING_KEY is required in production"):
        create_app(settings=settings(env="production", signing_key=None))


def test_development_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "auth-ed25519.pem"
    first = Signer.from_settings(settings(env="development", signing_key_file=path))
    second = Signer.from_settings(settings(env="development", signing_key_file=path))
    assert first.kid == second.kid
    assert path.stat().st_mode & 0o777 == 0o600


def test_configured_key_gives_a_stable_key_id() -> None:
    assert (Signer.from_settings(settings(signing_key=SIGNING_KEY)).kid
            == Signer.from_settings(settings(signing_key=SIGNING_KEY)).kid)


def test_a_key_on_one_line_with_escaped_newlines_is_the_same_key() -> None:
    one_line = SIGNING_KEY.strip().replace("\n", "\\n")
    assert "\n" not in one_line
    assert (Signer.from_settings(settings(signing_key=one_line)).kid
            == Signer.from_settings(settings(signing_key=SIGNING_KEY)).kid)


def test_a_key_that_is_not_ed25519_is_refused() -> None:
    with pytest.raises(SigningKeyError, match="Ed25519"):
        Signer.from_settings(settings(signing_key=pem(ec.generate_private_key(ec.SECP256R1()))))


async def test_tokens_of_a_retired_key_still_verify_during_a_rotation() -> None:
    old = Ed25519PrivateKey.generate()
    old_public = old.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    old_signer = Signer.from_settings(settings(signing_key=pem(old)))
    new_signer = Signer.from_settings(settings(signing_key=SIGNING_KEY,
                                               retired_public_keys=(old_public,)))
    assert [k["kid"] for k in new_signer.jwks()["keys"]] == [new_signer.kid, old_signer.kid]
    account_id = uuid.uuid4()
    token = old_signer.issue(account_id=account_id, role="staff", family_id=None,
                             session_id=uuid.uuid4()).token
    assert await verify(new_signer, token) == str(account_id)
