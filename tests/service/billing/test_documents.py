"""Invoice and credit note PDFs: what they say (text extracted from the PDF), French formats,
rendered once per version, and nothing ever fetched from the network while rendering."""

import io
import re
import uuid
from datetime import date, timedelta
from typing import Any

import pypdf
from aiohttp import web

from services.billing.documents.render import ASSETS, AssetsOnly, Renderer
from services.common.settings import CommonSettings
from tests.service.billing.helpers import (
    Billing,
    Family,
    fresh_month,
    line,
    new_unit,
    parent,
    staff,
)
from tests.support import free_port, serve


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of spaces and line breaks made one plain space (a cell
    may wrap a name or an amount)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


async def invoiced_family(billing: Billing) -> tuple[Family, dict[str, Any]]:
    month = fresh_month()
    day_unit, meal = new_unit("Journée"), new_unit("Midi (repas)")
    await billing.tariff(day_unit, [(450, 800), (None, 123450)], reduction=10)
    await billing.tariff(meal, [(None, 350)], childcare=False)
    family = await billing.family(qf=1200, name="Famille Lefèvre")
    eldest = family.child("Hugo", date(2016, 9, 1))
    youngest = family.child("Léa", date(2021, 4, 1))
    await billing.book(family, [
        line(family, eldest, day_unit, month),
        line(family, youngest, day_unit, month),
        line(family, youngest, meal, month),
        line(family, youngest, meal, month + timedelta(days=1)),
    ])
    await billing.run(month)
    invoice = (await billing.invoices_of(family))[0]
    return family, invoice


async def test_the_invoice_pdf_holds_the_number_lines_and_totals_in_french(
        billing: Billing) -> None:
    family, invoice = await invoiced_family(billing)

    answer = await billing.call("GET", f"/families/{family.id}/invoices/{invoice['id']}/pdf",
                                headers=parent(family.id))

    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/pdf"
    assert f'facture-{invoice["number"]}.pdf' in answer.headers["Content-Disposition"]
    text = pdf_text(answer.body)
    for expected in (
        f"N° {invoice['number']}",
        "Service jeunesse", "Communauté de communes du Clermontais",
        "20 avenue Raymond Lacombe, 34800 Clermont-l'Hérault",
        "Famille Lefèvre", "12 rue des Oliviers",
        "Hugo Lefèvre", "Léa Lefèvre", "Journée", "Midi (repas)",
        "1 234,50 €",  # the eldest's day, top bracket
        "1 111,05 €",  # the youngest's, 10 % off
        "3,50 €", "7,00 €",  # two meals
        "Total de la facture 2 352,55 €", "Reste à payer 2 352,55 €",
        "Tarifs appliqués selon votre quotient familial : 1200.",
    ):
        assert expected in text, expected
    assert "−10 % (1 234,50 €)" in text


async def test_a_pdf_is_rendered_once_per_version(billing: Billing) -> None:
    family, invoice = await invoiced_family(billing)
    path = f"/families/{family.id}/invoices/{invoice['id']}/pdf"

    first = await billing.call("GET", path, headers=parent(family.id))
    second = await billing.call("GET", f"/invoices/{invoice['id']}/pdf", headers=staff())
    async with billing.db.acquire() as conn:
        cached = await conn.fetch("SELECT content_hash FROM documents WHERE owner_id = $1",
                                  uuid.UUID(str(invoice["id"])))
    credited = await billing.call("POST", f"/invoices/{invoice['id']}/credit-notes",
                                  headers=staff(), json={"reason": "Geste commercial"})
    third = await billing.call("GET", path, headers=parent(family.id))
    async with billing.db.acquire() as conn:
        after = await conn.fetch("SELECT content_hash FROM documents WHERE owner_id = $1",
                                 uuid.UUID(str(invoice["id"])))

    assert first.body == second.body
    assert len(cached) == 1
    assert credited.status == 201
    # A credit note makes a new version: rendered again, the old one dropped.
    assert third.body != first.body
    assert len(after) == 1 and after[0]["content_hash"] != cached[0]["content_hash"]
    assert "Avoirs -2 352,55 €" in pdf_text(third.body)


async def test_the_credit_note_pdf_names_its_invoice(billing: Billing) -> None:
    family, invoice = await invoiced_family(billing)
    note = (await billing.call("POST", f"/invoices/{invoice['id']}/credit-notes",
                               headers=staff(), json={"reason": "Fermeture exceptionnelle"})).body

    answer = await billing.call(
        "GET", f"/families/{family.id}/credit-notes/{note['id']}/pdf",
        headers=parent(family.id))

    text = pdf_text(answer.body)
    assert f"N° {note['number']}" in text
    assert f"Sur la facture {invoice['number']}" in text
    assert "Motif : Fermeture exceptionnelle" in text


async def test_rendering_never_fetches_from_the_network() -> None:
    hits: list[str] = []

    async def spy(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=b"GIF89a", content_type="image/gif")

    spy_app = web.Application()
    spy_app.router.add_get("/{tail:.*}", spy)
    port = free_port()
    renderer = Renderer(CommonSettings().organisation)
    try:
        async with serve(spy_app, port=port):
            html = (f'<p>Bonjour</p><img src="http://127.0.0.1:{port}/pixel.gif">'
                    f'<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">'
                    f'<img src="file:///etc/hostname"><img src="data:image/gif;base64,R0lGOD">'
                    f'<img src="../render.py">')
            pdf = await renderer.render_html(html)
    finally:
        renderer.close()

    assert pdf.startswith(b"%PDF")
    assert "Bonjour" in pdf_text(pdf)
    assert hits == []
    refused = renderer.fetcher.refused
    assert f"http://127.0.0.1:{port}/pixel.gif" in refused
    assert f"http://127.0.0.1:{port}/style.css" in refused
    assert "file:///etc/hostname" in refused
    assert any(url.startswith("data:") for url in refused)
    assert any(url.endswith("/render.py") for url in refused)


def test_the_fetcher_serves_the_applications_own_assets() -> None:
    fetcher = AssetsOnly()

    response = fetcher.fetch((ASSETS / "fonts" / "DejaVuSans.ttf").as_uri())

    assert response.read()[:4] == b"\x00\x01\x00\x00"
    assert fetcher.refused == []
