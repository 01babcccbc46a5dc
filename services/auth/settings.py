"""Settings of the auth service (environment prefix `AUTH_`)."""

from ipaddress import ip_network
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from services.common.addresses import TrustedProxies
from services.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_")

    service_name: str = "auth"
    port: int = 8081
    database: str = "portail_auth"

    # Ed25519 private key (PEM) signing access tokens: required in production. Elsewhere,
    # when absent, a development key is generated once into `signing_key_file`.
    signing_key: SecretStr | None = None
    signing_key_file: Path = Path("var/keys/auth-ed25519.pem")
    # Public keys (PEM) of earlier signing keys, still published in the JWKS during a rotation.
    retired_public_keys: tuple[str, ...] = ()

    access_token_seconds: int = 600
    # Absolute lifetime of a session (its refresh tokens die with it).
    session_days: int = 30
    # A refresh token presented again within this many seconds of its rotation is taken for a
    # concurrent request of the same browser that reached another gateway process or replica
    # (each coalesces only its own): it gets a token of its own in the same session. Later,
    # a reuse is taken for theft and revokes the session. 0: every reuse revokes.
    refresh_reuse_grace_seconds: float = 10.0
    reset_token_minutes: int = 30
    email_change_token_hours: int = 24
    invitation_token_days: int = 7
    # More reset links than this per hour for one account are silently not sent (mail bombing).
    reset_requests_per_hour: int = 5
    # Likewise for the confirmation links of a login change, per target address.
    email_change_requests_per_hour: int = 5

    # Argon2id cost; the defaults are argon2-cffi's (RFC 9106 "second recommended" profile).
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 4

    # Login throttling per account (by e-mail, existing or not): from `account_delay_after`
    # failures each attempt waits `throttle_delay_seconds` × 2^(extra failures); at
    # `account_lock_after` failures the account is locked for `lock_minutes`.
    account_delay_after: int = 3
    account_lock_after: int = 5
    throttle_delay_seconds: float = 2.0
    lock_minutes: int = 15
    # Per client address: a higher threshold, no delay stage.
    address_lock_after: int = 20
    # Failures older than this are forgotten.
    failure_window_minutes: int = 15
    # Direct peers whose `X-Forwarded-For` is believed (the gateway): addresses or CIDR
    # ranges, e.g. the containers' network in a compose deployment.
    trusted_proxies: TrustedProxies = (ip_network("127.0.0.1/32"), ip_network("::1/128"))
