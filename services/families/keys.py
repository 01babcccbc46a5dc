"""Application keys of the families service (shared ones live in services.common.keys)."""

from aiohttp import web

from services.families.settings import Settings

SETTINGS = web.AppKey("families_settings", Settings)
