"""Fuzz: rule packs as data (pack_from_mapping, diff, select, dump) and the simulator's small
entry points (parse_sweep, a tiny run with hostile trial settings)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import rules, simulate
from jxc_rules.testing import (
    invalid_pack_mappings,
    numeric_mutations,
    rule_pack_mappings,
    rule_packs,
    sweep_specs,
)
from tests.fuzz._hostile import check, fuzz_settings, hostile, or_hostile
from tests.fuzz.test_fuzz_loaders import _paths, _set


@st.composite
def pack_mappings(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["valid", "invalid", "numeric", "hostile"]))
    if kind == "invalid":
        return draw(invalid_pack_mappings())[0]
    if kind == "numeric":
        return draw(numeric_mutations())[1]
    data = draw(rule_pack_mappings())
    if kind == "hostile":
        data = copy.deepcopy(data)
        for _ in range(draw(st.integers(1, 3))):
            paths = _paths(data)
            if not paths:
                break
            _set(data, draw(st.sampled_from(paths)), draw(hostile()),
                 draw(st.sampled_from(["replace", "replace", "delete", "sibling"])))
    return data


@fuzz_settings(3)
@given(data=pack_mappings())
def test_pack_from_mapping(data: Any) -> None:
    pack = check("rules.pack_from_mapping", rules.pack_from_mapping, data)
    if isinstance(pack, rules.RulePack):
        text = check("rules.dump_pack", rules.dump_pack, pack)
        if isinstance(text, str):
            check("rules.loads_pack(dump_pack)", rules.loads_pack, text)


@fuzz_settings(1)
@given(old=rule_packs(), new=rule_packs(),
       threshold=or_hostile(st.floats(0, 1), valid_weight=4),
       metadata=or_hostile(st.booleans(), valid_weight=6),
       cross=or_hostile(st.booleans(), valid_weight=6),
       on=or_hostile(st.dates(dt.date(2020, 1, 1), dt.date(2035, 1, 1)), valid_weight=4),
       scope=or_hostile(st.sampled_from(["chain", "store-x"]), valid_weight=4),
       industry=st.one_of(st.none(), or_hostile(st.sampled_from(["hotpot", "bakery"]))))
def test_diff_and_select(old: Any, new: Any, threshold: Any, metadata: Any, cross: Any, on: Any,
                         scope: Any, industry: Any) -> None:
    check("rules.diff", rules.diff, old, new, threshold=threshold, include_metadata=metadata,
          cross_industry=cross)
    check("rules.select", rules.select, [old, new], on, industry=industry, scope=scope)


@fuzz_settings(2)
@given(spec=or_hostile(st.one_of(sweep_specs(), st.sampled_from(
    ["x=0:1:0", "x=1:0:0.1", "x=0:1e9:1e-9", "x=nan:1:0.1", "=0:1:1", "x=0:1", "x=a:b:c",
     "demand.scale=0:1:-0.1", "demand.scale=1e308:inf:1e308"]))))
def test_parse_sweep(spec: Any) -> None:
    check("simulate.parse_sweep", simulate.parse_sweep, spec)


SMALL = st.integers(1, 3)


@fuzz_settings(0.5)
@given(trials=or_hostile(SMALL, valid_weight=3), seed=or_hostile(st.integers(0, 2**32)),
       chunk=or_hostile(SMALL, valid_weight=3))
def test_tiny_run(trials: Any, seed: Any, chunk: Any) -> None:
    """Hostile trial settings on the bundled base-stock scenario. Huge trial counts are
    replaced by one known-refused huge value (10**400) so that no run is long: ``run`` has no
    work bound of its own (the CLI's ``--max-work`` has), see ``run-unbounded`` in
    tests/fuzz/_defects.py."""
    def bounded(value: Any) -> Any:
        try:
            cells = np.asarray(value, dtype=object).ravel().tolist()
        except Exception:
            return value
        for cell in cells:
            try:
                if float(cell) > 1000 or float(cell) != float(cell):
                    return 10**400
            except Exception:
                continue
        return value
    check("simulate.run", simulate.run, "base-stock-poisson", trials=bounded(trials),
          seed=seed, chunk_trials=bounded(chunk))
