"""The payment provider interface: start a payment (the payer is sent to the provider's page),
then ask the provider, server to server, how it ended. PayFiP implements it; so could another
provider. Nothing the browser or a notification says is ever taken as proof."""

import abc
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# validated: paid; refused: refused by the bank (or an error); cancelled: abandoned by the
# payer; unknown: not finished yet (ask later); expired: the provider no longer knows it.
Status = Literal["validated", "refused", "cancelled", "unknown", "expired"]


class ProviderUnavailable(Exception):
    """The provider could not be reached or had a technical failure: try again later."""


class ProviderRefused(Exception):
    """The provider refused the request itself (a business fault with its code)."""

    def __init__(self, code: str, label: str) -> None:
        super().__init__(f"{code}: {label}")
        self.code = code
        self.label = label


@dataclass(frozen=True)
class PaymentRequest:
    payment_id: uuid.UUID
    reference: str  # refdet
    amount_cents: int
    email: str
    label: str  # objet, as the payer will see it
    year: int
    notify_url: str
    return_url: str


@dataclass(frozen=True)
class Started:
    operation_id: str
    redirect_url: str


@dataclass(frozen=True)
class Outcome:
    status: Status
    result: str  # the provider's own code (resultrans, or a fault code)
    amount_cents: int | None = None
    reference: str | None = None
    client: str | None = None
    paid_at: datetime | None = None
    authorisation: str | None = None


class PaymentProvider(abc.ABC):
    name: str

    @abc.abstractmethod
    async def start(self, request: PaymentRequest) -> Started:
        """Register the payment with the provider; where to send the payer."""

    @abc.abstractmethod
    async def outcome(self, operation_id: str) -> Outcome:
        """How the operation stands now, asked server to server."""

    @abc.abstractmethod
    async def check_configuration(self) -> str:
        """A configuration check at start-up (what the provider says of our account)."""
