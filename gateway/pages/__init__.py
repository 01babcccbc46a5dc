"""HTML pages, one module per area; each module has `routes` (an aiohttp RouteTableDef)."""

from aiohttp import web

from gateway import keys
from gateway.pages import (
    account,
    billing,
    children,
    dashboard,
    devmail,
    family,
    legal,
    profile,
    reservations,
    reservations_list,
    staff,
    staff_billing,
    staff_catalogue,
    staff_families,
    staff_households,
    staff_lottery,
    staff_pes,
    staff_reservations,
    waiting_room,
)

# Add an area's module here (its routes are registered in this order).
AREAS = [account, dashboard, profile, family, children, staff, staff_families, staff_households,
         staff_reservations, staff_catalogue, staff_lottery, reservations, reservations_list,
         billing, staff_billing, staff_pes, legal, waiting_room]


def setup_pages(app: web.Application) -> None:
    for area in AREAS:
        app.router.add_routes(area.routes)
    if app[keys.SETTINGS].is_development:
        app.router.add_routes(devmail.routes)
