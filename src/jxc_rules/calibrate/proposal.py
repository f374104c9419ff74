"""A calibration's result as a new pack version: a proposal, never an overwrite.

Rules
-----
* A value changes only when the data contradict the pack: the estimate's 95 % interval excludes
  the current value (``accept_all=True`` takes every estimate). Values whose interval includes
  the current one are kept and listed as *confirmed* — the committee sees that the data were
  looked at and agreed.
* A changed value is rounded as the packs write it (:func:`rounded`: 2 places for multipliers,
  3 significant figures for small rates), clipped to the field's range (multipliers ``>= 0``,
  shares in ``[0, 1]``), in the entry's own style (a ``%/h`` rate stays a ``%/h`` text). A field
  the pack lacks (a loss cause seen in the data) is added.
* Every changed value gets a ``calibration:`` record (field, estimate, interval, previous value,
  n and what it counted, the data's dates, the method) and the entries it touches a ``source``;
  the changelog says what was calibrated from which file; ``approved_by`` is left for the
  committee (a proposal is not approved until people sign it).
* The new version is ``<base version>.1`` (or the next ``.N``) unless given; it takes effect the
  day after the data end (or the base pack's date, if later).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

import attrs

from jxc_rules.calibrate.estimate import Estimate, Refusal
from jxc_rules.errors import ValidationError

__all__ = ["Proposal", "next_version", "propose", "rounded"]


@attrs.frozen(eq=False)
class Proposal:
    """``pack`` the proposed version; ``changed`` the estimates it applies (value as written),
    ``confirmed`` the estimates whose interval includes the current value (kept),
    ``refusals`` what was not fitted, ``changes`` the diff against ``base``, ``text`` the YAML."""

    base: Any
    pack: Any
    changed: tuple[Estimate, ...]
    confirmed: tuple[Estimate, ...]
    refusals: tuple[Refusal, ...]
    changes: tuple[Any, ...]
    text: str

    def write(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write the YAML to a new file (an existing file is refused unless ``overwrite``)."""
        target = os.fspath(path)
        if os.path.exists(target) and not overwrite:
            raise ValidationError(f"{target!r} exists: a proposal never overwrites a pack; give "
                                  "a new file name (e.g. the new version)", field="output",
                                  value=target)
        try:
            with open(target, "x" if not overwrite else "w", encoding="utf-8") as fh:
                fh.write(self.text)
        except FileExistsError:
            raise ValidationError(f"{target!r} appeared while writing: a proposal never "
                                  "overwrites a pack; give a new file name", field="output",
                                  value=target) from None
        except OSError as exc:
            raise ValidationError(f"cannot write {target!r}: {exc.strerror or exc}; choose a "
                                  "folder you can write to", field="output",
                                  value=target) from None


def next_version(version: str) -> str:
    """``2026.10`` → ``2026.10.1``; ``2026.10.1`` → ``2026.10.2``.

    >>> next_version("2026.10"), next_version("2026.10.3")
    ('2026.10.1', '2026.10.4')
    """
    parts = version.split(".")
    if len(parts) >= 3 and parts[-1].isdigit():
        return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])
    return f"{version}.1"


def rounded(value: float, decimals: int = 2) -> float:
    """The precision a pack writes: ``decimals`` places for values of 0.1 and more (multipliers:
    1.21), three significant figures below (loss rates, per-hour rates: 0.0113, 0.00248).

    >>> rounded(1.2149), rounded(0.011349), rounded(0.0024817)
    (1.21, 0.0113, 0.00248)
    """
    if value == 0 or abs(value) >= 0.1:
        return round(value, decimals)
    return float(f"{value:.3g}")


def _written(current: Any, value: float) -> Any:
    """``value`` in the style of the current entry: a ``'0.3 %/h'`` rate stays a rate text."""
    if isinstance(current, str) and current.strip().endswith("%/h"):
        return f"{float(f'{value * 100:.3g}'):g} %/h"
    return value


def _walk(data: Any, tokens: Sequence[str | int]) -> Any:
    """The mapping or list at ``tokens`` inside ``data`` (None when a step is missing)."""
    node = data
    for token in tokens:
        if isinstance(node, dict) and isinstance(token, str):
            node = node.get(token)
        elif isinstance(node, list) and isinstance(token, int) and 0 <= token < len(node):
            node = node[token]
        else:
            return None
    return node


def _clip(path: str, value: float) -> float:
    if path.endswith("shift_to_takeaway"):
        return min(max(value, 0.0), 1.0)
    return max(value, 0.0)


