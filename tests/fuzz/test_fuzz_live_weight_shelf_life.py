"""Fuzz: live weight (transit shrink, reconcile, fits) and shelf life (kinetics, lots, FEFO)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import live_weight, shelf_life
from jxc_rules.testing import (
    decay_forms,
    lot_logs,
    mortality_curves,
    rate_models,
    shelf_life_rules,
    shipments,
    temperature_logs,
    transit_models,
    transit_rates,
)
from tests.fuzz._hostile import check, fuzz_settings, hostile, or_hostile, vectors

KG = st.floats(0, 2e4)
HOURS = st.floats(0, 72)
TEMPS = st.floats(-5, 40)
RATE = or_hostile(st.one_of(transit_rates(), st.sampled_from(["0.3 %/h", "0.003 /h", "3 %/d"])))
FORM = or_hostile(decay_forms(), valid_weight=5)
OPTIONAL_TEMP = st.one_of(st.none(), or_hostile(st.one_of(TEMPS, vectors(TEMPS))))


def _data(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return or_hostile(st.one_of(valid, vectors(valid, min_size=1, max_size=4)), valid_weight=4)


@fuzz_settings(3)
@given(which=st.sampled_from(["expected_weight", "origin_weight", "retained_fraction"]),
       kg=_data(KG), hours=_data(HOURS), rate=RATE, form=FORM, temp=OPTIONAL_TEMP,
       ref=st.one_of(st.none(), or_hostile(TEMPS)),
       q10=st.one_of(st.none(), or_hostile(st.floats(1, 4))))
def test_transit_kernels(which: str, kg: Any, hours: Any, rate: Any, form: Any, temp: Any,
                         ref: Any, q10: Any) -> None:
    fn = getattr(live_weight, which)
    args = (hours,) if which == "retained_fraction" else (kg, hours)
    check(f"live_weight.{which}", fn, *args, rate_per_hour=rate, form=form, temp_c=temp,
          ref_temp_c=ref, q10=q10)


@fuzz_settings(3)
@given(ship=shipments(max_size=5), swap=st.sampled_from(
    ["none", "shipped_kg", "received_kg", "hours", "dead_kg", "tolerance_kg"]),
       bad=hostile(), rate=RATE, form=FORM,
       dead_count=st.one_of(st.none(), or_hostile(st.integers(0, 50))),
       fish_kg=st.one_of(st.none(), or_hostile(st.floats(0.2, 3))))
def test_reconcile(ship: dict[str, Any], swap: str, bad: Any, rate: Any, form: Any,
                   dead_count: Any, fish_kg: Any) -> None:
    data = {k: ship[k] for k in ("shipped_kg", "received_kg", "hours")}
    data["dead_kg"] = ship.get("dead_kg", 0)
    data["tolerance_kg"] = 0
    if swap != "none":
        data[swap] = bad
    extra = {}
    if dead_count is not None or fish_kg is not None:
        extra = {"dead_count": dead_count, "fish_kg": fish_kg}
        data.pop("dead_kg")
    check("live_weight.reconcile", live_weight.reconcile, data.pop("shipped_kg"),
          data.pop("received_kg"), data.pop("hours"), rate_per_hour=rate, form=form,
          **data, **extra)


@fuzz_settings(1)
@given(ship=shipments(min_size=3, max_size=12), swap=st.sampled_from(
    ["none", "shipped_kg", "received_kg", "hours", "temp_c", "dead_kg", "confidence"]),
       bad=hostile(), form=st.one_of(st.none(), FORM), fit_q10=st.booleans())
def test_fit_rate(ship: dict[str, Any], swap: str, bad: Any, form: Any, fit_q10: bool) -> None:
    n = len(ship["shipped_kg"])
    args: dict[str, Any] = {"shipped_kg": ship["shipped_kg"], "received_kg": ship["received_kg"],
                            "hours": ship["hours"],
                            "temp_c": np.linspace(10, 30, n) if fit_q10 else None,
                            "dead_kg": 0, "confidence": 0.95}
    if swap != "none":
        args[swap] = bad
    check("live_weight.fit_rate", live_weight.fit_rate, args.pop("shipped_kg"),
          args.pop("received_kg"), args.pop("hours"), args.pop("temp_c"), form=form,
          fit_q10=fit_q10 and args.get("temp_c", 1) is not None, **args)


@fuzz_settings(2)
@given(which=st.sampled_from(["TransitModel", "MortalityCurve", "parse_rate", "call"]),
       model=transit_models(), curve=mortality_curves(), rate=RATE, form=FORM,
       hours=or_hostile(st.one_of(vectors(HOURS, min_size=1), HOURS)),
       fractions=or_hostile(vectors(st.floats(0, 1), min_size=1)),
       q10=st.one_of(st.none(), or_hostile(st.floats(1, 4))),
       phase=or_hostile(st.floats(0, 10), valid_weight=4))
def test_transit_parameters(which: str, model: Any, curve: Any, rate: Any, form: Any,
                            hours: Any, fractions: Any, q10: Any, phase: Any) -> None:
    if which == "TransitModel":
        check("live_weight.TransitModel", live_weight.TransitModel, rate, form, q10=q10,
              ref_temp_c=20 if q10 is not None else None, initial_phase_hours=phase)
    elif which == "MortalityCurve":
        check("live_weight.MortalityCurve", live_weight.MortalityCurve, hours, fractions)
    elif which == "parse_rate":
        check("live_weight.parse_rate", live_weight.parse_rate, rate)
    else:
        check("live_weight.MortalityCurve.__call__", curve, hours)
        check("live_weight.TransitModel.expected_weight", model.expected_weight, 1000, hours)


# ------------------------------------------------------------------ shelf life

MODEL_CLASSES = {
    "Q10": lambda a, ref: shelf_life.Q10(a, ref),
    "Arrhenius": lambda a, ref: shelf_life.Arrhenius(a, ref),
    "Bigelow": lambda a, ref: shelf_life.Bigelow(a, ref),
    "SquareRoot": lambda a, ref: shelf_life.SquareRoot(a, ref),
    "RateTable": lambda a, ref: shelf_life.RateTable(a, [1.0, 2.0], ref),
}


@fuzz_settings(2)
@given(kind=st.sampled_from(sorted(MODEL_CLASSES)),
       a=or_hostile(st.one_of(st.floats(0.5, 100), st.just([0.0, 10.0]))),
       ref=or_hostile(TEMPS))
def test_rate_models(kind: str, a: Any, ref: Any) -> None:
    check(f"shelf_life.{kind}", MODEL_CLASSES[kind], a, ref)


@st.composite
def logs(draw: st.DrawFn) -> tuple[Any, Any]:
    times, temps = draw(temperature_logs(max_size=12))
    where = draw(st.sampled_from(["none", "times", "temps", "one", "shape"]))
    if where == "times":
        times = draw(hostile())
    elif where == "temps":
        temps = draw(hostile())
    elif where == "one":
        temps = np.array(temps, dtype=object)
        temps[draw(st.integers(0, len(temps) - 1))] = draw(hostile())
    elif where == "shape":
        temps = np.vstack([temps, temps])
    return times, temps


@fuzz_settings(3)
@given(which=st.sampled_from(["equivalent_time", "remaining_life", "effective_temperature",
                              "mean_kinetic_temperature"]),
       log=logs(), model=rate_models(), ref_h=or_hostile(st.floats(1, 500), valid_weight=4),
       forecast=st.one_of(st.none(), or_hostile(TEMPS)),
       interpolation=or_hostile(st.sampled_from(["linear", "step", "previous"]),
                                valid_weight=5))
def test_kinetics(which: str, log: tuple[Any, Any], model: Any, ref_h: Any, forecast: Any,
                  interpolation: Any) -> None:
    times, temps = log
    target = f"shelf_life.{which}"
    fn = getattr(shelf_life, which)
    if which == "remaining_life":
        check(target, fn, times, temps, model, ref_h, forecast_temp_c=forecast,
              interpolation=interpolation)
    elif which == "mean_kinetic_temperature":
        check(target, fn, temps, times_h=times, interpolation=interpolation)
    else:
        check(target, fn, times, temps, model, interpolation=interpolation)


@fuzz_settings(2)
@given(temp=or_hostile(st.one_of(TEMPS, vectors(TEMPS))), ref=or_hostile(st.floats(1, 500)),
       model=rate_models(),
       conv=st.sampled_from(["q10_to_ea", "q10_to_z", "ea_to_q10", "ea_to_z", "z_to_ea",
                             "z_to_q10"]),
       x=or_hostile(st.floats(0.5, 200)), t=or_hostile(TEMPS))
def test_shelf_life_at_and_conversions(temp: Any, ref: Any, model: Any, conv: str, x: Any,
                                       t: Any) -> None:
    check("shelf_life.shelf_life_at", shelf_life.shelf_life_at, temp, ref, model)
    fn = getattr(shelf_life, conv)
    args = (x,) if conv in ("q10_to_z", "z_to_q10") else (x, t)
    check(f"shelf_life.{conv}", fn, *args)


@st.composite
def lot_inputs(draw: st.DrawFn) -> tuple[Any, Any, Any, Any]:
    lots = draw(lot_logs(max_lots=3, max_readings=8))
    times, temps = lots["times_h"], lots["temps_c"]
    now = float(np.nanmax(times)) + draw(st.floats(0, 24))
    ids = lots.get("lot_ids")
    where = draw(st.sampled_from(["none", "times", "temps", "now", "ids", "cell", "shape"]))
    bad = draw(hostile())
    if where == "times":
        times = bad
    elif where == "temps":
        temps = bad
    elif where == "now":
        now = bad
    elif where == "ids":
        ids = bad
    elif where == "cell":
        temps = np.array(temps, dtype=object)
        temps[0, 0] = bad
    elif where == "shape":
        temps = temps[:, :-1] if temps.shape[1] > 1 else temps.ravel()
    return times, temps, now, ids


@fuzz_settings(3)
@given(inputs=lot_inputs(), rule=shelf_life_rules(),
       forecast=st.one_of(st.none(), or_hostile(TEMPS)),
       implausible=or_hostile(st.sampled_from(["flag", "raise", "ignore"]), valid_weight=5),
       sellable_only=or_hostile(st.booleans(), valid_weight=5))
def test_assess_lots_and_fefo(inputs: tuple[Any, Any, Any, Any], rule: Any, forecast: Any,
                              implausible: Any, sellable_only: Any) -> None:
    times, temps, now, ids = inputs
    lots = check("shelf_life.assess_lots", shelf_life.assess_lots, times, temps, rule, now,
                 lot_ids=ids, forecast_temp_c=forecast, implausible=implausible)
    if isinstance(lots, shelf_life.LotAssessment):
        check("shelf_life.fefo_order", shelf_life.fefo_order, lots,
              sellable_only=sellable_only)


@fuzz_settings(2)
@given(expiry=or_hostile(vectors(st.floats(0, 500), min_size=1)),
       sellable_only=or_hostile(st.booleans(), valid_weight=3))
def test_fefo_order_on_arrays(expiry: Any, sellable_only: Any) -> None:
    check("shelf_life.fefo_order", shelf_life.fefo_order, expiry, sellable_only=sellable_only)


RULE_FIELDS = ["shelf_life_ref_h", "alert_offset_h", "removal_offset_h", "hard_limits",
               "freeze_point_c", "freeze_action", "max_gap_h", "worst_case_temp_c",
               "plausible_range_c"]


@fuzz_settings(2)
@given(rule=shelf_life_rules(), field=st.sampled_from([*RULE_FIELDS, "HardLimit"]),
       bad=hostile())
def test_rule_parameters(rule: Any, field: str, bad: Any) -> None:
    if field == "HardLimit":
        check("shelf_life.HardLimit", shelf_life.HardLimit, bad, above_c=8)
        return
    kwargs = {f: getattr(rule, f) for f in RULE_FIELDS}
    kwargs[field] = bad
    check("shelf_life.ShelfLifeRule", shelf_life.ShelfLifeRule, rule.model, **kwargs)


@fuzz_settings(1)
@given(temps=or_hostile(vectors(TEMPS, min_size=3)),
       life=or_hostile(vectors(st.floats(1, 1000), min_size=3)),
       model=or_hostile(st.sampled_from(["q10", "arrhenius", "bigelow", "square_root"]),
                        valid_weight=5),
       ref=or_hostile(TEMPS, valid_weight=4),
       confidence=or_hostile(st.floats(0.5, 0.99), valid_weight=5))
def test_fit_shelf_life(temps: Any, life: Any, model: Any, ref: Any, confidence: Any) -> None:
    check("shelf_life.fit_shelf_life", shelf_life.fit_shelf_life, temps, life, model=model,
          ref_temp_c=ref, confidence=confidence)
