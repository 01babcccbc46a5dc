"""The PayFiP provider: `creerPaiementSecurise` to start, `recupererDetailPaiementSecurise` to
learn the outcome, `recupererDetailClient` to check the configuration (PAYFIP.md). The same
code talks to PayFiP in production and to the sandbox elsewhere: only the base URL differs."""

import logging
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp

from services.billing.payments.payfip import fields, soap
from services.billing.payments.provider import (
    Outcome,
    PaymentProvider,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    Started,
    Status,
)

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
SERVICE_PATH = "/tpa/services/securite"
PAGE_PATH = "/tpa/paiementws.web"
# resultrans → our state (PAYFIP.md): P card paid, V debit paid, R/Z refused, A abandoned.
RESULTS: dict[str, Status] = {"P": "validated", "V": "validated", "R": "refused",
                              "Z": "refused", "A": "cancelled"}
UNKNOWN_YET = "P5"  # « Résultat de la transaction non connu »: ask again later
UNKNOWN_OPERATION = "P1"  # « IdOp incorrect »: unknown or purged


def paid_at(dattrans: str, heurtrans: str) -> datetime | None:
    """DDMMYYYY and HHMM, Paris time."""
    try:
        return datetime.strptime(dattrans + heurtrans, "%d%m%Y%H%M").replace(tzinfo=PARIS)
    except ValueError:
        return None


class PayfipProvider(PaymentProvider):
    name = "payfip"

    def __init__(self, http: aiohttp.ClientSession, *, base_url: str, numcli: str,
                 saisie: str, timeout: float = 15.0) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.numcli = fields.check_numcli(numcli)
        self.saisie = saisie
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    def payment_page(self, operation_id: str) -> str:
        return f"{self.base_url}{PAGE_PATH}?{urlencode({'idop': operation_id})}"

    async def _call(self, operation: str, arguments: dict[str, str]) -> dict[str, str]:
        """`return`'s fields; ProviderRefused for a business fault, ProviderUnavailable for a
        technical one or no answer."""
        try:
            async with self.http.post(
                    self.base_url + SERVICE_PATH, data=soap.request(operation, arguments),
                    headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
                    timeout=self.timeout) as resp:
                body = await resp.content.read(soap.MAX_BYTES + 1)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("PayFiP unreachable", extra={"operation": operation,
                                                     "error": repr(exc)})
            raise ProviderUnavailable(operation) from exc
        try:
            answer = soap.read_response(operation, body)
        except soap.SoapError as exc:
            log.warning("PayFiP answer unreadable", extra={"operation": operation,
                                                           "status": status,
                                                           "error": str(exc)})
            raise ProviderUnavailable(operation) from exc
        if isinstance(answer, soap.Fault):
            if answer.technical:
                log.warning("PayFiP technical fault", extra={
                    "operation": operation, "kind": answer.kind, "code": answer.code})
                raise ProviderUnavailable(f"{answer.kind} {answer.code}")
            raise ProviderRefused(answer.code, answer.label)
        return answer

    async def start(self, request: PaymentRequest) -> Started:
        arguments = {
            "exer": str(request.year),
            "mel": fields.check_mel(request.email),
            "montant": fields.check_montant(request.amount_cents),
            "numcli": self.numcli,
            "objet": fields.clean_objet(request.label),
            "refdet": fields.check_refdet(request.reference),
            "saisie": self.saisie,
            "urlnotif": request.notify_url,
            "urlredirect": request.return_url,
        }
        answer = await self._call("creerPaiementSecurise", arguments)
        operation_id = answer.get("idOp", "")
        if not operation_id:
            raise ProviderUnavailable("creerPaiementSecurise answered no idOp")
        return Started(operation_id, self.payment_page(operation_id))

    async def outcome(self, operation_id: str) -> Outcome:
        try:
            answer = await self._call("recupererDetailPaiementSecurise", {"idOp": operation_id})
        except ProviderRefused as refused:
            if refused.code == UNKNOWN_YET:
                return Outcome("unknown", refused.code)
            if refused.code == UNKNOWN_OPERATION:
                return Outcome("expired", refused.code)
            log.error("PayFiP refused a detail request", extra={"code": refused.code,
                                                               "label": refused.label})
            return Outcome("refused", refused.code)
        result = answer.get("resultrans", "")
        status = RESULTS.get(result)
        if status is None:
            log.error("PayFiP result unknown, taken as refused", extra={"resultrans": result})
            status = "refused"
        montant = answer.get("montant", "")
        return Outcome(
            status, result,
            amount_cents=int(montant) if montant.isascii() and montant.isdigit()
            and len(montant) <= 9 else None,
            reference=answer.get("refdet"), client=answer.get("numcli"),
            paid_at=paid_at(answer.get("dattrans", ""), answer.get("heurtrans", "")),
            authorisation=answer.get("numauto") or None)

    async def check_configuration(self) -> str:
        answer = await self._call("recupererDetailClient", {"numCli": self.numcli})
        return " / ".join(v for k, v in sorted(answer.items()) if k.startswith("libelle") and v)
