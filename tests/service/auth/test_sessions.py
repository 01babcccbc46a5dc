"""Login, access tokens and their keys, refresh rotation, logout."""

import statistics
import time
import uuid
from datetime import timedelta

import jwt

from services.common.tokens import StaticKeys, TokenVerifier
from tests.service.auth.conftest import PASSWORD, Auth
from tests.support import TestTokens

INVALID = {"type": "/problems/invalid-credentials",
           "title": "Identifiant ou mot de passe incorrect.", "status": 401}


def problem(body: dict[str, object]) -> dict[str, object]:
    """A problem body without what differs between calls."""
    return {k: v for k, v in body.items() if k not in ("request_id",)}


async def test_login_returns_tokens_and_the_account(auth: Auth) -> None:
    family_id = uuid.uuid4()
    account = await auth.create_account(family_id=family_id)
    status, body, _ = await auth.call("POST", "/sessions", json_body={
        "email": account["email"], "password": PASSWORD})
    assert status == 201
    assert body["account"] == {"id": str(account["id"]), "email": account["email"],
                               "role": "parent", "family_id": str(family_id)}
    assert body["expires_in"] == 600
    assert body["token_type"] == "Bearer"
    assert len(body["refresh_token"]) >= 43  # 256 bits, URL-safe


async def test_login_email_is_case_insensitive(auth: Auth) -> None:
    account = await auth.create_account()
    body = await auth.login(account["email"].upper())
    assert body["account"]["email"] == account["email"]


async def test_wrong_password_and_unknown_account_get_the_same_answer(auth: Auth) -> None:
    account = await auth.create_account()
    wrong = await auth.call("POST", "/sessions", json_body={
        "email": account["email"], "password": "pas le bon mot de passe"})
    unknown = await auth.call("POST", "/sessions", json_body={
        "email": auth.new_email("nobody"), "password": "pas le bon mot de passe"})
    assert wrong[0] == unknown[0] == 401
    assert problem(wrong[1]) == problem(unknown[1]) == {**INVALID, "instance": "/sessions"}


async def test_disabled_and_invited_accounts_cannot_log_in(auth: Auth) -> None:
    disabled = await auth.create_account(status="disabled")
    invited = await auth.create_account(status="invited")
    for email in (disabled["email"], invited["email"]):
        status, body, _ = await auth.call("POST", "/sessions", json_body={
            "email": email, "password": PASSWORD})
        assert status == 401
        assert body["type"] == INVALID["type"]


