"""`python -m bench [case …]`: run every benchmark case (or the named ones) in turn.

A case is a module `bench/cases/<name>.py` with `async def main(run: Run) -> None`; it records
its figures with `run.record(...)`, written to `bench/results/<name>.json` and `.md`.
"""

import argparse
import asyncio
import importlib
import pkgutil
import sys

from bench import cases
from bench.common import Run


def available() -> list[str]:
    modules = pkgutil.iter_modules(cases.__path__)
    return sorted(m.name for m in modules if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("cases", nargs="*", help=f"among: {', '.join(available())}")
    args = parser.parse_args(argv)
    names = args.cases or available()
    unknown = set(names) - set(available())
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    for name in names:
        module = importlib.import_module(f"bench.cases.{name}")
        run = Run(name)
        print(f"== {name}", flush=True)
        asyncio.run(module.main(run))
        for path in run.write():
            print(f"   {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
