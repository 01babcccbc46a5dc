"""« Mon compte famille »: the parent's dashboard, one template per block."""

from aiohttp import web

from gateway.dashboard import load_dashboard
from gateway.messages import RESERVATION_STATES
from gateway.pages.billing import legends
from gateway.pages.reservations_list import offers_in, reservation_legend
from gateway.render import PARENT_HOME, STAFF_HOME, redirect, render
from gateway.session import require_session

routes = web.RouteTableDef()

# The dashboard's blocks, in order: a later area adds or replaces its block template here.
BLOCKS = [
    "blocks/informations.html",
    "blocks/children.html",
    "blocks/reservations.html",
    "blocks/invoices.html",
]


@routes.get(PARENT_HOME)
async def dashboard(request: web.Request) -> web.StreamResponse:
    session = await require_session(request)
    if session.principal.is_staff:
        return redirect(STAFF_HOME)
    data = await load_dashboard(request)
    return render(request, "dashboard.html", {
        "dashboard": data, "blocks": BLOCKS,
        # The reservations block: its states, their legend and the places offered.
        "reservation_states": RESERVATION_STATES, "reservation_legend": reservation_legend(),
        "reservation_offers": offers_in(data.reservations),
        # The billing block: the states of invoices and payments and their legends.
        **legends()})
