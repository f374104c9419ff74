"""Where the bundled rule packs and scenarios live, and how a name finds one.

The wheel ships them inside the package (``jxc_rules/_bundled/industries/<industry>/<version>.yaml``
and ``jxc_rules/_bundled/simulator/scenarios/<name>.yaml``, the same layout as the source tree, so
a scenario's relative ``rules:`` paths keep working). A source checkout (an editable install)
has no ``_bundled`` folder; the same files are read from the repository's ``industries/`` and
``simulator/scenarios/``.

A *name* is what a host writes instead of a path: ``"hotpot"`` (the newest version),
``"hotpot@2026.11"`` or ``load_pack("hotpot", version="2026.11")``; ``"hotpot-spring-festival"``
for a scenario.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from jxc_rules.errors import JxcRulesError, RulePackError, ScenarioError

__all__ = ["as_name", "bundled_root", "pack_names", "pack_path", "scenario_names",
           "scenario_path"]

_NAME = re.compile(r"^([a-z0-9][a-z0-9_-]*)(?:@(\d{4}\.\d{2}(?:\.\d+)?))?$")


def bundled_root() -> Path:
    """The folder holding ``industries/`` and ``simulator/scenarios/``."""
    package = Path(__file__).resolve().parents[1]
    shipped = package / "_bundled"
    if (shipped / "industries").is_dir():
        return shipped
    checkout = package.parents[1]  # src/jxc_rules -> the repository
    if (checkout / "industries").is_dir():
        return checkout
    raise JxcRulesError(  # pragma: no cover - a broken installation
        f"the bundled packs are missing (looked in {shipped} and {checkout}); reinstall "
        "jxc-rules")


def as_name(value: object) -> tuple[str, str | None] | None:
    """``(name, version)`` when ``value`` is a bundled name rather than a path, else None.

    A string is a name when it has no path separator and no ``.yaml``/``.yml`` suffix and is
    not an existing file: ``"hotpot"``, ``"hotpot@2026.11"``.
    """
    if not isinstance(value, str) or os.sep in value or "/" in value:
        return None
    if value.endswith((".yaml", ".yml")) or os.path.exists(value):
        return None
    match = _NAME.match(value)
    if match is None:
        return None
    return match.group(1), match.group(2)


def _version_key(stem: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", stem))


def pack_names() -> dict[str, list[str]]:
    """Bundled industries and their versions, oldest first."""
    root = bundled_root() / "industries"
    out: dict[str, list[str]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        versions = sorted((f.stem for f in folder.glob("*.yaml")), key=_version_key)
        if versions:
            out[folder.name] = versions
    return out


def pack_path(name: str, version: str | None = None) -> Path:
    """The file of bundled pack ``name`` at ``version`` (the newest when None)."""
    known = pack_names()
    if name not in known:
        raise RulePackError(
            f"no bundled rule pack {name!r}: the bundled industries are "
            f"{', '.join(known)}; or give the path of a pack file",
            field="industry", value=name)
    versions = known[name]
    chosen = version if version is not None else versions[-1]
    if chosen not in versions:
        raise RulePackError(
            f"bundled pack {name!r} has no version {chosen!r}: it has {', '.join(versions)}",
            field="version", value=chosen)
    return bundled_root() / "industries" / name / f"{chosen}.yaml"


def scenario_names() -> list[str]:
    """Names of the bundled scenarios."""
    return sorted(p.stem for p in (bundled_root() / "simulator" / "scenarios").glob("*.yaml"))


def scenario_path(name: str) -> Path:
    """The file of bundled scenario ``name``."""
    known = scenario_names()
    if name not in known:
        raise ScenarioError(
            f"no bundled scenario {name!r}: the bundled scenarios are {', '.join(known)}; or "
            "give the path of a scenario file", field="name",
            value=name)
    return bundled_root() / "simulator" / "scenarios" / f"{name}.yaml"
