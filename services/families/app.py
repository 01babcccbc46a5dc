"""Application factory of the families service."""

from pathlib import Path

from aiohttp import web

from services.common.web import add_consumers, service_app
from services.families import keys
from services.families.consumers import handlers
from services.families.routes import setup_routes
from services.families.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(*, settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    app = service_app(settings, title="Portail Famille — familles", migrations=MIGRATIONS)
    app[keys.SETTINGS] = settings
    setup_routes(app)
    add_consumers(app, handlers)
    return app
