"""Schemathesis against a running part's /openapi.json: every operation, bounded and
derandomized examples (CI-stable), valid and invalid data; no 5xx, answers as documented."""

import copy
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# Invalid data must be refused (4xx), never half-accepted.
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]

# aiohttp's limit on a request line: a longer one is refused by its parser, before the app.
LINE_LIMIT = 8190

Headers = Callable[[str, str], dict[str, str]]


class Refused(Exception):  # not an error: the operation is another role's
    pass


@dataclass
class Report:
    operations: list[str] = field(default_factory=list)
    calls: int = 0
    # Refused to this caller (403 whatever is sent): left to the role that reaches them.
    refused: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def pinned(doc: dict[str, Any], pins: dict[str, str]) -> dict[str, Any]:
    """The document with path parameters named in `pins` fixed to real ids (the caller's own
    family, a child of theirs…), so the data reaches the handlers instead of a 404."""
    doc = copy.deepcopy(doc)
    for operations in doc["paths"].values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param["in"] == "path" and param["name"] in pins:
                    param["schema"] = {"type": "string", "enum": [pins[param["name"]]]}
    return doc


def fuzz(base_url: str, doc: dict[str, Any], headers: Headers, *, max_examples: int,
         skip: Iterable[tuple[str, str]] = (), last: Iterable[tuple[str, str]] = ()
         ) -> Report:
    """Run every operation of `doc` against `base_url` (blocking: call it from a thread while
    the servers run on the event loop). `headers(method, path)` authenticates each call;
    operations in `last` (logging out) run after the others."""
    schema = schemathesis.openapi.from_dict(doc)
    report = Report()
    skipped, at_end = set(skip), list(last)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in at_end)
    with requests.Session() as session:
        for operation in operations:
            key = (operation.method.upper(), operation.path)
            if key in skipped:
                continue
            report.operations.append(f"{key[0]} {key[1]}")
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                test = _test(operation.as_strategy(generation_mode=mode), base_url, session,
                             lambda key=key: headers(*key), report,
                             CHECKS if mode is GenerationMode.POSITIVE else NEGATIVE_CHECKS,
                             max_examples)
                try:
                    test()
                except Refused:
                    report.refused.append(f"{key[0]} {key[1]}")
                    break
                except Unsatisfiable:
                    pass  # nothing to make invalid (no parameter, no body)
                except (Exception, BaseExceptionGroup) as exc:  # every failure is reported
                    report.failures.append(f"{key[0]} {key[1]} ({mode.value}): {_text(exc)}")
    return report


def _test(strategy: Any, base_url: str, session: requests.Session,
          headers: Callable[[], dict[str, str]], report: Report, checks: list[Any],
          max_examples: int) -> Callable[[], None]:
    @settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def test(case: Case) -> None:
        auth = {} if _auth_mutated(case) else headers()
        response = case.call(base_url=base_url, session=session, headers=auth, timeout=30)
        report.calls += 1
        session.cookies.clear()  # a cookie session must not stand in for a missing token
        if response.status_code == 403:
            raise Refused()
        if response.status_code == 400 and len(response.request.url or "") > LINE_LIMIT:
            return  # refused by aiohttp's HTTP parser (text/plain) before any of our code
        case.validate_response(response, checks=checks, headers=auth)

    return test  # type: ignore[no-any-return]


def _auth_mutated(case: Case) -> bool:
    """Whether the invalid part of this case is its credentials (left out, or wrong): then
    the caller's token must not mend it."""
    meta = case.meta
    return meta is not None and any(
        location == ParameterLocation.HEADER and component.mode.is_negative
        for location, component in meta.components.items())


def _text(exc: BaseException) -> str:
    """The failure with what it wraps (Hypothesis' flaky report hides the first failure)."""
    if isinstance(exc, BaseExceptionGroup):
        return f"{exc}\n" + "\n".join(_text(inner) for inner in exc.exceptions)
    return "".join(traceback.format_exception_only(exc))
