"""An explicit check of a PES V2 ORMC file, in place of the DGFiP's XSD (not published where
our documentation search reaches): the elements we write, in order, with their cardinality
and the form of each `V` value, then the sums and keys the accountant's system checks.

Run on every file before it is kept, so a file that breaks these rules is never offered."""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from xml.etree import ElementTree as ET

from services.billing.pes.builder import NAMESPACE, cle2

TEXT = r"[A-Z0-9]+(?:[ -]+[A-Z0-9]+)*"
AMOUNT = r"[0-9]{1,12}\.[0-9]{2}"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


@dataclass(frozen=True)
class Node:
    tag: str
    value: str | None = None  # the pattern of V; None: a container
    max_length: int | None = None
    optional: bool = False
    repeated: bool = False
    children: tuple["Node", ...] = field(default_factory=tuple)


def leaf(tag: str, pattern: str, max_length: int | None = None, *,
         optional: bool = False) -> Node:
    return Node(tag, pattern, max_length, optional)


def box(tag: str, *children: Node, optional: bool = False, repeated: bool = False) -> Node:
    return Node(tag, None, None, optional, repeated, children)


LAYOUT = box(
    "PES_Aller",
    box("Enveloppe",
        box("Parametres", leaf("Version", "2"), leaf("TypFic", "PESORMC"),
            leaf("NomFic", r"[A-Za-z0-9]{1,96}\.xml", 100)),
        box("Emetteur", leaf("Sigle", TEXT, 32), leaf("Adresse", TEXT, 38))),
    box("EnTetePES",
        leaf("DteStr", DATE), leaf("IdPost", r"[0-9]{6,7}"), leaf("IdColl", r"[0-9]{14}"),
        leaf("CodCol", r"[0-9]{3}"), leaf("CodBud", r"[0-9A-Z][0-9]"),
        leaf("LibelleColBud", TEXT, 38)),
    box("PES_RecetteAller",
        box("EnTeteRecette", leaf("IdVer", "2"), leaf("InfoDematerialisee", "0")),
        box("Bordereau",
            box("BlocBordereau",
                leaf("Exer", r"[0-9]{4}"), leaf("IdBord", r"[0-9]{7}"),
                leaf("DteBordEm", DATE), leaf("TypBord", "06"),
                leaf("NbrPce", r"[1-9][0-9]{0,4}"), leaf("MtBordHt", AMOUNT),
                leaf("DteAsp", DATE), leaf("Objet", TEXT, 160)),
            box("Piece",
                box("BlocPiece",
                    leaf("IdPce", r"[1-9][0-9]{0,7}"), leaf("TypPce", "15"),
                    leaf("NatPce", "01"), leaf("ObjPce", TEXT, 160),
                    leaf("DebFact", DATE), leaf("FinFact", DATE),
                    leaf("NumDette", r"[0-9]{1,15}"), leaf("Per", r"[0-9]"),
                    leaf("Cle2", r"[A-HJ-NP-Y]"), leaf("NumeroFacture", r"[A-Z0-9-]{1,20}")),
                box("LigneDePiece",
                    box("BlocLignePiece",
                        box("InfoLignePiece",
                            leaf("IdLigne", r"[1-9][0-9]{0,5}"), leaf("ObjLignePce", TEXT, 160),
                            leaf("CodProdLoc", r"[0-9A-Za-z]{1,4}"), leaf("Nature", "588"),
                            leaf("Fonction", r"[0-9A-Za-z]{1,10}", optional=True),
                            leaf("Majo", "0"), leaf("TvaIntraCom", "0"),
                            leaf("MtHT", AMOUNT))),
                    box("Tiers",
                        box("InfoTiers",
                            leaf("CatTiers", "01"), leaf("NatJur", "01"), leaf("TypTiers", "01"),
                            leaf("Nom", TEXT, 38), leaf("Prenom", TEXT, 38, optional=True)),
                        box("Adresse",
                            leaf("TypAdr", "1"), leaf("Adr2", TEXT, 38),
                            leaf("Adr3", TEXT, 38, optional=True), leaf("CP", r"[0-9]{5}"),
                            leaf("Ville", TEXT, 38), leaf("CodRes", "0"))),
                    repeated=True),
                repeated=True))))


