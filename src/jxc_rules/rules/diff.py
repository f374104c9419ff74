"""What a new version of a rule pack changes, field by field (规则变更对比).

Both packs are flattened through ``RulePack.to_mapping()`` into leaf paths
(``holidays.Spring Festival.dine_in.during[4]``, ``replenishment.safety_days``) and compared.
Numbers — and quantities such as ``"40 kg"`` vs ``"0.04 t"``, compared in the old value's unit —
get a relative change ``(new − old) / |old|``. A *multiplier* (a holiday's before/during/after
day, a weather state's channel factor) is judged by its *effect* ``m − 1``, the uplift or cut it
stands for: 1.50 → 1.70 is a 40 % larger uplift (``(0.70 − 0.50) / 0.50``), not the +13.3 % of
the multipliers themselves, so a committee sees how much bolder the assumption became (``basis``
is ``"effect"`` for those). Each change also carries a ``label`` that counts days as people do:
``during[3]`` is "day 4 of the break", ``before`` counts back from the break ("1 day before" is
the eve), ``after[0]`` is "day 1 after". A change whose magnitude is above ``threshold``
(15 % by default), a change from zero, any non-numeric change (a rounding mode, a convention) and
any added or removed parameter is marked ``review`` for the committee. Edits to ``source`` texts
and labels are listed but never marked for review. Version metadata (``version``,
``effective_from``, ``effective_until``, ``approved_by``, ``changelog``) changes with every
version and is left out unless ``include_metadata=True``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import attrs

from jxc_rules.errors import JxcRulesError, ValidationError, bad_value
from jxc_rules.rules.schema import RulePack
from jxc_rules.units import exact_factor, parse_quantity

__all__ = ["METADATA_FIELDS", "Change", "day_label", "diff", "flatten", "is_multiplier"]

METADATA_FIELDS: tuple[str, ...] = (
    "version", "effective_from", "effective_until", "approved_by", "changelog", "scope",
    "calibration",
)
_MISSING = object()


@attrs.frozen
class Change:
    """One changed parameter.

    ``path`` is the dotted field path; ``old`` / ``new`` the values as the pack writes them
    (``None`` when added / removed, see ``kind``: ``"changed"``, ``"added"``, ``"removed"``);
    ``relative`` is ``(new − old) / |old|`` for numbers and quantities, and for a multiplier
    the relative change of its effect ``(new − 1 − (old − 1)) / |old − 1|`` (``basis`` then is
    ``"effect"``); ``None`` for non-numbers or when the old value (effect) is 0. ``review`` says
    the committee should look at it. ``label`` is the path as people read it, days counted from
    1 (``holidays.Spring Festival.dine_in.during day 4``); ``path`` stays the machine path.
    """

    path: str
    old: Any
    new: Any
    kind: str = "changed"
    relative: float | None = None
    review: bool = False
    basis: str = "value"
    label: str = ""

    def to_mapping(self) -> dict[str, Any]:
        """Plain JSON-safe dict (values as the pack writes them; dates as ISO strings)."""
        def plain(v: Any) -> Any:
            return v if v is None or isinstance(v, (bool, int, float, str)) else str(v)

        return {"path": self.path, "label": self.label or self.path, "kind": self.kind,
                "old": plain(self.old), "new": plain(self.new), "relative": self.relative,
                "basis": self.basis, "review": self.review}


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf path → value of nested mappings and lists.

    Examples
    --------
    >>> flatten({"a": {"b": [1, 2]}, "c": "x"})
    {'a.b[0]': 1, 'a.b[1]': 2, 'c': 'x'}
    """
    out: dict[str, Any] = {}
    if isinstance(data, Mapping):
        if not data and prefix:
            out[prefix] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, (list, tuple)):
        if not data and prefix:
            out[prefix] = []
        for i, value in enumerate(data):
            out.update(flatten(value, f"{prefix}[{i}]"))
    else:
        out[prefix] = data
    return out


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _relative(old: Any, new: Any) -> tuple[bool, float | None]:
    """(numeric?, relative change) of two leaves."""
    a, b = _as_number(old), _as_number(new)
    if a is None and b is None and isinstance(old, str) and isinstance(new, str):
        try:
            mag_a, unit_a = parse_quantity(old)
            mag_b, unit_b = parse_quantity(new)
            b_in_a = mag_b * exact_factor(unit_b, unit_a)
        except JxcRulesError:
            return False, None
        a, b = float(mag_a), float(Fraction(b_in_a))
    if a is None or b is None:
        return False, None
    if a == 0:
        return True, None
    return True, (b - a) / abs(a)


_PROFILE = re.compile(r"^(holidays\.[^.]+\.[^.]+)\.(before|during|after)\[(\d+)\]$")
_WEATHER = re.compile(r"^weather\.[^.]+\.(dine_in|takeaway|group_meal)$")


def is_multiplier(path: str) -> bool:
    """A leaf that multiplies demand (judged by its effect ``m − 1``).

    >>> is_multiplier("holidays.Spring Festival.dine_in.during[3]"), is_multiplier(
    ...     "weather.rain.dine_in"), is_multiplier("replenishment.safety_days")
    (True, True, False)
    """
    return bool(_PROFILE.match(path) or _WEATHER.match(path))


