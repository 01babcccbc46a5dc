"""Reservations' events become French mails (text and HTML) to the booking family's address
carried by the event: the recap of a submission, a decision with its comment, a freed place
offered with its link and deadline, a day cancelled by the service; each sent once even when
the event comes twice."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from services.common import keys as common_keys
from services.common.events.reservations import (
    Cancelled,
    Line,
    LineDecided,
    LotteryDrawn,
    ReservationSubmitted,
    WaitlistOffered,
)
from services.common.formats import datetime_label
from tests.service.notifier.conftest import (
    PUBLIC_URL,
    RunningNotifier,
    Sink,
    address,
    running_notifier,
)
from tests.service.notifier.test_billing_mails import html_of, links_in_html, text_of
from tests.support import eventually

NUMBER = "R-2026-000042"
RESERVATION_ID = uuid.uuid4()
FAMILY_ID = uuid.uuid4()
LEA, HUGO = uuid.uuid4(), uuid.uuid4()
DETAIL = f"{PUBLIC_URL}/mon-compte/reservations/{NUMBER}"


@pytest.fixture(scope="module")
async def sink(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sink]:
    sink = Sink(tmp_path_factory.mktemp("reservation_mails") / "maildir")
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
async def notifier(sink: Sink) -> AsyncIterator[RunningNotifier]:
    async with running_notifier(sink, "reservation_mails") as running:
        yield running


def line(day: date, unit: str, state: str, *, child: uuid.UUID = LEA, kind: str = "book",
         **extra: Any) -> Line:
    return Line.model_validate({
        "line_id": uuid.uuid4(), "reservation_id": RESERVATION_ID,
        "reservation_number": NUMBER, "family_id": FAMILY_ID, "child_id": child,
        "child_first_name": "Léa" if child == LEA else "Hugo", "child_last_name": "Martin",
        "child_birth_date": date(2021, 8, 1), "date": day, "unit_id": uuid.uuid4(),
        "unit_label": unit, "establishment_id": uuid.uuid4(),
        "establishment_name": "Accueil de loisirs Les Pins", "period_id": uuid.uuid4(),
        "period_name": "Vacances scolaires", "kind": kind, "state": state,
        "billable": state == "accepted", "entity_version": 1,
        **({"cancels_line_id": uuid.uuid4()} if kind == "cancel" else {}), **extra})


def submitted(email: str, lines: list[Line], *, kind: str = "book",
              state: str = "partial") -> ReservationSubmitted:
    return ReservationSubmitted.model_validate({
        "reservation_id": RESERVATION_ID, "number": NUMBER, "family_id": FAMILY_ID,
        "email": email, "family_name": "Famille Martin", "kind": kind, "state": state,
        "submitted_at": datetime(2026, 12, 1, 16, 5, tzinfo=UTC),
        "establishment_name": "Accueil de loisirs Les Pins",
        "period_name": "Vacances scolaires", "lines": lines})


async def processed(notifier: RunningNotifier, event_id: uuid.UUID) -> None:
    """Wait until the notifier's consumer has handled the event (committed its id)."""
    async def done() -> bool:
        async with notifier.app[common_keys.DB].acquire() as conn:
            return bool(await conn.fetchval(
                "SELECT 1 FROM processed_events WHERE event_id = $1", event_id))
    await eventually(done)


