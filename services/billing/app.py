"""Application factory of the billing service."""

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.billing import keys
from services.billing.consumers import handlers
from services.billing.documents.render import Renderer
from services.billing.routes import setup_routes
from services.billing.settings import Settings
from services.common.web import add_consumers, service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(*, settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    app = service_app(settings, title="Portail Famille — facturation", migrations=MIGRATIONS)
    app[keys.SETTINGS] = settings
    setup_routes(app)
    app.cleanup_ctx.append(documents_context)
    add_consumers(app, handlers)
    return app


async def documents_context(app: web.Application) -> AsyncIterator[None]:
    renderer = Renderer(app[keys.SETTINGS].organisation)
    app[keys.RENDERER] = renderer
    try:
        yield
    finally:
        renderer.close()
