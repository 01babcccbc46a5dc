"""The image's health check: exit 0 when the part this container runs is ready.

The part is read from the container's main command (`python -m services.auth`, `python -m
gateway`, `python -m deploy.mailsink --port N`); its port from `<PART>_PORT` or the default.
A service or the gateway is ready when `/readyz` answers 200; the mail catcher when its SMTP
port accepts. `PORTAIL_HEALTH_URL` overrides the address checked. Standard library only: it
runs every few seconds.
"""

import os
import socket
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

DEFAULT_PORTS = {"gateway": 8080, "auth": 8081, "families": 8082, "reservations": 8083,
                 "billing": 8084, "notifier": 8085}


def main_command(pid: int = 1) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def target(command: Sequence[str], environ: dict[str, str]) -> tuple[str, str, int]:
    """("http", url, 0) or ("smtp", host, port) for the part `command` runs."""
    if environ.get("PORTAIL_HEALTH_URL"):
        return "http", environ["PORTAIL_HEALTH_URL"], 0
    module = command[command.index("-m") + 1] if "-m" in command[:-1] else ""
    if module == "deploy.mailsink":
        port = command[command.index("--port") + 1] if "--port" in command[:-1] else "8025"
        return "smtp", "127.0.0.1", int(port)
    part = module.removeprefix("services.")
    if part not in DEFAULT_PORTS:
        raise SystemExit(f"no health check for {' '.join(command)!r}")
    http_port = int(environ.get(f"{part.upper()}_PORT") or DEFAULT_PORTS[part])
    return "http", f"http://127.0.0.1:{http_port}/readyz", 0


def check(kind: str, address: str, port: int, timeout: float = 4.0) -> bool:
    try:
        if kind == "smtp":
            with socket.create_connection((address, port), timeout=timeout) as conn:
                return conn.recv(3) == b"220"
        with urllib.request.urlopen(address, timeout=timeout) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except OSError:
        return False


def main() -> int:
    return 0 if check(*target(main_command(), dict(os.environ))) else 1


if __name__ == "__main__":
    sys.exit(main())
