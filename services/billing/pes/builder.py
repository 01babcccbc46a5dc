"""The PES V2 ORMC file (PES_Aller with one recette bordereau) built from a batch's pieces.

Our own writing of the DGFiP's published layout (PES V2 « Rev0 » aller, recette, bordereau
type 06 ORMC, pièces type 15 « titre ORMC »), read alongside Noethysweb's export:
- every value is an attribute `V`; texts are upper-case ASCII letters, digits, hyphens and
  spaces (the schema's text type), cut to their maximum length;
- amounts are euros with two decimals and a dot; there is no VAT on these services, so MtHT
  carries the whole amount and no MtTVA is written (« montant HT ou TTC si TVA non remplie »);
- one piece per invoice, mono-débiteur (the family), with the billed month (DebFact, FinFact),
  one line per establishment billed, whose CodProdLoc (and Fonction, when the budget is voted
  by function) comes from the configured imputation (Nature 588 for ORMC lines);
- NumDette is the invoice's number as digits (year then sequence), Per 1 (the invoice is one
  period), Cle2 the modulo-23 key of (year's last two digits, Per, « 00 », NumDette on 13
  digits) that the accountant's system checks; NumeroFacture the number as printed.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from xml.etree import ElementTree as ET

from services.common.formats import MONTHS

NAMESPACE = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
ENCODING = "ISO-8859-1"
FILE_TYPE = "PESORMC"
BORDEREAU_ORMC = "06"
PIECE_ORMC = "15"
NATURE_OPERATING = "01"  # fonctionnement
DEBTOR_PRIVATE_PERSON = ("01", "01", "01")  # CatTiers, NatJur, TypTiers (débiteur principal)
MOD23 = "ABCDEFGHJKLMNPQRSTUVWXY"
SENDER = "PORTAIL FAMILLE"
SENDER_APPLICATION = "PORTAIL FAMILLE PES 1"


@dataclass(frozen=True)
class Collectivity:
    siret: str
    collectivity_code: str
    budget_code: str
    budget_label: str
    post_id: str
    object: str


@dataclass(frozen=True)
class Line:
    label: str  # « Accueil de loisirs Les Pins novembre 2026 »
    product_code: str
    nature: str
    amount_cents: int
    function: str | None = None


@dataclass(frozen=True)
class Debtor:
    last_name: str
    first_name: str | None
    address_line1: str
    address_line2: str | None
    postal_code: str
    city: str


@dataclass(frozen=True)
class Piece:
    number: int  # IdPce: 1, 2, … within the bordereau
    invoice_number: str  # F-2026-000123
    debtor: Debtor
    lines: list[Line]

    @property
    def amount_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


@dataclass(frozen=True)
class Batch:
    year: int
    seq: int
    month: date
    built_on: date
    filename: str
    pieces: list[Piece]

    @property
    def total_cents(self) -> int:
        return sum(piece.amount_cents for piece in self.pieces)


def filename(collectivity: Collectivity, year: int, seq: int) -> str:
    """The file's name: letters and digits only (NomFic), with the year and sequence."""
    return f"ORMC{collectivity.collectivity_code}{collectivity.budget_code}{year}{seq:07d}.xml"


def text(value: str, limit: int) -> str:
    """The schema's text: ASCII upper case, digits, hyphens and single spaces, cut."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    kept = "".join(c if c.isalnum() or c == "-" else " " for c in ascii_text.upper())
    return " ".join(kept.split())[:limit].strip(" -")


def amount(cents: int) -> str:
    """1234 → « 12.34 »."""
    whole, rest = divmod(cents, 100)
    return f"{whole}.{rest:02d}"


def debt_number(invoice_number: str) -> str:
    """F-2026-000123 → « 2026000123 » (NumDette is digits only)."""
    return "".join(c for c in invoice_number if c.isdigit())


def cle2(year: int, period: int, debt: str) -> str:
    """The modulo-23 key of an ORMC article: year's last two digits, period, « 00 », debt."""
    digits = f"{year % 100:02d}{period}00{int(debt):013d}"
    return MOD23[int(digits) % 23]


