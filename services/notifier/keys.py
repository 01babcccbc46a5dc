"""Application keys of the notifier service (shared ones live in services.common.keys)."""

import asyncpg
from aiohttp import web

from services.notifier.service import Notifier
from services.notifier.settings import Settings
from services.notifier.smtp import Mailer

SETTINGS = web.AppKey("notifier_settings", Settings)
MAILER = web.AppKey("mailer", Mailer)
SENT_LOG = web.AppKey("sent_log", asyncpg.Pool)
NOTIFIER = web.AppKey("notifier", Notifier)
