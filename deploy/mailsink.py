"""Development mail sink: an SMTP server keeping every message as a file in a Maildir.

`python -m deploy.mailsink [--host 127.0.0.1] [--port 8025] [--maildir var/maildir]`
"""

import argparse
import mailbox
import signal
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

DEFAULT_PORT = 8025
DEFAULT_MAILDIR = Path("var/maildir")


class _MaildirHandler:
    def __init__(self, maildir: Path) -> None:
        maildir.parent.mkdir(parents=True, exist_ok=True)
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(maildir, create=True)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.SMTP)
        if "X-Envelope-To" not in message:
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.box.add(message)
        return "250 Message accepted"


class MailSink:
    """An aiosmtpd server in a thread of its own (start/stop from any code, tests included)."""

    def __init__(self, maildir: Path = DEFAULT_MAILDIR, *, host: str = "127.0.0.1",
                 port: int = DEFAULT_PORT) -> None:
        self.maildir = maildir
        self.host = host
        self.port = port
        self.controller = Controller(_MaildirHandler(maildir), hostname=host, port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        return read_maildir(self.maildir)


def read_maildir(maildir: Path) -> list[EmailMessage]:
    """The messages of a Maildir, oldest first (missing folder: none)."""
    files = [p for sub in ("new", "cur") if (maildir / sub).is_dir()
             for p in (maildir / sub).iterdir() if p.is_file()]
    files.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
    messages = []
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.mailsink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--maildir", type=Path, default=DEFAULT_MAILDIR)
    args = parser.parse_args()
    sink = MailSink(args.maildir, host=args.host, port=args.port)
    sink.start()
    print(f"mail sink on smtp://{args.host}:{args.port}, messages in {args.maildir}/", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
