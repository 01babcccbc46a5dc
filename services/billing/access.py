"""Who reaches what in billing: a parent their own family only (another family's id: 404,
as if it did not exist), staff every family and the staff routes (403 to a parent)."""

import uuid
from dataclasses import dataclass

from aiohttp import web

from services.common.errors import Forbidden
from services.common.tokens import Principal, principal, require_family, require_staff
from services.common.validation import path_uuid


@dataclass(frozen=True)
class Access:
    who: Principal
    # The family every query is scoped to (in SQL): a parent's is the one in their token.
    family_id: uuid.UUID

    @property
    def actor(self) -> str:
        return self.who.sub


def family_access(request: web.Request) -> Access:
    """Staff, or the parent of the family in the path."""
    family_id = path_uuid(request, "family_id")
    if principal(request).role == "integrator":
        raise Forbidden()
    return Access(require_family(request, family_id), family_id)


def parent_access(request: web.Request) -> Access:
    """The family's own parent only (an online payment is the payer's act)."""
    access = family_access(request)
    if access.who.is_staff:
        raise Forbidden("Seule la famille peut régler en ligne ; enregistrez un règlement "
                        "reçu au guichet.")
    return access


def staff_actor(request: web.Request) -> str:
    return require_staff(request).sub


def signer_access(request: web.Request) -> Access:
    """The family's own parent only: a SEPA mandate is signed by the account holder's family
    with the code sent to its login address."""
    access = family_access(request)
    if access.who.is_staff:
        raise Forbidden("Seule la famille peut signer un mandat de prélèvement, depuis son "
                        "espace du Portail Famille.")
    return access
