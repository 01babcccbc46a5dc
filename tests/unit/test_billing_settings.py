"""The PayFiP sandbox is never served in production: the settings refuse to start."""

import pydantic
import pytest

from services.billing.app import create_app
from services.billing.settings import Settings

PRODUCTION = {"env": "production", "payfip_url": "https://www.payfip.gouv.fr",
              "payfip_numcli": "123456", "payfip_saisie": "W"}


@pytest.mark.parametrize(("change", "message"), [
    ({"payfip_sandbox": True}, "never served in production"),
    ({"payfip_url": ""}, "BILLING_PAYFIP_URL"),
    ({"payfip_url": "http://127.0.0.1:8084/payfip-sandbox"}, "BILLING_PAYFIP_URL"),
    ({"payfip_numcli": "000000"}, "BILLING_PAYFIP_NUMCLI must be set"),
    ({"payfip_numcli": "12345"}, "6 digits"),
])
def test_production_refuses_the_sandbox_and_an_unset_payfip(change: dict[str, object],
                                                            message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        Settings(**{**PRODUCTION, **change})


def test_production_talks_to_payfip_and_serves_no_sandbox() -> None:
    settings = Settings(**PRODUCTION)
    app = create_app(settings=settings)

    assert not settings.serves_sandbox
    assert settings.payfip_base_url == "https://www.payfip.gouv.fr"
    assert not [r for r in app.router.routes()
                if r.resource is not None and "sandbox" in r.resource.canonical]


def test_development_talks_to_its_own_sandbox() -> None:
    settings = Settings(env="development")
    app = create_app(settings=settings)

    assert settings.serves_sandbox
    assert settings.payfip_base_url == "http://127.0.0.1:8084/payfip-sandbox"
    assert [r for r in app.router.routes()
            if r.resource is not None and r.resource.canonical.startswith("/payfip-sandbox/")]
    assert settings.notify_url == "http://127.0.0.1:8080/paiement/payfip/notification"
    assert settings.return_url("abc") == "http://127.0.0.1:8080/mon-compte/paiements/abc"