async def test_the_recap_lists_every_day_with_its_state_and_waiting_position(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("recap")
    envelope = await notifier.publish(submitted(email, [
        line(date(2026, 12, 22), "Journée", "accepted"),
        line(date(2026, 12, 22), "Journée", "waiting", child=HUGO, waiting_position=2),
        line(date(2026, 12, 23), "Midi (repas)", "requested", child=HUGO),
    ]))
    await notifier.publish(envelope)  # delivered again: no second mail

    mail = await sink.one_to(email)
    text, page = text_of(mail), html_of(mail)
    assert mail["Subject"] == f"Votre réservation {NUMBER} est enregistrée"
    assert (f"Votre réservation n° {NUMBER} pour Léa et Hugo Martin est enregistrée le "
            "1er décembre 2026 à 17 h 05.") in text
    assert "État : partiellement acceptée." in text
    assert "Établissement : Accueil de loisirs Les Pins\nPériode : Vacances scolaires" in text
    assert "- Mardi 22 décembre 2026, Journée (Léa) : acceptée\n" in text
    assert "- Mardi 22 décembre 2026, Journée (Hugo) : liste d'attente (position 2)\n" in text
    assert "- Mercredi 23 décembre 2026, Midi (repas) (Hugo) : en attente de décision\n" in text
    assert "vous recevrez un e-mail pour chaque décision" in text
    assert "elle sera proposée par e-mail à la première famille de la liste" in text
    for fragment in (f"Votre réservation n° {NUMBER} pour Léa et Hugo Martin",
                     "Mardi 22 décembre 2026 Journée Hugo liste d'attente (position 2)",
                     "État : partiellement acceptée", "Vacances scolaires", DETAIL):
        assert fragment in page
    assert DETAIL in text and DETAIL in links_in_html(mail)
    await processed(notifier, envelope.id)
    assert len(sink.to(email)) == 1


async def test_a_cancellation_recap_says_what_is_cancelled(notifier: RunningNotifier,
                                                          sink: Sink) -> None:
    email = address("annulation")
    await notifier.publish(submitted(email, [
        line(date(2027, 1, 6), "Journée", "accepted", kind="cancel"),
        line(date(2027, 1, 7), "Journée", "requested", kind="cancel"),
    ], kind="cancel", state="cancel_requested"))

    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == f"Votre demande d'annulation {NUMBER} est enregistrée"
    assert f"Votre demande d'annulation n° {NUMBER} pour Léa Martin est enregistrée" in text
    assert "Jours à annuler :" in text
    assert "- Mercredi 6 janvier 2027, Journée : annulation acceptée\n" in text
    assert "- Jeudi 7 janvier 2027, Journée : annulation en attente de décision\n" in text
    assert "(Léa)" not in text  # one child: not repeated on every line


async def test_a_staff_decision_is_sent_with_its_comment(notifier: RunningNotifier,
                                                        sink: Sink) -> None:
    email = address("decision")
    decided = line(date(2026, 12, 23), "Journée", "refused",
                   comment="Sortie à la mer : le car est complet.",
                   decided_at=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    envelope = await notifier.publish(LineDecided(
        email=email, family_name="Famille Martin", previous_state="requested", line=decided))
    await notifier.publish(envelope)

    mail = await sink.one_to(email)
    text, page = text_of(mail), html_of(mail)
    assert mail["Subject"] == (f"Réservation {NUMBER} : refusée pour le mercredi 23 décembre "
                               "2026")
    assert (f"Votre demande de réservation n'a pas été acceptée (réservation n° {NUMBER}, "
            "Léa Martin) :\n- Mercredi 23 décembre 2026, Journée : refusée") in text
    assert "« Sortie à la mer : le car est complet. »" in text
    assert "Sortie à la mer : le car est complet." in page
    assert DETAIL in links_in_html(mail)
    await processed(notifier, envelope.id)
    assert len(sink.to(email)) == 1


async def test_a_freed_place_is_offered_with_its_link_and_reply_deadline(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("offre")
    offered = line(date(2026, 12, 22), "Journée", "offered", child=HUGO)
    # The line's own decision (waiting → offered) is told by the offer's mail only.
    decided = await notifier.publish(LineDecided(
        email=email, family_name="Famille Martin", previous_state="waiting", line=offered))
    token = "jeton-" + uuid.uuid4().hex
    expires_at = datetime.now(UTC) + timedelta(hours=48)
    envelope = await notifier.publish(WaitlistOffered(
        offer_id=uuid.uuid4(), email=email, family_name="Famille Martin", line=offered,
        expires_at=expires_at, token=token))
    await notifier.publish(envelope)

    mail = await sink.one_to(email)
    text, page = text_of(mail), html_of(mail)
    assert mail["Subject"] == "Une place s'est libérée pour Hugo le mardi 22 décembre 2026"
    link = f"{PUBLIC_URL}/reservations/offre?jeton={token}"
    assert f"Elle vous est proposée jusqu'au {datetime_label(expires_at)}." in text
    assert "Ce lien est valable 2 jours (jusqu'au " in text
    assert "- Mardi 22 décembre 2026, Journée" in text
    assert "la place sera proposée à la famille suivante" in text
    assert link in text and link in links_in_html(mail)
    assert parse_qs(urlsplit(links_in_html(mail)[0]).query) == {"jeton": [token]}
    assert f"jusqu'au {datetime_label(expires_at)}" in page
    await processed(notifier, decided.id)
    await processed(notifier, envelope.id)
    assert len(sink.to(email)) == 1


async def test_a_day_cancelled_by_the_service_is_told_once_and_a_requested_one_not_twice(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("annule")
    booked = line(date(2027, 1, 6), "Matin", "cancelled", comment="Fermeture exceptionnelle.")
    envelope = await notifier.publish(Cancelled(email=email, family_name="Famille Martin",
                                                line=booked))
    await notifier.publish(envelope)
    # Cancelled by the family's own cancellation request: its recap already said so.
    told = await notifier.publish(Cancelled(email=email, family_name="Famille Martin",
                                            line=booked, by_reservation_number="R-2026-000043"))

    mail = await sink.one_to(email)
    text = text_of(mail)
    assert mail["Subject"] == f"Réservation {NUMBER} : le mercredi 6 janvier 2027 est annulé"
    assert "a annulé ce jour de la réservation n° R-2026-000042 (Léa Martin)" in text
    assert "- Mercredi 6 janvier 2027, Matin\n" in text
    assert "« Fermeture exceptionnelle. »" in text
    await processed(notifier, envelope.id)
    await processed(notifier, told.id)
    assert len(sink.to(email)) == 1


async def test_a_draw_sends_each_family_one_mail_of_its_results(
        notifier: RunningNotifier, sink: Sink) -> None:
    email = address("tirage")
    lines = [line(date(2027, 7, 6), "Journée", "accepted"),
             line(date(2027, 7, 6), "Journée", "waiting", child=HUGO, waiting_position=3)]
    # Each line's decision (drawing → …) is told by the draw's one mail, not one mail each.
    decided = [await notifier.publish(LineDecided(
        email=email, family_name="Famille Martin", previous_state="drawing", line=x))
        for x in lines]
    envelope = await notifier.publish(LotteryDrawn(
        family_id=FAMILY_ID, email=email, family_name="Famille Martin",
        period_id=uuid.uuid4(), period_name="Vacances d'été 2027",
        establishment_name="Accueil de loisirs Les Pins",
        drawn_at=datetime(2027, 5, 3, 8, 0, tzinfo=UTC), lines=lines))
    await notifier.publish(envelope)  # delivered again: no second mail

    mail = await sink.one_to(email)
    text, page = text_of(mail), html_of(mail)
    assert mail["Subject"] == "Résultat du tirage au sort : Vacances d'été 2027"
    assert ("Le tirage au sort des places de la période « Vacances d'été 2027 » a eu lieu le "
            "3 mai 2027 à 10 h 00.") in text
    assert "pour Léa et Hugo Martin : 1 jour accepté sur 2 demandés." in text
    assert "- Mardi 6 juillet 2027, Journée (Léa) : acceptée\n" in text
    assert "- Mardi 6 juillet 2027, Journée (Hugo) : liste d'attente (position 3)\n" in text
    assert "votre rang dans la liste, fixé par le tirage" in text
    assert "liste d'attente (position 3)" in page and DETAIL in links_in_html(mail)
    for event in decided:
        await processed(notifier, event.id)
    await processed(notifier, envelope.id)
    assert len(sink.to(email)) == 1
