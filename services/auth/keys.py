"""Application keys of the auth service (shared ones live in services.common.keys)."""

from aiohttp import web

from services.auth.service import AuthContext
from services.auth.settings import Settings

SETTINGS = web.AppKey("auth_settings", Settings)
CONTEXT = web.AppKey("auth_context", AuthContext)
