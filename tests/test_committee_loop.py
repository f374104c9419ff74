"""#17 (decision sweeps, grids, the headline, the shortfall view, KPI polarity) and #22 (stock age
at the cost of a counter): what a committee runs, checked against the engine's own arithmetic."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jxc_rules.cli import main
from jxc_rules.errors import ValidationError
from jxc_rules.rules import load_pack
from jxc_rules.rules.edit import set_field
from jxc_rules.simulate import compare, run, sweep
from jxc_rules.simulate.sweep import param_label, parse_sweep

HOTPOT = "hotpot-spring-festival"


def _cli_json(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "out.json"
    assert main(["simulate", HOTPOT, "--trials", "120", *args, "--json", str(out)]) == 0
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def test_stockouts_do_not_rise_with_the_candidates_safety_days(tmp_path: Path) -> None:
    data = _cli_json(tmp_path, "--sweep", "candidate.replenishment.safety_days=0:3:0.5",
                     "--report", str(tmp_path / "r.html"))
    sw = data["sweep"]
    assert sw["param"] == ["candidate.replenishment.safety_days"]
    assert sw["values"] == [[v] for v in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)]
    cand, base = sw["rules"][1], sw["rules"][0]
    stockouts = [p["stockout_rate"]["mean"] for p in sw["kpis"][cand]]
    # common random numbers: every point sees the same draws, so more safety stock never adds
    # a stockout (up to rounding of the order grid)
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(stockouts))
    assert stockouts[0] > stockouts[-1]
    # the baseline does not move with the candidate's field: the same numbers at every point
    assert len({p["stockout_rate"]["mean"] for p in sw["kpis"][base]}) == 1
    # differences per point are candidate − baseline
    for k, diff in enumerate(sw["differences"]):
        want = stockouts[k] - sw["kpis"][base][k]["stockout_rate"]["mean"]
        assert diff["stockout_rate"]["mean"] == pytest.approx(want, abs=1e-12)
    assert data["headline"].startswith("hotpot 2026.11 vs hotpot 2026.10: ")
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_two_dimensional_grid_from_the_cli(tmp_path: Path) -> None:
    data = _cli_json(tmp_path,
                     "--sweep", "candidate.holidays.Spring Festival.dine_in.during[0]=1.2,1.8",
                     "--sweep", "holiday.spring_festival.dine_in.uplift=0.2:0.6:0.4",
                     "--report", str(tmp_path / "grid.html"))
    sw = data["sweep"]
    assert sw["values"] == [[1.2, 0.2], [1.2, 0.6], [1.8, 0.2], [1.8, 0.6]]
    assert sw["labels"][0] == "candidate: Spring Festival dine in, during day 1"
    base = sw["kpis"][sw["rules"][0]]
    # the true world moves demand for both packs; the candidate's assumption does not move the
    # baseline: its numbers repeat across the first axis
    assert base[0]["stockout_rate"] == base[2]["stockout_rate"]
    assert base[1]["stockout_rate"] != base[0]["stockout_rate"]
    crossings = [b for b in sw["break_points"] if b["at"]]
    assert {tuple(b["at"]) for b in crossings} == {("holiday.spring_festival.dine_in.uplift",)}
    assert (tmp_path / "grid.html").exists()


def test_the_headline_states_the_differences_it_is_built_from() -> None:
    res = compare(HOTPOT, "hotpot@2026.10", "hotpot@2026.11", trials=120, seed=3)
    text = res.headline()
    for name in ("stockout_rate", "waste_rate"):
        d = res.differences[name]
        if d.verdict in ("better", "worse"):
            assert f"{d.mean * 100:+.1f} pp".replace("-", "−") in text
    assert f"{res.differences['gross_margin'].mean:+,.0f} 元".replace("-", "−") in text
    assert "毛利" in res.headline("zh")
    same = compare(HOTPOT, "hotpot@2026.10", "hotpot@2026.10", trials=40)
    assert "no material change in the rates" in same.headline()
    with pytest.raises(ValidationError, match="lang"):
        res.headline("fr")


def test_the_shortfall_view_adds_up_to_the_kpis() -> None:
    res = run(HOTPOT, trials=60, seed=5)
    s = res.samples
    waste = s["_expired_cost"] + s["_channel_cost"] + s["_shrink_cost"]
    assert res.daily["waste_yuan"].sum() == pytest.approx(waste.mean(), rel=1e-9)
    assert res.daily["stockout"].shape == (len(res.dates), len(res.item_ids))
    assert res.daily["stockout"].mean() == pytest.approx(s["stockout_rate"].mean(), rel=1e-9)
    assert ((res.daily["stockout"] >= 0) & (res.daily["stockout"] <= 1)).all()


def test_compliance_is_judged_against_a_fixed_standard_not_the_packs_target() -> None:
    """Halving a pack's safety target used to make 安全库存达标率 look better."""
    pack = load_pack("hotpot", version="2026.11")
    low = set_field(pack, "replenishment.safety_days", 0.25)
    high = set_field(pack, "replenishment.safety_days", 2.0)
    res = compare(HOTPOT, high, low, trials=60, seed=1)
    d = res.differences["safety_stock_compliance"]
    assert d.candidate_mean < d.baseline_mean
    assert d.verdict == "worse"


