"""What PayFiP accepts in `creerPaiementSecurise` (PAYFIP.md): each field checked or cleaned
here before the call, so a refusal is ours and in French rather than a fault."""

import re
import unicodedata
import uuid

from services.billing.payments.bounds import ONLINE_MAX_CENTS, ONLINE_MIN_CENTS

REFDET = re.compile(r"^[A-Za-z0-9]{6,30}$")
NUMCLI = re.compile(r"^[0-9]{6}$")
OBJET_MAX = 100


class FieldRefused(ValueError):
    """A field PayFiP would refuse; the message is French, safe to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def refdet_of(payment_id: uuid.UUID) -> str:
    """The debt reference of a payment (not of an invoice: one payment may settle several):
    « PF » and 24 hex digits of its id, 26 characters [A-Z0-9]."""
    return "PF" + payment_id.hex[:24].upper()


def check_refdet(value: str) -> str:
    if not REFDET.match(value):
        raise FieldRefused("refdet", "La référence de paiement doit compter de 6 à 30 lettres "
                                     "ou chiffres.")
    return value


def clean_objet(text: str) -> str:
    """ASCII letters, digits and spaces only, at most 100 characters: accents stripped,
    apostrophes and hyphens (and anything else) turned into spaces."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    spaced = re.sub(r"[^A-Za-z0-9 ]", " ", ascii_text)
    collapsed = " ".join(spaced.split())
    if len(collapsed) <= OBJET_MAX:
        return collapsed
    cut = collapsed[:OBJET_MAX + 1].rsplit(" ", 1)[0]
    return cut[:OBJET_MAX].rstrip()


def check_mel(value: str) -> str:
    if not 6 <= len(value) <= 80 or "@" not in value or not value.isascii() or any(
            c.isspace() for c in value):
        raise FieldRefused("mel", "Votre adresse e-mail ne permet pas le paiement en ligne "
                                  "(6 à 80 caractères avec « @ »). Contactez le service pour "
                                  "la mettre à jour.")
    return value


def check_montant(cents: int) -> str:
    if cents < ONLINE_MIN_CENTS:
        raise FieldRefused("montant", "Le paiement en ligne est possible à partir de 1,00 €.")
    if cents >= ONLINE_MAX_CENTS:
        raise FieldRefused("montant", "Le paiement en ligne est limité à moins de 100 000,00 €.")
    return str(cents)


def check_numcli(value: str) -> str:
    if not NUMCLI.match(value):
        raise FieldRefused("numcli", "Le numéro de client PayFiP doit compter 6 chiffres.")
    return value
