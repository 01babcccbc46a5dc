"""Use cases of PES exports: preview a month, prepare (or rebuild) its batch, serve the file,
mark it as sent, drop a draft.

What a piece claims, as Noethysweb does (its pieces are invoices, of their « solde actuel »):
what the invoice still asks for when the batch is built — its total less the credit notes
issued so far (line by line) and less the validated payments (taken off the lines in order).
A credit note is never a piece of its own. Left out, with the reason shown: an invoice of
zero, credited in full, already paid, or that our own SEPA debit is collecting (planned or
in a bank batch; a rejected or cancelled debit brings it back). A draft whose invoice was
credited or paid since must be rebuilt before it is sent. A credit note or payment after the
batch was sent is the accountant's business (a réduction / annulation of the title, or the
payment matched to it in Hélios), never a change to the sent file.
"""

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.billing.fields import today
from services.billing.pes import builder, repo, structure
from services.billing.pes.schemas import (
    PesBatchDetail,
    PesBatchList,
    PesBatchOut,
    PesExcludedOut,
    PesLineOut,
    PesPieceOut,
    PesPreview,
)
from services.billing.settings import Settings
from services.common.db import Conn
from services.common.errors import Conflict, NotFound
from services.common.formats import datetime_label, month_label

CREDITED = "Entièrement annulée par avoir : rien à recouvrer."
ZERO = "Montant nul : rien à recouvrer."
PAID = "Déjà réglée : rien à recouvrer."
DEBITED = ("Prélèvement SEPA en cours : le service l'encaisse lui-même (elle reviendra ici si "
           "la banque le rejette).")
NO_ADDRESS = ("Adresse de la famille incomplète (rue, code postal à 5 chiffres, ville) : "
              "complétez la fiche de la famille, puis préparez de nouveau le fichier.")
NO_NAME = "Nom de la famille illisible pour le Trésor public : corrigez la fiche de la famille."
POSTAL_CODE = re.compile(r"^[0-9]{5}$")


@dataclass(frozen=True)
class Planned:
    pieces: list[tuple[asyncpg.Record, builder.Piece]]
    excluded: list[PesExcludedOut]

    @property
    def total_cents(self) -> int:
        return sum(piece.amount_cents for _, piece in self.pieces)


def collectivity(settings: Settings) -> builder.Collectivity:
    return builder.Collectivity(
        siret=settings.pes_siret, collectivity_code=settings.pes_collectivity_code,
        budget_code=settings.pes_budget_code, budget_label=settings.pes_budget_label,
        post_id=settings.pes_post_id, object=settings.pes_object)


def debtor(row: asyncpg.Record) -> builder.Debtor | None:
    """The family's current address, else the one printed on the invoice; None if neither
    is complete (the accountant's system refuses a title without one)."""
    last_name, first_name = builder.split_name(row["family_name"])
    for line1, line2, postal_code, city in (
            (row["address_line1"], row["address_line2"], row["postal_code"], row["city"]),
            (row["invoice_line1"], row["invoice_line2"], row["invoice_postal_code"],
             row["invoice_city"])):
        postal_code = (postal_code or "").strip()
        if line1 and builder.text(line1, 38) and city and builder.text(city, 38) \
                and POSTAL_CODE.match(postal_code):
            return builder.Debtor(last_name, first_name, line1, line2, postal_code, city)
    return None


