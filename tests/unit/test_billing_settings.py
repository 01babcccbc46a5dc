"""The PayFiP sandbox is never served in production: the settings refuse to start."""

import pydantic
import pytest

from services.billing.app import create_app
from services.billing.settings import Settings

PRODUCTION = {"env": "production", "payfip_url": "https://www.payfip.gouv.fr",
              "payfip_numcli": "123456", "payfip_saisie": "W", "sepa_ics": "FR19ZZZ654321",
              "sepa_creditor_iban": "FR7630004000310001234567865",
              "pes_siret": "21340070300012", "pes_post_id": "034099"}


@pytest.mark.parametrize(("change", "message"), [
    ({"payfip_sandbox": True}, "never served in production"),
    ({"payfip_url": ""}, "BILLING_PAYFIP_URL"),
    ({"payfip_url": "http://127.0.0.1:8084/payfip-sandbox"}, "BILLING_PAYFIP_URL"),
    ({"payfip_numcli": "000000"}, "BILLING_PAYFIP_NUMCLI must be set"),
    ({"payfip_numcli": "12345"}, "6 digits"),
    ({"sepa_ics": "FR72ZZZ123456"}, "BILLING_SEPA_ICS"),
    ({"pes_siret": "20003065800013"}, "BILLING_PES_SIRET and BILLING_PES_POST_ID must be set"),
    ({"pes_post_id": "034012"}, "BILLING_PES_SIRET and BILLING_PES_POST_ID must be set"),
    ({"sepa_creditor_iban": "FR713000100064C347000000023"}, "BILLING_SEPA_CREDITOR_IBAN"),
    ({"sepa_ics": "pas un ICS"}, "identifiant créancier"),
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


@pytest.mark.parametrize(("change", "message"), [
    ({"pes_siret": "20003065800014"}, "BILLING_PES_SIRET"),
    ({"pes_siret": "2000306580001"}, "BILLING_PES_SIRET"),
    ({"pes_collectivity_code": "34"}, "BILLING_PES_COLLECTIVITY_CODE"),
    ({"pes_budget_code": "1"}, "BILLING_PES_BUDGET_CODE"),
    ({"pes_post_id": "34A012"}, "BILLING_PES_POST_ID"),
    ({"pes_imputation": {"product_code": "70661"}}, "product_code"),
])
def test_pes_codes_the_accountant_would_reject_stop_the_start(change: dict[str, object],
                                                              message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        Settings(**change)


def test_pes_lines_take_their_establishments_imputation_or_the_default() -> None:
    settings = Settings(pes_imputations={"Périscolaire": {"product_code": "71"}})

    assert settings.imputation("Périscolaire").product_code == "71"
    assert settings.imputation("Accueil de loisirs").product_code == "70"
