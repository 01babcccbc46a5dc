"""Settings of the billing service (environment prefix `BILLING_`)."""

import re
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings

PAYFIP_PRODUCTION_URL = "https://www.payfip.gouv.fr"
# Development and tests: the sandbox this service serves itself (never in production).
SANDBOX_PATH = "/payfip-sandbox"
DEVELOPMENT_NUMCLI = "000000"
# SEPA direct debit, development only: a valid-format ICS (« ZZZ »: test creditor) and the
# account of a demo régie (valid check digits); production must set its own.
DEVELOPMENT_ICS = "FR72ZZZ123456"
DEVELOPMENT_CREDITOR_IBAN = "FR713000100064C347000000023"


# Demo values of the PES export that look valid (a Luhn-valid SIRET); the real ones come from
# the public accountant (trésorerie) with the budget's codes.
DEMO_PES_SIRET = "20003065800013"
DEMO_PES_COLLECTIVITY_CODE = "034"
DEMO_PES_POST_ID = "034012"


class Imputation(BaseModel):
    """Where a PES line is booked: the local product code Hélios maps to the national product
    and the budget's nature, the ORMC line nature (588), and the fonction when the budget is
    voted by function (none: not written)."""

    product_code: str = Field(pattern=r"^[0-9A-Za-z]{1,4}$")
    nature: str = Field("588", pattern=r"^[0-9]{3}$")
    function: str | None = Field(None, pattern=r"^[0-9A-Za-z]{1,10}$")


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_")

    service_name: str = "billing"
    port: int = 8084
    database: str = "portail_billing"
    # Days between an invoice's issue and its due date (« en retard » after it).
    due_days: int = 30
    # PayFiP: the base URL (production: https://www.payfip.gouv.fr; empty: this service's own
    # sandbox), the régie's 6-digit client number, and the mode (T test, X activation,
    # W production).
    payfip_url: str = ""
    payfip_numcli: str = DEVELOPMENT_NUMCLI
    payfip_saisie: Literal["T", "X", "W"] = "T"
    payfip_timeout_seconds: float = 15.0
    # Serve the PayFiP sandbox under /payfip-sandbox (default: outside production only).
    payfip_sandbox: bool | None = None
    # Where PayFiP notifies us and sends the browser back: pages of the gateway (public),
    # `{payment_id}` replaced. Empty: under PORTAIL_PUBLIC_URL.
    payment_notify_url: str = ""
    payment_return_url: str = ""
    # Unfinished online payments: how often the background check runs, the first check after
    # creation, and when one still unknown to the provider is given up (PAYFIP.md: ~2 h).
    payment_poll_seconds: float = 30.0
    payment_first_check_seconds: float = 120.0
    payment_expire_minutes: int = 120
    # A new online payment of an invoice waits this long behind a pending one (an idOp can
    # start a payment for about 15 minutes).
    payment_pending_block_minutes: int = 20
    # SEPA direct debit: the creditor as the mandate and the bank file name it (its name,
    # address, identifiant créancier SEPA, account and BIC), the days between the
    # pre-notification and the debit (at least), the day of the month debits are made.
    sepa_creditor_name: str = "Communauté de communes du Clermontais — service Jeunesse"
    sepa_creditor_address: str = "20 avenue Raymond Lacombe, 34800 Clermont-l'Hérault"
    sepa_ics: str = DEVELOPMENT_ICS
    sepa_creditor_iban: str = DEVELOPMENT_CREDITOR_IBAN
    sepa_creditor_bic: str = "BDFEFRPP"
    sepa_prenotice_days: int = 14
    sepa_debit_day: int = 10
    # The one-time code that signs a mandate: its life, wrong entries allowed, the wait
    # before another code is sent and how many codes one mandate may receive.
    sepa_code_minutes: int = 10
    sepa_code_attempts: int = 5
    sepa_code_resend_seconds: int = 60
    sepa_code_sends: int = 5
    # How often the pre-notifications and the settlement of debits run.
    sepa_job_seconds: float = 30.0

    # PES V2 ORMC export to the public accountant (Hélios): the collectivité's SIRET (IdColl),
    # its code (CodCol) and budget (CodBud, LibelleColBud), the accountant's post (IdPost), the
    # object of each bordereau and the imputation of lines, per establishment name or default.
    pes_siret: str = DEMO_PES_SIRET
    pes_collectivity_code: str = DEMO_PES_COLLECTIVITY_CODE
    pes_budget_code: str = "01"
    pes_budget_label: str = "Service Jeunesse"
    pes_post_id: str = DEMO_PES_POST_ID
    pes_object: str = "Service Jeunesse"
    pes_imputation: Imputation = Imputation(product_code="70", function="421")
    pes_imputations: dict[str, Imputation] = Field(default_factory=lambda: {
        "Périscolaire école Jules Ferry": Imputation(product_code="71", function="255")})

    @model_validator(mode="after")
    def _checked(self) -> Self:
        if self.env == "production":
            if self.payfip_sandbox:
                raise ValueError("the PayFiP sandbox is never served in production "
                                 "(BILLING_PAYFIP_SANDBOX)")
            if not self.payfip_url.startswith("https://"):
                raise ValueError("BILLING_PAYFIP_URL must be PayFiP's https address in "
                                 "production")
            if self.payfip_numcli == DEVELOPMENT_NUMCLI:
                raise ValueError("BILLING_PAYFIP_NUMCLI must be set in production")
        if not (self.payfip_numcli.isascii() and self.payfip_numcli.isdigit()
                and len(self.payfip_numcli) == 6):
            raise ValueError("BILLING_PAYFIP_NUMCLI must be 6 digits")
        if self.env == "production" and (self.sepa_ics == DEVELOPMENT_ICS or
                                          self.sepa_creditor_iban == DEVELOPMENT_CREDITOR_IBAN):
            raise ValueError("BILLING_SEPA_ICS and BILLING_SEPA_CREDITOR_IBAN must be set in "
                             "production")
        if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", self.sepa_ics):
            raise ValueError("BILLING_SEPA_ICS is not an identifiant créancier SEPA")
        if not 2 <= self.sepa_prenotice_days <= 60:
            raise ValueError("BILLING_SEPA_PRENOTICE_DAYS must be between 2 and 60")
        if not 1 <= self.sepa_debit_day <= 28:
            raise ValueError("BILLING_SEPA_DEBIT_DAY must be between 1 and 28")
        if not 1 <= self.due_days <= 366:
            raise ValueError("BILLING_DUE_DAYS must be between 1 and 366")
        self._check_pes()
        return self

    def _check_pes(self) -> None:
        """The formats Hélios rejects a whole file for (PES V2 ORMC); in production, the
        collectivité's own codes (a file under the demo's would go to no one)."""
        if self.env == "production" and (self.pes_siret == DEMO_PES_SIRET
                                          or self.pes_post_id == DEMO_PES_POST_ID):
            raise ValueError("BILLING_PES_SIRET and BILLING_PES_POST_ID must be set in "
                             "production")
        if not (re.fullmatch(r"[0-9]{14}", self.pes_siret) and luhn(self.pes_siret)):
            raise ValueError("BILLING_PES_SIRET must be a SIRET (14 digits, Luhn key)")
        if not re.fullmatch(r"[0-9]{3}", self.pes_collectivity_code):
            raise ValueError("BILLING_PES_COLLECTIVITY_CODE must be 3 digits")
        if not re.fullmatch(r"[0-9A-Z][0-9]", self.pes_budget_code):
            raise ValueError("BILLING_PES_BUDGET_CODE must be 2 characters (e.g. 01)")
        if not re.fullmatch(r"[0-9]{6,7}", self.pes_post_id):
            raise ValueError("BILLING_PES_POST_ID must be the accountant's 6 or 7 digit code")
        if not self.pes_budget_label.strip() or not self.pes_object.strip():
            raise ValueError("BILLING_PES_BUDGET_LABEL and BILLING_PES_OBJECT are required")

    def imputation(self, establishment_name: str) -> Imputation:
        """The imputation of an establishment's lines: its own, else the default."""
        return self.pes_imputations.get(establishment_name, self.pes_imputation)

    @property
    def serves_sandbox(self) -> bool:
        return self.payfip_sandbox if self.payfip_sandbox is not None else self.is_development

    @property
    def payfip_base_url(self) -> str:
        """PayFiP's base URL: the configured one, or this service's sandbox."""
        if self.payfip_url:
            return self.payfip_url.rstrip("/")
        return f"http://{self.host}:{self.port}{SANDBOX_PATH}"

    @property
    def notify_url(self) -> str:
        return self.payment_notify_url or (
            self.public_url.rstrip("/") + "/paiement/payfip/notification")

    def return_url(self, payment_id: str) -> str:
        template = self.payment_return_url or (
            self.public_url.rstrip("/") + "/mon-compte/paiements/{payment_id}")
        return template.replace("{payment_id}", payment_id)


def luhn(digits: str) -> bool:
    """The Luhn key of a SIREN or SIRET."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0
