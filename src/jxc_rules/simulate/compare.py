"""Compare two rule packs on common random numbers (identical draws per trial).

For each KPI the per-trial paired difference ``candidate − baseline`` is summarised by its mean
and a 95 % interval ``mean ± t(0.975, n−1) · sd/√n`` (Student t; trials are independent, so the
paired differences are i.i.d.).

The verdict needs two things: the interval must exclude zero (the change is *detectable* at this
number of trials) and the mean difference must be at least the KPI's materiality threshold
``m = max(materiality, materiality_rel · |baseline mean|)`` (the change is *material*, 重要):

* interval excludes 0 and ``|mean| >= m`` → **better** / **worse** by the KPI's direction
  (:data:`~jxc_rules.simulate.kpis.KPIS`; *higher* / *lower* for a KPI without one);
* interval excludes 0 and ``|mean| < m`` → **no material change** (real but negligible, e.g. a
  transit-shrink rate moving by 0.002 percentage point);
* interval contains 0 → **no detectable change**.

Default thresholds (:class:`~jxc_rules.simulate.kpis.KpiInfo`): 0.1 percentage point for rates
and shares, 0.1 day for turnover days, 0.1 % of the baseline's gross margin for the margin in
yuan; a scenario's ``materiality:`` section or the ``materiality=`` argument overrides them
(absolute values in the KPI's unit). This is the "smallest effect of interest" of equivalence
testing (Lakens 2017, *Soc. Psychol. Personal. Sci.* 8(4)), read with the point estimate.
Because both packs see the same draws, a pack compared with itself gives exactly zero difference
on every KPI and "no detectable change".
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.simulate.kpis import KPI_INFO, check_materiality, materiality_overrides
from jxc_rules.simulate.runner import SimulationResult, run_many
from jxc_rules.simulate.scenario import Scenario, load_scenario_cached

__all__ = ["HEADLINE_KPIS", "VERDICTS", "CompareResult", "PairedDifference", "compare",
           "headline", "paired_difference", "run_headline"]

FloatArray = npt.NDArray[np.float64]

VERDICTS = ("better", "worse", "no material change", "no detectable change", "higher", "lower")


@attrs.frozen
class PairedDifference:
    """``candidate − baseline`` for one KPI: mean, standard error, 95 % interval, verdict, and
    the materiality threshold the verdict used (absolute, in the KPI's unit)."""

    kpi: str
    baseline_mean: float
    candidate_mean: float
    mean: float
    se: float
    low: float
    high: float
    n: int
    verdict: str
    materiality: float = 0.0

    def to_mapping(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in attrs.asdict(self).items()}


def _t975(dof: int) -> float:
    """Student's t 97.5 % quantile: ``scipy.stats.t.ppf(0.975, dof)`` bit for bit (the function
    it calls, ``scipy.special.stdtrit``) without importing ``scipy.stats``."""
    from scipy import special

    return float(special.stdtrit(dof, 0.975))


def paired_difference(kpi: str, base: FloatArray, cand: FloatArray, *,
                      materiality: float | None = None) -> PairedDifference:
    """Paired difference of two per-trial KPI vectors (trials where either is NaN left out).

    ``materiality`` (absolute, in the KPI's unit, ``>= 0``) overrides the KPI's default
    threshold (:meth:`KpiInfo.threshold <jxc_rules.simulate.kpis.KpiInfo.threshold>`);
    0 makes every detectable change material.

    Examples
    --------
    >>> x = np.array([0.1, 0.2, 0.3])
    >>> d = paired_difference("stockout_rate", x, x)
    >>> d.mean, d.low, d.high, d.verdict
    (0.0, 0.0, 0.0, 'no detectable change')
    >>> paired_difference("stockout_rate", x, x - 0.05).verdict
    'better'
    >>> tiny = paired_difference("stockout_rate", x, x + 0.00002)   # 0.002 percentage point
    >>> tiny.low > 0, tiny.materiality, tiny.verdict
    (True, 0.001, 'no material change')
    >>> paired_difference("stockout_rate", x, x + 0.00002, materiality=0).verdict
    'worse'
    """
    ok = np.isfinite(base) & np.isfinite(cand)
    b, c = base[ok], cand[ok]
    diff = c - b
    n = int(diff.size)
    info = KPI_INFO.get(kpi)
    if materiality is not None:
        threshold = check_materiality(materiality, f"materiality.{kpi}")
    nan = float("nan")
    if n == 0:
        return PairedDifference(kpi, nan, nan, nan, nan, nan, nan, 0, "no detectable change",
                                nan if materiality is None else threshold)
    base_mean = float(b.mean())
    if materiality is None:
        threshold = info.threshold(base_mean) if info is not None else 0.0
    mean = float(diff.mean())
    if n > 1 and bool((diff != diff[0]).any()):
        se = float(diff.std(ddof=1)) / math.sqrt(n)
        half = _t975(n - 1) * se
    else:
        se, half = 0.0, 0.0
    low, high = mean - half, mean + half
    better = info.better if info is not None else 0
    if not (low > 0 or high < 0):
        verdict = "no detectable change"
    elif abs(mean) < threshold:
        verdict = "no material change"
    elif low > 0:
        verdict = {1: "better", -1: "worse"}.get(better, "higher")
    else:
        verdict = {1: "worse", -1: "better"}.get(better, "lower")
    return PairedDifference(kpi, base_mean, float(c.mean()), mean, se, low, high, n,
                            verdict, threshold)


@attrs.frozen(eq=False)
class CompareResult:
    """Both runs and the paired differences per KPI."""

    baseline: SimulationResult
    candidate: SimulationResult
    differences: Mapping[str, PairedDifference]

    def headline(self, lang: str = "en") -> str:
        """One sentence of the trade-off, in money and rates (``lang`` ``"en"`` or ``"zh"``).

        What the candidate gains (material and detectable changes in the KPI's good direction
        among stockout, waste, fill and compliance rates) against what it costs (the same in the
        bad direction), then the gross margin in 元 with its verdict::

            hotpot 2026.11 vs hotpot 2026.10: buys waste rate −1.2 pp for stockout rate
            +2.4 pp; gross margin +252 元 (no detectable change).
        """
        return headline(self, lang)

    def to_mapping(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline.to_mapping(),
            "candidate": self.candidate.to_mapping(),
            "differences": {k: v.to_mapping() for k, v in self.differences.items()},
            "headline": self.headline(),
            "headline_zh": self.headline("zh"),
        }


HEADLINE_KPIS = ("stockout_rate", "waste_rate", "fill_rate", "safety_stock_compliance")
"""The rates the headline weighs against each other (gross margin closes the sentence)."""

_VERDICT_ZH = {"better": "改善", "worse": "变差", "no material change": "无实质变化",
               "no detectable change": "无可检测变化", "higher": "升高", "lower": "降低"}


def _pp(x: float, lang: str = "en") -> str:
    unit = " 个百分点" if lang == "zh" else " pp"
    return f"{x * 100:+.1f}{unit}".replace("-", "−")


def _short_label(label: str) -> str:
    return label.split(" (", 1)[0]


def run_headline(result: SimulationResult, lang: str = "en") -> str:
    """One sentence for a single run: the headline rates and the gross margin in 元.

    >>> from jxc_rules.simulate import run
    >>> run_headline(run("base-stock-poisson", trials=50)).startswith("scenario policy: stockout")
    True
    """
    k = result.kpis

    def pct(name: str) -> str:
        return f"{k[name].mean * 100:.1f} %" if name in k else "n/a"

    margin = f"{k['gross_margin'].mean:,.0f} 元" if "gross_margin" in k else "n/a"
    label = _short_label(result.rules)
    if lang == "zh":
        return (f"{label}：缺货率 {pct('stockout_rate')}，损耗率 {pct('waste_rate')}，"
                f"满足率 {pct('fill_rate')}，毛利 {margin}（{result.trials} 次试验均值）。")
    return (f"{label}: stockout rate {pct('stockout_rate')}, waste rate {pct('waste_rate')}, "
            f"fill rate {pct('fill_rate')}, gross margin {margin} (mean of {result.trials} "
            "trials).")


def headline(result: CompareResult, lang: str = "en") -> str:
    """The sentence of :meth:`CompareResult.headline`."""
    if lang not in ("en", "zh"):
        from jxc_rules.errors import bad_value

        raise bad_value("lang", lang, "'en' or 'zh'")
    diffs = result.differences
    gains: list[tuple[str, str]] = []
    costs: list[tuple[str, str]] = []
    for name in HEADLINE_KPIS:
        d = diffs.get(name)
        if d is None or d.verdict not in ("better", "worse"):
            continue
        info = KPI_INFO[name]
        words = info.zh if lang == "zh" else info.en
        (gains if d.verdict == "better" else costs).append((words, _pp(d.mean, lang)))
    cand = _short_label(result.candidate.rules)
    base = _short_label(result.baseline.rules)
    margin = diffs.get("gross_margin")
    if margin is not None and math.isfinite(margin.mean):
        money = f"{margin.mean:+,.0f} 元".replace("-", "−")
        verdict = _VERDICT_ZH[margin.verdict] if lang == "zh" else margin.verdict
        tail_en = f"gross margin {money} ({verdict})"
        tail_zh = f"毛利 {money}（{verdict}）"
    else:
        tail_en, tail_zh = "gross margin not measurable", "毛利无法计算"

    def join(parts: list[tuple[str, str]], sep: str) -> str:
        words = [f"{w} {v}" for w, v in parts]
        if sep == "、" or len(words) < 3:
            return sep.join(words)
        return ", ".join(words[:-1]) + sep + words[-1]

    if lang == "zh":
        if gains and costs:
            body = f"以{join(costs, '、')}换取{join(gains, '、')}"
        elif gains:
            body = f"{join(gains, '、')}，无可检测的代价"
        elif costs:
            body = f"{join(costs, '、')}，无可检测的收益"
        else:
            body = f"{result.candidate.trials} 次试验下各比率无实质变化"
        return f"{cand} 对比 {base}：{body}；{tail_zh}。"
    if gains and costs:
        body = f"buys {join(gains, ' and ')} for {join(costs, ' and ')}"
    elif gains:
        body = f"{join(gains, ' and ')} at no detectable cost"
    elif costs:
        body = f"{join(costs, ' and ')} for no detectable gain"
    else:
        body = f"no material change in the rates at {result.candidate.trials} trials"
    return f"{cand} vs {base}: {body}; {tail_en}."


def compare(
    scenario: Scenario | str | os.PathLike[str],
    baseline: Any,
    candidate: Any,
    *,
    trials: int = 1000,
    seed: int = 0,
    executor: Any = None,
    chunk_trials: int | None = None,
    progress: Any = None,
    materiality: Mapping[str, float] | None = None,
    memory_mb: float | None = None,
) -> CompareResult:
    """Run ``baseline`` and ``candidate`` packs on identical random draws and compare them.

    Physics the scenario leaves unstated (channel loss, shelf life, transit shrink, recipes)
    comes from ``baseline``, so both packs face the same world.

    ``materiality`` maps KPI names to absolute thresholds in the KPI's unit (a share as a
    fraction); it overrides the scenario's ``materiality:`` section, which overrides the KPI's
    default (see the module docstring). An unknown KPI name or a negative threshold is a
    ValidationError raised before anything runs.

    Examples
    --------
    >>> sc = "base-stock-poisson"  # a bundled scenario by name (or a path)
    >>> res = compare(sc, None, None, trials=100)
    >>> {d.mean for d in res.differences.values()}
    {0.0}
    >>> {d.verdict for d in res.differences.values()}
    {'no detectable change'}
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario_cached(scenario)
    limits = {**sc.materiality, **materiality_overrides(materiality)}
    base, cand = run_many(sc, [baseline, candidate], trials=trials, seed=seed,
                          executor=executor, chunk_trials=chunk_trials, progress=progress,
                          memory_mb=memory_mb)
    diffs = {k: paired_difference(k, base.samples[k], cand.samples[k],
                                  materiality=limits.get(k)) for k in base.kpis}
    return CompareResult(base, cand, diffs)