def problems(xml: bytes) -> list[str]:
    """Every way `xml` departs from the layout and its sums (empty: the file is sound)."""
    if not xml.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>"):
        return ["declaration: XML 1.0 in ISO-8859-1 expected"]
    try:
        root = ET.fromstring(xml)  # noqa: S314 -- our own file, built by builder.py
    except ET.ParseError as exc:
        return [f"not well-formed: {exc}"]
    found: list[str] = []
    if root.tag != f"{{{NAMESPACE}}}PES_Aller":
        return [f"root: {root.tag} instead of n:PES_Aller"]
    _check_children(root, LAYOUT, "PES_Aller", found)
    if not found:
        found.extend(_check_sums(root))
    return found


def _check_children(element: ET.Element, node: Node, path: str, found: list[str]) -> None:
    if element.text and element.text.strip():
        found.append(f"{path}: text content is not allowed")
    if node.value is not None:
        value = element.get("V")
        if list(element.attrib) != ["V"] or value is None:
            found.append(f"{path}: exactly one attribute V expected")
        elif not re.fullmatch(node.value, value):
            found.append(f"{path}: V={value!r} does not match {node.value}")
        elif node.max_length is not None and len(value) > node.max_length:
            found.append(f"{path}: V longer than {node.max_length}")
        if len(element):
            found.append(f"{path}: no child element expected")
        return
    if element.attrib and path != "PES_Aller":
        found.append(f"{path}: no attribute expected")
    children = list(element)
    index = 0
    for expected in node.children:
        count = 0
        while index < len(children) and children[index].tag == expected.tag:
            _check_children(children[index], expected, f"{path}/{expected.tag}", found)
            index += 1
            count += 1
        if count == 0 and not expected.optional:
            found.append(f"{path}: {expected.tag} missing (or out of order)")
        if count > 1 and not expected.repeated:
            found.append(f"{path}: {expected.tag} repeated")
    for extra in children[index:]:
        found.append(f"{path}: unexpected {extra.tag}")


def _v(element: ET.Element, path: str) -> str:
    """The V of the element at `path` (the layout, checked first, guarantees it)."""
    found = element.find(path)
    value = found.get("V") if found is not None else None
    if value is None:
        raise ValueError(f"{path} missing")
    return value


def _cents(value: str) -> int:
    return int(Decimal(value) * 100)


def _check_sums(root: ET.Element) -> list[str]:
    """NbrPce, MtBordHt = Σ pièces = Σ lignes, pieces numbered 1…n, Cle2, positive lines."""
    found: list[str] = []
    bordereau = root.find("PES_RecetteAller/Bordereau")
    assert bordereau is not None
    year = int(_v(bordereau, "BlocBordereau/Exer"))
    pieces = bordereau.findall("Piece")
    if _v(bordereau, "BlocBordereau/NbrPce") != str(len(pieces)):
        found.append("NbrPce differs from the number of pieces")
    total = 0
    for number, piece in enumerate(pieces, start=1):
        if _v(piece, "BlocPiece/IdPce") != str(number):
            found.append(f"piece {number}: IdPce out of sequence")
        debt = _v(piece, "BlocPiece/NumDette")
        if _v(piece, "BlocPiece/Cle2") != cle2(year, int(_v(piece, "BlocPiece/Per")), debt):
            found.append(f"piece {number}: wrong Cle2")
        for line in piece.findall("LigneDePiece"):
            cents = _cents(_v(line, "BlocLignePiece/InfoLignePiece/MtHT"))
            if cents <= 0:
                found.append(f"piece {number}: a line of zero")
            total += cents
    if _cents(_v(bordereau, "BlocBordereau/MtBordHt")) != total:
        found.append("MtBordHt differs from the sum of the lines")
    if total <= 0:
        found.append("MtBordHt must be positive")
    return found
