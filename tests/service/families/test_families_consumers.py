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
