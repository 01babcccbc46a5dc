"""The bank file of a debit batch: pain.008.001.02 (SEPA Core Direct Debit), written by sepaxml
and validated by it against the ISO 20022 schema it ships. The one place the full IBAN goes."""

from dataclasses import dataclass
from datetime import date

from sepaxml import SepaDD

from services.billing.settings import Settings


@dataclass(frozen=True)
class Transaction:
    end_to_end_id: str
    amount_cents: int
    collection_date: date
    sequence_type: str  # FRST | RCUR
    rum: str
    signed_on: date
    holder: str
    iban: str
    bic: str | None
    description: str

    def __repr__(self) -> str:  # never the IBAN in a log line or a traceback
        return f"Transaction({self.end_to_end_id}, {self.rum})"


def pain008(settings: Settings, transactions: list[Transaction]) -> tuple[str, bytes]:
    """The message id and the XML document of `transactions` (one payment block per
    collection date and sequence type)."""
    config = {
        "name": settings.sepa_creditor_name,
        "IBAN": settings.sepa_creditor_iban,
        "BIC": settings.sepa_creditor_bic,
        "batch": True,
        "creditor_id": settings.sepa_ics,
        "currency": "EUR",
        "instrument": "CORE",
    }
    document = SepaDD(config, schema="pain.008.001.02", clean=True)
    for tx in transactions:
        payment = {
            "name": tx.holder,
            "IBAN": tx.iban,
            "amount": tx.amount_cents,
            "type": tx.sequence_type,
            "collection_date": tx.collection_date,
            "mandate_id": tx.rum,
            "mandate_date": tx.signed_on,
            "description": tx.description,
            "endtoend_id": tx.end_to_end_id,
        }
        if tx.bic:
            payment["BIC"] = tx.bic
        document.add_payment(payment)
    xml: bytes = document.export(validate=True)
    return str(document.msg_id), xml
