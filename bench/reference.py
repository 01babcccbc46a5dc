"""The dashboard as a monolith would serve it — the yardstick of the `dashboard` benchmark.

`python -m bench.reference`: ONE aiohttp process (no worker, no gateway, no HTTP between
parts) that answers `GET /api/v1/me/dashboard` by running the very use cases the services run
for it (auth's account, the families' file and children, the reservations' first page, the
billing's five invoices and payments and the tax certificates), each on the service's own
database, the token verified once with auth's JWKS. What it costs less than the gateway is the
price of the service split. Its settings come from the environment (BENCH_REF_*), set by the
benchmark: the databases of the bench's stack and auth's URL.
"""

import asyncio
import os
import uuid
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from services.auth import service as auth_service
from services.billing.documents import tax
from services.billing.invoicing import service as invoicing
from services.billing.invoicing.schemas import InvoiceQuery
from services.billing.payments import service as payments
from services.billing.payments.schemas import PaymentQuery
from services.common.db import init_connection
from services.common.errors import Unauthorized
from services.common.tokens import JwksKeys, TokenVerifier, bearer_token
from services.families import service as families
from services.reservations.submissions import service as submissions
from services.reservations.submissions.schemas import ReservationsQuery

# As the gateway's dashboard: five invoices and payments, the first page of reservations.
ITEMS = 5
BLOCK_MINUTES = 30
POOLS = web.AppKey("pools", dict[str, asyncpg.Pool])
VERIFIER = web.AppKey("verifier", TokenVerifier)
HTTP = web.AppKey("http", aiohttp.ClientSession)


async def dashboard(request: web.Request) -> web.Response:
    token = bearer_token(request)
    if token is None:
        raise web.HTTPUnauthorized()
    try:
        who = await request.app[VERIFIER].verify(token)
    except Unauthorized as exc:
        raise web.HTTPUnauthorized() from exc
    family_id = who.family_id
    if family_id is None:
        raise web.HTTPForbidden()
    pools = request.app[POOLS]

    async def on(name: str, use: Any) -> Any:
        async with pools[name].acquire() as conn:
            return await use(conn)

    (account, family, children, reservations, invoices, paid, certificates) = (
        await asyncio.gather(
            auth_service.me(pools["auth"], account_id=uuid.UUID(who.sub)),
            on("families", lambda c: families.read_family(c, family_id=family_id)),
            on("families", lambda c: families.read_children(c, family_id=family_id,
                                                            health=True)),
            on("reservations", lambda c: submissions.list_reservations(
                c, family_id=family_id, query=ReservationsQuery())),
            on("billing", lambda c: invoicing.family_invoices(
                c, family_id=family_id, query=InvoiceQuery(limit=ITEMS),
                block_minutes=BLOCK_MINUTES)),
            on("billing", lambda c: payments.family_payments(
                c, family_id=family_id, query=PaymentQuery(limit=ITEMS))),
            on("billing", lambda c: tax.family_certificates(c, family_id)),
        ))
    body = {
        "account": account.model_dump(mode="json"),
        "family": family.model_dump(mode="json"),
        "children": [c.model_dump(mode="json") for c in children.items],
        "pending_children": [c.model_dump(mode="json") for c in children.pending_children],
        "reservations": [r.model_dump(mode="json") for r in reservations.items],
        "invoices": [i.model_dump(mode="json") for i in invoices.items],
        "payments": [p.model_dump(mode="json") for p in paid.items],
        "tax_certificates": [t.model_dump(mode="json") for t in certificates.items],
        "unavailable": [],
    }
    return web.json_response(body)


async def context(app: web.Application) -> Any:
    dsn = os.environ["BENCH_REF_DSN"]
    pools = {}
    for name in ("auth", "families", "reservations", "billing"):
        database = os.environ[f"BENCH_REF_{name.upper()}_DATABASE"]
        pools[name] = await asyncpg.create_pool(
            dsn.rsplit("/", 1)[0] + "/" + database, min_size=2, max_size=10,
            init=init_connection, server_settings={"jit": "off"})
    app[POOLS] = pools
    app[HTTP] = aiohttp.ClientSession()
    app[VERIFIER] = TokenVerifier(
        JwksKeys(os.environ["BENCH_REF_AUTH_URL"] + "/.well-known/jwks.json", app[HTTP]),
        issuer=os.environ["BENCH_REF_ISSUER"], audience=os.environ["BENCH_REF_AUDIENCE"])
    yield
    await app[HTTP].close()
    for pool in pools.values():
        await pool.close()


def create_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(context)
    app.router.add_get("/api/v1/me/dashboard", dashboard)
    app.router.add_get("/readyz", lambda _: _ready())
    return app


async def _ready() -> web.Response:
    return web.Response(text="ok")


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=int(os.environ["BENCH_REF_PORT"]),
                print=None, access_log=None)
