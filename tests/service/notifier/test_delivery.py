"""Each mail is sent once: duplicates, partial failures, a mail server that is down."""

import asyncio
import json
import logging
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from services.common import keys as common_keys
from services.common.bus import list_dead_letters
from services.common.events.auth import EmailChangeRequested, PasswordResetRequested
from services.notifier.keys import NOTIFIER
from services.notifier.service import OLDEST_UNDELIVERED
from tests.service.notifier.conftest import (
    Gatekeeper,
    RunningNotifier,
    Sink,
    address,
    eventually,
    running_notifier,
)
from tests.support import metrics_of

FAILED = "notifier_mails_failed_total"
SENT = "notifier_mails_sent_total"
ROOT = Path(__file__).resolve().parents[3]


def reset_event(email: str) -> PasswordResetRequested:
    return PasswordResetRequested(
        account_id=uuid.uuid4(), email=email, token=uuid.uuid4().hex,
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )


def logged(caplog: pytest.LogCaptureFixture, message: str, event_id: uuid.UUID) -> bool:
    return any(r.getMessage() == message and getattr(r, "event_id", None) == str(event_id)
               for r in caplog.records)


async def dead_letters(notifier: RunningNotifier, event_type: str) -> list[str]:
    letters = await list_dead_letters(notifier.app[common_keys.BUS],
                                      [notifier.queue(event_type)])
    return [str(letter.message_id) for letter in letters]


async def test_same_event_delivered_twice_gives_one_mail(
        sink: Sink, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="services.common.bus")
    sink.start()
    async with running_notifier(sink, "twice") as notifier:
        email = address("double")
        envelope = reset_event(email).envelope(producer="auth")
        await notifier.publish(envelope)
        await notifier.publish(envelope)
        await eventually(lambda: logged(caplog, "event already processed", envelope.id))
        await sink.one_to(email)


async def test_sent_log_alone_prevents_a_second_mail_for_a_redelivered_event(
        sink: Sink, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="services.notifier")
    sink.start()
    async with running_notifier(sink, "sentlog") as notifier:
        email = address("journal")
        envelope = await notifier.publish(reset_event(email))
        await sink.one_to(email)
        # Without the kernel's record of the event, only the sent log stands in the way.
        async with notifier.app[common_keys.DB].acquire() as conn:
            await conn.execute("DELETE FROM processed_events WHERE event_id = $1", envelope.id)
        await notifier.publish(envelope)
        await eventually(lambda: logged(caplog, "mail already sent, not sent again",
                                        envelope.id))
        await sink.one_to(email)


