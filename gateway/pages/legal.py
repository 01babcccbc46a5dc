"""The legal pages every page's footer links to: « Mentions légales », « Données
personnelles », « Déclaration d'accessibilité ». Their wording is in `templates/legal/`, which
the organisation may replace (`GATEWAY_TEMPLATES_OVERRIDE`); what only it knows (director,
host, DPO, conformity state) is in the settings."""

from aiohttp import web

from gateway.render import render
from gateway.session import authenticate

routes = web.RouteTableDef()

PAGES = {
    "/mentions-legales": "legal/mentions.html",
    "/donnees-personnelles": "legal/donnees.html",
    "/accessibilite": "legal/accessibilite.html",
}


async def legal_page(request: web.Request) -> web.StreamResponse:
    await authenticate(request)  # the header of a logged-in visitor
    return render(request, PAGES[request.path])


for _path in PAGES:
    routes.get(_path)(legal_page)
