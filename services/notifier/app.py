"""Application factory of the notifier service."""

from pathlib import Path

from aiohttp import web

from services.common.web import service_app
from services.notifier import keys
from services.notifier.routes import setup_routes
from services.notifier.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(*, settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    app = service_app(settings, title="Portail Famille — notifications", migrations=MIGRATIONS)
    app[keys.SETTINGS] = settings
    setup_routes(app)
    return app