def _entry_of(path: str) -> tuple[str, str] | None:
    """The pack entry (section, key) a path lies in, for its ``source``."""
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] in ("holidays", "weather", "live_weight", "shelf_life"):
        return parts[0], parts[1]
    return None


def propose(
    base: Any,
    estimates: Sequence[Estimate],
    refusals: Sequence[Refusal] = (),
    *,
    data_name: str = "sales",
    version: str | None = None,
    effective_from: dt.date | None = None,
    accept_all: bool = False,
    decimals: int = 2,
) -> Proposal:
    """A new version of ``base`` with the estimates the data support (see the module doc)."""
    from jxc_rules.rules import diff
    from jxc_rules.rules.diff import flatten
    from jxc_rules.rules.edit import _tokens
    from jxc_rules.rules.load import dump_pack, pack_from_mapping

    data: Any = base.to_mapping()
    known = set(flatten(data))
    changed: list[Estimate] = []
    confirmed: list[Estimate] = []
    records: list[dict[str, Any]] = []
    touched: dict[tuple[str, str], list[str]] = {}
    last_day: dt.date | None = None
    for est in estimates:
        tokens = _tokens(est.path)
        node = _walk(data, tokens[:-1])
        adds = est.path not in known and est.current is None and isinstance(node, dict) \
            and isinstance(tokens[-1], str)
        if est.path not in known and not adds:
            raise ValidationError(f"{est.path!r} is not a number of pack {base.industry}@"
                                  f"{base.version}; a calibration must target the pack's own "
                                  "fields", field="path", value=est.path)
        if est.data_to is not None:
            last_day = est.data_to if last_day is None else max(last_day, est.data_to)
        if not accept_all and est.covers_current:
            confirmed.append(est)
            continue
        value = rounded(_clip(est.path, est.value), decimals)
        if est.current is not None and value == rounded(est.current, decimals):
            confirmed.append(est)
            continue
        last = tokens[-1]
        if isinstance(node, dict) and isinstance(last, str):
            node[last] = _written(node.get(last), value)
        elif isinstance(node, list) and isinstance(last, int):
            node[last] = _written(node[last], value)
        changed.append(attrs.evolve(est, value=value))
        span = (f"{est.data_from}..{est.data_to}" if est.data_from is not None else "")
        source = est.data or data_name
        records.append({
            "field": est.path, "estimate": value,
            "interval": [rounded(est.low, decimals + 2), rounded(est.high, decimals + 2)],
            "previous": est.current, "n": int(est.n), "data": f"{source} {span}".strip(),
            "method": f"{est.method} ({est.n} {est.n_label}, {int(est.level * 100)} % interval)",
        })
        entry = _entry_of(est.path)
        if entry is not None:
            touched.setdefault(entry, []).append(source)
    new_version = version or next_version(str(base.version))
    if new_version == base.version:
        raise ValidationError(f"version {new_version!r} is the base pack's own; a proposal is a "
                              "new version", field="version", value=new_version)
    start = effective_from
    if start is None:
        start = base.effective_from
        if last_day is not None:
            start = max(start, last_day + dt.timedelta(days=1))
    data["version"] = new_version
    data["effective_from"] = start
    data["approved_by"] = []
    data.pop("extends", None)
    rule = ("every estimate accepted (--accept-all)" if accept_all
            else "where the 95 % interval excludes the current value")
    note = (f"Calibrated from {data_name}"
            + (f" (to {last_day})" if last_day is not None else "")
            + f" by jxc-rules calibrate: {len(changed)} value(s) changed {rule}, "
            f"{len(confirmed)} confirmed, {len(refusals)} not fitted. A proposal: the "
            "committee reviews the diff and signs approved_by.")
    data["changelog"] = [note]
    if records:
        data["calibration"] = records
    for (section, key), sources in touched.items():
        entry_map = data.get(section, {}).get(key)
        if isinstance(entry_map, dict):
            files = ", ".join(dict.fromkeys(sources))
            entry_map["source"] = (f"jxc-rules calibrate from {files}: {len(sources)} "
                                   "value(s), see calibration:")
    try:
        pack = pack_from_mapping(data, file=f"{base.industry}@{new_version} (proposal)")
    except ValidationError as exc:
        raise ValidationError(f"the proposal does not validate: {exc}", field="proposal"
                              ) from None
    changes = tuple(diff(base, pack))
    return Proposal(base, pack, tuple(changed), tuple(confirmed), tuple(refusals), changes,
                    dump_pack(pack))
