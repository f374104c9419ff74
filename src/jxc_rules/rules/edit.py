"""One field of a rule pack set to a new value, by the path ``diff`` prints.

Sweeps over a committee's own decisions (``--sweep candidate.replenishment.safety_days=0:3:0.5``)
need the pack with one number changed: the pack is written out (``RulePack.to_mapping``), the
leaf at the path replaced, and the pack built again with :func:`~jxc_rules.rules.load.
pack_from_mapping` — so the changed value is validated exactly like one written in the file, and
an error names the field.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from jxc_rules.errors import ValidationError
from jxc_rules.rules.diff import flatten
from jxc_rules.rules.schema import RulePack

__all__ = ["numeric_paths", "set_field"]

_INDEX = re.compile(r"\[(\d+)\]")


def _tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        name = _INDEX.split(part)
        head, indices = name[0], name[1::2]
        if head:
            out.append(head)
        out.extend(int(i) for i in indices)
    return out


def numeric_paths(pack: RulePack) -> list[str]:
    """Every leaf path of ``pack`` that holds a number (what a sweep can move)."""
    return [p for p, v in flatten(pack.to_mapping()).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)]


def set_field(pack: RulePack, path: str, value: float, *, field: str = "sweep") -> RulePack:
    """``pack`` with the number at ``path`` (as ``diff`` prints it) set to ``value``.

    >>> from jxc_rules.rules import load_pack
    >>> p = set_field(load_pack("hotpot", version="2026.11"), "replenishment.safety_days", 2.5)
    >>> p.replenishment.safety_days
    2.5
    >>> set_field(p, "replenishment.safety_day", 1)
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: sweep: the pack has no number at 'replenishment.safety_day' \
(did you mean 'replenishment.safety_days'?)
    """
    from jxc_rules.rules.load import pack_from_mapping

    data: Any = pack.to_mapping()
    paths = numeric_paths(pack)
    if path not in paths:
        close = difflib.get_close_matches(path, paths, n=1, cutoff=0.6)
        hint = (f" (did you mean {close[0]!r}?)" if close
                else "; `jxc-rules diff OLD NEW` prints the paths of a pack")
        raise ValidationError(f"{field}: the pack has no number at {path!r}{hint}",
                              field=field, value=path)
    node = data
    tokens = _tokens(path)
    for token in tokens[:-1]:
        node = node[token]
    node[tokens[-1]] = value
    try:
        changed = pack_from_mapping(data, file=f"{pack.industry}@{pack.version}")
    except ValidationError as exc:
        raise ValidationError(f"{field}: {path} = {value!r} is not a valid value: {exc}",
                              field=field, value=value) from None
    return changed
