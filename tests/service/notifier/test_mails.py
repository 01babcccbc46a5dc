"""Each event the notifier consumes becomes the right French mail, text and HTML."""

import html
import logging
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import pytest

from services.common.events.auth import (
    AccountInvited,
    EmailChangeRequested,
    PasswordChanged,
    PasswordResetRequested,
)
from services.common.events.families import ChangeRequestDecided
from services.common.log import JsonFormatter
from tests.service.notifier.conftest import (
    PUBLIC_URL,
    RunningNotifier,
    Sink,
    address,
    running_notifier,
)

LETTERHEAD = (
    "service Jeunesse",
    "Communauté de communes du Clermontais",
    "20 avenue Raymond Lacombe",
    "34800 Clermont-l'Hérault",
    "http://www.cc-clermontais.fr",
)


@pytest.fixture(scope="module")
async def sink(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sink]:
    sink = Sink(tmp_path_factory.mktemp("mails") / "maildir")
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
async def notifier(sink: Sink) -> AsyncIterator[RunningNotifier]:
    async with running_notifier(sink, "mails") as running:
        yield running


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def links_in_text(text: str) -> list[str]:
    return [u for u in re.findall(r"https?://\S+", text) if u.startswith(PUBLIC_URL)]


def links_in_html(page: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(r'href="([^"]+)"', page)
            if html.unescape(u).startswith(PUBLIC_URL)]


