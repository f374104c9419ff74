"""Stress sweeps: KPIs against one parameter of the simulated world, and the break point.

``PARAM=start:stop:step`` (stop included) names a *true-world* parameter:

=========================================  ===================================================
``holiday.<name>.<channel>.uplift``        during-break multiplier set to 1 + value
``holiday.<name>.<channel>.scale``         every profile multiplier m → 1 + value·(m − 1)
``weather.<state>.probability``            daily probability (constant)
``weather.<state>.<channel>``              the state's multiplier of that channel
``weather.<state>.shift_to_takeaway``      share of lost dine-in demand moving to takeaway
``demand.scale``                           multiplies every location's demand scale
``distribution.dispersion``                negative-binomial dispersion k
``temperature.storage_temp_c``             storage temperature
=========================================  ===================================================

Holiday names are chinese_calendar's (``Spring Festival``) or its enum names
(``spring_festival``). The *break point* of a KPI with a committee threshold is the first
parameter value where the KPI's mean crosses the threshold in the bad direction (linear
interpolation between grid points).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from jxc_rules.errors import ValidationError
from jxc_rules.simulate.kpis import KPI_INFO, KpiSummary
from jxc_rules.simulate.runner import _scenario, run_many
from jxc_rules.simulate.scenario import Distribution, HolidayEffect, Scenario, WeatherState

__all__ = ["BreakPoint", "SweepResult", "apply_parameter", "parse_sweep", "sweep"]


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """``"PARAM=start:stop:step"`` → ``(PARAM, values)`` with ``stop`` included.

    Examples
    --------
    >>> parse_sweep("holiday.spring_festival.dine_in.uplift=0:0.8:0.2")
    ('holiday.spring_festival.dine_in.uplift', [0.0, 0.2, 0.4, 0.6, 0.8])
    """
    if "=" not in text:
        raise ValidationError(f"sweep must look like PARAM=start:stop:step, got {text!r}",
                              field="sweep", value=text)
    param, _, spec = text.rpartition("=")
    parts = spec.split(":")
    try:
        start, stop, step = (float(p) for p in parts)
    except ValueError:
        raise ValidationError(f"sweep range must be start:stop:step numbers, got {spec!r}",
                              field="sweep", value=text) from None
    if step <= 0 or stop < start or not all(map(math.isfinite, (start, stop, step))):
        raise ValidationError(f"sweep range needs step > 0 and stop >= start, got {spec!r}",
                              field="sweep", value=text)
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > 200:
        raise ValidationError(f"sweep has {count} points; at most 200", field="sweep",
                              value=text)
    values = [round(start + k * step, 12) for k in range(count)]
    return param.strip(), values


def _holiday_name(name: str) -> str:
    import chinese_calendar

    for h in chinese_calendar.Holiday:
        if name in (h.value, h.name):
            return str(h.value)
    raise ValidationError(f"unknown holiday {name!r} in sweep parameter", field="sweep",
                          value=name)


def apply_parameter(scenario: Scenario, param: str, value: float) -> Scenario:
    """A copy of ``scenario`` with one true-world parameter set (see the module table)."""
    parts = param.split(".")
    head = parts[0]
    if head == "holiday" and len(parts) == 4:
        name = _holiday_name(parts[1])
        channel, what = parts[2], parts[3]
        if channel not in scenario.channels:
            raise ValidationError(f"unknown channel {channel!r} in sweep parameter",
                                  field="sweep", value=param)
        effect = scenario.holidays.get(name, HolidayEffect({}))
        before, during, after = effect.channels.get(channel, ((), (), ()))
        prof: tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]
        if what == "uplift":
            prof = (before, (1.0 + value,), after)
        elif what == "scale":
            def f(seq: Sequence[float]) -> tuple[float, ...]:
                return tuple(1.0 + value * (m - 1.0) for m in seq)
            prof = (f(before), f(during), f(after))
        else:
            raise ValidationError(f"holiday sweep must end in .uplift or .scale, got {param!r}",
                                  field="sweep", value=param)
        chans = {**effect.channels, channel: prof}
        holidays = {**scenario.holidays, name: HolidayEffect(chans, effect.items)}
        return scenario.replace(holidays=holidays)
    if head == "weather" and len(parts) == 3:
        states = list(scenario.weather)
        names = [w.name for w in states]
        if parts[1] not in names:
            states.append(WeatherState(parts[1], (0.0,) * scenario.days, {}))
            names.append(parts[1])
        k = names.index(parts[1])
        w = states[k]
        if parts[2] == "probability":
            if not 0 <= value <= 1:
                raise ValidationError(f"probability must be in [0, 1], got {value}",
                                      field="sweep", value=value)
            w = attrs.evolve(w, probability=(value,) * scenario.days)
        elif parts[2] == "shift_to_takeaway":
            w = attrs.evolve(w, shift_to_takeaway=value)
        elif parts[2] in scenario.channels:
            w = attrs.evolve(w, multipliers={**w.multipliers, parts[2]: value})
        else:
            raise ValidationError(f"unknown weather parameter {param!r}", field="sweep",
                                  value=param)
        states[k] = w
        return scenario.replace(weather=tuple(states))
    if param == "demand.scale":
        return scenario.replace(locations=tuple(attrs.evolve(loc, demand_scale=loc.demand_scale
                                                             * value)
                                                for loc in scenario.locations))
    if param == "distribution.dispersion":
        return scenario.replace(distribution=Distribution("negative_binomial", value))
    if param == "temperature.storage_temp_c":
        return scenario.replace(storage_temp_c=value)
    raise ValidationError(f"unknown sweep parameter {param!r} (see docs/simulator.md)",
                          field="sweep", value=param)


@attrs.frozen
class BreakPoint:
    """Where a KPI's mean first crosses its threshold in the bad direction (None: never)."""

    kpi: str
    rules: str
    threshold: float
    value: float | None
    at_start: bool = False


