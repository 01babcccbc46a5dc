"""HTTP routes of the reservations service, one table per subject."""

from aiohttp import web

from services.reservations.catalogue.routes import routes as catalogue
from services.reservations.lottery.routes import routes as lottery
from services.reservations.planning.routes import routes as planning
from services.reservations.staff.routes import routes as staff
from services.reservations.submissions.routes import routes as submissions
from services.reservations.waitlist.routes import routes as waitlist


def setup_routes(app: web.Application) -> None:
    for table in (catalogue, planning, submissions, waitlist, staff, lottery):
        app.router.add_routes(table)
