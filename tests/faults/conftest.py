"""Fault scenarios: a broker of our own that tests may stop and start at will."""

import asyncio
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.service.common.conftest import bus, kernel_settings, pool  # noqa: F401 (fixtures)
from tests.support import free_port


class SecondBroker:
    """A separate RabbitMQ node on its own port and data folder; the shared one is untouched."""

    def __init__(self) -> None:
        self.port = free_port()
        self.node = f"pftest{uuid.uuid4().hex[:8]}@localhost"
        self.base = Path(tempfile.mkdtemp(prefix="rabbitmq-test-"))
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        shutil.chown(self.base, "rabbitmq", "rabbitmq")
        for child in self.base.iterdir():
            shutil.chown(child, "rabbitmq", "rabbitmq")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.base / "pid"),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    async def _run(self, *command: str, check: bool = True) -> None:
        process = await asyncio.create_subprocess_exec(
            *command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        if check and process.returncode != 0:
            raise AssertionError(f"{command[0]} failed: {output.decode(errors='replace')}")

    async def start(self) -> None:
        await self._run("rabbitmq-server", "-detached")
        await self._wait(open_=True, timeout=60)
        # The port opens just before the broker accepts AMQP connections.
        await self._run("rabbitmqctl", "-q", "-n", self.node, "await_startup")

    async def stop(self) -> None:
        await self._run("rabbitmqctl", "-q", "-n", self.node, "stop", check=False)
        await self._wait(open_=False, timeout=30)

    async def _wait(self, *, open_: bool, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                is_open = True
            except OSError:
                is_open = False
            if is_open == open_:
                return
            if loop.time() > deadline:
                raise AssertionError(f"broker port {self.port} open={is_open} after {timeout} s")
            await asyncio.sleep(0.2)

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
async def second_broker() -> AsyncIterator[SecondBroker]:
    if shutil.which("rabbitmq-server") is None:
        pytest.fail("rabbitmq-server is not installed: run ./deploy/infra.sh rabbitmq")
    broker = SecondBroker()
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()
        broker.remove()
