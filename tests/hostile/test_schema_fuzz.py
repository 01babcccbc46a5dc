"""Schemathesis against every service's /openapi.json and the gateway's API (issue 13,
point 7): valid and invalid data on every operation, as the demo family's parent and as an
agent (each operation fuzzed by every role it does not refuse outright); no answer is a
server error, every answer is one the document describes."""

import asyncio
import os
import time

import pytest

from services.common.demo import DEMO_CHILD_LEA_ID, DEMO_FAMILY_ID
from tests.hostile.conftest import Caller, Hostile
from tests.hostile.fuzz import Headers, fuzz, pinned

# The demo family's own ids, so that data reaches the handlers instead of a 404.
PINS = {"family_id": str(DEMO_FAMILY_ID), "child_id": str(DEMO_CHILD_LEA_ID)}
# Per operation, generation mode and role: bounded and derandomized, so CI is stable
# (HOSTILE_EXAMPLES=200 for a deeper run by hand).
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "10"))


# Logging out revokes the session: those calls each log in an account of their own.
LOGOUTS = {("DELETE", "/sessions/current"), ("DELETE", "/api/v1/session")}


@pytest.mark.parametrize("part", ["auth", "families", "reservations", "billing", "notifier",
                                  "gateway"])
async def test_no_server_error_and_answers_as_documented(hostile: Hostile, part: str) -> None:
    doc = pinned(await hostile.openapi(part), PINS)
    base = hostile.stack.gateway_url if part == "gateway" else hostile.stack.url(part)
    loop = asyncio.get_running_loop()

    def headers(caller: Caller) -> Headers:
        def of(method: str, path: str) -> dict[str, str]:
            if (method, path) in LOGOUTS:
                return asyncio.run_coroutine_threadsafe(hostile.new_parent(), loop).result(
                    timeout=30).headers
            return caller.headers

        return of

    reached: set[str] = set()
    failures: list[str] = []
    documented = {f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m in ops}
    for role in ("parent", "staff", "admin"):
        if role == "admin" and reached == documented:
            break  # the administrator's own routes only
        caller = getattr(hostile, role)
        started = time.monotonic()
        report = await asyncio.to_thread(fuzz, base, doc, headers(caller),
                                         max_examples=EXAMPLES)
        print(f"{part} as {role}: {len(report.operations)} operations "
              f"({len(report.refused)} refused), {report.calls} calls, "
              f"{time.monotonic() - started:.1f} s")
        reached |= set(report.operations) - set(report.refused)
        failures += [f"as {role}: {failure}" for failure in report.failures]
    assert not failures, "\n\n".join(failures)
    assert reached == documented, documented - reached
