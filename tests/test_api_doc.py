"""docs/api.md, ``jxc_rules.__all__`` and the real signatures are held together."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import jxc_rules

PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.md"
ROW = re.compile(r"^\| `([^`]+)` \| (.*) \| (.*) \|$")


def _rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def signature(obj: Any) -> str:
    """``name(a, b=1, *, c=None)``: parameter names and defaults, annotations left out."""
    parts: list[str] = []
    star = False
    for p in inspect.signature(obj).parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            parts.append("*" + p.name)
            star = True
            continue
        if p.kind is p.VAR_KEYWORD:
            parts.append("**" + p.name)
            continue
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return f"{obj.__name__}({', '.join(parts)})"


def test_every_public_name_is_documented_and_nothing_else() -> None:
    assert sorted(_rows()) == sorted(jxc_rules.__all__)


def test_every_function_row_shows_the_real_signature() -> None:
    wrong = {}
    for name, (meaning, call) in _rows().items():
        assert meaning.strip(), f"{name} has no meaning written"
        obj = getattr(jxc_rules, name)
        if inspect.isfunction(obj):
            want = f"`{signature(obj)}`"
            if call != want:
                wrong[name] = (call, want)
    assert wrong == {}