def token_link(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL
    return parts.path, parse_qs(parts.query)


def reset_event(email: str, token: str | None = None) -> PasswordResetRequested:
    return PasswordResetRequested(
        account_id=uuid.uuid4(), email=email, token=token or uuid.uuid4().hex,
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )


def decision_event(email: str, **changes: object) -> ChangeRequestDecided:
    values: dict[str, object] = {
        "change_request_id": uuid.uuid4(), "family_id": uuid.uuid4(), "email": email,
        "family_name": "Martin", "subject": "family", "child_name": None,
        "decision": "approved", "comment": "Justificatif de domicile bien reçu, merci.",
        "fields": ["Adresse", "Téléphone"],
    }
    values.update(changes)
    return ChangeRequestDecided.model_validate(values)


async def test_password_reset_mail_reminds_the_login_and_gives_a_link(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("oubli")
    await notifier.publish(reset_event(email, token="jeton-secret-123"))
    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == "Votre identifiant et un lien pour choisir un nouveau mot de passe"
    assert f"Votre identifiant (l'adresse e-mail avec laquelle vous vous connectez) :\n{email}" \
        in text
    assert "valable 30 minutes (jusqu'au " in text
    assert "ne sert qu'une seule fois" in text
    assert "nous n'envoyons jamais de mot de passe par e-mail" in text
    [link] = links_in_text(text)
    assert token_link(link) == ("/mot-de-passe/nouveau", {"jeton": ["jeton-secret-123"]})
    assert links_in_html(html_of(mail)) == [link, link]  # the button and the copyable link


async def test_mail_has_text_and_html_alternatives_from_the_service(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("parties")
    envelope = await notifier.publish(reset_event(email))
    mail = await sink.one_to(email)
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert '<html lang="fr">' in html_of(mail)
    assert mail["From"] == "Portail Famille – service Jeunesse <ne-pas-repondre@example.org>"
    assert mail["Message-ID"] == f"<{envelope.id}.account@example.org>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Content-Language"] == "fr"


async def test_every_mail_carries_the_letterhead_and_says_it_is_automatic(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("entete")
    await notifier.publish(PasswordChanged(account_id=uuid.uuid4(), email=email,
                                           changed_at=datetime.now(UTC)))
    mail = await sink.one_to(email)
    text, page = text_of(mail), html.unescape(html_of(mail))
    for line in LETTERHEAD:
        assert line in text
        assert line in page
    assert "Ce message vous est envoyé automatiquement par le Portail Famille" in text
    assert "jeunesse@example.org" in text
    assert "Service Jeunesse – Communauté de communes du Clermontais" in text.splitlines()[0]


async def test_invitation_mail_gives_a_welcome_link_valid_seven_days(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("invite")
    await notifier.publish(AccountInvited(
        account_id=uuid.uuid4(), family_id=uuid.uuid4(), email=email, token="bienvenue-abc",
        expires_at=datetime.now(UTC) + timedelta(days=7),
    ))
    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == "Bienvenue sur le Portail Famille : choisissez votre mot de passe"
    assert "Le service Jeunesse a ouvert votre espace sur le Portail Famille." in text
    assert email in text
    assert "valable 7 jours" in text
    [link] = links_in_text(text)
    assert token_link(link) == ("/mot-de-passe/nouveau",
                                {"jeton": ["bienvenue-abc"], "bienvenue": ["1"]})
    assert link in links_in_html(html_of(mail))


async def test_email_change_sends_the_confirmation_link_to_the_new_address(
        notifier: RunningNotifier, sink: Sink) -> None:
    old, new = address("ancienne"), address("nouvelle")
    await notifier.publish(EmailChangeRequested(
        account_id=uuid.uuid4(), old_email=old, new_email=new, token="change-xyz",
        expires_at=datetime.now(UTC) + timedelta(hours=24),
    ))
    mail = await sink.one_to(new)
    text = text_of(mail)
    assert mail["Subject"] == "Confirmez votre nouvelle adresse e-mail de connexion"
    assert "valable 24 heures" in text
    assert "votre identifiant reste inchangé" in text
    [link] = links_in_text(text)
    assert token_link(link) == ("/mon-compte/login/confirmer", {"jeton": ["change-xyz"]})
    assert link in links_in_html(html_of(mail))


async def test_email_change_notice_to_the_old_address_has_no_link_and_says_what_to_do(
        notifier: RunningNotifier, sink: Sink) -> None:
    old, new = address("ancienne"), address("nouvelle")
    await notifier.publish(EmailChangeRequested(
        account_id=uuid.uuid4(), old_email=old, new_email=new, token="change-secret",
        expires_at=datetime.now(UTC) + timedelta(hours=24),
    ))
    mail = await sink.one_to(old)
    text = text_of(mail)
    assert mail["Subject"] == "Demande de changement de votre identifiant"
    assert f"Nouvelle adresse demandée : {new}" in text
    assert f"Votre identifiant reste {old}" in text
    assert "Ce n'est pas vous ?" in text
    assert "changez votre mot de passe" in text
    assert "change-secret" not in mail.as_string()
    assert links_in_text(text) == [f"{PUBLIC_URL}/"]


async def test_password_changed_notice_gives_the_time_in_paris(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("mdp")
    await notifier.publish(PasswordChanged(account_id=uuid.uuid4(), email=email,
                                           changed_at=datetime(2026, 3, 3, 13, 5, tzinfo=UTC)))
    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == "Votre mot de passe a été modifié"
    assert "a été modifié le 3 mars 2026 à 14 h 05." in text
    assert "Ce n'est pas vous ?" in text


async def test_approved_change_request_mail_lists_the_fields_and_the_comment(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("accepte")
    await notifier.publish(decision_event(email))
    mail = await sink.one_to(email)
    text, page = text_of(mail), html_of(mail)
    assert mail["Subject"] == "Votre demande de modification a été acceptée"
    assert ("Le service Jeunesse a accepté votre demande de modification des informations "
            "de la famille Martin.") in text
    assert "Informations mises à jour : Adresse, Téléphone." in text
    assert "« Justificatif de domicile bien reçu, merci. »" in text
    assert "<li>Adresse</li>" in page
    assert "Justificatif de domicile bien reçu, merci." in page


async def test_a_decision_field_by_field_says_what_was_applied_corrected_and_not(
        notifier: RunningNotifier, sink: Sink) -> None:
    # Issue 10, points 4 and 10: « de la famille Martin » even when the file is named
    # « Famille Martin », and the family told exactly what was applied.
    email = address("partiel")
    await notifier.publish(decision_event(
        email, family_name="Famille Martin", fields=["Adresse", "Téléphone", "Employeur"],
        refused_fields=["Employeur"], corrected_fields=["Téléphone"],
        comment="Employeur : merci de nous envoyer une attestation."))
    mail = await sink.one_to(email)
    text, page = text_of(mail), html_of(mail)
    assert ("a accepté en partie votre demande de modification des informations de la "
            "famille Martin.") in text
    assert "Famille Famille" not in text and "famille Famille" not in text
    assert "Informations mises à jour : Adresse, Téléphone." in text
    assert "Corrigées par le service avant d'être enregistrées : Téléphone." in text
    assert "Informations non modifiées : Employeur." in text
    assert "<li>Employeur</li>" in page and "accepté en partie" in page


async def test_rejected_new_child_mail_says_the_file_is_unchanged(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("refuse")
    await notifier.publish(decision_event(
        email, subject="new_child", child_name="Léa Martin", decision="rejected",
        comment="Il manque la date de naissance.", fields=["Enfant"],
    ))
    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == "Votre demande de modification n'a pas été acceptée"
    assert "n'a pas accepté votre demande d'ajout de votre enfant Léa Martin." in text
    assert "« Il manque la date de naissance. »" in text
    assert "Votre dossier reste inchangé." in text


async def test_decision_mail_shows_no_health_datum_even_if_an_event_carried_one(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("sante")
    event = decision_event(email, subject="child", child_name="Léa", fields=["Allergies"])
    envelope = event.envelope(producer="families")
    # A producer bug must not leak: only the contract's fields reach the mail.
    leaky = envelope.model_copy(update={"data": {
        **envelope.data, "allergies": "arachides", "doctor": "Dr Dupont",
    }})
    await notifier.publish(leaky)
    mail = await sink.one_to(email)
    raw = text_of(mail) + html_of(mail)
    assert "Justificatif de domicile bien reçu, merci." in raw
    assert "arachides" not in raw
    assert "Dupont" not in raw


async def test_html_part_escapes_what_staff_and_parents_typed(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("echappe")
    await notifier.publish(decision_event(email, comment="<script>alert(1)</script> & co"))
    mail = await sink.one_to(email)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html_of(mail)
    assert "<script>" not in html_of(mail)
    assert "« <script>alert(1)</script> & co »" in text_of(mail)


async def test_logs_name_the_event_and_domain_but_never_the_token_or_link(
        notifier: RunningNotifier, sink: Sink, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="services")
    email = address("journal")
    envelope = await notifier.publish(reset_event(email, token="ne-jamais-journaliser"))
    await sink.one_to(email)
    formatter = JsonFormatter("notifier")
    lines = [formatter.format(r) for r in caplog.records if r.name.startswith("services")]
    sent = [line for line in lines if str(envelope.id) in line and '"mail sent"' in line]
    assert sent and '"recipient_domain": "example.org"' in sent[0]
    assert not [line for line in lines if "ne-jamais-journaliser" in line]
    assert not [line for line in lines if email in line]
