"""Problems specific to auth; each says nothing about whether an account exists."""

from services.common.errors import Conflict, Gone, TooManyRequests, Unauthorized


class InvalidCredentials(Unauthorized):
    slug = "invalid-credentials"
    title = "Identifiant ou mot de passe incorrect."


class SessionExpired(Unauthorized):
    slug = "session-expired"
    title = "Votre session a expiré. Veuillez vous reconnecter."


class Throttled(TooManyRequests):
    """Too many recent failures: wait `retry_after` seconds (also sent as `Retry-After`)."""

    slug = "throttled"
    title = "Trop de tentatives. Veuillez patienter quelques instants avant de réessayer."

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)
        self.retry_after = retry_after


class Locked(Throttled):
    slug = "locked"

    def __init__(self, retry_after: int, *, minutes: int) -> None:
        super().__init__(retry_after)
        self.title = f"Trop de tentatives. Votre accès est bloqué pendant {minutes} minutes."


class LinkGone(Gone):
    title = "Ce lien n'est plus valide. Faites une nouvelle demande."


class EmailTaken(Conflict):
    title = "Cette adresse e-mail est déjà utilisée par un autre compte."
