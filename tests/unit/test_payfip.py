"""PayFiP's field rules and SOAP envelopes (PAYFIP.md), without a network."""

import uuid

import pytest

from services.billing.payments.payfip import fields, soap
from services.billing.payments.payfip.provider import paid_at


def test_refdet_is_derived_from_the_payment_within_payfips_rules() -> None:
    payment_id = uuid.uuid4()
    refdet = fields.refdet_of(payment_id)
    assert refdet == fields.check_refdet(refdet)
    assert 6 <= len(refdet) <= 30 and refdet.isalnum() and refdet.isascii()
    assert refdet != fields.refdet_of(uuid.uuid4())


@pytest.mark.parametrize("refdet", ["ABC12", "A" * 31, "F-2027-000001", "FACTURE 12", "ÉTÉ123"])
def test_a_refdet_out_of_rules_is_refused(refdet: str) -> None:
    with pytest.raises(fields.FieldRefused) as refused:
        fields.check_refdet(refdet)
    assert refused.value.field == "refdet"


@pytest.mark.parametrize(("text", "clean"), [
    ("service Jeunesse facture F-2027-000001", "service Jeunesse facture F 2027 000001"),
    ("Accueil de l'été — Léa & Hugo", "Accueil de l ete Lea Hugo"),
    ("  deux   espaces\tet\nlignes ", "deux espaces et lignes"),
])
def test_objet_keeps_ascii_letters_digits_and_spaces(text: str, clean: str) -> None:
    assert fields.clean_objet(text) == clean


def test_objet_is_cut_to_100_characters_on_a_word() -> None:
    text = "factures " + " ".join(f"F-2027-{n:06d}" for n in range(20))
    cleaned = fields.clean_objet(text)
    words = " ".join(text.replace("-", " ").split())
    assert 90 <= len(cleaned) <= 100
    assert words.startswith(cleaned + " ")


@pytest.mark.parametrize("mel", ["a@b.c", "x" * 75 + "@exemple.org", "sans-arobase.org",
                                 "é@exemple.org", "a b@exemple.org", ""])
def test_a_mel_out_of_rules_is_refused(mel: str) -> None:
    with pytest.raises(fields.FieldRefused):
        fields.check_mel(mel)


def test_a_mel_within_rules_passes() -> None:
    assert fields.check_mel("parent.demo@example.org") == "parent.demo@example.org"
    assert fields.check_mel("a@b.fr") == "a@b.fr"


@pytest.mark.parametrize(("cents", "allowed"), [(99, False), (100, True), (9_999_999, True),
                                                (10_000_000, False), (0, False)])
def test_montant_bounds(cents: int, allowed: bool) -> None:
    if allowed:
        assert fields.check_montant(cents) == str(cents)
    else:
        with pytest.raises(fields.FieldRefused):
            fields.check_montant(cents)


def test_a_request_envelope_reads_back_and_a_fault_is_recognised() -> None:
    envelope = soap.request("creerPaiementSecurise", {"numcli": "123456", "montant": "1000"})
    assert soap.read_request(envelope) == ("creerPaiementSecurise",
                                           {"numcli": "123456", "montant": "1000"})
    business = soap.read_response("recupererDetailPaiementSecurise",
                                  soap.fault("P5", "Résultat de la transaction non connu"))
    technical = soap.read_response("creerPaiementSecurise",
                                   soap.fault("T9", "Indisponible",
                                              kind="TechIndisponibiliteErreur"))
    assert business == soap.Fault("FonctionnelleErreur", "P5",
                                  "Résultat de la transaction non connu")
    assert not business.technical and isinstance(technical, soap.Fault) and technical.technical
    answer = soap.read_response("creerPaiementSecurise",
                                soap.response("creerPaiementSecurise", {"idOp": "abc"}))
    assert answer == {"idOp": "abc"}


@pytest.mark.parametrize("data", [
    b"pas du XML",
    b"<a/>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
    b"<x>" + b"a" * (soap.MAX_BYTES + 1) + b"</x>",
])
def test_what_is_not_a_soap_envelope_is_refused(data: bytes) -> None:
    with pytest.raises(soap.SoapError):
        soap.read_response("creerPaiementSecurise", data)


def test_the_transaction_time_is_read_in_paris() -> None:
    moment = paid_at("14072027", "0905")
    assert moment is not None and moment.isoformat() == "2027-07-14T09:05:00+02:00"
    assert paid_at("", "") is None
