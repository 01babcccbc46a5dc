"""Schemathesis against every service's /openapi.json and the gateway's API (issue 13,
point 7): valid and invalid data on every operation, as the demo family's parent and as an
agent (each operation fuzzed by every role it does not refuse outright); no answer is a
server error, every answer is one the document describes."""

import asyncio
import time

import pytest

from services.common.demo import DEMO_CHILD_LEA_ID, DEMO_FAMILY_ID
from tests.hostile.conftest import Hostile
from tests.hostile.fuzz import fuzz, pinned

# The demo family's own ids, so that data reaches the handlers instead of a 404.
PINS = {"family_id": str(DEMO_FAMILY_ID), "child_id": str(DEMO_CHILD_LEA_ID)}
# Per operation, generation mode and role: bounded and derandomized, so CI is stable.
EXAMPLES = 10


@pytest.mark.parametrize("part", ["families"])
async def test_no_server_error_and_answers_as_documented(hostile: Hostile, part: str) -> None:
    doc = pinned(await hostile.openapi(part), PINS)
    base = hostile.stack.url(part)
    reached: set[str] = set()
    failures: list[str] = []
    for role in ("parent", "staff"):
        caller = getattr(hostile, role)
        started = time.monotonic()
        report = await asyncio.to_thread(fuzz, base, doc, lambda m, p, c=caller: c.headers,
                                         max_examples=EXAMPLES)
        print(f"{part} as {role}: {len(report.operations)} operations "
              f"({len(report.refused)} refused), {report.calls} calls, "
              f"{time.monotonic() - started:.1f} s")
        reached |= set(report.operations) - set(report.refused)
        failures += [f"as {role}: {failure}" for failure in report.failures]
    assert not failures, "\n\n".join(failures)
    documented = {f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m in ops}
    assert reached == documented, documented - reached
