"""Application keys of the reservations service (shared ones live in services.common.keys)."""

from aiohttp import web

from services.reservations.settings import Settings

SETTINGS = web.AppKey("reservations_settings", Settings)
