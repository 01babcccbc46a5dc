"""The HTTP API is described in /openapi.json (the contract the gateway builds on)."""

from tests.service.reservations.helpers import Reservations

KERNEL = {"/healthz", "/readyz", "/metrics", "/openapi.json"}


async def test_every_route_is_documented(reservations: Reservations) -> None:
    doc = (await reservations.call("GET", "/openapi.json")).body

    served = {(r.method.lower(), r.resource.canonical)
              for r in reservations.server.app.router.routes()
              if r.resource is not None and r.method != "HEAD"
              and r.resource.canonical not in KERNEL}
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented
    submit = doc["paths"]["/families/{family_id}/reservations"]["post"]
    assert submit["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SubmissionIn"}
    assert "security" not in doc["paths"]["/offers/reply"]["post"]