class LogAwayOnce:
    """The sent log's pool, away once as in a database outage: its second use (logging the
    first mail, just sent) is refused."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.uses = 0

    def acquire(self) -> Any:
        self.uses += 1
        if self.uses == 2:
            raise ConnectionRefusedError("the database is away")
        return self.pool.acquire()


async def test_a_mail_sent_while_the_database_is_away_is_logged_after_and_not_sent_again(
        sink: Sink) -> None:
    sink.start()
    async with running_notifier(sink, "unlogged") as notifier:
        notifier.app[NOTIFIER].sent_log = LogAwayOnce(notifier.app[NOTIFIER].sent_log)
        email = address("journal-absent")
        envelope = await notifier.publish(reset_event(email))

        async def logged_sent() -> bool:
            async with notifier.app[common_keys.DB].acquire() as conn:
                return bool(await conn.fetchval(
                    "SELECT count(*) FROM sent_mails WHERE event_id = $1", envelope.id))

        await eventually(logged_sent)
        await sink.one_to(email)
        assert notifier.app[NOTIFIER].unlogged == {}


async def test_an_event_whose_handling_is_cancelled_after_the_send_is_not_mailed_again(
        sink: Sink) -> None:
    """As when the broker's connection drops: the client library cancels the handler, then
    the broker delivers the event again."""
    sink.start()
    async with running_notifier(sink, "cancelled") as notifier:
        mails = notifier.app[NOTIFIER]
        send = mails.mailer.send

        async def send_then_wait(message: Any) -> None:
            await send(message)
            await asyncio.sleep(0.5)  # the server's answer still on its way

        mails.mailer.send = send_then_wait
        email = address("annule")
        envelope = reset_event(email).envelope(producer="auth")
        handling = asyncio.create_task(mails.notify(envelope))
        await eventually(lambda: sink.to(email))
        handling.cancel()
        await mails.notify(envelope)  # the redelivery
        await sink.one_to(email)
        assert mails.unlogged == {} and mails.sending == {}


async def test_when_the_second_mail_of_an_event_fails_the_retry_sends_only_that_one(
        sink: Sink) -> None:
    old, new = address("ancienne"), address("nouvelle")
    sink.gate = Gatekeeper(refuse={old: 1})
    sink.start()
    async with running_notifier(sink, "partial") as notifier:
        await notifier.publish(EmailChangeRequested(
            account_id=uuid.uuid4(), old_email=old, new_email=new, token="t",
            expires_at=datetime.now(UTC) + timedelta(hours=24),
        ))
        await sink.one_to(old)
        await sink.one_to(new)
        assert sink.gate.refused == [old]
        # The sink keeps a mail before it answers the notifier, which counts it after.
        await eventually(lambda: notifier.counter(SENT, "email_change_notice") == 1)
        assert notifier.counter(SENT, "email_change_confirm") == 1


async def test_mails_wait_while_the_mail_server_is_down_and_arrive_once_it_is_back(
        sink: Sink) -> None:
    async with running_notifier(sink, "down", retry_delays=(0.2, 0.5, 1.0, 2.0, 4.0)
                                ) as notifier:
        email = address("patience")
        envelope = await notifier.publish(reset_event(email))
        await eventually(lambda: notifier.counter(FAILED, "password_reset") >= 1)
        assert sink.to(email) == []
        sink.start()
        await eventually(lambda: sink.to(email))
        await sink.one_to(email)
        assert str(envelope.id) not in await dead_letters(notifier, envelope.type)


async def dead_letters_command(notifier: RunningNotifier, *args: str) -> list[dict[str, Any]]:
    """`python -m services.notifier dead-letters …`, as an operator runs it."""
    env = {**os.environ, "PORTAIL_NAMESPACE": notifier.settings.namespace,
           "PORTAIL_AMQP_URL": notifier.settings.amqp_url, "PORTAIL_ENV": "test"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.notifier", "dead-letters", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_event_is_dead_lettered_after_every_attempt_and_replay_sends_the_mail(
        sink: Sink) -> None:
    async with running_notifier(sink, "dead", retry_delays=(0.1, 0.2)) as notifier:
        email = address("relance")
        envelope = await notifier.publish(reset_event(email))
        await eventually(lambda: dead_letters(notifier, envelope.type))
        [letter] = await dead_letters_command(notifier, "list")
        assert letter["message_id"] == str(envelope.id)
        assert letter["attempts"] == 3  # the first try and one per retry delay
        assert "MailNotSent" in letter["error"]
        assert email not in letter["error"]
        assert notifier.counter(FAILED, "password_reset") == 3
        assert sink.to(email) == []
        sink.start()
        await dead_letters_command(notifier, "replay", "--id", str(envelope.id))
        await sink.one_to(email)
        assert await dead_letters(notifier, envelope.type) == []


async def test_starts_and_warns_when_the_mail_server_is_down(
        sink: Sink, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="services.notifier")
    async with running_notifier(sink, "nosmtp") as notifier:
        [warning] = [r for r in caplog.records if r.name == "services.notifier.smtp"]
        assert warning.getMessage() == (
            "SMTP server unreachable: mails wait in the queues and are retried")
        assert vars(warning)["smtp"] == f"127.0.0.1:{sink.port}"
        async with aiohttp.ClientSession() as http, \
                http.get(notifier.server.make_url("/readyz")) as resp:
            assert resp.status == 200


async def test_consecutive_mails_share_one_smtp_connection(sink: Sink) -> None:
    sink.gate = Gatekeeper()
    sink.start()
    async with running_notifier(sink, "reuse") as notifier:
        for _ in range(3):
            email = address("suite")
            await notifier.publish(reset_event(email))
            await sink.one_to(email)
        assert len(sink.gate.peers) == 3
        assert len(set(sink.gate.peers)) == 1


async def test_connection_dropped_by_the_server_is_replaced_without_a_failed_mail(
        sink: Sink) -> None:
    sink.start()
    async with running_notifier(sink, "dropped") as notifier:
        first = address("avant")
        await notifier.publish(reset_event(first))
        await sink.one_to(first)
        sink.stop()
        sink.start()
        second = address("apres")
        await notifier.publish(reset_event(second))
        await sink.one_to(second)
        assert notifier.counter(FAILED, "password_reset") == 0


class SlowGate(Gatekeeper):
    """A mail server that takes longer over each mail than /readyz waits for a database
    connection (2 s)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(2.5)
        return await super().handle_DATA(server, session, envelope)


