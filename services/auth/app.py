"""Application factory of the auth service."""

from pathlib import Path

from aiohttp import web

from services.auth import keys
from services.auth.consumers import handlers
from services.auth.errors import Throttled
from services.auth.routes import setup_routes
from services.auth.service import AuthContext
from services.auth.settings import Settings
from services.common import keys as common_keys
from services.common.tokens import StaticKeys, TokenVerifier
from services.common.web import Handler, add_consumers, service_app

MIGRATIONS = Path(__file__).parent / "migrations"


@web.middleware
async def retry_after(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A throttled answer tells the client when to try again (`Retry-After`)."""
    try:
        return await handler(request)
    except Throttled as problem:
        response = problem.response(request.path)
        response.headers["Retry-After"] = str(problem.retry_after)
        return response


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
    app.middlewares.append(retry_after)
    setup_routes(app)
    add_consumers(app, handlers)
    return app