def day_label(path: str, before_length: int | None = None) -> str:
    """``path`` with profile days counted from 1 as people count them.

    ``before`` is written nearest day last, so with ``n`` values ``before[k]`` is ``n − k``
    days before the break (pass ``before_length``; without it the index is kept).

    >>> day_label("holidays.Spring Festival.dine_in.during[3]")
    'holidays.Spring Festival.dine_in.during day 4'
    >>> day_label("holidays.Spring Festival.dine_in.before[3]", 4)
    'holidays.Spring Festival.dine_in.1 day before'
    >>> day_label("holidays.Spring Festival.takeaway.after[0]")
    'holidays.Spring Festival.takeaway.day 1 after'
    """
    match = _PROFILE.match(path)
    if match is None:
        return path
    head, part, index = match.group(1), match.group(2), int(match.group(3))
    if part == "during":
        return f"{head}.during day {index + 1}"
    if part == "after":
        return f"{head}.day {index + 1} after"
    if before_length is None:
        return path
    back = before_length - index
    return f"{head}.{back} day{'s' if back != 1 else ''} before"


def _before_length(flat: Mapping[str, Any], path: str) -> int | None:
    match = _PROFILE.match(path)
    if match is None or match.group(2) != "before":
        return None
    head = f"{match.group(1)}.before["
    return sum(1 for p in flat if p.startswith(head)) or None


def _effect_relative(old: float, new: float) -> float | None:
    """``((new − 1) − (old − 1)) / |old − 1|`` exactly on the numbers as written (no float
    dust: 1.3 → 1.5 is 2/3), ``None`` when the old effect is 0 (a change from no effect)."""
    ea = Fraction(repr(old)) - 1
    eb = Fraction(repr(new)) - 1
    if ea == 0:
        return None
    return float((eb - ea) / abs(ea))


def _quiet(path: str) -> bool:
    last = path.rsplit(".", 1)[-1]
    return last in ("source", "sources") or ".labels." in f".{path}" or last.startswith(
        "sources[") or path.startswith(("labels.", "items."))


def diff(
    old: RulePack,
    new: RulePack,
    *,
    threshold: float = 0.15,
    include_metadata: bool = False,
    cross_industry: bool = False,
) -> list[Change]:
    """Field-by-field changes from ``old`` to ``new``, in the order of the packs' fields.

    A diff compares two versions of one industry's pack; packs of different industries
    (``hotpot`` against ``bakery``) are refused with a ``ValidationError`` naming both, unless
    ``cross_industry=True`` says that is what is meant (hundreds of "changes" otherwise read
    like a version's edits).

    Examples
    --------
    >>> from jxc_rules.rules import load_pack
    >>> a, b = load_pack("hotpot@2026.10"), load_pack("hotpot@2026.11")
    >>> c = next(c for c in diff(a, b) if c.path.endswith("safety_days"))
    >>> c.old, c.new, c.relative, c.review
    (1, 0.5, -0.5, True)
    >>> c = next(c for c in diff(a, b) if c.path.endswith("during[3]"))
    >>> c.label, c.old, c.new, round(c.relative, 3), c.basis, c.review
    ('holidays.Spring Festival.dine_in.during day 4', 1.3, 1.5, 0.667, 'effect', True)
    >>> diff(a, a)
    []
    """
    try:
        finite = (isinstance(threshold, (int, float)) and not isinstance(threshold, bool)
                  and math.isfinite(threshold) and threshold >= 0)
    except OverflowError:  # an int beyond the float range (10**400)
        finite = False
    if not finite:
        raise bad_value("threshold", threshold, "a relative change >= 0 (0.15 for 15 %)")
    for name, pack in (("old", old), ("new", new)):
        if not isinstance(pack, RulePack):
            raise bad_value(name, type(pack).__name__, "a RulePack")
    for option, flag in (("include_metadata", include_metadata),
                         ("cross_industry", cross_industry)):
        if not isinstance(flag, bool):
            raise bad_value(option, repr(flag)[:40], "True or False")
    if old.industry != new.industry and not cross_industry:
        raise ValidationError(
            f"old is a {old.industry!r} pack and new a {new.industry!r} pack: a diff compares "
            "two versions of one industry; pass cross_industry=True (jxc-rules diff "
            "--cross-industry) to compare them anyway",
            field="new.industry", value=new.industry)
    a, b = old.to_mapping(), new.to_mapping()
    if not include_metadata:
        for key in METADATA_FIELDS:
            a.pop(key, None)
            b.pop(key, None)
    flat_a, flat_b = flatten(a), flatten(b)
    changes: list[Change] = []
    for path in [*flat_a, *(p for p in flat_b if p not in flat_a)]:
        va, vb = flat_a.get(path, _MISSING), flat_b.get(path, _MISSING)
        quiet = _quiet(path)
        label = day_label(path, _before_length(flat_a if va is not _MISSING else flat_b, path))
        if va is _MISSING:
            changes.append(Change(path, None, vb, "added", None, not quiet, label=label))
        elif vb is _MISSING:
            changes.append(Change(path, va, None, "removed", None, not quiet, label=label))
        elif va != vb:
            basis = "value"
            a_num, b_num = _as_number(va), _as_number(vb)
            if is_multiplier(path) and a_num is not None and b_num is not None:
                basis = "effect"
                numeric, rel = True, _effect_relative(a_num, b_num)
            else:
                numeric, rel = _relative(va, vb)
            if numeric and rel == 0.0:
                continue  # the same quantity written differently ("1000 g" vs "1 kg")
            review = (rel is None or abs(rel) > threshold) if numeric else True
            changes.append(Change(path, va, vb, "changed", rel, review and not quiet, basis,
                                  label))
    return changes
