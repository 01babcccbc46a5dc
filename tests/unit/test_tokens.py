"""Access tokens: only a valid, unexpired token signed by a known key is accepted."""

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.errors import Unauthorized
from services.common.tokens import StaticKeys, TokenVerifier
from tests.support import TestTokens

SIGNER = TestTokens()
VERIFIER = SIGNER.verifier()


async def test_a_valid_token_gives_the_principal() -> None:
    family = uuid.uuid4()
    who = await VERIFIER.verify(SIGNER.issue(role="parent", family_id=family, sub="acc-1"))
    assert (who.sub, who.role, who.family_id, who.is_staff) == ("acc-1", "parent", family, False)


async def test_a_token_signed_by_an_unknown_key_is_refused() -> None:
    stranger = TestTokens()
    with pytest.raises(Unauthorized):
        await VERIFIER.verify(stranger.issue(role="staff"))


async def test_a_token_signed_by_another_key_under_a_known_key_id_is_refused() -> None:
    forged = jwt.encode(
        {"sub": "x", "role": "admin", "iat": int(time.time()), "exp": int(time.time()) + 60,
         "iss": SIGNER.issuer, "aud": SIGNER.audience},
        Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": SIGNER.kid})
    with pytest.raises(Unauthorized):
        await VERIFIER.verify(forged)


async def test_an_expired_token_is_refused() -> None:
    with pytest.raises(Unauthorized):
        await VERIFIER.verify(SIGNER.issue(role="parent", ttl=-60))


@pytest.mark.parametrize("claims", [{"aud": "someone-else"}, {"iss": "not-auth"}])
async def test_a_token_for_another_audience_or_issuer_is_refused(claims: dict[str, str]) -> None:
    with pytest.raises(Unauthorized):
        await VERIFIER.verify(SIGNER.issue(role="parent", **claims))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
async def test_garbage_and_unsigned_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthorized):
        await VERIFIER.verify(token)


async def test_an_hs256_token_using_the_public_key_as_secret_is_refused() -> None:
    public = SIGNER.jwks()["keys"][0]["x"]
    forged = jwt.encode({"sub": "x", "role": "admin", "exp": int(time.time()) + 60},
                        public, algorithm="HS256", headers={"kid": SIGNER.kid})
    with pytest.raises(Unauthorized):
        await VERIFIER.verify(forged)


async def test_static_keys_ignore_unknown_ids() -> None:
    assert await StaticKeys({"keys": []}).get("nope") is None
    assert isinstance(VERIFIER, TokenVerifier)


async def test_a_token_verified_once_is_not_checked_again_until_it_expires(
        monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = SIGNER.verifier()
    token = SIGNER.issue(role="parent", ttl=600)
    first = await verifier.verify(token)
    decoded: list[str] = []
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append("again"))
    assert await verifier.verify(token) == first
    assert decoded == []


async def test_a_remembered_token_is_refused_once_expired_or_its_key_withdrawn(
        monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = SIGNER.verifier()
    short, other = SIGNER.issue(role="parent", ttl=2), SIGNER.issue(role="staff", ttl=600)
    await verifier.verify(short)
    await verifier.verify(other)
    later = time.time() + 2 + verifier.leeway + 1
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthorized):
        await verifier.verify(short)
    assert isinstance(verifier.keys, StaticKeys)
    verifier.keys.keys.clear()  # auth withdrew the key from its JWKS
    with pytest.raises(Unauthorized):
        await verifier.verify(other)
