"""Application base: middlewares, health, readiness, metrics, OpenAPI and resource contexts."""

import asyncio
import contextlib
import logging
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

from services.common import keys
from services.common.api import openapi_document
from services.common.bus import Bus, Consumer
from services.common.db import database
from services.common.errors import OUTAGE, Outage, Unauthorized, problem_middleware
from services.common.http import client_session
from services.common.log import REQUEST_ID_HEADER, new_request_id, request_id_var
from services.common.observability import SERVICE_METRICS, ServiceMetrics, sampler_context
from services.common.outbox import OutboxRelay
from services.common.revocations import revocations_context, revoked_sessions
from services.common.settings import CommonSettings, ServiceSettings
from services.common.tokens import PRINCIPAL_KEY, JwksKeys, TokenVerifier, bearer_token

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Context = Callable[[web.Application], AsyncIterator[None]]

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
DURATION = "http_request_duration_seconds"


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Adopt the caller's request id (when well-formed) or make one; echo it back."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else new_request_id()
    token = request_id_var.set(request_id)
    try:
        response = await handler(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
    finally:
        request_id_var.reset(token)


def metrics_middleware(registry: CollectorRegistry) -> Middleware:
    histogram = Histogram(DURATION, "HTTP request latency by route", ["method", "route", "status"],
                          registry=registry)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            histogram.labels(request.method, route, str(status)).observe(
                time.perf_counter() - started)

    return middleware


@web.middleware
async def verify_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the caller's principal when a bearer token is sent; refuse an invalid one, and
    one of a session auth has closed."""
    token = bearer_token(request)
    if token is not None:
        who = await request.app[keys.VERIFIER].verify(token)
        if who.sid is not None and who.sid in revoked_sessions(request.app):
            raise Unauthorized()
        request[PRINCIPAL_KEY] = who
    return await handler(request)


async def healthz(request: web.Request) -> web.Response:
    # The process answering: several workers share the port (see `run`).
    return web.json_response({"status": "ok", "pid": os.getpid()})


async def readyz(request: web.Request) -> web.Response:
    """Each check says True/False, or (a dependency the part does without for a while, as
    the notifier's mail server) a dict whose `status` "degraded" leaves the part ready but
    says so, with its details."""
    results: dict[str, bool | dict[str, Any]] = {}
    for check in request.app[keys.READY_CHECKS]:
        try:
            results[check.__name__] = await asyncio.wait_for(check(request.app), 3.0)
        except Exception:
            results[check.__name__] = False
    ready = all(isinstance(r, dict) or bool(r) for r in results.values())
    degraded = any(isinstance(r, dict) and r.get("status") == "degraded"
                   for r in results.values())
    status = "unavailable" if not ready else "degraded" if degraded else "ready"
    return web.json_response({"status": status, "checks": results},
                             status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[keys.METRICS])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app, title=request.app[keys.TITLE]))


async def database_ready(app: web.Application) -> bool:
    async with app[keys.DB].acquire(timeout=2) as conn:
        return bool(await conn.fetchval("SELECT 1"))


async def broker_ready(app: web.Application) -> bool:
    return app[keys.BUS].is_connected


def base_app(settings: CommonSettings, *, title: str, middlewares: tuple[Middleware, ...] = (),
             client_max_size: int = 256 * 1024) -> web.Application:
    """The part every process shares: request ids, metrics, problem+json, token verification,
    `/healthz`, `/readyz`, `/openapi.json`, one outgoing HTTP client, and `/metrics` on an
    internal port of its own (`metrics_context`)."""
    registry = CollectorRegistry()
    app = web.Application(
        middlewares=[request_id_middleware, metrics_middleware(registry), *middlewares],
        client_max_size=client_max_size,
    )
    app[keys.SETTINGS] = settings
    app[keys.METRICS] = registry
    app[keys.TITLE] = title
    app[keys.READY_CHECKS] = []
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/openapi.json", openapi)
    app.cleanup_ctx.append(http_context)
    app.cleanup_ctx.append(metrics_context)
    return app


def service_app(settings: ServiceSettings, *, title: str, migrations: Path) -> web.Application:
    """A service: `base_app` plus its database (migrated), the bus and the outbox relay."""
    app = base_app(settings, title=title, middlewares=(problem_middleware, verify_token))
    app[OUTAGE] = Outage()
    app.cleanup_ctx.append(verifier_context)
    app.cleanup_ctx.append(database_context(settings, migrations))
    app.cleanup_ctx.append(bus_context(settings))
    app.cleanup_ctx.append(revocations_context)
    app.cleanup_ctx.append(relay_context(settings))
    app[SERVICE_METRICS] = ServiceMetrics(app[keys.METRICS])
    app.cleanup_ctx.append(sampler_context)
    app[keys.READY_CHECKS].extend([database_ready, broker_ready])
    return app


def add_consumers(app: web.Application, handlers: keys.HandlersFactory) -> None:
    """Consume the events `handlers(app)` maps to their handlers, once the app has started."""
    app[keys.HANDLERS] = handlers
    app.cleanup_ctx.append(consumer_context)


async def http_context(app: web.Application) -> AsyncIterator[None]:
    async with client_session() as session:
        app[keys.HTTP] = session
        yield


async def metrics_context(app: web.Application) -> AsyncIterator[None]:
    """`/metrics` on `metrics_port` only: a site of its own, so the public port (and the
    gateway in front of the parts) never answers it, whoever asks."""
    settings = app[keys.SETTINGS]
    if settings.metrics_port is None:
        yield
        return
    internal = web.Application()
    internal[keys.METRICS] = app[keys.METRICS]
    internal.router.add_get("/metrics", metrics)
    runner = web.AppRunner(internal, access_log=None)
    await runner.setup()
    try:
        # Worker i of several serves it on `metrics_port` + i (each process counts its own).
        port = settings.metrics_port + app.get(WORKER, 0) if settings.metrics_port else 0
        await web.TCPSite(runner, settings.metrics_host, port).start()
        app[keys.METRICS_PORT] = runner.addresses[0][1]
        yield
    finally:
        await runner.cleanup()


async def verifier_context(app: web.Application) -> AsyncIterator[None]:
    """Verify tokens with auth's JWKS, unless the app brought its own verifier (auth does)."""
    if keys.VERIFIER not in app:
        settings = app[keys.SETTINGS]
        app[keys.VERIFIER] = TokenVerifier(
            JwksKeys(settings.auth_url.rstrip("/") + "/.well-known/jwks.json", app[keys.HTTP]),
            issuer=settings.token_issuer,
            audience=settings.token_audience,
        )
    yield


def database_context(settings: ServiceSettings, migrations: Path) -> Context:
    async def context(app: web.Application) -> AsyncIterator[None]:
        async with database(settings, migrations) as pool:
            app[keys.DB] = pool
            yield

    return context


def bus_context(settings: ServiceSettings) -> Context:
    async def context(app: web.Application) -> AsyncIterator[None]:
        bus = Bus(settings.amqp_url, settings.namespace)
        await bus.connect()
        app[keys.BUS] = bus
        try:
            yield
        finally:
            await bus.close()

    return context


def relay_context(settings: ServiceSettings) -> Context:
    async def context(app: web.Application) -> AsyncIterator[None]:
        relay = OutboxRelay(app[keys.DB], app[keys.BUS], poll_seconds=settings.outbox_poll_seconds)
        app[keys.RELAY] = relay
        await relay.start()
        try:
            yield
        finally:
            await relay.stop()

    return context


def make_consumer(app: web.Application) -> Consumer:
    settings = app[keys.SETTINGS]
    assert isinstance(settings, ServiceSettings)
    consumer = Consumer(
        app[keys.BUS], app[keys.DB], name=settings.service_name,
        retry_delays=settings.retry_delays, prefetch=settings.prefetch,
    )
    consumer.on_failure = app[SERVICE_METRICS].consumer_failed
    for event_type, handler in app[keys.HANDLERS](app).items():
        consumer.subscribe(event_type, handler)
    return consumer


async def consumer_context(app: web.Application) -> AsyncIterator[None]:
    consumer = make_consumer(app)
    app[keys.CONSUMER] = consumer
    await consumer.start()
    try:
        yield
    finally:
        await consumer.stop()


WORKER = web.AppKey("worker", int)


def run(app: web.Application, *, host: str, port: int, workers: int = 1) -> int:
    """Serve until SIGINT/SIGTERM, closing every resource on the way out.

    With several `workers`, as many processes are forked, each serving `app` on the same port
    (SO_REUSEPORT: the kernel spreads the connections among them). Every per-process piece
    stays correct with several: the database is migrated by the caller before the fork (and
    again under an advisory lock by each, finding nothing to do), outbox relays take their
    rows with SKIP LOCKED, consumers of one service share its queues (and record each event
    id in the handler's transaction, so a redelivery has no second effect), caches only ever
    hold what any process may serve. This process only waits: a signal is passed on to every
    worker, and a worker stopping on its own stops the others (the supervisor — make run,
    compose, Kubernetes — then restarts the whole)."""
    if workers <= 1:
        _serve(app, host=host, port=port, reuse_port=False)
        return 0
    children: dict[int, int] = {}
    for index in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: serve, then leave without running the parent's code
            code = 1
            try:
                app[WORKER] = index
                _serve(app, host=host, port=port, reuse_port=True)
                code = 0
            except Exception:  # said here: os._exit below leaves no trace of why
                log.exception("worker %d failed", index)
            finally:
                logging.shutdown()
                os._exit(code)
        children[pid] = index
    log.info("serving with %d workers", workers, extra={"pids": sorted(children)})
    return _supervise(children)


def _serve(app: web.Application, *, host: str, port: int, reuse_port: bool) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        web.run_app(app, host=host, port=port, access_log=None, print=None,
                    shutdown_timeout=5, reuse_port=reuse_port or None)


def _supervise(children: dict[int, int]) -> int:
    """Wait for the workers; pass SIGINT/SIGTERM on; one stopping alone stops them all."""
    stopping = False
    code = 0

    def stop(signum: int = signal.SIGTERM, frame: object = None) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        index = children.pop(pid, None)
        if index is not None and not stopping:
            log.error("worker %d stopped on its own (status %d): stopping the others",
                      index, status)
            code = 1
            stop()
    return code
