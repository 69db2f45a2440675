"""constraints.txt pins every dependency setup.cfg declares, at a version inside its declared range."""

from __future__ import annotations

import configparser

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from irritants.config import PROJECT_ROOT


def _declared() -> list[Requirement]:
    cfg = configparser.ConfigParser()
    cfg.read(PROJECT_ROOT / "setup.cfg", encoding="utf-8")
    lines = [
        *cfg["options"]["install_requires"].splitlines(),
        *(line for extra in cfg["options.extras_require"].values() for line in extra.splitlines()),
    ]
    return [Requirement(line.split("#")[0].strip()) for line in lines if line.split("#")[0].strip()]


def _pinned() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (PROJECT_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: « {line} » n'épingle pas une version exacte"
            pins[canonicalize_name(name)] = version
    return pins


def test_every_declared_dependency_is_pinned_inside_its_range() -> None:
    pinned = _pinned()
    problems = []
    for requirement in _declared():
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} n'est pas épinglé")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} hors de « {requirement.specifier} »")
    assert problems == [], "renouvelez constraints.txt (./scripts/renew_constraints) : " + "; ".join(problems)