async def readiness(notifier: RunningNotifier) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, \
            http.get(notifier.server.make_url("/readyz")) as resp:
        return resp.status, await resp.json()


async def test_readiness_answers_during_a_burst_of_mails(sink: Sink) -> None:
    sink.gate = SlowGate()
    sink.start()
    # A small pool: handlers that held a connection across their SMTP round trip would
    # leave none to the readiness check.
    async with running_notifier(sink, "burst", pool_max_size=2) as notifier:
        emails = [address("rafale") for _ in range(4)]
        for email in emails:
            await notifier.publish(reset_event(email))
        await eventually(lambda: sink.to(emails[0]))
        status, body = await readiness(notifier)
        assert not sink.to(emails[-1])  # still in the middle of the burst
        assert (status, body["checks"]["database_ready"]) == (200, True)
        for email in emails:
            await sink.one_to(email)


async def test_readiness_says_since_when_the_mail_server_is_down_and_how_many_mails_wait(
        sink: Sink) -> None:
    async with running_notifier(sink, "smtpdown", retry_delays=(0.2, 0.5, 1.0, 2.0, 4.0)
                                ) as notifier:
        emails = [address("attente") for _ in range(2)]
        for email in emails:
            await notifier.publish(reset_event(email))
        await eventually(lambda: len(notifier.app[NOTIFIER].undelivered) == 2)
        status, body = await readiness(notifier)
        assert status == 200  # mails wait in the queues: still ready, but degraded
        assert body["status"] == "degraded"
        smtp = body["checks"]["smtp"]
        assert smtp["status"] == "degraded"
        assert smtp["waiting_mails"] == 2
        assert datetime.fromisoformat(smtp["down_since"]) <= datetime.now(UTC)
        oldest = metric(await metrics_of(notifier.app), OLDEST_UNDELIVERED)
        assert oldest > 0

        sink.start()
        for email in emails:
            await sink.one_to(email)
        await eventually(lambda: not notifier.app[NOTIFIER].undelivered)
        status, body = await readiness(notifier)
        assert (status, body["status"], body["checks"]["smtp"]) == (
            200, "ready", {"status": "up", "waiting_mails": 0})
        assert metric(await metrics_of(notifier.app), OLDEST_UNDELIVERED) == 0


def metric(text: str, name: str) -> float:
    [line] = [x for x in text.splitlines() if x.startswith(name + " ")]
    return float(line.split()[1])


async def test_the_sent_log_forgets_mails_after_the_retention_window(sink: Sink) -> None:
    async with running_notifier(sink, "purge", sent_mails_keep_days=7,
                                sent_mails_purge_seconds=0.1) as notifier:
        old, recent = uuid.uuid4(), uuid.uuid4()
        async with notifier.app[common_keys.DB].acquire() as conn:
            await conn.execute(
                "INSERT INTO sent_mails (event_id, recipient_kind, event_type, template, "
                "recipient_domain, message_id, sent_at) VALUES "
                "($1, 'account', 't', 't', 'example.org', 'm1', now() - interval '8 days'), "
                "($2, 'account', 't', 't', 'example.org', 'm2', now() - interval '6 days')",
                old, recent)

        async def kept() -> set[uuid.UUID]:
            async with notifier.app[common_keys.DB].acquire() as conn:
                rows = await conn.fetch("SELECT event_id FROM sent_mails "
                                        "WHERE event_id = ANY($1)", [old, recent])
            return {r["event_id"] for r in rows}

        await eventually(lambda: _when_absent(kept(), old))
        assert await kept() == {recent}


async def _when_absent(found: Any, item: uuid.UUID) -> bool:
    return item not in await found
