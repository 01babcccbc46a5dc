"""Declarative endpoints: one decorator parses and documents a handler; OpenAPI from routes."""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.common.validation import parse_body, parse_query

Endpoint = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class ApiSpec:
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    tags: tuple[str, ...]
    auth: bool
    # Other success answers of the same operation (staff's 200 where a parent's is 202…).
    also: tuple[tuple[int, type[BaseModel] | None], ...] = ()


def api(*, summary: str, body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
        status: int = 200, tags: tuple[str, ...] = (), auth: bool = True,
        also: dict[int, type[BaseModel] | None] | None = None
        ) -> Callable[[Endpoint], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Parse `body`/`query` with their models (passed as keyword arguments), serialise a
    returned model with `status`, and record all of it for `/openapi.json` (with `also`, status
    → model: the other success answers the handler returns itself)."""
    spec = ApiSpec(summary, body, query, response, status, tags, auth,
                   tuple(sorted((also or {}).items(), key=lambda item: item[0])))

    def wrap(handler: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @functools.wraps(handler)
        async def endpoint(request: web.Request) -> web.StreamResponse:
            kwargs: dict[str, Any] = {}
            if query is not None:
                kwargs["query"] = parse_query(request, query)
            if body is not None:
                kwargs["body"] = await parse_body(request, body)
            result = await handler(request, **kwargs)
            if isinstance(result, web.StreamResponse):
                return result
            return json_response(result, status=status)

        endpoint.__api__ = spec  # type: ignore[attr-defined]
        return endpoint

    return wrap


def json_response(result: Any, *, status: int = 200) -> web.Response:
    if isinstance(result, BaseModel):
        text = result.model_dump_json()
    elif isinstance(result, list) and all(isinstance(r, BaseModel) for r in result):
        text = "[" + ",".join(r.model_dump_json() for r in result) + "]"
    else:
        return web.json_response(result, status=status)
    return web.Response(text=text, status=status, content_type="application/json")


def openapi_document(app: web.Application, *, title: str, version: str = "1") -> dict[str, Any]:
    """OpenAPI 3.1 built from the routes' `@api` declarations."""
    specs: list[tuple[str, str, ApiSpec]] = []
    for route in app.router.routes():
        spec = getattr(route.handler, "__api__", None)
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if spec is None or path is None or route.method == "HEAD":
            continue
        specs.append((path, route.method.lower(), spec))
    models = {m for _, _, s in specs
              for m in (s.body, s.response, *(model for _, model in s.also)) if m is not None}
    refs, schema = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for path, method, spec in specs:
        operation: dict[str, Any] = {"summary": spec.summary, "tags": list(spec.tags)}
        params = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in _path_params(path)
        ]
        if spec.query is not None:
            qschema = spec.query.model_json_schema()
            required = set(qschema.get("required", []))
            params += [
                {"name": name, "in": "query", "required": name in required, "schema": prop}
                for name, prop in qschema.get("properties", {}).items()
            ]
        if params:
            operation["parameters"] = params
        if spec.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": refs[(spec.body, "validation")]}}}
        ok: dict[str, Any] = {"description": "OK"}
        if spec.response is not None:
            ok["content"] = {"application/json": {
                "schema": refs[(spec.response, "validation")]}}
        operation["responses"] = {
            str(spec.status): ok,
            **{str(code): _answer(refs, model) for code, model in spec.also},
            "default": {"description": "Erreur", "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}},
        }
        if spec.auth:
            operation["security"] = [{"bearer": []}]
        paths.setdefault(path, {})[method] = operation
    components = dict(schema.get("$defs", {}))
    components["Problem"] = {"type": "object", "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "errors": {"type": "array", "items": {
            "type": "object", "properties": {
                "field": {"type": "string"}, "message": {"type": "string"}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "bearerFormat": "JWT"}},
        },
    }


def _answer(refs: dict[Any, Any], model: type[BaseModel] | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": "OK"}
    if model is not None:
        answer["content"] = {"application/json": {"schema": refs[(model, "validation")]}}
    return answer


def _path_params(path: str) -> list[str]:
    import re

    return [m.split(":")[0] for m in re.findall(r"{([^}]+)}", path)]
