"""Stress sweeps: KPIs against the committee's decisions and the true world, and break points.

``PATH=start:stop:step`` (stop included) or ``PATH=v1,v2,...``. ``PATH`` is either

- ``candidate.`` / ``baseline.`` / ``packs.`` (both) followed by a pack field written as ``diff``
  prints it — a *decision* or an *assumption* of the pack:
  ``candidate.replenishment.safety_days``,
  ``candidate.holidays.Spring Festival.dine_in.during[3]`` (the value replaces that number; the
  pack is rebuilt and validated as if the value were written in its file); or
- a *true-world* parameter of the scenario:

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

Holiday names as the calendar writes them (``Spring Festival``) or in snake case
(``spring_festival``). Several axes make a **grid**: every combination, the last axis fastest,
every point on the same random draws (common random numbers: a trial sees the same weather and
demand at every point, so differences between points are the parameter's effect, not noise). A
pack-only axis reuses the compiled world; a true-world axis compiles it once per value.

The *break point* of a KPI with a committee threshold is the first value of the first axis where
the KPI's mean crosses the threshold in the bad direction (linear interpolation between grid
points), for each combination of the other axes ("what breaks first").
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from jxc_rules.errors import ValidationError
from jxc_rules.simulate.kpis import KPI_INFO, KpiSummary
from jxc_rules.simulate.runner import _scenario, run_many
from jxc_rules.simulate.scenario import Distribution, HolidayEffect, Scenario, WeatherState

if TYPE_CHECKING:
    from jxc_rules.simulate.compare import PairedDifference

__all__ = ["PACK_PREFIXES", "BreakPoint", "SweepResult", "apply_parameter", "param_label",
           "parse_sweep", "sweep"]

PACK_PREFIXES = ("candidate.", "baseline.", "packs.")
"""Sweep paths that move a pack field rather than the true world."""


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """``"PARAM=start:stop:step"`` → ``(PARAM, values)`` with ``stop`` included.

    Examples
    --------
    >>> parse_sweep("holiday.spring_festival.dine_in.uplift=0:0.8:0.2")
    ('holiday.spring_festival.dine_in.uplift', [0.0, 0.2, 0.4, 0.6, 0.8])
    """
    if not isinstance(text, str):
        raise ValidationError(f"sweep must be text like PARAM=start:stop:step, got {text!r}",
                              field="sweep", value=repr(text))
    if "=" not in text:
        raise ValidationError(f"sweep must look like PARAM=start:stop:step, got {text!r}",
                              field="sweep", value=text)
    param, _, spec = text.rpartition("=")
    if ":" not in spec:  # PATH=v1,v2,... (a single value is a list of one)
        from jxc_rules._internal.percent import ratio_float

        items = [v.strip() for v in spec.split(",")]
        if not all(items):
            raise ValidationError(f"sweep values must be v1,v2,... numbers, got {spec!r}",
                                  field="sweep", value=text)
        picked = [ratio_float(v, "sweep") for v in items]
        if len(picked) > 200:
            raise ValidationError(f"sweep has {len(picked)} points; at most 200",
                                  field="sweep", value=text)
        return param.strip(), picked
    parts = spec.split(":")
    try:
        start, stop, step = (float(p) for p in parts)
    except ValueError:
        raise ValidationError(f"sweep range must be start:stop:step numbers (or v1,v2,...), "
                              f"got {spec!r}", field="sweep", value=text) from None
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
    from jxc_rules.simulate.calendar import HOLIDAY_NAMES

    for h in HOLIDAY_NAMES:
        snake = re.sub(r"[^a-z0-9]+", "_", h.lower()).strip("_")
        if name in (h, snake):
            return h
    raise ValidationError(f"unknown holiday {name!r} in sweep parameter (one of "
                          f"{', '.join(HOLIDAY_NAMES)})", field="sweep", value=name)


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
    """Where a KPI's mean first crosses its threshold in the bad direction along the first axis
    (``value`` None: never), for pack ``rules`` and the other axes at ``at``."""

    kpi: str
    rules: str
    threshold: float
    value: float | None
    at_start: bool = False
    param: str = ""
    at: Mapping[str, float] = attrs.field(factory=dict)


_LEAF_WORDS = {
    "safety_days": ("safety stock (days)", "安全库存（天）"),
    "days_of_cover": ("days of cover", "覆盖天数"),
    "review_period_days": ("review period (days)", "盘点补货周期（天）"),
    "lead_time_days": ("lead time (days)", "提前期（天）"),
    "forecast_window_days": ("forecast window (days)", "预测窗口（天）"),
    "uplift": ("uplift during the break (+x)", "节日期间增幅（+x）"),
    "scale": ("holiday effect scale", "节日效应倍数"),
    "probability": ("daily probability", "每日概率"),
    "shift_to_takeaway": ("share shifted to takeaway", "转外卖比例"),
    "dispersion": ("demand dispersion k", "需求离散度 k"),
    "storage_temp_c": ("storage temperature (°C)", "储存温度（°C）"),
}


_WORLD_WORDS = {
    "demand.scale": ("demand scale (× every location)", "需求倍数（各门店）"),
    "distribution.dispersion": ("demand dispersion k", "需求离散度 k"),
    "temperature.storage_temp_c": ("storage temperature (°C)", "储存温度（°C）"),
}


def param_label(path: str, lang: str = "en") -> str:
    """``path`` in words, for axes and tables.

    >>> param_label("candidate.replenishment.safety_days")
    'candidate: safety stock (days)'
    >>> param_label("candidate.holidays.Spring Festival.dine_in.during[3]")
    'candidate: Spring Festival dine in, during day 4'
    >>> param_label("demand.scale")
    'true world: demand scale (× every location)'
    >>> param_label("holiday.spring_festival.dine_in.uplift", "zh")
    '真实世界：spring festival dine in 节日期间增幅（+x）'
    """
    from jxc_rules.rules.diff import day_label

    zh = lang == "zh"
    who = {"candidate": ("candidate", "候选规则包"), "baseline": ("baseline", "基准规则包"),
           "packs": ("both packs", "两个规则包")}
    head, _, rest = path.partition(".")
    if head in who:
        prefix = who[head][1 if zh else 0]
        body = day_label(rest)
    else:
        prefix = "真实世界" if zh else "true world"
        body = path
    parts = body.split(".")
    leaf = parts[-1]
    if body in _WORLD_WORDS:
        words = _WORLD_WORDS[body][1 if zh else 0]
        return f"{prefix}{'：' if zh else ': '}{words}"
    if leaf in _LEAF_WORDS:
        words = _LEAF_WORDS[leaf][1 if zh else 0]
        context = " ".join(p.replace("_", " ") for p in parts[1:-1]
                           if p not in ("replenishment", "weather", "holidays", "holiday"))
        text = f"{context} {words}".strip()
    else:
        shown = [p for p in parts if p not in ("holidays", "weather", "holiday")]
        text = " ".join(p.replace("_", " ") for p in shown[:-1])
        text = f"{text}, {shown[-1]}" if text else shown[-1]
    sep = "：" if zh else ": "
    return f"{prefix}{sep}{text}"


@attrs.frozen(eq=False)
class SweepResult:
    """KPI summaries per grid point and pack, the paired differences, and the break points.

    ``params`` are the swept paths, ``axes`` the values of each, ``points`` their cartesian
    product (the last axis fastest); ``kpis[label][i]`` the KPI summaries of pack ``label`` at
    point ``i``; ``differences[i]`` candidate − baseline per KPI at point ``i`` (two packs).
    """

    params: tuple[str, ...]
    axes: tuple[tuple[float, ...], ...]
    points: tuple[tuple[float, ...], ...]
    rules: tuple[str, ...]
    kpis: Mapping[str, Sequence[Mapping[str, KpiSummary]]]   # rules label -> per point
    thresholds: Mapping[str, float]
    break_points: tuple[BreakPoint, ...]
    differences: tuple[Mapping[str, PairedDifference], ...] | None = None

    @property
    def param(self) -> str:
        """The swept paths joined with " × " (one line)."""
        return " × ".join(self.params)

    @property
    def values(self) -> tuple[float, ...] | tuple[tuple[float, ...], ...]:
        """The values of a one-axis sweep; the points of a grid."""
        return self.axes[0] if len(self.axes) == 1 else self.points

    def series(self, rules: str, kpi: str, stat: str = "mean") -> list[float]:
        """``stat`` of ``kpi`` for pack ``rules`` at every point, in point order."""
        return [float(getattr(point[kpi], stat)) for point in self.kpis[rules]]

    def to_mapping(self) -> dict[str, Any]:
        return {
            "param": list(self.params),
            "labels": [param_label(p) for p in self.params],
            "axes": [list(a) for a in self.axes],
            "values": [list(p) for p in self.points],
            "rules": list(self.rules),
            "kpis": {r: [{k: s.to_mapping() for k, s in point.items()} for point in pts]
                     for r, pts in self.kpis.items()},
            "differences": None if self.differences is None else
            [{k: d.to_mapping() for k, d in point.items()} for point in self.differences],
            "thresholds": dict(self.thresholds),
            "break_points": [{**attrs.asdict(b), "at": dict(b.at)} for b in self.break_points],
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


def _pack_at(packs: list[Any], path: str, value: float) -> list[Any]:
    """``packs`` with the pack field of ``path`` (``candidate.``/``baseline.``/``packs.``) set."""
    from jxc_rules.rules.edit import set_field

    head, _, rest = path.partition(".")
    out = list(packs)
    if head == "packs":
        targets = range(len(out))
    elif head == "baseline":
        targets = range(1)
    else:
        if len(out) < 2:
            raise ValidationError(f"sweep {path!r} moves the candidate pack, but only one pack "
                                  "runs: give --compare PACK (or use baseline. / packs.)",
                                  field="sweep", value=path)
        targets = range(len(out) - 1, len(out))
    for k in targets:
        if out[k] is None:
            raise ValidationError(f"sweep {path!r}: pack {k + 1} is the scenario's own policy, "
                                  "which has no pack fields; give a rule pack", field="sweep",
                                  value=path)
        out[k] = set_field(out[k], rest, value)
    return out


def sweep(
    scenario: Scenario | str | os.PathLike[str],
    param: str | Sequence[tuple[str, Sequence[float]]],
    values: Sequence[float] | None = None,
    *,
    rules: Sequence[Any] | None = None,
    trials: int = 1000,
    seed: int = 0,
    executor: Any = None,
    chunk_trials: int | None = None,
    thresholds: Mapping[str, float] | None = None,
    progress: Any = None,
    memory_mb: float | None = None,
) -> SweepResult:
    """KPIs of each pack in ``rules`` (default: the scenario's baseline and candidate) at every
    point of a sweep: ``param`` with ``values`` (one axis), or ``param`` a list of
    ``(path, values)`` axes (a grid). Every point uses the same ``seed`` (common random numbers).

    Examples
    --------
    >>> res = sweep("base-stock-poisson", "demand.scale",
    ...             [0.8, 1.2], rules=[None], trials=100, thresholds={"stockout_rate": 0.3})
    >>> [b.kpi for b in res.break_points], res.break_points[0].value is not None
    (['stockout_rate'], True)
    >>> grid = sweep("hotpot-spring-festival",
    ...              [("candidate.replenishment.safety_days", [0.5, 1.5]), ("demand.scale", [1.0])],
    ...              trials=20)
    >>> len(grid.points), grid.differences[0]["stockout_rate"].kpi
    (2, 'stockout_rate')
    """
    from jxc_rules.simulate.compare import paired_difference
    from jxc_rules.simulate.kpis import materiality_overrides
    from jxc_rules.simulate.plan import compile_world
    from jxc_rules.simulate.runner import load_rules

    sc = _scenario(scenario)
    if isinstance(param, str):
        if values is None:
            raise ValidationError("sweep needs values for its parameter", field="sweep",
                                  value=param)
        axes_spec: list[tuple[str, tuple[float, ...]]] = [(param, tuple(float(v)
                                                                        for v in values))]
    else:
        axes_spec = [(str(p), tuple(float(v) for v in vs)) for p, vs in param]
    if not axes_spec or any(not vs for _, vs in axes_spec):
        raise ValidationError("sweep needs at least one axis with at least one value",
                              field="sweep", value=repr(param))
    names = [p for p, _ in axes_spec]
    if len(set(names)) != len(names):
        raise ValidationError(f"sweep names a path twice: {names}", field="sweep",
                              value=names)
    if rules is None:
        rules = [sc.rules[k] for k in ("baseline", "candidate") if k in sc.rules] or [None]
    limits = dict(sc.thresholds if thresholds is None else thresholds)
    for k in limits:
        if k not in KPI_INFO:
            raise ValidationError(f"threshold for unknown KPI {k!r}", field="thresholds",
                                  value=k)
    packs = [load_rules(r) for r in rules]
    axes = tuple(vs for _, vs in axes_spec)
    points = tuple(itertools.product(*axes))
    per_rules: dict[str, list[dict[str, KpiSummary]]] = {}
    diffs: list[dict[str, PairedDifference]] = []
    labels: list[str] = []
    materiality = {**sc.materiality, **materiality_overrides(None)}
    # the world depends on the true-world axes and the reference (baseline) pack only: a
    # candidate-only axis reuses it (one compiled world per combination of the others)
    worlds: dict[tuple[tuple[str, float], ...], Any] = {}
    for point in points:
        world_sc, point_packs = sc, list(packs)
        for path, value in zip(names, point, strict=True):
            if path.startswith(PACK_PREFIXES):
                point_packs = _pack_at(point_packs, path, value)
            else:
                world_sc = apply_parameter(world_sc, path, value)
        key = tuple((path, value) for path, value in zip(names, point, strict=True)
                    if not path.startswith("candidate."))
        world = worlds.get(key)
        if world is None:
            world = worlds[key] = compile_world(world_sc, point_packs[0])
        results = run_many(world_sc, point_packs, trials=trials, seed=seed, executor=executor,
                           chunk_trials=chunk_trials, progress=progress, world=world,
                           memory_mb=memory_mb)
        if not labels:
            labels = [str(r.rules) for r in results]
            labels = [lab if labels.count(lab) == 1 else f"{lab} #{k + 1}"
                      for k, lab in enumerate(labels)]
        for lab, r in zip(labels, results, strict=True):
            per_rules.setdefault(lab, []).append(dict(r.kpis))
        if len(results) == 2:
            base, cand = results
            diffs.append({k: paired_difference(k, base.samples[k], cand.samples[k],
                                               materiality=materiality.get(k))
                          for k in base.kpis})
    breaks: list[BreakPoint] = []
    first = axes[0]
    others = list(itertools.product(*axes[1:]))
    stride = len(others)
    for lab in labels:
        for kpi, limit in limits.items():
            for j, rest in enumerate(others):
                means = [float(per_rules[lab][i * stride + j][kpi].mean)
                         for i in range(len(first))]
                x, at_start = _break(list(first), means, float(limit),
                                     KPI_INFO[kpi].better or -1)
                breaks.append(BreakPoint(kpi, lab, float(limit), x, at_start, names[0],
                                         dict(zip(names[1:], rest, strict=True))))
    return SweepResult(tuple(names), axes, points, tuple(labels), per_rules, limits,
                       tuple(breaks), tuple(diffs) if diffs else None)
