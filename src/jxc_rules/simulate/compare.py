"""Compare two rule packs on common random numbers (identical draws per trial).

For each KPI the per-trial paired difference ``candidate − baseline`` is summarised by its mean
and a 95 % interval ``mean ± t(0.975, n−1) · sd/√n`` (Student t; trials are independent, so the
paired differences are i.i.d.). The verdict reads the interval against the KPI's better
direction (:data:`~jxc_rules.simulate.kpis.KPIS`): an interval wholly above zero is *better*
for a higher-is-better KPI and *worse* for a lower-is-better one; an interval containing zero is
*no detectable change*. Because both packs see the same draws, a pack compared with itself gives
exactly zero difference on every KPI.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.simulate.executors import DEFAULT_CHUNK_TRIALS
from jxc_rules.simulate.kpis import KPI_INFO
from jxc_rules.simulate.runner import SimulationResult, run_many
from jxc_rules.simulate.scenario import Scenario

__all__ = ["VERDICTS", "CompareResult", "PairedDifference", "compare", "paired_difference"]

FloatArray = npt.NDArray[np.float64]

VERDICTS = ("better", "worse", "no detectable change", "higher", "lower")


@attrs.frozen
class PairedDifference:
    """``candidate − baseline`` for one KPI: mean, standard error, 95 % interval, verdict."""

    kpi: str
    baseline_mean: float
    candidate_mean: float
    mean: float
    se: float
    low: float
    high: float
    n: int
    verdict: str

    def to_mapping(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in attrs.asdict(self).items()}


def _t975(dof: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, dof))


def paired_difference(kpi: str, base: FloatArray, cand: FloatArray) -> PairedDifference:
    """Paired difference of two per-trial KPI vectors (trials where either is NaN left out).

    Examples
    --------
    >>> x = np.array([0.1, 0.2, 0.3])
    >>> d = paired_difference("stockout_rate", x, x)
    >>> d.mean, d.low, d.high, d.verdict
    (0.0, 0.0, 0.0, 'no detectable change')
    >>> paired_difference("stockout_rate", x, x - 0.05).verdict
    'better'
    """
    ok = np.isfinite(base) & np.isfinite(cand)
    b, c = base[ok], cand[ok]
    diff = c - b
    n = int(diff.size)
    nan = float("nan")
    if n == 0:
        return PairedDifference(kpi, nan, nan, nan, nan, nan, nan, 0, "no detectable change")
    mean = float(diff.mean())
    if n > 1 and bool((diff != diff[0]).any()):
        se = float(diff.std(ddof=1)) / math.sqrt(n)
        half = _t975(n - 1) * se
    else:
        se, half = 0.0, 0.0
    low, high = mean - half, mean + half
    better = KPI_INFO[kpi].better if kpi in KPI_INFO else 0
    if low > 0:
        verdict = {1: "better", -1: "worse"}.get(better, "higher")
    elif high < 0:
        verdict = {1: "worse", -1: "better"}.get(better, "lower")
    else:
        verdict = "no detectable change"
    return PairedDifference(kpi, float(b.mean()), float(c.mean()), mean, se, low, high, n,
                            verdict)


@attrs.frozen(eq=False)
class CompareResult:
    """Both runs and the paired differences per KPI."""

    baseline: SimulationResult
    candidate: SimulationResult
    differences: Mapping[str, PairedDifference]

    def to_mapping(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline.to_mapping(),
            "candidate": self.candidate.to_mapping(),
            "differences": {k: v.to_mapping() for k, v in self.differences.items()},
        }


def compare(
    scenario: Scenario | str | os.PathLike[str],
    baseline: Any,
    candidate: Any,
    *,
    trials: int = 1000,
    seed: int = 0,
    executor: Any = None,
    chunk_trials: int = DEFAULT_CHUNK_TRIALS,
    progress: Any = None,
) -> CompareResult:
    """Run ``baseline`` and ``candidate`` packs on identical random draws and compare them.

    Physics the scenario leaves unstated (channel loss, shelf life, transit shrink, recipes)
    comes from ``baseline``, so both packs face the same world.

    Examples
    --------
    >>> from pathlib import Path
    >>> import jxc_rules.simulate as sim
    >>> root = Path(sim.__file__).resolve().parents[3]
    >>> sc = root / "simulator/scenarios/base-stock-poisson.yaml"
    >>> res = compare(sc, None, None, trials=100)
    >>> {d.mean for d in res.differences.values()}
    {0.0}
    """
    base, cand = run_many(scenario, [baseline, candidate], trials=trials, seed=seed,
                          executor=executor, chunk_trials=chunk_trials, progress=progress)
    diffs = {k: paired_difference(k, base.samples[k], cand.samples[k]) for k in base.kpis}
    return CompareResult(base, cand, diffs)
