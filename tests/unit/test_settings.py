"""Settings are read from `PORTAIL_*` and the part's own `<PART>_*` only: a platform's bare
`ENV`, `NAMESPACE`, `PUBLIC_URL`… never change the portal."""

from typing import Any

import pytest
from pydantic_settings import BaseSettings

from gateway.settings import Settings as GatewaySettings
from services.auth.settings import Settings as AuthSettings
from services.billing.settings import Settings as BillingSettings
from services.common.settings import CommonSettings, ServiceSettings
from services.families.settings import Settings as FamiliesSettings
from services.notifier.settings import Settings as NotifierSettings
from services.reservations.settings import Settings as ReservationsSettings

PARTS: list[type[BaseSettings]] = [
    CommonSettings, ServiceSettings, GatewaySettings, AuthSettings, FamiliesSettings,
    NotifierSettings, ReservationsSettings, BillingSettings,
]
# What a platform may well define for itself, each a valid value for the field of that name.
PLATFORM: dict[str, str] = {
    "ENV": "production", "NAMESPACE": "platform", "PUBLIC_URL": "https://platform.example",
    "LOG_LEVEL": "DEBUG", "PG_DSN": "postgresql://platform@db.example/platform",
    "AMQP_URL": "amqp://platform@mq.example/", "AUTH_URL": "http://platform-auth.example",
    "FAMILIES_URL": "http://platform-families.example", "TOKEN_ISSUER": "platform",
    "TOKEN_AUDIENCE": "platform", "ORG_NAME": "Platform Inc.", "HOST": "0.0.0.0",
    "PORT": "1", "DATABASE": "platform", "SECRET": "a-platform-secret-" + "x" * 40,
    "SERVICE_NAME": "platform", "TRUSTED_PROXIES": '["0.0.0.0/0"]',
}


def values(cls: type[BaseSettings]) -> dict[str, Any]:
    return cls().model_dump()


@pytest.mark.parametrize("cls", PARTS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_bare_platform_variables_change_nothing(
        cls: type[BaseSettings], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PLATFORM:
        monkeypatch.delenv(name, raising=False)
    expected = values(cls)
    for name, value in PLATFORM.items():
        monkeypatch.setenv(name, value)

    assert values(cls) == expected


def test_env_production_alone_does_not_make_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAIL_ENV", raising=False)
    monkeypatch.setenv("ENV", "production")
    # The gateway would refuse its development secret in production: it starts as development.
    assert GatewaySettings().env == "development"
    assert FamiliesSettings().is_development


def test_prefixed_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAIL_NAMESPACE", "portail_essai")
    monkeypatch.setenv("PORTAIL_PUBLIC_URL", "https://famille.example.org")
    monkeypatch.setenv("FAMILIES_PORT", "9182")
    monkeypatch.setenv("GATEWAY_ENV", "test")
    families = FamiliesSettings()
    assert (families.namespace, families.public_url, families.port) == (
        "portail_essai", "https://famille.example.org", 9182)
    assert GatewaySettings().env == "test"
