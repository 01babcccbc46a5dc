"""The HTTP API is described in /openapi.json (the contract the gateway builds on)."""

from tests.service.families.helpers import Families

KERNEL = {"/healthz", "/readyz", "/openapi.json"}


async def test_every_route_is_documented(families: Families) -> None:
    doc = (await families.call("GET", "/openapi.json")).body

    served = {(r.method.lower(), r.resource.canonical)
              for r in families.server.app.router.routes()
              if r.resource is not None and r.method != "HEAD"
              and r.resource.canonical not in KERNEL}
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented
    patch = doc["paths"]["/families/{family_id}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FamilyPatch"}
    assert "202" in patch["responses"]
    # A staff edit is applied at once: its 200 and the file are documented too (issue 13).
    assert patch["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FamilyOut"}
