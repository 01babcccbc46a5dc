"""HTTP routes of the billing service, one table per subject."""

from aiohttp import web

from services.billing.documents.routes import routes as documents
from services.billing.invoicing.routes import routes as invoicing
from services.billing.payments.routes import routes as payments
from services.billing.pes.routes import routes as pes
from services.billing.sepa.routes import routes as direct_debit

SUBJECTS = [invoicing, documents, payments, pes, direct_debit]


def setup_routes(app: web.Application) -> None:
    for table in SUBJECTS:
        app.router.add_routes(table)