async def plan(conn: Conn, settings: Settings, month: date,
               draft_id: uuid.UUID | None) -> Planned:
    """The pieces a batch of `month` would hold now (numbered 1…n), and the invoices left out
    with the reason."""
    rows = await repo.candidates(conn, month, draft_id)
    lines: dict[uuid.UUID, list[builder.Line]] = defaultdict(list)
    for net in await repo.net_by_establishment(conn, [r["id"] for r in rows]):
        if net["amount_cents"] > 0:
            imputation = settings.imputation(net["establishment_name"])
            lines[net["invoice_id"]].append(builder.Line(
                label=f"{net['establishment_name']} {builder.month_words(month)}",
                product_code=imputation.product_code, nature=imputation.nature,
                function=imputation.function, amount_cents=net["amount_cents"]))
    pieces: list[tuple[asyncpg.Record, builder.Piece]] = []
    excluded: list[PesExcludedOut] = []
    for row in rows:
        after_credits = row["total_cents"] - row["credited_cents"]
        due = after_credits - row["paid_cents"]
        reason = None
        found = debtor(row)
        if row["total_cents"] == 0:
            reason = ZERO
        elif after_credits <= 0:
            reason = CREDITED
        elif due <= 0:
            reason = PAID
        elif row["debit_pending"]:
            reason = DEBITED
        elif found is None:
            reason = NO_ADDRESS
        elif not builder.text(found.last_name, 38):
            reason = NO_NAME
        if reason is not None or found is None:
            excluded.append(PesExcludedOut(
                invoice_id=row["id"], invoice_number=row["number"], family_id=row["family_id"],
                family_name=row["family_name"], amount_cents=max(due, 0),
                reason=reason or NO_ADDRESS))
            continue
        piece = builder.Piece(len(pieces) + 1, row["number"], found,
                              less_paid(lines[row["id"]], row["paid_cents"]))
        if piece.amount_cents != due:  # the invoice's days and its total disagree: a bug
            raise RuntimeError(f"invoice {row['number']}: lines {piece.amount_cents} != due "
                               f"{due}")
        pieces.append((row, piece))
    return Planned(pieces, excluded)


def less_paid(lines: list[builder.Line], paid_cents: int) -> list[builder.Line]:
    """The lines less what was paid, taken off them in order (a line paid in full goes)."""
    left: list[builder.Line] = []
    for line in lines:
        taken = min(paid_cents, line.amount_cents)
        paid_cents -= taken
        if line.amount_cents > taken:
            left.append(replace(line, amount_cents=line.amount_cents - taken))
    return left


def piece_out(row: asyncpg.Record, piece: builder.Piece) -> PesPieceOut:
    return PesPieceOut(
        piece=piece.number, invoice_id=row["id"], invoice_number=row["number"],
        family_id=row["family_id"], family_name=row["family_name"],
        amount_cents=piece.amount_cents,
        lines=[PesLineOut(label=line.label, product_code=line.product_code,
                          amount_cents=line.amount_cents) for line in piece.lines])


def batch_out(row: asyncpg.Record) -> PesBatchOut:
    return PesBatchOut.model_validate(dict(row))


async def preview(conn: Conn, *, settings: Settings, month: date) -> PesPreview:
    """What « Préparer le fichier » would put in a batch of `month` now."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        batches = [batch_out(r) for r in await repo.batches_of_month(conn, month)]
        draft = next((b for b in batches if b.status == "draft"), None)
        if draft is None:
            draft = await current_draft(conn, settings)
        planned = await plan(conn, settings, month,
                             draft.id if draft is not None and draft.month == month else None)
    return PesPreview(month=month, pieces=[piece_out(r, p) for r, p in planned.pieces],
                      excluded=planned.excluded, total_cents=planned.total_cents, draft=draft,
                      batches=batches)


async def current_draft(conn: Conn, settings: Settings) -> PesBatchOut | None:
    row = await repo.draft_of_budget(conn, settings.pes_budget_code)
    return batch_out(row) if row is not None else None


async def prepare(conn: Conn, *, settings: Settings, month: date, actor: str
                  ) -> PesBatchDetail:
    """The batch of `month` in preparation, built now: a new one with the budget's next
    number, or the month's draft rebuilt under its own number. All or nothing."""
    async with conn.transaction():
        draft = await repo.lock_budget(conn, settings.pes_budget_code)
        if draft is not None and draft["month"] != month:
            raise Conflict(
                f"Le lot n° {draft['seq']} ({month_label(draft['month'])}) est en préparation :"
                " marquez-le comme envoyé ou abandonnez-le avant d'en préparer un autre.")
        planned = await plan(conn, settings, month, draft["id"] if draft else None)
        if not planned.pieces:
            raise Conflict(nothing_to_export(month, planned))
        year = month.year
        seq = draft["seq"] if draft else await repo.next_seq(conn, settings.pes_budget_code,
                                                             year)
        batch_id = draft["id"] if draft else uuid.uuid4()
        place = collectivity(settings)
        name = builder.filename(place, year, seq)
        xml = builder.build(place, builder.Batch(
            year=year, seq=seq, month=month, built_on=today(), filename=name,
            pieces=[piece for _, piece in planned.pieces]))
        broken = structure.problems(xml)
        if broken:
            raise RuntimeError("PES file fails its structure check: " + "; ".join(broken))
        now = datetime.now(UTC)
        if draft is None:
            await repo.insert_batch(conn, batch_id=batch_id, month=month,
                                    budget_code=settings.pes_budget_code, year=year, seq=seq,
                                    filename=name, xml=xml, pieces=len(planned.pieces),
                                    total_cents=planned.total_cents, actor=actor, at=now)
        else:
            await repo.replace_draft(conn, batch_id=batch_id, xml=xml,
                                     pieces=len(planned.pieces),
                                     total_cents=planned.total_cents, actor=actor, at=now)
        await repo.insert_pieces(conn, batch_id, [(row["id"], piece.number, piece.amount_cents)
                                                  for row, piece in planned.pieces])
        return await detail(conn, batch_id=batch_id)