def test_pack_paths_name_the_field_and_the_fix() -> None:
    pack = load_pack("hotpot", version="2026.11")
    with pytest.raises(ValidationError, match=r"did you mean 'replenishment\.safety_days'"):
        set_field(pack, "replenishment.safety_day", 1.0)
    with pytest.raises(ValidationError, match=r"replenishment\.safety_days = -1\.0 is not a "
                                              r"valid value"):
        set_field(pack, "replenishment.safety_days", -1.0)
    with pytest.raises(ValidationError, match=r"only one pack runs: give --compare PACK"):
        sweep(HOTPOT, "candidate.replenishment.safety_days", [1.0], rules=[pack], trials=5)
    assert parse_sweep("candidate.replenishment.safety_days=0.5,1,2") == (
        "candidate.replenishment.safety_days", [0.5, 1.0, 2.0])
    assert parse_sweep("weather.rain.dine_in=80 %,90 %")[1] == [0.8, 0.9]
    with pytest.raises(ValidationError, match="sweep must be text"):
        parse_sweep(3)  # type: ignore[arg-type]
    assert param_label("packs.replenishment.lead_time_days", "zh") == "两个规则包：提前期（天）"


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**31), safety=st.floats(0.0, 3.0), cover=st.floats(0.5, 3.0))
def test_fifo_age_windows_equal_the_age_buckets(seed: int, safety: float, cover: float,
                                                tmp_path_factory: pytest.TempPathFactory
                                                ) -> None:
    """#22: for non-perishables the age mix follows from FIFO (rolling arrival windows); it must
    equal what per-lot age buckets give, on the same draws."""
    import yaml

    from jxc_rules.simulate import engine

    path = tmp_path_factory.mktemp("age") / "s.yaml"
    path.write_text(yaml.safe_dump({
        "horizon": {"start": "2026-03-02", "end": "2026-04-12"},
        "channels": ["dine_in"], "track_stock_age": True,
        "items": {"rice": {"unit": "kg", "cost_per_unit": 4, "price_per_unit": 10,
                           "initial_stock": 30, "demand": {"dine_in": 8.0}},
                  "oil": {"unit": "L", "cost_per_unit": 12, "price_per_unit": 20,
                          "initial_stock": 5, "demand": {"dine_in": 1.5}}},
        "policy": {"order_up_to": {"rice": round(8 * (cover + safety), 3),
                                   "oil": round(1.5 * (cover + safety), 3)},
                   "review_period_days": 3, "lead_time_days": 2},
    }), encoding="utf-8")
    window = run(path, trials=30, seed=seed)
    original = engine._age_mode
    try:
        engine._age_mode = lambda world: "buckets"  # type: ignore[assignment]
        buckets = run(path, trials=30, seed=seed)
    finally:
        engine._age_mode = original
    for name in window.samples:
        np.testing.assert_allclose(window.samples[name], buckets.samples[name], rtol=1e-9,
                                   atol=1e-9, err_msg=name)


def test_detail_prints_which_ingredient_runs_short_on_which_day(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", HOTPOT, "--trials", "60", "--detail"]) == 0
    out = capsys.readouterr().out
    res = run(HOTPOT, rules="hotpot@2026.11", trials=60)
    k = int(np.argmax(res.daily["stockout"].max(axis=0)))      # the item most often short
    worst_day = res.dates[int(np.argmax(res.daily["stockout"][:, k]))]
    item = res.item_ids[k].split("/", 1)[1]
    line = next(row for row in out.splitlines()[::-1] if f" {item} " in row)  # candidate table
    assert worst_day.strftime("%m-%d") in line


@pytest.mark.parametrize(("kwargs", "env", "words"), [
    ({"memory_mb": 0}, {}, r"memory_mb must be a number of MB > 0, got 0"),
    ({"memory_mb": float("nan")}, {}, r"memory_mb must be a number of MB > 0"),
    ({}, {"JXC_RULES_SIM_MEMORY_MB": "lots"}, r"JXC_RULES_SIM_MEMORY_MB must be a number of MB"),
    ({"trials": 10**9}, {}, r"trials must be at most 100,000,000 per run, got 1,000,000,000; "
                            r"split the run"),
    ({"trials": 10**400}, {}, r"trials must be at most 100,000,000 per run, got a number of "
                              r"401 digits"),
    ({"trials": 5 * 10**7, "chunk_trials": 5 * 10**7}, {},
     r"chunk_trials 50,000,000 needs about .* GiB per chunk, more than 8 GiB; lower "
     r"chunk_trials"),
])
def test_run_bounds_name_the_argument_and_the_fix(kwargs: dict[str, Any], env: dict[str, str],
                                                  words: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError, match=words):
        run("base-stock-poisson", **{"trials": 10, **kwargs})


def test_a_pack_path_needs_packs_that_have_fields() -> None:
    with pytest.raises(ValidationError, match=r"pack 1 is the scenario's own policy, which has "
                                              r"no pack fields; give a rule pack"):
        sweep("base-stock-poisson", "baseline.replenishment.safety_days", [1.0], rules=[None],
              trials=5)
    with pytest.raises(ValidationError, match=r"sweep names a path twice"):
        sweep(HOTPOT, [("demand.scale", [1.0]), ("demand.scale", [1.2])], trials=5)
