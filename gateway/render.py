"""Rendering pages: templates with the common context, forms and their errors, HTML errors."""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp_jinja2
from aiohttp import web

from gateway import keys
from gateway.messages import FLASH
from gateway.security import (
    FLASH_COOKIE,
    Handler,
    csrf_token,
    delete_cookie,
    is_json_path,
    set_cookie,
    signed,
    unsigned,
)
from gateway.session import SESSION_KEY, authenticate
from services.common.errors import Problem, Unauthorized, problem_middleware
from services.common.text import is_single_line

log = logging.getLogger(__name__)

LOGIN_PATH = "/connexion"
PARENT_HOME = "/mon-compte"
STAFF_HOME = "/gestion"


def home_for(role: str) -> str:
    return STAFF_HOME if role in ("staff", "admin") else PARENT_HOME


def redirect(location: str, *, status: int = 303) -> web.Response:
    """A redirect answered (not raised), so cookies and headers are added like any page."""
    return web.Response(status=status, headers={"Location": location})


def safe_next(target: str | None) -> str | None:
    """`target` when it is a page of ours (a local path), else None: no open redirect, and no
    control or invisible character to break the `Location` header or the page. What is not
    ASCII leaves percent-encoded."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or not is_single_line(target) or urlsplit(target).netloc:
        return None
    if is_json_path(target) or target.startswith("/static/"):
        return None
    return quote(target, safe="/?&=#%:@!$'()*+,;~[]")


def login_redirect(request: web.Request) -> web.Response:
    target = request.path_qs if request.method == "GET" else None
    if target and target not in ("/", LOGIN_PATH) and safe_next(target):
        return redirect(f"{LOGIN_PATH}?{urlencode({'next': target})}")
    return redirect(LOGIN_PATH)


def flash(request: web.Request, key: str) -> None:
    """Show the message `key` (gateway.messages.FLASH) on the next page."""
    set_cookie(request, FLASH_COOKIE, signed(request, "flash", key))


def take_flash(request: web.Request) -> tuple[str, ...]:
    if FLASH_COOKIE not in request.cookies:
        return ()
    key = unsigned(request, "flash", request.cookies.get(FLASH_COOKIE))
    delete_cookie(request, FLASH_COOKIE)
    return FLASH.get(key or "", ())


@dataclass
class Form:
    """A submitted form's values and its errors, per field and for the summary. A field's
    `labels` entry names it in the summary (« Code postal : … »), where the same message may
    otherwise appear for several fields."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def invalid(self) -> bool:
        return bool(self.errors or self.summary)

    def add(self, name: str, message: str, label: str | None = None) -> None:
        self.errors.setdefault(name, message)
        if label:
            self.labels.setdefault(name, label)

    def fail(self, problem: Problem, fields: tuple[str, ...]) -> None:
        """Show a service's refusal: its field errors by the fields (named by the label the
        service gives), the rest in the summary."""
        for error in problem.errors or []:
            name, message = str(error.get("field", "")), str(error.get("message", ""))
            label = error.get("label") if isinstance(error.get("label"), str) else None
            if name in fields:
                self.add(name, message, label)
            elif message:
                line = f"{label} : {message}" if label else message
                if line not in self.summary:
                    self.summary.append(line)
        if (not problem.errors or not self.errors) and problem.title not in self.summary:
            self.summary.insert(0, problem.title)

    def name_fields(self, label_of: Callable[[str], str | None]) -> "Form":
        """Name in the summary every field in error that the service did not name."""
        for name in self.errors:
            if name not in self.labels and (label := label_of(name)):
                self.labels[name] = label
        return self


async def read_form(request: web.Request, *names: str) -> Form:
    data = await request.post()
    values: dict[str, str] = {}
    for name in names:
        value = data.get(name)
        values[name] = value if isinstance(value, str) else ""
    return Form(values=values)


def render(request: web.Request, template: str, context: Mapping[str, Any] | None = None,
           *, status: int = 200, problem: Problem | None = None) -> web.Response:
    """A page with the common context: letterhead, user, CSRF token, one-time messages. With
    the `problem` it shows, the page answers its status and headers (`Retry-After`)."""
    session = request.get(SESSION_KEY)
    user = session.principal if session is not None and not session.via_bearer else None
    settings = request.app[keys.SETTINGS]
    ctx: dict[str, Any] = {
        "org": settings.organisation,
        "legal": settings.legal,
        "user": user,
        # Where « Retour à mon compte » leads: the parent's dashboard or the staff's home.
        "home": home_for(user.role) if user is not None else LOGIN_PATH,
        "csrf_token": csrf_token(request),
        "flash": take_flash(request),
        "path": request.path,
    }
    ctx.update(context or {})
    response: web.Response = aiohttp_jinja2.render_template(
        template, request, ctx, status=problem.status if problem is not None else status)
    if problem is not None:
        response.headers.update(problem.headers)
    return response


_TITLES = {
    404: "Page introuvable",
    405: "Action non autorisée",
    403: "Accès refusé",
    410: "Lien expiré",
    429: "Trop de tentatives",
    503: "Service momentanément indisponible",
}


async def error_page(request: web.Request, problem: Problem) -> web.Response:
    """The French error page, with the header of the logged-in visitor when there is one
    (a page that does not exist was never asked who is looking)."""
    if SESSION_KEY not in request:
        try:
            await authenticate(request)
        except Exception:  # an error page must show whatever else fails
            request[SESSION_KEY] = None
    heading = _TITLES.get(problem.status, "Une erreur est survenue")
    return render(request, "error.html", {"heading": heading, "problem": problem},
                  problem=problem)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """problem+json for the API; for pages, a French error page — or the login page when
    the visitor is not (or no longer) logged in."""
    if is_json_path(request.path):
        return await problem_middleware(request, handler)
    try:
        return await handler(request)
    except Unauthorized:
        return login_redirect(request)
    except Problem as problem:
        return await error_page(request, problem)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        mapped = Problem(exc.reason)
        mapped.status = exc.status
        mapped.title = {404: "Cette page n'existe pas ou n'existe plus.",
                        405: "Cette action n'est pas possible sur cette page."}.get(
                            exc.status, "La demande est invalide.")
        return await error_page(request, mapped)
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        internal = Problem("Une erreur inattendue est survenue. Veuillez réessayer plus tard.")
        internal.status = 500
        return await error_page(request, internal)
