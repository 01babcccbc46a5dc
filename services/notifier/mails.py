"""Mails: French templates (text and HTML) rendered with the letterhead into MIME messages."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2

from services.common.dates import PARIS
from services.common.formats import datetime_label, day_label
from services.notifier.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Mail:
    """One mail an event calls for: to whom (and in what role), which template, what data."""

    recipient_kind: str  # unique within the event: the sent log's key with the event id
    to: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def recipient_domain(self) -> str:
        return self.to.rpartition("@")[2].lower()


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def french_duration(delta: timedelta) -> str | None:
    """« 30 minutes », « 1 heure », « 24 heures », « 7 jours »; None for a past deadline."""
    minutes = round(delta.total_seconds() / 60)
    if minutes <= 0:
        return None
    if minutes < 60 or (minutes < 120 and minutes % 60):
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = round(minutes / 60)
    if hours < 48:
        return "1 heure" if hours == 1 else f"{hours} heures"
    return f"{round(hours / 24)} jours"


def capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # HTML is escaped; the plain-text part and the subject are not HTML.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["capfirst"] = capfirst
    env.filters["datetime"] = datetime_label
    env.filters["date"] = day_label
    return env


class Renderer:
    """Renders mails for one organisation and one public address of the portal."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env = make_environment()

    def link(self, path: str, **query: str) -> str:
        """An absolute link to a page of the gateway."""
        return f"{self.settings.public_url.rstrip('/')}{path}?{urlencode(query)}"

    def render(self, mail: Mail) -> Rendered:
        context = {
            **mail.context,
            "lh": self.settings.organisation,
            "portal_url": self.settings.public_url.rstrip("/") + "/",
            "recipient": mail.to,
        }
        subject = self.env.get_template(f"{mail.template}.subject.txt").render(context)
        return Rendered(
            subject=" ".join(subject.split()),
            text=self.env.get_template(f"{mail.template}.txt").render(context),
            html=self.env.get_template(f"{mail.template}.html").render(context),
        )

    def message_id(self, event_id: uuid.UUID, recipient_kind: str) -> str:
        """The same for every attempt at the same mail, so a receiver can spot a duplicate."""
        domain = self.settings.sender_address.rpartition("@")[2] or "portail.invalid"
        return f"<{event_id}.{recipient_kind}@{domain}>"

    def message(self, mail: Mail, *, event_id: uuid.UUID, now: datetime) -> EmailMessage:
        """The multipart/alternative message: plain text first, HTML preferred."""
        rendered = self.render(mail)
        message = EmailMessage()
        message["From"] = formataddr((self.settings.sender_name, self.settings.sender_address))
        message["To"] = mail.to
        message["Subject"] = rendered.subject
        message["Date"] = format_datetime(now.astimezone(PARIS))
        message["Message-ID"] = self.message_id(event_id, mail.recipient_kind)
        # RFC 3834: sent by a program, so auto-responders stay quiet.
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        # After the content: setting it clears the Content-* headers.
        message["Content-Language"] = "fr"
        return message
