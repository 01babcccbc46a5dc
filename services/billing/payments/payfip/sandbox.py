"""The PayFiP sandbox: the same SOAP operations, envelopes and faults as PayFiP, and the page
`/tpa/paiementws.web?idop=…` with « Payer », « Refuser », « Abandonner », which then calls
`urlnotif` (once, twice or not at all) and sends the browser to `urlredirect`.

Served by the billing service under /payfip-sandbox in development and tests only (settings
refuse it in production). Operations live in this process's memory: one billing process, as
`make run` and the tests start it; a restart forgets them, as PayFiP purges old ones (P1).
"""

import html
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from services.billing.payments.bounds import ONLINE_MAX_CENTS, ONLINE_MIN_CENTS
from services.billing.payments.payfip import fields, soap
from services.billing.payments.payfip.provider import PAGE_PATH, SERVICE_PATH
from services.common import keys as common_keys
from services.common.formats import euros

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
ACTIONS = {"pay": "P", "refuse": "R", "abandon": "A"}


@dataclass
class Operation:
    id: str
    fields: dict[str, str]
    result: str | None = None
    at: datetime | None = None
    numauto: str | None = None
    # What the detail answers instead of the stored field (tests of tampered answers).
    overrides: dict[str, str] = field(default_factory=dict)


class Sandbox:
    """The operations the sandbox knows (by idOp)."""

    def __init__(self) -> None:
        self.operations: dict[str, Operation] = {}
        self.client_labels = {"libelleN1": "Régie enfance jeunesse (bac à sable)",
                              "libelleN2": "Communauté de communes", "libelleN3": ""}

    def create(self, arguments: dict[str, str]) -> str | bytes:
        """The new idOp, or the fault PayFiP would answer."""
        checks: list[tuple[str, str, Any]] = [
            ("R1", "Numéro de client invalide", lambda v: fields.check_numcli(v)),
            ("R3", "Le format du paramètre REFDET n'est pas conforme",
             lambda v: fields.check_refdet(v)),
            ("A2", "Adresse mel invalide", lambda v: fields.check_mel(v)),
        ]
        names = {"R1": "numcli", "R3": "refdet", "A2": "mel"}
        for code, label, check in checks:
            try:
                check(arguments.get(names[code], ""))
            except fields.FieldRefused:
                return soap.fault(code, label)
        montant = arguments.get("montant", "")
        if not (montant.isascii() and montant.isdigit() and len(montant) <= 9
                and ONLINE_MIN_CENTS <= int(montant) < ONLINE_MAX_CENTS):
            return soap.fault("R2", "Le montant n'est pas valide")
        objet = arguments.get("objet", "")
        if objet != fields.clean_objet(objet):
            return soap.fault("R4", "Le format du paramètre OBJET n'est pas conforme")
        if arguments.get("saisie") not in ("T", "X", "W"):
            return soap.fault("R5", "Le mode de saisie n'est pas valide")
        for url in ("urlnotif", "urlredirect"):
            if urlsplit(arguments.get(url, "")).scheme not in ("http", "https"):
                return soap.fault("R6", f"Le paramètre {url.upper()} n'est pas valide")
        operation = Operation(str(uuid.uuid4()), dict(arguments))
        self.operations[operation.id] = operation
        return operation.id

    def detail(self, operation_id: str) -> bytes:
        operation = self.operations.get(operation_id)
        if operation is None:
            return soap.fault("P1", "IdOp incorrect")
        if operation.result is None:
            return soap.fault("P5", "Résultat de la transaction non connu")
        at = operation.at or datetime.now(PARIS)
        answer = {
            "dattrans": f"{at:%d%m%Y}", "exer": operation.fields.get("exer", ""),
            "heurtrans": f"{at:%H%M}", "idOp": operation.id,
            "mel": operation.fields.get("mel", ""), "montant": operation.fields["montant"],
            "numauto": operation.numauto or "", "numcli": operation.fields["numcli"],
            "objet": operation.fields.get("objet", ""), "refdet": operation.fields["refdet"],
            "resultrans": operation.result, "saisie": operation.fields.get("saisie", "T"),
        }
        answer.update(operation.overrides)
        return soap.response("recupererDetailPaiementSecurise", answer)

    def decide(self, operation: Operation, result: str) -> None:
        operation.result = result
        operation.at = datetime.now(PARIS)
        operation.numauto = f"{secrets.randbelow(10**6):06d}" if result in ("P", "V") else None


SANDBOX = web.AppKey("payfip_sandbox", Sandbox)


async def service(request: web.Request) -> web.Response:
    """The SOAP endpoint (document/literal over POST)."""
    sandbox = request.app[SANDBOX]
    try:
        operation, arguments = soap.read_request(await request.read())
    except soap.SoapError:
        return _soap(soap.fault("T1", "Requête invalide", kind="TechProtocolaireErreur"))
    if operation == "creerPaiementSecurise":
        created = sandbox.create(arguments)
        if isinstance(created, bytes):
            return _soap(created)
        return _soap(soap.response("creerPaiementSecurise", {"idOp": created}))
    if operation == "recupererDetailPaiementSecurise":
        return _soap(sandbox.detail(arguments.get("idOp", "")))
    if operation == "recupererDetailClient":
        if arguments.get("numCli") is None:
            return _soap(soap.fault("R1", "Numéro de client invalide"))
        return _soap(soap.response("recupererDetailClient", {
            **sandbox.client_labels, "numcli": arguments.get("numCli", "")}))
    return _soap(soap.fault("T1", "Opération inconnue", kind="TechProtocolaireErreur"))