@attrs.frozen(eq=False)
class SweepResult:
    """KPI summaries per parameter value and pack, and the break points."""

    param: str
    values: tuple[float, ...]
    rules: tuple[str, ...]
    kpis: Mapping[str, Sequence[Mapping[str, KpiSummary]]]   # rules label -> per value
    thresholds: Mapping[str, float]
    break_points: tuple[BreakPoint, ...]

    def series(self, rules: str, kpi: str, stat: str = "mean") -> list[float]:
        return [float(getattr(point[kpi], stat)) for point in self.kpis[rules]]

    def to_mapping(self) -> dict[str, Any]:
        return {
            "param": self.param, "values": list(self.values), "rules": list(self.rules),
            "kpis": {r: [{k: s.to_mapping() for k, s in point.items()} for point in pts]
                     for r, pts in self.kpis.items()},
            "thresholds": dict(self.thresholds),
            "break_points": [attrs.asdict(b) for b in self.break_points],
        }


def _break(values: Sequence[float], means: Sequence[float], limit: float, better: int
           ) -> tuple[float | None, bool]:
    def bad(m: float) -> bool:
        return (m < limit) if better > 0 else (m > limit)

    for k, m in enumerate(means):
        if not math.isfinite(m) or not bad(m):
            continue
        if k == 0:
            return float(values[0]), True
        m0 = means[k - 1]
        if not math.isfinite(m0) or m == m0:
            return float(values[k]), False
        x = values[k - 1] + (limit - m0) * (values[k] - values[k - 1]) / (m - m0)
        return float(x), False
    return None, False


def sweep(
    scenario: Scenario | str | os.PathLike[str],
    param: str,
    values: Sequence[float],
    *,
    rules: Sequence[Any] | None = None,
    trials: int = 1000,
    seed: int = 0,
    executor: Any = None,
    chunk_trials: int | None = None,
    thresholds: Mapping[str, float] | None = None,
    progress: Any = None,
) -> SweepResult:
    """KPIs of each pack in ``rules`` (default: the scenario's baseline and candidate) at every
    value of ``param``; every point uses the same ``seed``.

    Examples
    --------
    >>> res = sweep("base-stock-poisson", "demand.scale",
    ...             [0.8, 1.2], rules=[None], trials=100, thresholds={"stockout_rate": 0.3})
    >>> [b.kpi for b in res.break_points], res.break_points[0].value is not None
    (['stockout_rate'], True)
    """
    sc = _scenario(scenario)
    if rules is None:
        rules = [sc.rules[k] for k in ("baseline", "candidate") if k in sc.rules] or [None]
    limits = dict(sc.thresholds if thresholds is None else thresholds)
    for k in limits:
        if k not in KPI_INFO:
            raise ValidationError(f"threshold for unknown KPI {k!r}", field="thresholds",
                                  value=k)
    from jxc_rules.simulate.runner import load_rules

    packs = [load_rules(r) for r in rules]
    per_rules: dict[str, list[dict[str, KpiSummary]]] = {}
    labels: list[str] = []
    for value in values:
        world_sc = apply_parameter(sc, param, float(value))
        results = run_many(world_sc, packs, trials=trials, seed=seed, executor=executor,
                           chunk_trials=chunk_trials, progress=progress)
        if not labels:
            labels = [r.rules if str(r.rules) not in labels else f"{r.rules} #{k + 1}"
                      for k, r in enumerate(results)]
            labels = [lab if labels.count(lab) == 1 else f"{lab} #{k + 1}"
                      for k, lab in enumerate(labels)]
        for lab, r in zip(labels, results, strict=True):
            per_rules.setdefault(lab, []).append(dict(r.kpis))
    breaks: list[BreakPoint] = []
    for lab in labels:
        for kpi, limit in limits.items():
            means = [float(p[kpi].mean) for p in per_rules[lab]]
            x, at_start = _break(list(values), means, float(limit), KPI_INFO[kpi].better or -1)
            breaks.append(BreakPoint(kpi, lab, float(limit), x, at_start))
    return SweepResult(param, tuple(float(v) for v in values), tuple(labels), per_rules,
                       limits, tuple(breaks))


_ = np  # numpy is part of the public types above
