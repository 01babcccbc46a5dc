"""An IBAN checked with schwifty (ISO registry: country, length, check digits) and its masked
form, the only one shown outside the bank file."""

from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)


class IbanRefused(ValueError):
    """A French message for the parent, safe to show."""


@dataclass(frozen=True)
class Account:
    iban: str  # compact, upper case: the bank file's form
    bic: str | None  # when the registry knows the bank
    masked: str

    def __repr__(self) -> str:  # never the IBAN in a traceback or a log line
        return f"Account({self.masked})"


def masked(iban: str) -> str:
    """« FR76 •••• •••• 1234 »: the country, the check digits and the last four characters."""
    return f"{iban[:4]} •••• •••• {iban[-4:]}"


def check_iban(text: str) -> Account:
    """The account an IBAN names, or IbanRefused saying why (in French)."""
    compact = "".join(text.split()).upper()
    if not compact:
        raise IbanRefused("Saisissez l'IBAN du compte à débiter.")
    if len(compact) > 34 or not compact.isalnum() or not compact.isascii():
        raise IbanRefused("Un IBAN ne contient que des lettres et des chiffres (34 au plus).")
    try:
        iban = IBAN(compact)
    except InvalidCountryCode:
        raise IbanRefused("Le pays de cet IBAN n'est pas reconnu.") from None
    except InvalidLength:
        raise IbanRefused(f"Cet IBAN n'a pas la longueur attendue pour son pays "
                          f"({compact[:2]}).") from None
    except InvalidChecksumDigits:
        raise IbanRefused("Cet IBAN est erroné (sa clé de contrôle ne correspond pas) : "
                          "vérifiez-le sur votre RIB.") from None
    except SchwiftyException:
        raise IbanRefused("Cet IBAN n'est pas valide : vérifiez-le sur votre RIB.") from None
    if not iban.in_sepa_zone:
        raise IbanRefused("Le prélèvement SEPA n'est possible que depuis un compte d'un pays "
                          "de la zone SEPA.")
    bic = iban.bic
    return Account(iban=str(iban.compact), bic=str(bic) if bic is not None else None,
                   masked=masked(str(iban.compact)))
