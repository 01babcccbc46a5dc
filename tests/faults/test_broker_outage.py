"""Events written while RabbitMQ is unreachable are all published once it is back."""

import uuid
from typing import ClassVar

import aio_pika
import asyncpg

from services.common.bus import Bus
from services.common.events import Envelope, Event
from services.common.outbox import OutboxRelay, add_event
from tests.faults.conftest import SecondBroker
from tests.support import NAMESPACE, eventually


class Ticked(Event):
    TYPE: ClassVar[str] = f"faults.t{uuid.uuid4().hex[:8]}"
    n: int


async def drain(url: str, queue_name: str) -> list[Envelope]:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name)
        got = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            got.append(Envelope.model_validate_json(message.body))
        return got
    finally:
        await connection.close()


async def test_events_written_while_the_broker_is_down_are_published_when_it_is_back(
        pool: asyncpg.Pool, second_broker: SecondBroker) -> None:
    # A durable queue on the second broker collects what the relay publishes.
    setup = await aio_pika.connect(second_broker.url)
    channel = await setup.channel()
    exchange = await channel.declare_exchange(f"{NAMESPACE}.events",
                                              aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(f"{NAMESPACE}.faults.collect", durable=True)
    await queue.bind(exchange, routing_key=Ticked.TYPE)
    await setup.close()

    bus = Bus(second_broker.url, NAMESPACE)
    await bus.connect()
    relay = OutboxRelay(pool, bus, poll_seconds=0.1)
    await relay.start()
    received: list[Envelope] = []
    try:
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, Ticked(n=0), producer="faults")
        received += await eventually(lambda: drain(second_broker.url, queue.name))

        await second_broker.stop()
        for n in range(1, 21):  # the service keeps working: its writes commit as usual
            async with pool.acquire() as conn, conn.transaction():
                await add_event(conn, Ticked(n=n), producer="faults")
        async with pool.acquire() as conn:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE type = $1 AND published_at IS NULL",
                Ticked.TYPE)
        assert waiting == 20

        await second_broker.start()

        async def all_arrived() -> bool:
            received.extend(await drain(second_broker.url, queue.name))
            return {e.data["n"] for e in received} == set(range(21))

        await eventually(all_arrived, timeout=60, interval=0.5)
    finally:
        await relay.stop()
        await bus.close()
    async with pool.acquire() as conn:
        waiting = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE type = $1 AND published_at IS NULL", Ticked.TYPE)
    assert waiting == 0
