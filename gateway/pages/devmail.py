"""/dev/mails: the development mail sink's messages, links clickable (never in production)."""

import asyncio
import mailbox
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup, escape

from gateway import keys
from gateway.render import render
from gateway.security import NO_REFERRER
from services.common.errors import NotFound

routes = web.RouteTableDef()

PARIS = ZoneInfo("Europe/Paris")
_KEY = re.compile(r"^[A-Za-z0-9._,:=-]{1,200}$")
_URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Mail:
    key: str
    date: datetime | None
    to: str
    sender: str
    subject: str
    text: str
    html: str | None


def _parse(key: str, path: Path) -> Mail:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    try:
        date = parsedate_to_datetime(str(message["Date"])).astimezone(PARIS)
    except (TypeError, ValueError):
        date = datetime.fromtimestamp(path.stat().st_mtime, PARIS)
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    html = message.get_body(preferencelist=("html",))
    return Mail(key=key, date=date, to=str(message.get("To", "")),
                sender=str(message.get("From", "")), subject=str(message.get("Subject", "")),
                text=str(text), html=str(html.get_content()) if html is not None else None)


def _files(maildir: Path) -> dict[str, Path]:
    """Maildir key → file, for the messages of `new/` and `cur/`."""
    out: dict[str, Path] = {}
    for sub in ("new", "cur"):
        folder = maildir / sub
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file():
                    out[path.name.split(mailbox.Maildir.colon)[0]] = path
    return out


def _read_all(maildir: Path) -> list[Mail]:
    mails = [_parse(key, path) for key, path in _files(maildir).items()]
    mails.sort(key=lambda m: (m.date or datetime.min.replace(tzinfo=PARIS), m.key),
               reverse=True)
    return mails


def _read_one(maildir: Path, key: str) -> Mail | None:
    path = _files(maildir).get(key)
    return _parse(key, path) if path is not None else None


def linkify(text: str) -> Markup:
    """The text, escaped, with its web addresses as links."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;)")
        out.append(escape(text[last:match.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.start() + len(url)
    out.append(escape(text[last:]))
    return Markup("").join(out)


@routes.get("/dev/mails")
async def mails(request: web.Request) -> web.StreamResponse:
    request[NO_REFERRER] = True
    maildir = request.app[keys.SETTINGS].maildir
    found = await asyncio.to_thread(_read_all, maildir)
    return render(request, "dev/mails.html", {"mails": found, "maildir": maildir})


async def _found(request: web.Request) -> Mail:
    request[NO_REFERRER] = True
    key = request.match_info["key"]
    if not _KEY.match(key):
        raise NotFound("Ce message n'existe pas.")
    found = await asyncio.to_thread(_read_one, request.app[keys.SETTINGS].maildir, key)
    if found is None:
        raise NotFound("Ce message n'existe pas.")
    return found


@routes.get("/dev/mails/{key}")
async def mail(request: web.Request) -> web.StreamResponse:
    found = await _found(request)
    return render(request, "dev/mail.html", {"mail": found, "body": linkify(found.text)})


# The mail's own HTML as a mail client shows it: sandboxed (no script, no form, its own
# origin), nothing fetched, its inline styles allowed.
HTML_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@routes.get("/dev/mails/{key}/html")
async def mail_html(request: web.Request) -> web.StreamResponse:
    found = await _found(request)
    if found.html is None:
        raise NotFound("Ce message n'a pas de version HTML.")
    return web.Response(text=found.html, content_type="text/html",
                        headers={"Content-Security-Policy": HTML_CSP})
