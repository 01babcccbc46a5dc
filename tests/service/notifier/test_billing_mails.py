"""Billing's events become French mails (text and HTML): a new invoice, a payment received, a
payment that did not go through; each sent once even when delivered twice."""

import html
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.events.billing import (
    DebitPrenotified,
    DebitRejected,
    InvoiceIssued,
    MandateCodeRequested,
    MandateSigned,
    PaymentFailed,
    PaymentSucceeded,
    SettledInvoice,
)
from tests.service.notifier.conftest import (
    PUBLIC_URL,
    RunningNotifier,
    Sink,
    address,
    running_notifier,
)
from tests.support import eventually


@pytest.fixture(scope="module")
async def sink(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sink]:
    sink = Sink(tmp_path_factory.mktemp("billing_mails") / "maildir")
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
async def notifier(sink: Sink) -> AsyncIterator[RunningNotifier]:
    async with running_notifier(sink, "billing_mails") as running:
        yield running


def text_of(mail: object) -> str:
    part = mail.get_body(("plain",))  # type: ignore[attr-defined]
    return re.sub(r"[\u00a0 ]+", " ", str(part.get_content()).replace("\r\n", "\n"))


def html_of(mail: object) -> str:
    """The HTML part's text: tags removed, entities read, line breaks and spaces made one."""
    part = mail.get_body(("html",))  # type: ignore[attr-defined]
    text = re.sub(r"<[^>]+>", "", str(part.get_content()))
    return re.sub(r"[\u00a0\s]+", " ", html.unescape(text))


def links_in_html(mail: object) -> list[str]:
    part = mail.get_body(("html",))  # type: ignore[attr-defined]
    return [html.unescape(u) for u in re.findall(r'href="([^"]+)"', str(part.get_content()))]


def settled(*pairs: tuple[str, int]) -> list[SettledInvoice]:
    return [SettledInvoice(invoice_id=uuid.uuid4(), number=n, amount_cents=a) for n, a in pairs]


