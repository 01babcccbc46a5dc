"""Application keys of the notifier service (shared ones live in services.common.keys)."""

from aiohttp import web

from services.notifier.settings import Settings

SETTINGS = web.AppKey("notifier_settings", Settings)
