"""PayFiP's SOAP 1.1 envelopes (document/literal), built and read with the standard library.

Wrapper elements are in the service's namespace; `arg0`, `return` and their fields are
unqualified strings. Business errors are SOAP faults whose `detail` carries
`FonctionnelleErreur` (code, libellé…); technical ones name another exception class.
SOAP 1.1 forbids a document type declaration: one is refused before parsing, so no entity is
ever defined, let alone expanded; ElementTree resolves no external entity anyway, and the expat
it runs on (≥ 2.4.1, checked below) bounds entity expansion besides.
"""

import pyexpat
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = ("http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
              "contrat_paiement_securise/PaiementSecuriseService")
FAULT_PACKAGE = "fr.gouv.finances.cp.tpa.webservice.exceptions."
BUSINESS = "FonctionnelleErreur"
TECHNICAL = ("TechDysfonctionnementErreur", "TechIndisponibiliteErreur", "TechProtocolaireErreur")
MAX_BYTES = 256 * 1024

_EXPAT = tuple(int(p) for p in pyexpat.EXPAT_VERSION.removeprefix("expat_").split(".")[:3])
if _EXPAT < (2, 4, 1):  # pragma: no cover - a very old system library
    raise RuntimeError(f"{pyexpat.EXPAT_VERSION} is too old to read PayFiP's answers safely")



class SoapError(ValueError):
    """Not an envelope we can read."""


@dataclass(frozen=True)
class Fault:
    kind: str  # FonctionnelleErreur, TechIndisponibiliteErreur…
    code: str
    label: str

    @property
    def technical(self) -> bool:
        return self.kind != BUSINESS


def _envelope(element: ET.Element) -> bytes:
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(element)
    return bytes(ET.tostring(envelope, encoding="utf-8", xml_declaration=True))


def _fields(parent: ET.Element, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        ET.SubElement(parent, name).text = value


def request(operation: str, fields: dict[str, str]) -> bytes:
    """`<ns2:operation><arg0><field>…</field>…</arg0></ns2:operation>` in an envelope."""
    wrapper = ET.Element(f"{{{SERVICE_NS}}}{operation}")
    _fields(ET.SubElement(wrapper, "arg0"), fields)
    return _envelope(wrapper)


def response(operation: str, fields: dict[str, str]) -> bytes:
    wrapper = ET.Element(f"{{{SERVICE_NS}}}{operation}Response")
    _fields(ET.SubElement(wrapper, "return"), fields)
    return _envelope(wrapper)


def fault(code: str, label: str, *, kind: str = BUSINESS) -> bytes:
    element = ET.Element(f"{{{SOAP_ENV}}}Fault")
    ET.SubElement(element, "faultcode").text = "S:Server"
    ET.SubElement(element, "faultstring").text = FAULT_PACKAGE + kind
    detail = ET.SubElement(ET.SubElement(element, "detail"), f"{{{SERVICE_NS}}}{kind}")
    _fields(detail, {"code": code, "descriptif": label, "libelle": label, "message": label,
                     "severite": "2"})
    return _envelope(element)


def _body(data: bytes) -> ET.Element:
    if len(data) > MAX_BYTES:
        raise SoapError("envelope too large")
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise SoapError("a SOAP message carries no document type declaration")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD (refused above), see the docstring
    except ET.ParseError as exc:
        raise SoapError(f"not XML: {exc}") from exc
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if root.tag != f"{{{SOAP_ENV}}}Envelope" or body is None or len(body) != 1:
        raise SoapError("not a SOAP 1.1 envelope with one body element")
    return body[0]


def _flat(parent: ET.Element | None) -> dict[str, str]:
    if parent is None:
        return {}
    return {child.tag: (child.text or "") for child in parent if "}" not in child.tag}


def read_request(data: bytes) -> tuple[str, dict[str, str]]:
    """(operation, arg0's fields) of a request (the sandbox's side)."""
    element = _body(data)
    if not element.tag.startswith(f"{{{SERVICE_NS}}}"):
        raise SoapError(f"unknown element {element.tag}")
    return element.tag.split("}", 1)[1], _flat(element.find("arg0"))


def read_response(operation: str, data: bytes) -> dict[str, str] | Fault:
    """`return`'s fields of an answer, or the fault it carries (the client's side)."""
    element = _body(data)
    if element.tag == f"{{{SOAP_ENV}}}Fault":
        kind = (element.findtext("faultstring") or "").rsplit(".", 1)[-1]
        detail = element.find("detail")
        info = _flat(detail[0]) if detail is not None and len(detail) else {}
        return Fault(kind or "inconnue", info.get("code", ""),
                     info.get("libelle") or info.get("message") or "")
    if element.tag != f"{{{SERVICE_NS}}}{operation}Response":
        raise SoapError(f"unexpected answer {element.tag}")
    return _flat(element.find("return"))
