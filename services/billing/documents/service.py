"""Use cases of documents: a PDF rendered once per version, then served from the cache."""

import uuid
from typing import Any

from services.billing.documents import repo
from services.billing.documents.render import Renderer
from services.billing.invoicing.schemas import CreditNoteOut, InvoiceOut
from services.common.db import Conn

METHOD_LABELS = {
    "online": "Paiement en ligne (carte bancaire)",
    "cheque": "Chèque",
    "cash": "Espèces",
    "cesu": "CESU",
    "holiday_vouchers": "Chèques vacances",
    "direct_debit": "Prélèvement",
}
# What the invoice shows of itself; its state and the in-progress flags are not printed (and
# must not make a new version).
NOT_PRINTED = {"state", "payable_online", "payment_in_progress", "items", "payments"}


async def cached_pdf(conn: Conn, renderer: Renderer, *, owner_id: uuid.UUID, kind: str,
                     template: str, context: dict[str, Any]) -> bytes:
    """The PDF of this version of the document: from the cache, else rendered and kept."""
    version = renderer.version(template, context)
    found = await repo.get_document(conn, owner_id, kind, version)
    if found is not None:
        return found
    async with conn.transaction():
        await repo.lock_owner(conn, owner_id, kind)
        found = await repo.get_document(conn, owner_id, kind, version)
        if found is not None:  # rendered by another request while we waited
            return found
        pdf = await renderer.render(template, context)
        await repo.put_document(conn, owner_id, kind, version, pdf)
        return pdf


def invoice_context(invoice: InvoiceOut, *, portal_url: str) -> dict[str, Any]:
    return {
        "invoice": invoice.model_dump(exclude=NOT_PRINTED),
        "payments": [{"at": p.at, "label": METHOD_LABELS.get(p.method, p.method),
                      "amount_cents": p.amount_cents}
                     for p in invoice.payments if p.state == "validated"],
        "recipient": {"name": invoice.family_name, "address": invoice.address.model_dump()},
        "portal_url": portal_url,
    }


async def invoice_pdf(conn: Conn, renderer: Renderer, *, invoice: InvoiceOut,
                      portal_url: str) -> bytes:
    return await cached_pdf(conn, renderer, owner_id=invoice.id, kind="invoice",
                            template="invoice.html",
                            context=invoice_context(invoice, portal_url=portal_url))


async def credit_note_pdf(conn: Conn, renderer: Renderer, *, note: CreditNoteOut,
                          recipient: dict[str, Any]) -> bytes:
    return await cached_pdf(conn, renderer, owner_id=note.id, kind="credit_note",
                            template="credit_note.html",
                            context={"note": note.model_dump(), "recipient": recipient})
