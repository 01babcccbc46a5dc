"""What every benchmark case shares: closed-loop load, percentiles, the load generator's own
cost, and results written with the date, commit and machine."""

import asyncio
import json
import os
import platform
import resource
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Load:
    """What a closed-loop run measured (latencies in milliseconds)."""

    name: str
    clients: int
    seconds: float
    requests: int
    errors: int
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    # CPU seconds the load generator itself used per second of run: what it took from the
    # services on this shared machine.
    generator_cpu_per_s: float
    error_samples: list[str] = field(default_factory=list)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def closed_loop(name: str, *, clients: int, seconds: float,
                      request: Callable[[int], Awaitable[bool]], warmup: float = 1.0) -> Load:
    """`clients` loops each sending `request(client_index)` (True = success) back to back for
    `seconds` after `warmup`; every request counted once, errors included."""
    latencies: list[float] = []
    errors: list[str] = []
    counting = False
    stop = False

    async def loop(index: int) -> None:
        while not stop:
            started = time.perf_counter()
            try:
                ok = await request(index)
                failure = None if ok else "unexpected answer"
            except Exception as exc:  # a benchmark counts failures, it does not stop on them
                failure = repr(exc)[:200]
            if counting:
                latencies.append((time.perf_counter() - started) * 1000)
                if failure is not None:
                    errors.append(failure)

    tasks = [asyncio.create_task(loop(i)) for i in range(clients)]
    await asyncio.sleep(warmup)
    counting = True
    cpu0, t0 = _cpu(), time.perf_counter()
    await asyncio.sleep(seconds)
    counting = False
    elapsed, cpu = time.perf_counter() - t0, _cpu() - cpu0
    stop = True
    await asyncio.gather(*tasks, return_exceptions=True)
    return Load(
        name=name, clients=clients, seconds=round(elapsed, 2), requests=len(latencies),
        errors=len(errors), throughput=round(len(latencies) / elapsed, 1),
        p50_ms=round(percentile(latencies, 50), 1), p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        generator_cpu_per_s=round(cpu / elapsed, 2), error_samples=errors[:5],
    )


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True, cwd=Path(__file__).parent)
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True,
                               text=True, check=True, cwd=Path(__file__).parent).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    return {"host": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_1m_at_start": round(load1, 2),
            "loadavg_5m_at_start": round(load5, 2)}


class Run:
    """The figures of one case, written as JSON (for tools) and Markdown (for people)."""

    def __init__(self, case: str) -> None:
        self.case = case
        self.started = datetime.now(UTC)
        self.machine = machine()
        self.commit = commit()
        self.figures: list[dict[str, Any]] = []
        self.notes: list[str] = []

    def record(self, figure: Load | dict[str, Any], *, target: str | None = None,
               met: bool | None = None) -> None:
        row = asdict(figure) if isinstance(figure, Load) else dict(figure)
        if target is not None:
            row["target"] = target
        if met is not None:
            row["met"] = met
        self.figures.append(row)
        print("  ", json.dumps(row, ensure_ascii=False), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print("   note:", text, flush=True)

    def write(self) -> list[Path]:
        RESULTS.mkdir(parents=True, exist_ok=True)
        head = {"case": self.case, "date": self.started.isoformat(timespec="seconds"),
                "commit": self.commit, "machine": self.machine}
        json_path = RESULTS / f"{self.case}.json"
        json_path.write_text(json.dumps({**head, "figures": self.figures, "notes": self.notes},
                                        indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        md_path = RESULTS / f"{self.case}.md"
        lines = [f"# {self.case}", "",
                 f"{head['date']} · commit {self.commit} · {self.machine['cpus']} CPUs · "
                 f"Python {self.machine['python']} · load {self.machine['loadavg_1m_at_start']}",
                 ""]
        keys: list[str] = []
        for row in self.figures:
            keys.extend(k for k in row if k not in keys and k != "error_samples")
        if self.figures:
            lines.append("| " + " | ".join(keys) + " |")
            lines.append("|" + "---|" * len(keys))
            for row in self.figures:
                lines.append("| " + " | ".join(str(row.get(k, "")) for k in keys) + " |")
        if self.notes:
            lines += ["", *(f"- {n}" for n in self.notes)]
        md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return [json_path, md_path]
