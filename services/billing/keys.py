"""Application keys of the billing service (shared ones live in services.common.keys)."""

from aiohttp import web

from services.billing.documents.render import Renderer
from services.billing.payments.poller import Poller
from services.billing.payments.service import Payments
from services.billing.sepa.job import DebitJob
from services.billing.settings import Settings

SETTINGS = web.AppKey("billing_settings", Settings)
RENDERER = web.AppKey("renderer", Renderer)
PAYMENTS = web.AppKey("payments", Payments)
POLLER = web.AppKey("poller", Poller)
DEBIT_JOB = web.AppKey("debit_job", DebitJob)
