"""The development mail sink keeps each message as a file in a Maildir."""

import smtplib
from email.message import EmailMessage
from pathlib import Path

from deploy.mailsink import MailSink, read_maildir
from tests.support import free_port


def test_messages_are_kept_in_the_maildir(tmp_path: Path) -> None:
    port = free_port()
    sink = MailSink(tmp_path / "maildir", port=port)
    sink.start()
    try:
        for subject in ("Premier", "Deuxième"):
            message = EmailMessage()
            message["From"] = "portail@example.org"
            message["To"] = "parent@example.org"
            message["Subject"] = subject
            message.set_content("Bonjour,\nvoici un lien : http://127.0.0.1:8080/x\n")
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.send_message(message)
    finally:
        sink.stop()
    received = read_maildir(tmp_path / "maildir")
    assert [m["Subject"] for m in received] == ["Premier", "Deuxième"]
    assert received[1]["X-Envelope-To"] == "parent@example.org"
    assert len(list((tmp_path / "maildir" / "new").iterdir())) == 2
