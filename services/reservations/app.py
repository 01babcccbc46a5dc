"""Application factory of the reservations service."""

from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from services.common.web import add_consumers, service_app
from services.reservations import keys
from services.reservations.consumers import handlers
from services.reservations.routes import setup_routes
from services.reservations.settings import Settings
from services.reservations.waitlist.service import expiry_context

MIGRATIONS = Path(__file__).parent / "migrations"


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(*, settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    app = service_app(settings, title="Portail Famille — réservations", migrations=MIGRATIONS)
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = utc_now
    setup_routes(app)
    add_consumers(app, handlers)
    app.cleanup_ctx.append(expiry_context(settings.offer_expiry_seconds))
    return app