def last_day(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_words(month: date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def split_name(name: str) -> tuple[str, str | None]:
    """A family's name as the debtor's: « Famille Martin » → (« MARTIN », None). Billing holds
    the family's name, not the guardian's first name, which stays out rather than guessed."""
    words = name.split()
    if len(words) > 1 and words[0].lower() == "famille":
        words = words[1:]
        if len(words) > 1 and words[0].lower() in ("de", "des", "du"):
            words = words[1:]
    return " ".join(words), None


def _v(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag, V=value)


def build(collectivity: Collectivity, batch: Batch) -> bytes:
    """The file of `batch`, encoded as the accountant's system reads it (ISO-8859-1)."""
    ET.register_namespace("n", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}PES_Aller")

    envelope = ET.SubElement(root, "Enveloppe")
    parameters = ET.SubElement(envelope, "Parametres")
    _v(parameters, "Version", "2")
    _v(parameters, "TypFic", FILE_TYPE)
    _v(parameters, "NomFic", batch.filename)
    sender = ET.SubElement(envelope, "Emetteur")
    _v(sender, "Sigle", SENDER)
    _v(sender, "Adresse", SENDER_APPLICATION)

    header = ET.SubElement(root, "EnTetePES")
    _v(header, "DteStr", batch.built_on.isoformat())
    _v(header, "IdPost", collectivity.post_id)
    _v(header, "IdColl", collectivity.siret)
    _v(header, "CodCol", collectivity.collectivity_code)
    _v(header, "CodBud", collectivity.budget_code)
    _v(header, "LibelleColBud", text(collectivity.budget_label, 38))

    income = ET.SubElement(root, "PES_RecetteAller")
    income_header = ET.SubElement(income, "EnTeteRecette")
    _v(income_header, "IdVer", "2")
    _v(income_header, "InfoDematerialisee", "0")

    bordereau = ET.SubElement(income, "Bordereau")
    block = ET.SubElement(bordereau, "BlocBordereau")
    _v(block, "Exer", str(batch.year))
    _v(block, "IdBord", f"{batch.seq:07d}")
    _v(block, "DteBordEm", batch.built_on.isoformat())
    _v(block, "TypBord", BORDEREAU_ORMC)
    _v(block, "NbrPce", str(len(batch.pieces)))
    _v(block, "MtBordHt", amount(batch.total_cents))
    _v(block, "DteAsp", batch.built_on.isoformat())
    _v(block, "Objet", text(f"{collectivity.object} {month_words(batch.month)}", 160))

    for piece in batch.pieces:
        _piece(bordereau, batch, collectivity, piece)

    ET.indent(root)
    body: bytes = ET.tostring(root, encoding=ENCODING, xml_declaration=True)
    return body


def _piece(bordereau: ET.Element, batch: Batch, collectivity: Collectivity,
           piece: Piece) -> None:
    element = ET.SubElement(bordereau, "Piece")
    block = ET.SubElement(element, "BlocPiece")
    debt = debt_number(piece.invoice_number)
    _v(block, "IdPce", str(piece.number))
    _v(block, "TypPce", PIECE_ORMC)
    _v(block, "NatPce", NATURE_OPERATING)
    _v(block, "ObjPce", text(f"{collectivity.object} {month_words(batch.month)} facture "
                             f"{piece.invoice_number}", 160))
    _v(block, "DebFact", batch.month.isoformat())
    _v(block, "FinFact", last_day(batch.month).isoformat())
    _v(block, "NumDette", debt)
    _v(block, "Per", "1")
    _v(block, "Cle2", cle2(batch.year, 1, debt))
    _v(block, "NumeroFacture", piece.invoice_number[:20])

    category, legal_nature, debtor_type = DEBTOR_PRIVATE_PERSON
    for index, line in enumerate(piece.lines, start=1):
        line_element = ET.SubElement(element, "LigneDePiece")
        line_block = ET.SubElement(line_element, "BlocLignePiece")
        info = ET.SubElement(line_block, "InfoLignePiece")
        _v(info, "IdLigne", str(index))
        _v(info, "ObjLignePce", text(line.label, 160))
        _v(info, "CodProdLoc", line.product_code)
        _v(info, "Nature", line.nature)
        if line.function:
            _v(info, "Fonction", line.function)
        _v(info, "Majo", "0")
        _v(info, "TvaIntraCom", "0")
        _v(info, "MtHT", amount(line.amount_cents))

        tiers = ET.SubElement(line_element, "Tiers")
        tiers_info = ET.SubElement(tiers, "InfoTiers")
        _v(tiers_info, "CatTiers", category)
        _v(tiers_info, "NatJur", legal_nature)
        _v(tiers_info, "TypTiers", debtor_type)
        _v(tiers_info, "Nom", text(piece.debtor.last_name, 38))
        if piece.debtor.first_name:
            _v(tiers_info, "Prenom", text(piece.debtor.first_name, 38))
        address = ET.SubElement(tiers, "Adresse")
        _v(address, "TypAdr", "1")
        _v(address, "Adr2", text(piece.debtor.address_line1, 38))
        if piece.debtor.address_line2 and text(piece.debtor.address_line2, 38):
            _v(address, "Adr3", text(piece.debtor.address_line2, 38))
        _v(address, "CP", piece.debtor.postal_code)
        _v(address, "Ville", text(piece.debtor.city, 38))
        _v(address, "CodRes", "0")
