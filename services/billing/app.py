"""Application factory of the billing service."""

from pathlib import Path

from aiohttp import web

from services.billing import keys
from services.billing.routes import setup_routes
from services.billing.settings import Settings
from services.common.web import service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(*, settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    app = service_app(settings, title="Portail Famille — facturation", migrations=MIGRATIONS)
    app[keys.SETTINGS] = settings
    setup_routes(app)
    return app
