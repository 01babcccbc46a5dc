"""Application factory of the auth service."""

from pathlib import Path

from aiohttp import web

from services.auth import keys
from services.auth.consumers import handlers
from services.auth.routes import setup_routes
from services.auth.service import AuthContext
from services.auth.settings import Settings
from services.common import keys as common_keys
from services.common.tokens import StaticKeys, TokenVerifier
from services.common.web import add_consumers, service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(*, settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    # Loads the signing key first: without one in production, the service refuses to start.
    context = AuthContext.from_settings(settings)
    app = service_app(settings, title="Portail Famille — comptes", migrations=MIGRATIONS)
    app[keys.SETTINGS] = settings
    app[keys.CONTEXT] = context
    # Auth verifies its own tokens with its own keys (no HTTP call to itself).
    app[common_keys.VERIFIER] = TokenVerifier(
        StaticKeys(context.signer.jwks()), issuer=settings.token_issuer,
        audience=settings.token_audience)
    setup_routes(app)
    add_consumers(app, handlers)
    return app
