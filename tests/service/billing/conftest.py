"""Billing service under test: real PostgreSQL and RabbitMQ, its own PayFiP sandbox."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from services.billing.app import create_app
from services.billing.settings import Settings
from services.common.bus import Bus
from tests.service.billing.helpers import TOKENS, Billing
from tests.support import AMQP_URL, NAMESPACE, RUN, free_port, serve, settings_for


@pytest.fixture(scope="package")
async def billing() -> AsyncIterator[Billing]:
    port = free_port()
    # A consumer name of its own, so another billing instance of this run (the e2e stack)
    # never takes its messages; the sandbox is this server's own (its port chosen first).
    settings = settings_for(
        Settings, service_name="billing_svc", database=f"test_{RUN}_billing_svc", port=port,
        public_url=f"http://127.0.0.1:{port}", payment_poll_seconds=0.2,
        payment_first_check_seconds=0.0, sepa_job_seconds=3600.0,
        payment_notify_url=f"http://127.0.0.1:{port}/payfip/notifications")
    app = create_app(settings=settings)
    TOKENS.trust(app)
    bus = Bus(AMQP_URL, NAMESPACE)
    await bus.connect()
    try:
        async with serve(app, port=port) as server, aiohttp.ClientSession() as http:
            yield Billing(server, http, bus)
    finally:
        await bus.close()