def _soap(body: bytes) -> web.Response:
    status = 500 if b"Fault>" in body else 200  # SOAP 1.1: a fault comes with a 500
    return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")


PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title} — PayFiP (bac à sable)</title>
<style>body{{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1e1e1e}}
.warn{{background:#fff4e5;border-left:4px solid #b35c00;padding:.5rem 1rem}}
button{{font-size:1rem;padding:.6rem 1rem;margin:.3rem .3rem .3rem 0}}
dt{{font-weight:bold}}dd{{margin:0 0 .5rem}}</style></head>
<body><main><h1>{title}</h1>
<p class="warn">Bac à sable de développement : aucun paiement réel n'a lieu.</p>
{body}</main></body></html>"""


def _page(title: str, body: str, *, status: int = 200) -> web.Response:
    return web.Response(text=PAGE.format(title=html.escape(title), body=body), status=status,
                        content_type="text/html")


async def payment_page(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    operation_id = request.query.get("idop", "")
    operation = sandbox.operations.get(operation_id)
    if operation is None:
        return _page("Opération inconnue", "<p>Cette opération de paiement est inconnue ou a "
                     "expiré.</p>", status=404)
    if operation.result is not None:
        return _page("Paiement déjà traité", "<p>Cette opération a déjà été traitée.</p>",
                     status=409)
    amount = euros(int(operation.fields["montant"]))
    esc = html.escape
    body = f"""<dl><dt>Montant</dt><dd>{esc(amount)}</dd>
<dt>Objet</dt><dd>{esc(operation.fields.get("objet", ""))}</dd>
<dt>Référence</dt><dd>{esc(operation.fields["refdet"])}</dd>
<dt>Adresse e-mail</dt><dd>{esc(operation.fields.get("mel", ""))}</dd></dl>
<form method="post" action="">
<input type="hidden" name="idop" value="{esc(operation.id)}">
<p><label for="notify">Notification au site</label>
<select id="notify" name="notify">
<option value="once">Une fois</option><option value="twice">Deux fois</option>
<option value="none">Aucune</option></select></p>
<p><button type="submit" name="action" value="pay">Payer</button>
<button type="submit" name="action" value="refuse">Refuser</button>
<button type="submit" name="action" value="abandon">Abandonner</button></p>
</form>"""
    return _page("Paiement sécurisé", body)


async def _notify(http: aiohttp.ClientSession, url: str, operation_id: str, *, spelling: str,
                  method: str) -> None:
    """What PayFiP does: tell urlnotif the operation id, nothing else."""
    try:
        if method == "GET":
            separator = "&" if "?" in url else "?"
            target = url + separator + urlencode({spelling: operation_id})
            async with http.get(target, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                await resp.read()
        else:
            async with http.post(url, data={spelling: operation_id},
                                 timeout=aiohttp.ClientTimeout(total=10)) as resp:
                await resp.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("sandbox notification failed", extra={"error": repr(exc)})


async def act(request: web.Request) -> web.StreamResponse:
    """« Payer », « Refuser » or « Abandonner »: then the notification(s) and the redirect."""
    sandbox = request.app[SANDBOX]
    form = await request.post()
    operation = sandbox.operations.get(str(form.get("idop", "")))
    result = ACTIONS.get(str(form.get("action", "")))
    if operation is None or result is None:
        return _page("Opération inconnue", "<p>Cette opération de paiement est inconnue ou a "
                     "expiré.</p>", status=404)
    if operation.result is not None:
        return _page("Paiement déjà traité", "<p>Cette opération a déjà été traitée.</p>",
                     status=409)
    sandbox.decide(operation, result)
    notify = str(form.get("notify", "once"))
    http = request.app[common_keys.HTTP]
    if notify in ("once", "twice"):
        await _notify(http, operation.fields["urlnotif"], operation.id, spelling="idop",
                      method="POST")
    if notify == "twice":
        await _notify(http, operation.fields["urlnotif"], operation.id, spelling="idOp",
                      method="GET")
    target = operation.fields["urlredirect"]
    separator = "&" if "?" in target else "?"
    raise web.HTTPSeeOther(target + separator + urlencode({"idop": operation.id}))


async def control(request: web.Request) -> web.Response:
    """Tests steer an operation: `{"result": "P"}` decides it without notifying, `{"forget":
    true}` purges it (P1 afterwards), other fields change what the detail answers."""
    sandbox = request.app[SANDBOX]
    operation = sandbox.operations.get(request.match_info["operation_id"])
    if operation is None:
        raise web.HTTPNotFound()
    body = await request.json()
    if body.get("forget"):
        del sandbox.operations[operation.id]
    elif "result" in body:
        sandbox.decide(operation, str(body["result"]))
    operation.overrides.update({k: str(v) for k, v in body.items()
                                if k in ("montant", "refdet", "numcli", "resultrans")})
    return web.json_response({"idop": operation.id, "result": operation.result,
                              "fields": operation.fields})


def setup_sandbox(app: web.Application, prefix: str) -> None:
    app[SANDBOX] = Sandbox()
    app.router.add_post(prefix + SERVICE_PATH, service)
    app.router.add_get(prefix + PAGE_PATH, payment_page)
    app.router.add_post(prefix + PAGE_PATH, act)
    app.router.add_post(prefix + "/control/{operation_id}", control)
