"""The application base every service shares: health, readiness, metrics, errors, OpenAPI."""

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import BaseModel, Field

from services.common import keys
from services.common.api import api
from services.common.errors import PROBLEM_JSON
from services.common.settings import ServiceSettings
from services.common.tokens import require_staff
from services.common.web import service_app
from tests.support import TestTokens, metrics_of, serve, settings_for

TOKENS = TestTokens()


class Greeting(BaseModel):
    name: str = Field(min_length=2, max_length=20)
    age: int


class Answer(BaseModel):
    text: str


@api(summary="Greet someone", body=Greeting, response=Answer, status=201)
async def greet(request: web.Request, body: Greeting) -> Answer:
    require_staff(request)
    return Answer(text=f"Bonjour {body.name}")


class DemoSettings(ServiceSettings):
    service_name: str = "demo"


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestServer]:
    migrations = tmp_path_factory.mktemp("demo_migrations")
    app = service_app(settings_for(DemoSettings), title="Démo", migrations=migrations)
    app.router.add_post("/greetings", greet)
    TOKENS.trust(app)
    async with serve(app) as srv:
        yield srv


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_health_and_readiness(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/healthz")) as resp:
        assert resp.status == 200
    async with http.get(server.make_url("/readyz")) as resp:
        assert resp.status == 200
        body = await resp.json()
        assert body["checks"] == {"database_ready": True, "broker_ready": True}


async def test_valid_request_with_staff_token(server: TestServer,
                                              http: aiohttp.ClientSession) -> None:
    async with http.post(server.make_url("/greetings"), json={"name": "Léa", "age": 7},
                         headers=TOKENS.headers(role="staff")) as resp:
        assert resp.status == 201
        assert await resp.json() == {"text": "Bonjour Léa"}
        assert resp.headers["X-Request-ID"]


async def test_invalid_body_gives_french_field_errors(server: TestServer,
                                                      http: aiohttp.ClientSession) -> None:
    async with http.post(server.make_url("/greetings"), json={"name": "L", "age": "abc"},
                         headers=TOKENS.headers(role="staff")) as resp:
        assert resp.status == 422
        assert resp.content_type == PROBLEM_JSON
        body = await resp.json()
    assert body["type"] == "/problems/validation"
    assert {e["field"]: e["message"] for e in body["errors"]} == {
        "name": "Ce champ doit contenir au moins 2 caractère(s).",
        "age": "Ce champ doit être un nombre entier.",
    }


async def test_malformed_json_is_a_400(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.post(server.make_url("/greetings"), data=b"{not json",
                         headers={**TOKENS.headers(role="staff"),
                                  "Content-Type": "application/json"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["title"] == "Le corps de la demande n'est pas un JSON valide."


async def test_missing_token_is_401_and_wrong_role_is_403(
        server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.post(server.make_url("/greetings"), json={"name": "Léa", "age": 7}) as resp:
        assert resp.status == 401
    async with http.post(server.make_url("/greetings"), json={"name": "Léa", "age": 7},
                         headers=TOKENS.headers(role="parent")) as resp:
        assert resp.status == 403


async def test_request_id_is_carried_through(server: TestServer,
                                             http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/nowhere"), headers={"X-Request-ID": "abc-123"}) as resp:
        assert resp.status == 404
        assert resp.headers["X-Request-ID"] == "abc-123"
        assert (await resp.json())["request_id"] == "abc-123"


async def test_metrics_has_a_latency_histogram_per_route(
        server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/healthz")):
        pass
    text = await metrics_of(server.app)
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"' in text


async def test_metrics_are_not_served_on_the_public_port(
        server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/metrics")) as resp:
        assert resp.status == 404
        assert "http_request_duration_seconds" not in await resp.text()
    assert server.app[keys.METRICS_PORT] != server.port


async def test_without_a_metrics_port_metrics_are_not_served(
        tmp_path_factory: pytest.TempPathFactory, http: aiohttp.ClientSession) -> None:
    migrations = tmp_path_factory.mktemp("quiet_migrations")
    settings = settings_for(DemoSettings, metrics_port=None)
    app = service_app(settings, title="Démo", migrations=migrations)
    async with serve(app) as srv, http.get(srv.make_url("/metrics")) as resp:
        assert resp.status == 404
    assert keys.METRICS_PORT not in app


async def test_openapi_documents_declared_routes(server: TestServer,
                                                 http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/openapi.json")) as resp:
        doc = await resp.json()
    operation = doc["paths"]["/greetings"]["post"]
    assert operation["summary"] == "Greet someone"
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Greeting"}
    assert "201" in operation["responses"]
    assert doc["components"]["schemas"]["Greeting"]["required"] == ["name", "age"]


async def test_readiness_fails_when_the_database_is_unreachable(
        tmp_path_factory: pytest.TempPathFactory, http: aiohttp.ClientSession) -> None:
    migrations = tmp_path_factory.mktemp("demo_migrations")
    app = service_app(settings_for(DemoSettings), title="Démo", migrations=migrations)
    async with serve(app) as srv:
        app[keys.DB].terminate()  # as if PostgreSQL had gone away
        async with http.get(srv.make_url("/readyz")) as resp:
            assert resp.status == 503
            body = await resp.json()
        async with http.get(srv.make_url("/healthz")) as resp:
            assert resp.status == 200  # alive, just not ready
    assert body["checks"] == {"database_ready": False, "broker_ready": True}
