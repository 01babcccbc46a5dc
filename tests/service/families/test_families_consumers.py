"""The contact e-mail follows the parent's login (auth.email_changed), once per event."""

import logging
import uuid

import pytest

from services.common.bus import Bus
from services.common.events.auth import EmailChanged
from tests.service.families.helpers import EventLog, Families, staff
from tests.support import AMQP_URL, NAMESPACE, eventually


async def test_a_login_change_updates_the_contact_email_once_even_when_delivered_twice(
        families: Families, events: EventLog, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="services.common.bus")
    family = await families.new_family()
    new_email = f"nouvelle.{uuid.uuid4().hex[:8]}@example.org"
    envelope = EmailChanged(account_id=uuid.uuid4(), family_id=family["id"],
                            old_email=family["email"], new_email=new_email
                            ).envelope(producer="auth")
    bus = Bus(AMQP_URL, NAMESPACE)
    await bus.connect()
    try:
        await bus.publish(envelope)
        await bus.publish(envelope)  # the broker may deliver an event again
    finally:
        await bus.close()

    # The second delivery is recognised and skipped.
    await eventually(lambda: any(
        r.getMessage() == "event already processed" and getattr(r, "event_id", "") ==
        str(envelope.id) for r in caplog.records))
    shown = (await families.call("GET", f"/families/{family['id']}", headers=staff())).body
    assert shown["email"] == new_email
    assert shown["version"] == family["version"] + 1
    trail = (await families.call("GET", f"/audit?family_id={family['id']}",
                                 headers=staff())).body["items"]
    assert [(e["action"], e["actor_sub"], e["details"]) for e in trail
            if e["action"] == "family.email_changed"] == [
        ("family.email_changed", "system", {"old": family["email"], "new": new_email})]
    await events.wait_for("families.family_updated", family_id=family["id"], email=new_email)
    assert len(events.of("families.family_updated", family_id=family["id"],
                         email=new_email)) == 1


async def test_a_late_login_change_never_overwrites_a_newer_one(
        families: Families, events: EventLog) -> None:
    # Issue 7, point 4: auth.email_changed carries the login's version; a change that
    # arrives after a newer one (retries take detours) is skipped.
    family = await families.new_family()
    account_id = uuid.uuid4()
    second = f"deuxieme.{uuid.uuid4().hex[:8]}@example.org"
    first = f"premiere.{uuid.uuid4().hex[:8]}@example.org"
    newer = EmailChanged(account_id=account_id, family_id=family["id"], old_email=first,
                         new_email=second, entity_version=2).envelope(producer="auth")
    older = EmailChanged(account_id=account_id, family_id=family["id"],
                         old_email=family["email"], new_email=first,
                         entity_version=1).envelope(producer="auth")
    bus = Bus(AMQP_URL, NAMESPACE)
    await bus.connect()
    try:
        await bus.publish(newer)
        await events.wait_for("families.family_updated", family_id=family["id"], email=second)
        await bus.publish(older)
        marker = EmailChanged(account_id=uuid.uuid4(), family_id=None, old_email="a@b.fr",
                              new_email="c@d.fr").envelope(producer="auth")
        await bus.publish(marker)
    finally:
        await bus.close()

    async def both_processed() -> bool:
        async with families.db.acquire() as conn:
            return bool(await conn.fetchval(
                "SELECT count(*) = 2 FROM processed_events WHERE event_id = ANY($1::uuid[])",
                [older.id, marker.id]))

    await eventually(both_processed)
    shown = (await families.call("GET", f"/families/{family['id']}", headers=staff())).body
    assert shown["email"] == second