async def test_access_token_carries_the_contract_claims(auth: Auth) -> None:
    family_id = uuid.uuid4()
    account = await auth.create_account(family_id=family_id)
    token = (await auth.login(account["email"]))["access_token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA" and header["kid"]
    assert claims["sub"] == str(account["id"])
    assert claims["role"] == "parent"
    assert claims["family_id"] == str(family_id)
    assert claims["iss"] == "portail-auth" and claims["aud"] == "portail"
    assert claims["exp"] - claims["iat"] == 600
    assert uuid.UUID(claims["sid"])


async def test_staff_token_has_no_family(auth: Auth) -> None:
    account = await auth.create_account(role="staff")
    token = (await auth.login(account["email"]))["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["role"] == "staff" and claims["family_id"] is None


async def test_jwks_verifies_issued_tokens(auth: Auth) -> None:
    account = await auth.create_account()
    token = (await auth.login(account["email"]))["access_token"]
    status, jwks, _ = await auth.call("GET", "/.well-known/jwks.json")
    assert status == 200
    assert [k["kty"] for k in jwks["keys"]] == ["OKP"]
    assert "d" not in jwks["keys"][0]  # never the private part
    verifier = TokenVerifier(StaticKeys(jwks), issuer="portail-auth", audience="portail")
    who = await verifier.verify(token)
    assert who.sub == str(account["id"])


async def test_token_signed_by_another_key_is_refused(auth: Auth) -> None:
    account = await auth.create_account()
    forged = TestTokens().issue(sub=str(account["id"]), role="admin")
    status, _, _ = await auth.call("GET", "/me", token=forged)
    assert status == 401


async def test_me_describes_the_caller(auth: Auth) -> None:
    account = await auth.create_account()
    token = (await auth.login(account["email"]))["access_token"]
    status, body, _ = await auth.call("GET", "/me", token=token)
    assert status == 200
    assert body == {"id": str(account["id"]), "email": account["email"], "role": "parent",
                    "family_id": str(account["family_id"]), "pending_email": None,
                    "pending_email_expires_at": None}


async def test_me_needs_a_token(auth: Auth) -> None:
    status, _, resp = await auth.call("GET", "/me")
    assert status == 401
    assert resp.headers["WWW-Authenticate"] == "Bearer"


async def test_refresh_rotates_the_refresh_token(auth: Auth) -> None:
    account = await auth.create_account()
    first = await auth.login(account["email"])
    status, second, _ = await auth.call("POST", "/sessions/refresh",
                                        json_body={"refresh_token": first["refresh_token"]})
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert second["account"] == first["account"]
    first_claims = jwt.decode(first["access_token"], options={"verify_signature": False})
    second_claims = jwt.decode(second["access_token"], options={"verify_signature": False})
    assert second_claims["sid"] == first_claims["sid"]
    status, _, _ = await auth.call("GET", "/me", token=second["access_token"])
    assert status == 200


async def age_rotation(auth: Auth, seconds: float) -> None:
    """Move every rotation `seconds` back in time (past the concurrent-request grace)."""
    async with auth.db.acquire() as conn:
        await conn.execute("UPDATE refresh_tokens SET rotated_at = rotated_at - $1::interval "
                           "WHERE rotated_at IS NOT NULL", timedelta(seconds=seconds))


async def test_reused_refresh_token_revokes_the_whole_session(auth: Auth) -> None:
    account = await auth.create_account()
    first = await auth.login(account["email"])
    _, second, _ = await auth.call("POST", "/sessions/refresh",
                                   json_body={"refresh_token": first["refresh_token"]})
    await age_rotation(auth, auth.settings.refresh_reuse_grace_seconds + 1)
    status, _, _ = await auth.call("POST", "/sessions/refresh",
                                   json_body={"refresh_token": first["refresh_token"]})
    assert status == 401
    # The thief's replay also logs out whoever held the newer tokens.
    status, _, _ = await auth.call("POST", "/sessions/refresh",
                                   json_body={"refresh_token": second["refresh_token"]})
    assert status == 401
    status, _, _ = await auth.call("GET", "/me", token=second["access_token"])
    assert status == 401


async def test_unknown_refresh_token_is_refused(auth: Auth) -> None:
    status, body, _ = await auth.call("POST", "/sessions/refresh",
                                      json_body={"refresh_token": "n-importe-quoi"})
    assert status == 401
    assert body["title"] == "Votre session a expiré. Veuillez vous reconnecter."


async def test_refresh_after_the_session_lifetime_is_refused(auth: Auth) -> None:
    account = await auth.create_account()
    tokens = await auth.login(account["email"])
    async with auth.db.acquire() as conn:
        await conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second' "
                           "WHERE account_id = $1", account["id"])
    status, _, _ = await auth.call("POST", "/sessions/refresh",
                                   json_body={"refresh_token": tokens["refresh_token"]})
    assert status == 401


async def test_logout_revokes_the_session(auth: Auth) -> None:
    account = await auth.create_account()
    tokens = await auth.login(account["email"])
    status, _, _ = await auth.call("DELETE", "/sessions/current", token=tokens["access_token"])
    assert status == 204
    status, _, _ = await auth.call("GET", "/me", token=tokens["access_token"])
    assert status == 401
    status, _, _ = await auth.call("POST", "/sessions/refresh",
                                   json_body={"refresh_token": tokens["refresh_token"]})
    assert status == 401


async def test_logout_leaves_other_sessions_open(auth: Auth) -> None:
    account = await auth.create_account()
    phone = await auth.login(account["email"])
    laptop = await auth.login(account["email"])
    await auth.call("DELETE", "/sessions/current", token=phone["access_token"])
    status, _, _ = await auth.call("GET", "/me", token=laptop["access_token"])
    assert status == 200


async def test_a_disabled_account_loses_its_open_sessions(auth: Auth) -> None:
    account = await auth.create_account()
    tokens = await auth.login(account["email"])
    async with auth.db.acquire() as conn:
        await conn.execute("UPDATE accounts SET status = 'disabled' WHERE id = $1",
                           account["id"])
    status, _, _ = await auth.call("GET", "/me", token=tokens["access_token"])
    assert status == 401
    status, _, _ = await auth.call("POST", "/sessions/refresh",
                                   json_body={"refresh_token": tokens["refresh_token"]})
    assert status == 401


async def test_secrets_are_stored_hashed(auth: Auth) -> None:
    account = await auth.create_account()
    tokens = await auth.login(account["email"])
    async with auth.db.acquire() as conn:
        stored = await conn.fetchval("SELECT password_hash FROM accounts WHERE id = $1",
                                     account["id"])
        refresh_rows = await conn.fetch(
            "SELECT r.token_hash FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id "
            "WHERE s.account_id = $1", account["id"])
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert all(tokens["refresh_token"].encode() not in bytes(r["token_hash"])
               for r in refresh_rows)
    assert all(len(r["token_hash"]) == 32 for r in refresh_rows)


async def test_openapi_documents_the_contract_paths(auth: Auth) -> None:
    _, doc, _ = await auth.call("GET", "/openapi.json")
    assert {"/sessions", "/sessions/refresh", "/sessions/current", "/me", "/me/password",
            "/me/email", "/email/confirm", "/password/forgot", "/password/check",
            "/password/reset", "/accounts", "/accounts/{account_id}/invitation"} <= set(
        doc["paths"])


async def test_login_takes_similar_time_for_unknown_accounts_and_wrong_passwords(
        auth: Auth) -> None:
    accounts = [await auth.create_account() for _ in range(5)]

    async def timed(email: str) -> float:
        started = time.perf_counter()
        status, _, _ = await auth.call("POST", "/sessions", json_body={
            "email": email, "password": "pas le bon mot de passe"})
        assert status == 401
        return time.perf_counter() - started

    wrong, unknown = [], []
    for account in accounts:  # one failure per account: no throttling gets in the way
        wrong.append(await timed(account["email"]))
        unknown.append(await timed(auth.new_email("nobody")))
    a, b = statistics.median(wrong), statistics.median(unknown)
    assert max(a, b) / min(a, b) < 3


async def test_a_refresh_token_presented_again_at_once_is_a_concurrent_request_not_a_theft(
        auth: Auth) -> None:
    """Two requests of one browser refreshing together through two gateway processes: both
    get tokens of the same session; the reuse only counts as theft after the grace."""
    account = await auth.create_account()
    first = await auth.login(account["email"])
    answers = [await auth.call("POST", "/sessions/refresh",
                               json_body={"refresh_token": first["refresh_token"]})
               for _ in range(2)]
    assert [status for status, _, _ in answers] == [200, 200]
    sids = {jwt.decode(body["access_token"], options={"verify_signature": False})["sid"]
            for _, body, _ in answers}
    assert len(sids) == 1
    for _, body, _ in answers:  # each newer token works
        status, _, _ = await auth.call("GET", "/me", token=body["access_token"])
        assert status == 200
    await age_rotation(auth, auth.settings.refresh_reuse_grace_seconds + 1)
    status, _, _ = await auth.call("POST", "/sessions/refresh",
                                   json_body={"refresh_token": first["refresh_token"]})
    assert status == 401
    status, _, _ = await auth.call("GET", "/me", token=answers[0][1]["access_token"])
    assert status == 401