def nothing_to_export(month: date, planned: Planned) -> str:
    label = month_label(month)
    if planned.excluded:
        return (f"Aucune facture de {label} ne peut être exportée : "
                f"{len(planned.excluded)} facture(s) écartée(s), voir leur motif.")
    return (f"Aucune facture de {label} à exporter : elles sont déjà toutes dans un lot envoyé, "
            "ou aucune n'a été émise pour ce mois.")


async def batches(conn: Conn, *, month: date | None) -> PesBatchList:
    rows = await (repo.batches_of_month(conn, month) if month is not None
                  else repo.recent_batches(conn, 50))
    return PesBatchList(items=[batch_out(r) for r in rows])


async def detail(conn: Conn, *, batch_id: uuid.UUID) -> PesBatchDetail:
    row = await repo.get_batch(conn, batch_id)
    if row is None:
        raise NotFound("Ce lot d'export n'existe pas.")
    items = [PesPieceOut(piece=p["piece"], invoice_id=p["invoice_id"],
                         invoice_number=p["invoice_number"], family_id=p["family_id"],
                         family_name=p["family_name"], amount_cents=p["amount_cents"])
             for p in await repo.batch_pieces(conn, batch_id)]
    return PesBatchDetail(**batch_out(row).model_dump(), items=items)


async def file(conn: Conn, *, batch_id: uuid.UUID) -> tuple[str, bytes]:
    row = await repo.get_file(conn, batch_id)
    if row is None:
        raise NotFound("Ce lot d'export n'existe pas.")
    return row["filename"], bytes(row["xml"])


def already_sent(row: Any) -> Conflict:
    return Conflict(f"Le lot n° {row['seq']} a déjà été marqué comme envoyé le "
                    f"{datetime_label(row['sent_at'])} : il ne peut plus être modifié.")


async def mark_sent(conn: Conn, *, batch_id: uuid.UUID, actor: str,
                    file_sha256: str | None = None) -> PesBatchDetail:
    """The draft becomes the sent batch: its file and invoices never change again. With
    `file_sha256` (the file the agent downloaded), refused if the file was rebuilt since."""
    async with conn.transaction():
        row = await repo.get_batch(conn, batch_id, lock=True)
        if row is None:
            raise NotFound("Ce lot d'export n'existe pas.")
        if row["status"] == "sent":
            raise already_sent(row)
        if file_sha256 is not None and file_sha256 != row["file_sha256"]:
            raise Conflict("Le fichier a été préparé de nouveau depuis votre téléchargement : "
                           "téléchargez-le de nouveau, puis marquez-le comme envoyé.")
        stale = await repo.stale_pieces(conn, batch_id)
        if stale:
            raise Conflict(f"Un avoir ou un règlement a été enregistré depuis la préparation du "
                           f"fichier (facture {', '.join(stale)}) : préparez de nouveau le "
                           "fichier, téléchargez-le, puis marquez-le comme envoyé.")
        await repo.mark_sent(conn, batch_id, actor, datetime.now(UTC))
        return await detail(conn, batch_id=batch_id)


async def drop(conn: Conn, *, batch_id: uuid.UUID) -> None:
    """Abandon a draft: its number goes to the next batch (it was never sent)."""
    async with conn.transaction():
        row = await repo.get_batch(conn, batch_id, lock=True)
        if row is None:
            raise NotFound("Ce lot d'export n'existe pas.")
        if row["status"] == "sent":
            raise already_sent(row)
        await repo.delete_draft(conn, batch_id)
