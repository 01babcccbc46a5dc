"""PDF rendering with WeasyPrint: our templates, our fonts, and nothing from the network.

Fonts are the DejaVu Sans files shipped in `assets/fonts` (declared with @font-face), so a
document looks the same on every machine whatever fonts it has installed. The URL fetcher
serves only files under `assets/`: any other URL (http, https, data, a file elsewhere) is
refused, so a document can never make the server fetch anything.
"""

import asyncio
import hashlib
import json
import logging
import mimetypes
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from services.billing.documents import formats
from services.common.settings import Organisation

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
TEMPLATES = HERE / "templates"


class AssetsOnly(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no types
    """Serves the application's own assets; refuses every other URL (and notes it)."""

    def __init__(self, root: Path = ASSETS) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = root.resolve()
        self.refused: list[str] = []
        self._cache: dict[Path, bytes] = {}

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
        if path is None or parts.netloc not in ("", "localhost") or not path.is_relative_to(
                self.root) or not path.is_file():
            self.refused.append(url)
            log.warning("document resource refused", extra={"url": url[:200]})
            raise ValueError("only the application's own assets may be used in a document")
        body = self._cache.get(path)
        if body is None:
            body = self._cache[path] = path.read_bytes()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body, {"Content-Type": kind})


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(formats.FILTERS)
    return env


def content_hash(template: str, context: dict[str, Any]) -> str:
    """What identifies a document's version: its template and everything it prints."""
    text = json.dumps({"template": template, "context": context}, sort_keys=True,
                      default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class Renderer:
    """Renders documents of one organisation, one at a time on a worker thread (WeasyPrint is
    CPU-bound; the event loop keeps serving meanwhile)."""

    def __init__(self, organisation: Organisation) -> None:
        self.organisation = organisation
        self.env = make_environment()
        self.fetcher = AssetsOnly()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf")

    def html(self, template: str, context: dict[str, Any]) -> str:
        return self.env.get_template(template).render(
            **context, org=self.organisation, assets=ASSETS.as_uri())

    def pdf(self, html: str) -> bytes:
        """The PDF of `html`; relative URLs point into `assets/`, the only ones served."""
        document = HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=self.fetcher)
        pdf: bytes = document.write_pdf(font_config=FontConfiguration())
        return pdf

    def render_sync(self, template: str, context: dict[str, Any]) -> bytes:
        return self.pdf(self.html(template, context))

    async def render(self, template: str, context: dict[str, Any]) -> bytes:
        return await self.render_html(self.html(template, context))

    async def render_html(self, html: str) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.pdf, html)

    def version(self, template: str, context: dict[str, Any]) -> str:
        return content_hash(template, {**context, "org": self.organisation.model_dump()})

    def close(self) -> None:
        self._executor.shutdown(wait=True)
