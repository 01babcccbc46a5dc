"""Application keys of the gateway (shared ones live in services.common.keys)."""

from aiohttp import web

from gateway.clients import Clients
from gateway.settings import Settings

SETTINGS = web.AppKey("gateway_settings", Settings)
CLIENTS = web.AppKey("clients", Clients)
