"""Application factory of the gateway: pages, the parent JSON API, static files."""

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway import keys
from gateway.api import setup_api
from gateway.clients import make_clients
from gateway.pages import setup_pages
from gateway.render import errors_middleware
from gateway.security import cookies_middleware, csrf_middleware, headers_middleware
from gateway.session import REFRESHER, RefreshCoalescer
from gateway.settings import Settings
from gateway.templating import FILTERS
from gateway.waiting_room import setup_waiting_room, waiting_room_middleware
from services.common.web import base_app, verifier_context

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


async def clients_context(app: web.Application) -> AsyncIterator[None]:
    app[keys.CLIENTS] = make_clients(app)
    yield


def setup_templates(app: web.Application) -> None:
    # The organisation's own templates (legal pages…) come first, ours fill in the rest.
    override = app[keys.SETTINGS].templates_override
    folders = [override, TEMPLATES] if override is not None else [TEMPLATES]
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(folders),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)


def create_app(*, settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    app = base_app(
        settings,
        title="Portail Famille — API parents",
        # Outermost first: headers and cookies land on every answer, errors included; a
        # request that waits its turn costs nothing further (no form read for CSRF).
        middlewares=(headers_middleware, cookies_middleware, errors_middleware,
                     waiting_room_middleware, csrf_middleware),
    )
    app[keys.SETTINGS] = settings
    app[REFRESHER] = RefreshCoalescer()
    # Before `run` forks the workers: they share the one room.
    setup_waiting_room(app)
    app.cleanup_ctx.append(verifier_context)
    app.cleanup_ctx.append(clients_context)
    setup_templates(app)
    setup_pages(app)
    setup_api(app)
    app.router.add_static("/static", STATIC)
    return app
