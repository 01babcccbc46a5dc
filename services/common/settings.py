"""Settings base shared by every service: infrastructure addresses with local defaults."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Written by deploy/infra.sh when the local PostgreSQL asks for a password.
ENV_FILE = "var/portail.env"


def shared(name: str) -> str:
    """A setting common to every part is read from `PORTAIL_<NAME>` only: never from a bare
    `<NAME>` (a platform's own `ENV`, `NAMESPACE`… must not change the portal's mode). Code
    and tests still pass it by its field name."""
    return f"PORTAIL_{name.upper()}"


class Organisation(BaseModel):
    """Who runs the portal: the letterhead of pages, e-mails and documents."""

    model_config = ConfigDict(frozen=True)

    service: str
    name: str
    street: str
    postal_code: str
    city: str
    website: str
    email: str
    phone: str


class CommonSettings(BaseSettings):
    """What every process needs: environment, infrastructure and the other services' URLs."""

    # Each part's subclass sets its own prefix (`GATEWAY_`, `AUTH_`…): its fields, and these
    # by their field name too (`GATEWAY_ENV`), are read only under it.
    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_prefix="PORTAIL_", extra="ignore", populate_by_name=True,
        frozen=True,
    )

    env: Literal["development", "test", "production"] = Field(
        "development", validation_alias=shared("env")
    )
    log_level: str = Field("INFO", validation_alias=shared("log_level"))
    # The PostgreSQL server and credentials; each service adds its own database name.
    pg_dsn: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres", validation_alias=shared("pg_dsn")
    )
    amqp_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672/", validation_alias=shared("amqp_url")
    )
    # Prefix of the exchanges and queues: tests use their own so they never touch demo data.
    namespace: str = Field("portail", validation_alias=shared("namespace"))
    auth_url: str = Field("http://127.0.0.1:8081", validation_alias=shared("auth_url"))
    families_url: str = Field("http://127.0.0.1:8082", validation_alias=shared("families_url"))
    reservations_url: str = Field(
        "http://127.0.0.1:8083", validation_alias=shared("reservations_url")
    )
    billing_url: str = Field("http://127.0.0.1:8084", validation_alias=shared("billing_url"))
    notifier_url: str = Field("http://127.0.0.1:8085", validation_alias=shared("notifier_url"))
    # Where browsers reach the gateway (links in e-mails; Secure cookies when https).
    public_url: str = Field("http://127.0.0.1:8080", validation_alias=shared("public_url"))
    # The organisation (SPEC §7: configuration); the defaults are the demo's, the service
    # Jeunesse of the Clermontais. The e-mail is of a reserved example domain and the phone
    # of ARCEP's range for fiction: configure the real ones.
    org_service: str = Field("service Jeunesse", validation_alias=shared("org_service"))
    org_name: str = Field("Communauté de communes du Clermontais",
                          validation_alias=shared("org_name"))
    org_street: str = Field("20 avenue Raymond Lacombe", validation_alias=shared("org_street"))
    org_postal_code: str = Field("34800", validation_alias=shared("org_postal_code"))
    org_city: str = Field("Clermont-l'Hérault", validation_alias=shared("org_city"))
    org_website: str = Field("http://www.cc-clermontais.fr",
                             validation_alias=shared("org_website"))
    org_email: str = Field("jeunesse@example.org", validation_alias=shared("org_email"))
    org_phone: str = Field("04 65 71 00 00", validation_alias=shared("org_phone"))
    # Processes serving the part's port together (SO_REUSEPORT), `<PART>_WORKERS`: one for a
    # service unless asked, as many as the cores for the gateway (which renders the pages).
    workers: int = Field(1, ge=1, le=64)
    # `/metrics` is served on this port of its own, bound to `metrics_host`, and never on the
    # public one; None: not served. Per part: `<PART>_METRICS_PORT`, `<PART>_METRICS_HOST`.
    # With several workers, worker i serves its own figures on this port + i.
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    # Expected `iss` and `aud` of access tokens.
    token_issuer: str = Field("portail-auth", validation_alias=shared("token_issuer"))
    token_audience: str = Field("portail", validation_alias=shared("token_audience"))

    @property
    def organisation(self) -> Organisation:
        return Organisation(
            service=self.org_service, name=self.org_name, street=self.org_street,
            postal_code=self.org_postal_code, city=self.org_city, website=self.org_website,
            email=self.org_email, phone=self.org_phone,
        )

    @property
    def is_development(self) -> bool:
        return self.env != "production"


class ServiceSettings(CommonSettings):
    """A service with its own database, HTTP port and event consumers."""

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = 8000
    database: str = "portail"
    pool_min_size: int = 1
    pool_max_size: int = 10
    # How long a request waits for a pooled connection before answering 503.
    pool_acquire_seconds: float = 10.0
    # Delays (seconds) between attempts of a failing event handler; then the dead-letter queue.
    retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
    prefetch: int = 16
    outbox_poll_seconds: float = 1.0

    def database_dsn(self) -> str:
        """The DSN of this service's own database on the configured server."""
        return replace_database(self.pg_dsn, self.database)


def replace_database(dsn: str, database: str) -> str:
    """Point a postgresql:// DSN at another database, keeping credentials and options."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))
