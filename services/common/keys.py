"""Typed application keys of the resources every service shares."""

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

from services.common.bus import Bus, Consumer, Handler
from services.common.outbox import OutboxRelay
from services.common.settings import CommonSettings
from services.common.tokens import TokenVerifier

# True/False, or a dict of details (see services.common.web.readyz).
ReadyCheck = Callable[[web.Application], Awaitable[bool | dict[str, Any]]]
HandlersFactory = Callable[[web.Application], dict[str, Handler]]

SETTINGS = web.AppKey("settings", CommonSettings)
DB = web.AppKey("db", asyncpg.Pool)
BUS = web.AppKey("bus", Bus)
RELAY = web.AppKey("relay", OutboxRelay)
CONSUMER = web.AppKey("consumer", Consumer)
HANDLERS: web.AppKey[HandlersFactory] = web.AppKey("handlers")
HTTP = web.AppKey("http", aiohttp.ClientSession)
VERIFIER = web.AppKey("verifier", TokenVerifier)
METRICS = web.AppKey("metrics", CollectorRegistry)
# The port `/metrics` is served on (the internal site), once started; absent when not served.
METRICS_PORT = web.AppKey("metrics_port", int)
READY_CHECKS: web.AppKey[list[ReadyCheck]] = web.AppKey("ready_checks")
TITLE = web.AppKey("title", str)
