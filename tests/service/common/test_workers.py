"""Several worker processes on one port (issue 13, point 2): `<PART>_WORKERS=2` serves from
two processes sharing the port (SO_REUSEPORT), and the service's consumers still apply each
event once — a real `python -m services.auth` here."""
import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from services.common.bus import Bus, Consumer
from services.common.events.families import FamilyCreated
from services.common.settings import replace_database
from tests.service.auth.conftest import SIGNING_KEY
from tests.support import AMQP_URL, NAMESPACE, PG_DSN, RUN, eventually, free_port

ROOT = Path(__file__).resolve().parents[3]
SERVICE = "auth_workers"
DATABASE = f"test_{RUN}_{SERVICE}"
EVENTS = 40


@contextlib.asynccontextmanager
async def auth_with_workers(workers: int) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    port = free_port()
    env = {**os.environ, "PORTAIL_ENV": "test", "PORTAIL_NAMESPACE": NAMESPACE,
           "PORTAIL_LOG_LEVEL": "WARNING", "AUTH_SERVICE_NAME": SERVICE,
           "AUTH_DATABASE": DATABASE, "AUTH_PORT": str(port), "AUTH_WORKERS": str(workers),
           "AUTH_SIGNING_KEY": SIGNING_KEY, "AUTH_RETRY_DELAYS": "[0.1, 0.3]",
           "AUTH_ARGON2_TIME_COST": "1", "AUTH_ARGON2_MEMORY_COST_KIB": "8192",
           "AUTH_ARGON2_PARALLELISM": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.auth", "serve", cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def ready() -> bool:
                assert process.returncode is None, "auth stopped"
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(url + "/readyz") as resp:
                        return resp.status == 200
                return False

            await eventually(ready, timeout=60)
        yield url, process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        await delete_queues()


async def delete_queues() -> None:
    bus = Bus(AMQP_URL, NAMESPACE)
    await bus.connect()
    try:
        consumer = Consumer(bus, None, name=SERVICE)  # type: ignore[arg-type] # names only

        async def nothing(*_: object) -> None:
            return None

        consumer.subscribe(FamilyCreated.TYPE, nothing)
        await consumer.delete_queues()
    finally:
        await bus.close()


async def pids_answering(url: str, wanted: int, timeout: float = 60) -> set[int]:
    """The pids in /healthz over fresh connections (the kernel picks the worker per
    connection), until `wanted` distinct ones answered (a worker still starting is not on
    the port yet)."""
    pids: set[int] = set()
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def seen_all() -> bool:
            async with http.get(url + "/healthz") as resp:
                assert resp.status == 200
                pids.add((await resp.json())["pid"])
            return len(pids) >= wanted

        await eventually(seen_all, timeout=timeout, interval=0.01)
    return pids


async def test_two_workers_answer_from_two_processes_and_apply_each_event_once() -> None:
    async with auth_with_workers(2) as (url, process):
        pids = await pids_answering(url, 2)
        assert len(pids) == 2 and process.pid not in pids, pids
        conn = await asyncpg.connect(replace_database(PG_DSN, DATABASE))
        try:
            events = [FamilyCreated(family_id=uuid.uuid4(), name="Famille Test",
                                    email=f"workers.{i}.{uuid.uuid4().hex[:6]}@example.org"
                                    ).envelope(producer="families") for i in range(EVENTS)]
            bus = Bus(AMQP_URL, NAMESPACE)
            await bus.connect()
            try:
                # Each event published twice: whichever worker gets the second copy, it must
                # have no second effect.
                for envelope in events + events:
                    await bus.publish(envelope)
            finally:
                await bus.close()
            family_ids = [uuid.UUID(str(e.data["family_id"])) for e in events]

            async def all_processed() -> bool:
                done = await conn.fetchval(
                    "SELECT count(*) FROM processed_events WHERE event_id = ANY($1::uuid[])",
                    [e.id for e in events])
                return bool(done == EVENTS)

            await eventually(all_processed, timeout=30)
            await asyncio.sleep(0.5)  # let any second application (there must be none) land
            accounts = await conn.fetchval(
                "SELECT count(*) FROM accounts WHERE family_id = ANY($1::uuid[])", family_ids)
            invitations = await conn.fetchval(
                "SELECT count(*) FROM one_time_tokens t JOIN accounts a ON a.id = t.account_id "
                "WHERE t.kind = 'invitation' AND a.family_id = ANY($1::uuid[])", family_ids)
            assert (accounts, invitations) == (EVENTS, EVENTS)
        finally:
            await conn.close()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    for pid in pids:  # every worker stopped with the parent
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
