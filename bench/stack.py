"""Parts of the portal started for a benchmark as `make run` starts them — real processes,
`<PART>_WORKERS` each — but in a namespace and databases of their own, removed afterwards.

The load generator runs in the bench's process; the parts' CPU time is read from /proc, so a
case can say what each part and the generator cost. The load and fault tests (tests/load,
tests/faults) start their parts here too, in the test run's namespace, and kill and restart
one of them (`Stack.kill`, `Stack.start`).
"""

import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from services.common import keys
from services.common.bus import Bus, Consumer
from services.common.db import drop_database
from services.common.settings import CommonSettings

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "log"
# Each part's module (`python -m <module>`).
PARTS: dict[str, str] = {
    "auth": "services.auth",
    "families": "services.families",
    "reservations": "services.reservations",
    "billing": "services.billing",
    "notifier": "services.notifier",
    "gateway": "gateway",
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of `pid` and its children still running (the workers)."""
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                        pids.append(int(entry))
    for one in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


TAG = secrets.token_hex(4)
NAMESPACE = f"bench_{TAG}"


@dataclass
class Part:
    name: str
    port: int
    workers: int
    process: asyncio.subprocess.Process | None = field(default=None, repr=False)
    # Its own database (None: the gateway has none), named after the stack's prefix.
    database: str | None = None
    log: Path = LOGS / "bench-part.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        assert self.process is not None
        return process_tree_cpu(self.process.pid)


@dataclass
class Stack:
    parts: dict[str, Part]
    env: dict[str, str] = field(default_factory=dict)
    namespace: str = NAMESPACE

    def url(self, name: str) -> str:
        return self.parts[name].url

    def cpu(self) -> dict[str, float]:
        return {name: part.cpu() for name, part in self.parts.items()}

    async def start(self, name: str) -> None:
        """Start (or start again) one part and wait until it is ready."""
        part = self.parts[name]
        part.log.parent.mkdir(parents=True, exist_ok=True)
        serve = [] if name == "gateway" else ["serve"]
        with part.log.open("ab") as log:
            # A session of its own: its workers are killed with it (`kill`).
            part.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", PARTS[name], *serve, cwd=ROOT, env=self.env, stdout=log,
                stderr=log, start_new_session=True)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            await wait_ready(http, part)

    async def kill(self, name: str) -> None:
        """SIGKILL one part and its workers at once, as a crash or the OOM killer would: no
        shutdown code runs, its connections drop mid-request."""
        process = self.parts[name].process
        assert process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()

    def database_dsn(self, name: str) -> str:
        from services.common.settings import replace_database

        database = self.parts[name].database
        assert database is not None
        return replace_database(CommonSettings().pg_dsn, database)


def environment(parts: dict[str, Part], namespace: str = NAMESPACE) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PORTAIL_ENV": "development", "PORTAIL_NAMESPACE": namespace,
                "PORTAIL_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"})
    for name, part in parts.items():
        prefix = name.upper()
        env[f"{prefix}_PORT"] = str(part.port)
        env[f"{prefix}_WORKERS"] = str(part.workers)
        env.pop(f"{prefix}_METRICS_PORT", None)
        env[f"PORTAIL_{prefix}_URL"] = part.url
        if part.database is not None:
            env[f"{prefix}_DATABASE"] = part.database
    return env


async def wait_ready(http: aiohttp.ClientSession, part: Part, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert part.process is not None
        if part.process.returncode is not None:
            raise RuntimeError(f"{part.name} stopped; see {part.log}")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with http.get(part.url + "/readyz") as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.3)
    raise RuntimeError(f"{part.name} not ready; see {part.log}")


@contextlib.asynccontextmanager
async def stack(workers: dict[str, int], *, env: dict[str, str] | None = None,
                namespace: str = NAMESPACE, prefix: str = "bench", logs: Path = LOGS
                ) -> AsyncIterator[Stack]:
    """The parts named in `workers` (auth first: the others fetch its keys), each with that
    many worker processes, `env` added to their environment; stopped, their databases dropped
    and their queues deleted after. Databases are `<prefix>_<part>_<tag>`, logs
    `<logs>/<prefix>-<part>.log`."""
    parts = {name: Part(name, free_port(), count,
                        database=None if name == "gateway" else f"{prefix}_{name}_{TAG}",
                        log=logs / f"{prefix}-{name}.log")
             for name, count in workers.items()}
    started = Stack(parts, {**environment(parts, namespace), **(env or {})}, namespace)
    try:
        if "auth" in parts:
            await started.start("auth")
        await asyncio.gather(*(started.start(name) for name in parts if name != "auth"))
        yield started
    finally:
        for part in parts.values():
            if part.process is not None and part.process.returncode is None:
                part.process.send_signal(signal.SIGTERM)
        for part in parts.values():
            if part.process is not None:
                try:
                    await asyncio.wait_for(part.process.wait(), 20)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(part.process.pid, signal.SIGKILL)
                    await part.process.wait()
        await clean_up(parts, namespace, started.env)


async def clean_up(parts: dict[str, Part], namespace: str = NAMESPACE,
                   env: dict[str, str] | None = None) -> None:
    """Drop the databases, delete the queues and the exchange of the stack's namespace: each
    part's (with the retry delays `env` gave it) and the main queues the publishers declared
    for the consumers that did not run."""
    settings = CommonSettings()
    for part in parts.values():
        if part.database is not None:
            await drop_database(settings.pg_dsn, part.database)
    bus = Bus(settings.amqp_url, namespace)
    try:
        await bus.connect()
    except Exception as exc:  # the figures are taken: say what is left, do not lose them
        print(f"   queues of {namespace} not deleted (broker: {exc!r})", file=sys.stderr)
        return
    try:
        names = set(bus.topology_queues())
        for part in parts.values():
            names.update(await queue_names(part, namespace, env or {}))
        for name in sorted(names):
            assert bus.connection is not None
            channel = await bus.connection.channel()
            with contextlib.suppress(Exception):
                await channel.queue_delete(name)
            with contextlib.suppress(Exception):
                await channel.close()
        assert bus.connection is not None
        channel = await bus.connection.channel()
        with contextlib.suppress(Exception):
            await channel.exchange_delete(f"{namespace}.events")
    finally:
        await bus.close()


async def queue_names(part: Part, namespace: str = NAMESPACE,
                      env: dict[str, str] | None = None) -> list[str]:
    """The queues a part's consumer declares (its app built, not started, to list them); its
    retry queues are named after the delays `env` gave it."""
    if part.name == "gateway":
        return []
    module = __import__(f"{PARTS[part.name]}.app", fromlist=["create_app"])
    settings_module = __import__(f"{PARTS[part.name]}.settings", fromlist=["Settings"])
    delays = (env or {}).get(f"{part.name.upper()}_RETRY_DELAYS")
    overrides = {} if delays is None else {"retry_delays": json.loads(delays)}
    settings: Any = settings_module.Settings(namespace=namespace, database=part.database,
                                             **overrides)
    app = module.create_app(settings=settings)
    if keys.HANDLERS not in app:
        return []
    consumer = Consumer(Bus(settings.amqp_url, namespace), None,  # type: ignore[arg-type]
                        name=settings.service_name, retry_delays=settings.retry_delays)
    for event_type, handler in app[keys.HANDLERS](app).items():
        consumer.subscribe(event_type, handler)
    return consumer.queue_names()
