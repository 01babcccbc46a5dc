"""`make run`: the mail sink, every service and the gateway as local processes, with demo data.

Logs go to var/log/<part>.log (JSON lines); warnings and errors are echoed here.
Ctrl-C stops everything this started.
"""

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import aiohttp

from services.common.demo import (
    DEMO_AGENT_EMAIL,
    DEMO_PARENT2_EMAIL,
    DEMO_PARENT_EMAIL,
    DEMO_PASSWORD,
)

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "log"
PYTHON = sys.executable
ECHOES: set[asyncio.Task[None]] = set()


@dataclass
class Part:
    name: str
    module: str
    port: int
    seed: bool = False  # has a `seed-demo` command
    ready_path: str = "/readyz"
    process: asyncio.subprocess.Process | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def workers(self) -> int:
        """Processes serving the part's port (`<PART>_WORKERS`; the gateway: one per core)."""
        default = len(os.sched_getaffinity(0)) if self.name == "gateway" else 1
        return int(os.environ.get(f"{self.name.upper()}_WORKERS") or default)


# Order matters: auth publishes the keys every other part verifies tokens with.
PARTS = [
    Part("auth", "services.auth", 8081, seed=True),
    Part("families", "services.families", 8082, seed=True),
    Part("reservations", "services.reservations", 8083, seed=True),
    Part("billing", "services.billing", 8084, seed=True),
    Part("notifier", "services.notifier", 8085),
    Part("gateway", "gateway", 8080),
]
MAIL_PORT = 8025


def environment() -> dict[str, str]:
    env = dict(os.environ)
    for part in PARTS:  # what the banner says is what runs
        env[f"{part.name.upper()}_WORKERS"] = str(part.workers)
    env.setdefault("PORTAIL_ENV", "development")
    env.setdefault("PORTAIL_PUBLIC_URL", "http://127.0.0.1:8080")
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def spawn(name: str, *args: str) -> asyncio.subprocess.Process:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        PYTHON, *args, cwd=ROOT, env=environment(), stdout=log, stderr=asyncio.subprocess.PIPE,
        start_new_session=True)  # Ctrl-C reaches us only; we stop the children in order
    ECHOES.add(task := asyncio.create_task(echo(name, process, log)))
    task.add_done_callback(ECHOES.discard)
    return process


async def echo(name: str, process: asyncio.subprocess.Process, log: BinaryIO) -> None:
    """Copy a child's stderr to its log file, echoing warnings and errors to the console."""
    assert process.stderr is not None
    async for raw in process.stderr:
        log.write(raw)
        log.flush()
        line = raw.decode(errors="replace").rstrip()
        try:
            entry = json.loads(line)
            level, message = entry.get("level", ""), entry.get("msg", line)
        except ValueError:
            level, message = "", line
        if level in ("warning", "error", "critical") or (not level and line):
            print(f"[{name}] {level or 'out'}: {message}", flush=True)


async def wait_ready(session: aiohttp.ClientSession, part: Part, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if part.process is not None and part.process.returncode is not None:
            raise RuntimeError(f"{part.name} stopped (exit {part.process.returncode}); "
                               f"see var/log/{part.name}.log")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(part.url + part.ready_path) as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.3)
    raise RuntimeError(f"{part.name} not ready after {timeout:.0f} s; see var/log/{part.name}.log")


async def seed(part: Part) -> None:
    process = await asyncio.create_subprocess_exec(
        PYTHON, "-m", part.module, "seed-demo", cwd=ROOT, env=environment(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"demo data of {part.name} failed:\n{output.decode(errors='replace')}")


async def stop_all(processes: list[asyncio.subprocess.Process]) -> None:
    for process in reversed(processes):
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()


def banner(parts: list[Part]) -> str:
    gateway = next(p for p in parts if p.name == "gateway")
    lines = [
        "",
        "Portail Famille is running.",
        f"  Portail (parents)      {gateway.url}/",
        f"  Gestion (agents)       {gateway.url}/gestion",
        f"  E-mails envoyés        {gateway.url}/dev/mails",
        "  Services               " + ", ".join(f"{p.name} {p.url}" for p in parts
                                             if p.name != "gateway"),
        f"  Mail sink (SMTP)       127.0.0.1:{MAIL_PORT} → var/maildir/",
        "  Worker processes       " + ", ".join(f"{p.name} {p.workers}" for p in parts)
        + " (<PART>_WORKERS)",
        "",
        "Demo logins (password for all: " + DEMO_PASSWORD + ")",
        f"  parent  {DEMO_PARENT_EMAIL}",
        f"  parent  {DEMO_PARENT2_EMAIL} (second household: shares Hugo, alternate weeks)",
        f"  agent   {DEMO_AGENT_EMAIL}",
        "",
        "Logs in var/log/. Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


async def main() -> int:
    processes: list[asyncio.subprocess.Process] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        processes.append(await spawn("mailsink", "-m", "deploy.mailsink", "--port",
                                     str(MAIL_PORT)))
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
            for part in PARTS:
                part.process = await spawn(part.name, "-m", part.module)
                processes.append(part.process)
                if part.name == "auth":  # others fetch its keys at start-up
                    await wait_ready(session, part)
            await asyncio.gather(*(wait_ready(session, p) for p in PARTS))
        for part in PARTS:
            if part.seed:
                await seed(part)
        print(banner(PARTS), flush=True)
        watchers = [asyncio.create_task(p.wait()) for p in processes]
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopper, *watchers], return_when=asyncio.FIRST_COMPLETED)
        if stopper not in done:
            print("a process stopped on its own; stopping everything (see var/log/)",
                  file=sys.stderr)
            return 1
        return 0
    except RuntimeError as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping…", flush=True)
        await stop_all(processes)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
