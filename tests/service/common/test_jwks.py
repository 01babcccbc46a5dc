"""Keys come from auth's JWKS: cached, refreshed when an unknown key id shows up."""

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from services.common.errors import Unauthorized
from services.common.tokens import JwksKeys, TokenVerifier
from tests.support import TestTokens, eventually, serve


async def test_a_rotated_key_is_fetched_and_an_unknown_one_refused_without_flooding_auth(
) -> None:
    old, new, stranger = TestTokens(), TestTokens(), TestTokens()
    published: dict[str, Any] = {"keys": old.jwks()["keys"]}
    hits: list[int] = []

    async def jwks(request: web.Request) -> web.Response:
        hits.append(1)
        return web.json_response(published)

    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", jwks)
    async with serve(app) as server, aiohttp.ClientSession() as session:
        keys = JwksKeys(str(server.make_url("/.well-known/jwks.json")), session, min_refresh=60)
        verifier = TokenVerifier(keys, issuer=old.issuer, audience=old.audience)

        assert (await verifier.verify(old.issue(role="parent"))).role == "parent"
        assert (await verifier.verify(old.issue(role="staff"))).role == "staff"
        assert len(hits) == 1  # cached

        published["keys"] = old.jwks()["keys"] + new.jwks()["keys"]
        keys._fetched_at = 0.0  # the rotation happens long after the first fetch
        assert (await verifier.verify(new.issue(role="parent"))).role == "parent"
        assert len(hits) == 2

        for _ in range(5):
            with pytest.raises(Unauthorized):
                await verifier.verify(stranger.issue(role="admin"))
        assert len(hits) == 2  # a burst of unknown ids does not hammer auth


async def test_the_cache_lasts_the_max_age_auth_gives_then_a_retired_key_is_refused() -> None:
    old, new = TestTokens(), TestTokens()
    published: dict[str, Any] = {"keys": old.jwks()["keys"] + new.jwks()["keys"]}
    cache_control = {"value": "public, max-age=300"}
    hits: list[int] = []

    async def jwks(request: web.Request) -> web.Response:
        hits.append(1)
        return web.json_response(published, headers={"Cache-Control": cache_control["value"]})

    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", jwks)
    async with serve(app) as server, aiohttp.ClientSession() as session:
        keys = JwksKeys(str(server.make_url("/.well-known/jwks.json")), session, min_refresh=0)
        verifier = TokenVerifier(keys, issuer=old.issuer, audience=old.audience)
        assert (await verifier.verify(old.issue())).role == "parent"
        for _ in range(5):
            await verifier.verify(new.issue())
        assert len(hits) == 1  # within its max-age, the answer is reused

        # Auth now says its answer is good for 1 second, then retires the old key.
        cache_control["value"] = "public, max-age=1"
        keys = JwksKeys(str(server.make_url("/.well-known/jwks.json")), session, min_refresh=0)
        verifier = TokenVerifier(keys, issuer=old.issuer, audience=old.audience)
        token = old.issue()
        assert (await verifier.verify(token)).role == "parent"
        published["keys"] = new.jwks()["keys"]

        async def old_key_refused() -> bool:
            try:
                await verifier.verify(token)
            except Unauthorized:
                return True
            return False

        # Known to the cache, the retired key is refused once the answer's second is over.
        await eventually(old_key_refused, timeout=10)
        assert (await verifier.verify(new.issue())).role == "parent"


async def test_requests_arriving_during_the_first_fetch_wait_for_its_keys() -> None:
    """Several requests at once right after start (the dashboard asks a service three times in
    parallel): those arriving while the first fetch runs are accepted with its keys, never
    refused with the empty cache of before it."""
    tokens = TestTokens()
    hits: list[int] = []

    async def jwks(request: web.Request) -> web.Response:
        hits.append(1)
        await asyncio.sleep(0.2)  # auth answers while the other requests arrive
        return web.json_response(tokens.jwks())

    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", jwks)
    async with serve(app) as server, aiohttp.ClientSession() as session:
        keys = JwksKeys(str(server.make_url("/.well-known/jwks.json")), session, min_refresh=60)
        verifier = TokenVerifier(keys, issuer=tokens.issuer, audience=tokens.audience)
        who = await asyncio.gather(*(verifier.verify(tokens.issue(role="parent"))
                                     for _ in range(3)))
    assert [w.role for w in who] == ["parent"] * 3
    assert len(hits) == 1
