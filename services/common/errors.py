"""RFC 9457 problem details: one exception family, one middleware, French titles."""

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from services.common.bus import is_transient
from services.common.log import current_request_id

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error answered as problem+json; `title` is French and safe to show to a parent."""

    status = 400
    slug = "bad-request"
    title = "La demande est invalide."

    def __init__(self, title: str | None = None, *, detail: str | None = None,
                 errors: list[dict[str, str]] | None = None, **extra: Any) -> None:
        super().__init__(title or self.title)
        if title is not None:
            self.title = title
        self.detail = detail
        self.errors = errors
        self.extra = extra

    @property
    def type(self) -> str:
        return f"/problems/{self.slug}"

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        request_id = current_request_id()
        if request_id:
            body["request_id"] = request_id
        return body

    @property
    def headers(self) -> dict[str, str]:
        """Headers that go with the answer, on pages as in the API: `Retry-After` when the
        problem says how many seconds to wait (`retry_after`)."""
        headers: dict[str, str] = {}
        retry_after = self.extra.get("retry_after")
        if isinstance(retry_after, int) and not isinstance(retry_after, bool) \
                and retry_after >= 0:
            headers["Retry-After"] = str(retry_after)
        if self.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return headers

    def response(self, instance: str | None = None) -> web.Response:
        return web.json_response(self.body(instance), status=self.status,
                                 content_type=PROBLEM_JSON, headers=self.headers)


class BadRequest(Problem):
    pass


class ValidationFailed(Problem):
    status = 422
    slug = "validation"
    title = "Certaines informations sont invalides."


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"
    title = "Veuillez vous connecter."


class Forbidden(Problem):
    status = 403
    slug = "forbidden"
    title = "Vous n'avez pas accès à cette ressource."


class NotFound(Problem):
    status = 404
    slug = "not-found"
    title = "Ressource introuvable."


class MethodNotAllowed(Problem):
    status = 405
    slug = "method-not-allowed"
    title = "Méthode non autorisée."


class Conflict(Problem):
    status = 409
    slug = "conflict"
    title = "La demande est en conflit avec l'état actuel."


class Gone(Problem):
    status = 410
    slug = "gone"
    title = "Ce lien n'est plus valide."


class PayloadTooLarge(Problem):
    status = 413
    slug = "payload-too-large"
    title = "La demande est trop volumineuse."


class UnsupportedMediaType(Problem):
    status = 415
    slug = "unsupported-media-type"
    title = "Le format de la demande n'est pas pris en charge."


class TooManyRequests(Problem):
    status = 429
    slug = "too-many-requests"
    title = "Trop de tentatives. Veuillez réessayer plus tard."


class ServiceUnavailable(Problem):
    status = 503
    slug = "unavailable"
    title = "Le service est momentanément indisponible. Veuillez réessayer dans un instant."


class InternalError(Problem):
    status = 500
    slug = "internal"
    title = "Une erreur inattendue est survenue. Veuillez réessayer plus tard."


_HTTP_TO_PROBLEM: dict[int, type[Problem]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
    405: MethodNotAllowed, 409: Conflict, 410: Gone, 413: PayloadTooLarge,
    415: UnsupportedMediaType, 429: TooManyRequests, 503: ServiceUnavailable,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# How long a client is told to wait when the database or the broker is away.
OUTAGE_RETRY_AFTER = 5


class Outage:
    """Logs an outage of the infrastructure once, not once per request: a warning at its
    first failure; the failures that follow within `quiet` seconds of each other belong to
    the same outage (counted, told when the next one starts)."""

    def __init__(self, *, quiet: float = 60.0) -> None:
        self.quiet = quiet
        self.started: float | None = None
        self.last = 0.0
        self.failures = 0

    def failed(self, exc: BaseException, path: str) -> None:
        now = time.monotonic()
        if self.started is None or now - self.last > self.quiet:
            previous = self.failures if self.started is not None else 0
            self.started, self.failures = now, 0
            log.warning("database or broker unavailable: answering 503 until it is back",
                        extra={"error": repr(exc), "path": path,
                               "previous_outage_requests": previous})
        self.last = now
        self.failures += 1


OUTAGE = web.AppKey("outage", Outage)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error into problem+json; never leak a traceback. The database or the
    broker being away (connection refused or lost, no pooled connection in time) is a 503
    with `Retry-After`, logged once per outage."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response(request.path)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        cls = _HTTP_TO_PROBLEM.get(exc.status)
        mapped = cls() if cls else Problem(exc.reason)
        mapped.status = exc.status
        return mapped.response(request.path)
    except Exception as exc:
        if is_transient(exc):
            outage = request.app.get(OUTAGE)
            if outage is not None:
                outage.failed(exc, request.path)
            return ServiceUnavailable(retry_after=OUTAGE_RETRY_AFTER).response(request.path)
        log.exception("unhandled error", extra={"path": request.path})
        return InternalError().response(request.path)
