"""What families asks auth: whether an address is a staff account's (never a family's)."""

import logging

import aiohttp
from aiohttp import web

from services.common import keys
from services.common.errors import Forbidden, ServiceUnavailable, Unauthorized, ValidationFailed

log = logging.getLogger(__name__)

STAFF_EMAIL = ("Cette adresse e-mail est celle d'un compte agent du service : elle ne peut pas "
               "être l'adresse d'une famille.")
CANNOT_CHECK = ("L'adresse e-mail ne peut pas être vérifiée pour le moment. Veuillez réessayer "
                "dans un instant.")


async def refuse_staff_email(request: web.Request, email: str) -> None:
    """422 on `email` when a staff account uses it (the family's parent would otherwise be
    that agent); 503 when auth cannot say. Asked with the staff caller's own token."""
    settings = request.app[keys.SETTINGS]
    url = settings.auth_url.rstrip("/") + "/accounts/lookup"
    token = request.headers.get("Authorization", "")
    try:
        async with request.app[keys.HTTP].post(
                url, json={"email": email}, headers={"Authorization": token},
                timeout=aiohttp.ClientTimeout(total=5)) as resp:
            if resp.status == 401:
                raise Unauthorized()
            if resp.status == 403:
                raise Forbidden()
            resp.raise_for_status()
            role = (await resp.json()).get("role")
    except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError) as exc:
        log.warning("auth could not tell an e-mail's account", extra={"error": repr(exc)})
        raise ServiceUnavailable(CANNOT_CHECK, retry_after=5) from exc
    if role is not None and role != "parent":
        raise ValidationFailed(errors=[{"field": "email", "message": STAFF_EMAIL}])
