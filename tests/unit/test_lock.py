"""The lock files hold every dependency of pyproject.toml, pinned and hashed (`make lock`)."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)")


def project() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {"runtime": data["dependencies"],
            "dev": data["dependencies"] + data["optional-dependencies"]["dev"]}


def pins(name: str) -> dict[str, tuple[str, int]]:
    """Package → (version, number of hashes) of requirements/<name>.txt."""
    found: dict[str, tuple[str, int]] = {}
    current = ""
    for line in (ROOT / "requirements" / f"{name}.txt").read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            found[current] = (match[2], 0)
        elif "--hash=sha256:" in line and current:
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


@pytest.mark.parametrize("lock", ["runtime", "dev"])
def test_every_dependency_is_pinned_within_its_range(lock: str) -> None:
    locked = pins(lock)
    missing = []
    for spec in project()[lock]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        if name not in locked or not requirement.specifier.contains(locked[name][0],
                                                                    prereleases=True):
            missing.append(spec)
    assert not missing, f"requirements/{lock}.txt is stale for {missing}: run `make lock`"


@pytest.mark.parametrize("lock", ["runtime", "dev"])
def test_every_pin_carries_hashes(lock: str) -> None:
    unhashed = [name for name, (_, hashes) in pins(lock).items() if hashes == 0]
    assert pins(lock) and not unhashed


def test_the_image_runs_the_versions_the_tests_ran() -> None:
    dev = pins("dev")
    differing = {name: (version, dev.get(name, ("absent",))[0])
                 for name, (version, _) in pins("runtime").items()
                 if dev.get(name, ("",))[0] != version}
    assert not differing, f"runtime vs dev pins differ: {differing}: run `make lock`"


def test_linters_have_an_upper_bound() -> None:
    for spec in project()["dev"]:
        requirement = Requirement(spec)
        if requirement.name in ("ruff", "mypy"):
            assert any(s.operator == "<" for s in requirement.specifier), spec