async def test_a_new_invoice_is_announced_with_its_amount_due_date_and_link(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("facture")
    invoice_id = uuid.uuid4()
    envelope = await notifier.publish(InvoiceIssued(
        invoice_id=invoice_id, number="F-2027-000042", family_id=uuid.uuid4(), email=email,
        family_name="Famille Martin", month=date(2027, 7, 1), total_cents=123450,
        due_date=date(2027, 9, 1), issued_at=datetime.now(UTC)))
    await notifier.publish(envelope)  # delivered again: no second mail

    mail = await sink.one_to(email)
    text, page = text_of(mail), html_of(mail)
    assert mail["Subject"] == "Votre facture F-2027-000042 (juillet 2027) est disponible"
    link = f"{PUBLIC_URL}/mon-compte/factures/{invoice_id}"
    for part in (text, page):
        assert "Votre facture n° F-2027-000042 pour juillet 2027" in part
        assert "1 234,50 €" in part
        assert "avant le 1er septembre 2027" in part
        assert link in part
    assert link in links_in_html(mail)
    await eventually(lambda: notifier.counter("notifier_mails_sent_total", "invoice_issued") >= 1)
    assert len(sink.to(email)) == 1


async def test_a_payment_received_says_what_it_settles(notifier: RunningNotifier,
                                                       sink: Sink) -> None:
    email = address("paiement")
    await notifier.publish(PaymentSucceeded(
        payment_id=uuid.uuid4(), family_id=uuid.uuid4(), email=email,
        family_name="Famille Martin", method="online", amount_cents=3250,
        paid_at=datetime(2027, 8, 14, 22, 30, tzinfo=UTC),
        invoices=settled(("F-2027-000001", 2000), ("F-2027-000002", 1250))))

    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == "Votre paiement de 32,50 € a bien été reçu"
    assert "paiement de 32,50 € en ligne par carte bancaire, le 15 août 2027" in text
    assert "- la facture F-2027-000001 : 20,00 €" in text
    assert "- la facture F-2027-000002 : 12,50 €" in text
    assert "la facture F-2027-000002 : 12,50 €" in html_of(mail)


@pytest.mark.parametrize(("reason", "said"), [
    ("refused", "a été refusé par votre banque"),
    ("abandoned", "a été abandonné avant sa validation"),
    ("expired", "n'a pas été finalisé dans le délai imparti")])
async def test_a_payment_that_failed_says_why_and_what_remains_to_pay(
        notifier: RunningNotifier, sink: Sink, reason: str, said: str) -> None:
    email = address(f"echec-{reason}")
    await notifier.publish(PaymentFailed(
        payment_id=uuid.uuid4(), family_id=uuid.uuid4(), email=email,
        family_name="Famille Martin", amount_cents=2000, reason=reason,  # type: ignore[arg-type]
        invoices=settled(("F-2027-000001", 2000))))

    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == "Votre paiement en ligne n'a pas abouti"
    assert f"Votre paiement en ligne de 20,00 € {said}." in text
    assert "Cette facture reste à régler :\n- la facture F-2027-000001 : 20,00 €" in text
    assert f"{PUBLIC_URL}/mon-compte" in text


# ---- SEPA direct debit: never an IBAN in these mails ---------------------------------------

async def test_the_mandate_code_mail_gives_the_code_its_validity_and_the_rum(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("mandat-code")
    await notifier.publish(MandateCodeRequested(
        mandate_id=uuid.uuid4(), family_id=uuid.uuid4(), email=email, rum="PF-2027-ABCDEF012345",
        code="042917", expires_at=datetime.now(UTC) + timedelta(minutes=10)))

    mail = await sink.one_to(email)
    text, page = text_of(mail), html_of(mail)
    assert mail["Subject"] == "Votre code de signature du mandat de prélèvement : 042917"
    for part in (text, page):
        assert "042917" in part and "PF-2027-ABCDEF012345" in part
        assert "valable 10 minutes" in part
        assert "Ne le communiquez à personne" in part


async def test_the_signed_mandate_mail_names_creditor_ics_rum_and_rights(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("mandat-signe")
    await notifier.publish(MandateSigned(
        mandate_id=uuid.uuid4(), family_id=uuid.uuid4(), email=email, rum="PF-2027-ABCDEF012345",
        creditor_name="Communauté de communes du Clermontais", ics="FR72ZZZ123456",
        signed_at=datetime(2027, 3, 2, 9, 15, tzinfo=UTC)))

    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == "Votre mandat de prélèvement PF-2027-ABCDEF012345 est signé"
    assert "Identifiant créancier SEPA (ICS) : FR72ZZZ123456" in text
    assert "dans les 8 semaines" in text
    assert f"{PUBLIC_URL}/mon-compte/prelevement" in text


async def test_the_prenotification_gives_amount_date_rum_and_ics(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("preavis")
    invoice_id = uuid.uuid4()
    await notifier.publish(DebitPrenotified(
        debit_id=uuid.uuid4(), invoice_id=invoice_id, number="F-2027-000042",
        family_id=uuid.uuid4(), email=email, amount_cents=12345, planned_on=date(2027, 4, 10),
        rum="PF-2027-ABCDEF012345", ics="FR72ZZZ123456",
        creditor_name="Communauté de communes du Clermontais"))

    mail = await sink.one_to(email)
    text, page = text_of(mail), html_of(mail)
    assert mail["Subject"] == "Prélèvement de 123,45 € le 10 avril 2027 (facture F-2027-000042)"
    for part in (text, page):
        assert "Montant : 123,45 €" in part
        assert "Date du prélèvement : 10 avril 2027" in part
        assert "(RUM) : PF-2027-ABCDEF012345" in part
        assert "(ICS) : FR72ZZZ123456" in part
    assert f"{PUBLIC_URL}/mon-compte/factures/{invoice_id}" in links_in_html(mail)


async def test_a_rejected_debit_says_why_and_that_the_invoice_is_to_pay(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("rejet")
    await notifier.publish(DebitRejected(
        debit_id=uuid.uuid4(), invoice_id=uuid.uuid4(), number="F-2027-000042",
        family_id=uuid.uuid4(), email=email, amount_cents=12345, return_code="AM04",
        reason="provision insuffisante"))

    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == "Le prélèvement de votre facture F-2027-000042 a été rejeté"
    assert ("Le prélèvement de 123,45 € pour votre facture F-2027-000042 a été rejeté par votre "
            "banque (motif : provision insuffisante, code AM04).") in text
    assert "Cette facture reste à régler" in text


async def test_a_new_invoice_of_a_family_with_a_mandate_says_when_it_is_debited(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("facture-prelevee")
    await notifier.publish(InvoiceIssued(
        invoice_id=uuid.uuid4(), number="F-2027-000043", family_id=uuid.uuid4(), email=email,
        family_name="Famille Martin", month=date(2027, 7, 1), total_cents=4200,
        due_date=date(2027, 9, 1), issued_at=datetime.now(UTC),
        direct_debit_on=date(2027, 8, 10)))

    mail = await sink.one_to(email)
    for part in (text_of(mail), html_of(mail)):
        assert "réglée par prélèvement automatique le 10 août 2027" in part
        assert "à régler avant" not in part
