"""Password hashing (Argon2id, off the event loop) and the one password policy."""

import asyncio
import functools
import secrets
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.auth.settings import Settings

MIN_LENGTH = 12
MAX_LENGTH = 128

TOO_SHORT = f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères."
TOO_LONG = f"Le mot de passe doit contenir au plus {MAX_LENGTH} caractères."
TOO_COMMON = "Ce mot de passe est trop courant. Choisissez-en un autre."
IS_EMAIL = "Le mot de passe ne doit pas être votre adresse e-mail."


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-case (see common_passwords.txt)."""
    text = resources.files("services.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def policy_errors(password: str, *, email: str) -> list[str]:
    """Why `password` is refused for the account of `email` (French), or nothing.

    12–128 characters, not a common password, not the e-mail nor its local part; no other
    composition rule (NIST SP 800-63B, ASVS 2.1)."""
    if len(password) < MIN_LENGTH:
        return [TOO_SHORT]
    if len(password) > MAX_LENGTH:
        return [TOO_LONG]
    lowered = password.lower()
    address = email.strip().lower()
    if lowered in (address, address.partition("@")[0]):
        return [IS_EMAIL]
    if lowered in common_passwords():
        return [TOO_COMMON]
    return []


class Passwords:
    """Hashes and verifies in worker threads (Argon2 takes tens of milliseconds of CPU)."""

    def __init__(self, *, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                                     parallelism=parallelism)
        # Verified when there is no real hash, so unknown accounts cost the same time.
        self.dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def from_settings(cls, settings: Settings) -> "Passwords":
        return cls(time_cost=settings.argon2_time_cost,
                   memory_cost=settings.argon2_memory_cost_kib,
                   parallelism=settings.argon2_parallelism)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored`; with no stored hash, spend the same time and
        answer no."""
        return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            self.hasher.verify(stored or self.dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
