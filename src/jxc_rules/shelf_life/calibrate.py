"""Calibration: fit a rate model to shelf lives observed at several constant temperatures.

Least squares on log shelf life (errors multiplicative, as storage trials report them):

- Q10 / Bigelow: ln SL = ln SL_ref − b (T − T_ref); Q10 = e^(10 b), z = ln 10 / b.
- Arrhenius: ln SL = ln SL_ref + (Ea/R)(1/T_K − 1/T_ref,K).
- Square root: ln SL = ln SL_ref − 2 ln((T − T_min)/(T_ref − T_min)), non-linear in T_min
  (Gauss–Newton via ``scipy.optimize.curve_fit``; Wald interval from its covariance).

Intervals are two-sided Student-t intervals on the regression coefficients (n − 2 degrees of
freedom), carried through the monotone maps to Q10, Ea, z and SL_ref. Like scikit-learn, the fit
returns a *new* model plus diagnostics; nothing is mutated.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules._internal.lazy import lazy_module

if TYPE_CHECKING:
    from scipy import optimize, stats
else:  # scipy loads when a fit runs, not when shelf_life is imported
    optimize, stats = lazy_module("scipy.optimize"), lazy_module("scipy.stats")

from jxc_rules._internal.arrays import as_float_array, scalar_float
from jxc_rules.errors import ValidationError, bad_value
from jxc_rules.shelf_life.models import (
    GAS_CONSTANT,
    KELVIN_OFFSET,
    Q10,
    Arrhenius,
    Bigelow,
    RateModel,
    SquareRoot,
)

__all__ = ["FIT_MODELS", "ShelfLifeFit", "fit_shelf_life"]

FloatArray = npt.NDArray[np.float64]
FIT_MODELS = ("q10", "arrhenius", "bigelow", "square_root")


@attrs.frozen(eq=False)
class ShelfLifeFit:
    """A fitted rate model and its diagnostics.

    Attributes
    ----------
    model : RateModel
        The fitted model at the requested reference temperature.
    shelf_life_ref_h : float
        Fitted shelf life at the reference temperature (unit of the observations).
    parameter : str
        Name of the fitted temperature parameter (``q10``, ``ea_kj_per_mol``, ``z_c``,
        ``t_min_c``) and ``estimate`` / ``interval`` its value and confidence interval.
    shelf_life_ref_interval_h : (float, float)
    confidence : float
    residuals : ndarray
        ln(observed) − ln(fitted) per observation.
    r_squared : float
        On log shelf life.
    dof : int
        Residual degrees of freedom (n − 2).
    """

    model: RateModel
    shelf_life_ref_h: float
    parameter: str
    estimate: float
    interval: tuple[float, float]
    shelf_life_ref_interval_h: tuple[float, float]
    confidence: float
    residuals: FloatArray
    r_squared: float
    dof: int


def _linear_fit(x: FloatArray, y: FloatArray) -> tuple[float, float, float, float, FloatArray]:
    """OLS y = a + s·x: (a, s, se_a, se_s, residuals); x centred at 0 is the reference."""
    n = x.size
    design = np.column_stack([np.ones(n), x])
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            coef, *_ = np.linalg.lstsq(design, y, rcond=None)
            resid = y - design @ coef
            dof = n - 2
            sigma2 = float(resid @ resid) / dof
            cov = sigma2 * np.linalg.inv(design.T @ design)
    except (np.linalg.LinAlgError, FloatingPointError):
        cov = np.full((2, 2), np.nan)
        coef = np.full(2, np.nan)
    if not (np.isfinite(coef).all() and np.isfinite(cov).all() and cov[0, 0] >= 0
            and cov[1, 1] >= 0):
        raise bad_value("temps_c", x.tolist() if x.size <= 8 else f"{x.size} temperatures",
                        "temperatures spread widely enough to fit a slope (these are too "
                        "close together, or too extreme, for a numerically stable fit)")
    return float(coef[0]), float(coef[1]), math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1]), resid


def fit_shelf_life(
    temps_c: Any,
    shelf_life: Any,
    *,
    model: str = "q10",
    ref_temp_c: float,
    confidence: float = 0.95,
) -> ShelfLifeFit:
    """Fit Q10, Ea, z or T_min from shelf lives observed at constant temperatures.

    Parameters
    ----------
    temps_c : array_like
        Storage temperatures (°C), at least two distinct.
    shelf_life : array_like
        Observed shelf life at each temperature (> 0, any one time unit), at least 3.
    model : {"q10", "arrhenius", "bigelow", "square_root"}
    ref_temp_c : float
        Reference temperature of the fitted model.
    confidence : float
        Level of the two-sided intervals, in (0, 1).

    Examples
    --------
    A cream that keeps 20, 10, 5 and 2.5 days at 0, 4, 8, 12 °C halves its life every 4 °C:
    Q10 = 2^(10/4) ≈ 5.657.

    >>> fit = fit_shelf_life([0, 4, 8, 12], [20, 10, 5, 2.5], ref_temp_c=4)
    >>> round(fit.estimate, 3), round(fit.shelf_life_ref_h, 6)
    (5.657, 10.0)
    >>> type(fit.model).__name__, fit.model.ref_temp_c, fit.parameter
    ('Q10', 4.0, 'q10')
    """
    if not isinstance(model, str) or model not in FIT_MODELS:
        raise bad_value("model", model, "one of " + ", ".join(FIT_MODELS))
    t = as_float_array(temps_c, "temps_c", min_value=-KELVIN_OFFSET, min_inclusive=False)
    life = as_float_array(shelf_life, "shelf_life", min_value=0, min_inclusive=False)
    if t.ndim != 1 or t.shape != life.shape:
        raise ValidationError(f"temps_c and shelf_life must be 1-D of one length, got "
                              f"{t.shape} and {life.shape}", field="shelf_life")
    if t.size < 3:
        raise bad_value("shelf_life", life.tolist(), "at least 3 observations (for an interval)")
    if np.unique(t).size < 2:
        raise bad_value("temps_c", t.tolist(), "at least two distinct temperatures")
    conf = scalar_float(confidence, "confidence", "a confidence level in (0, 1)")
    if not 0 < conf < 1:
        raise bad_value("confidence", confidence, "in (0, 1)")
    ref = scalar_float(ref_temp_c, "ref_temp_c", "a temperature in °C", allow_text=True)
    if not (math.isfinite(ref) and ref > -KELVIN_OFFSET):
        raise bad_value("ref_temp_c", ref_temp_c, "a finite temperature above -273.15 °C")
    y = np.log(life)
    dof = t.size - 2
    tq = float(stats.t.ppf(0.5 + conf / 2, dof))

    if model == "square_root":
        return _fit_square_root(t, y, ref, conf, tq, dof)
    x = 1.0 / (t + KELVIN_OFFSET) - 1.0 / (ref + KELVIN_OFFSET) if model == "arrhenius" \
        else t - ref
    a, s, se_a, se_s, resid = _linear_fit(x, y)
    try:
        return _linear_result(model, a, s, se_a, se_s, resid, y, ref, conf, tq, dof)
    except OverflowError:  # exp of a slope fitted to temperatures a hair apart
        raise bad_value("temps_c", t.tolist() if t.size <= 8 else f"{t.size} temperatures",
                        f"temperatures spread widely enough for a finite {model} parameter "
                        "(the fitted one is beyond float range)") from None


def _linear_result(model: str, a: float, s: float, se_a: float, se_s: float,
                   resid: FloatArray, y: FloatArray, ref: float, conf: float, tq: float,
                   dof: int) -> ShelfLifeFit:
    """The fitted model of a log-linear fit (Arrhenius, Q10 or Bigelow) with its intervals."""
    s_lo, s_hi = s - tq * se_s, s + tq * se_s
    fitted: RateModel
    if model == "arrhenius":
        ea = s * GAS_CONSTANT / 1000.0
        if ea < 0:
            raise ValidationError("observed shelf life grows with temperature: no Arrhenius "
                                  f"model fits (Ea = {ea:.4g} kJ/mol)", field="shelf_life")
        fitted = Arrhenius(ea, ref)
        name, est = "ea_kj_per_mol", ea
        interval = (s_lo * GAS_CONSTANT / 1000.0, s_hi * GAS_CONSTANT / 1000.0)
    else:
        b = -s  # ln SL falls by b per °C
        if b <= 0:
            raise ValidationError("observed shelf life does not fall with temperature: no "
                                  f"{model} model fits (slope {s:.4g} per °C)",
                                  field="shelf_life")
        b_lo, b_hi = -s_hi, -s_lo
        if model == "q10":
            fitted = Q10(math.exp(10.0 * b), ref)
            name, est = "q10", math.exp(10.0 * b)
            interval = (math.exp(10.0 * b_lo), math.exp(10.0 * b_hi))
        else:
            z = math.log(10.0) / b
            fitted = Bigelow(z, ref)
            name, est = "z_c", z
            interval = (math.log(10.0) / b_hi if b_hi > 0 else math.inf,
                        math.log(10.0) / b_lo if b_lo > 0 else math.inf)
            interval = (min(interval), max(interval))
    return ShelfLifeFit(
        model=fitted, shelf_life_ref_h=math.exp(a), parameter=name, estimate=est,
        interval=interval,
        shelf_life_ref_interval_h=(math.exp(a - tq * se_a), math.exp(a + tq * se_a)),
        confidence=conf, residuals=resid, r_squared=_r2(y, resid), dof=dof)


def _r2(y: FloatArray, resid: FloatArray) -> float:
    total = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float((resid ** 2).sum()) / total if total > 0 else 1.0


def _fit_square_root(
    t: FloatArray, y: FloatArray, ref: float, conf: float, tq: float, dof: int
) -> ShelfLifeFit:
    upper = float(t.min()) - 1e-6
    if ref <= upper:
        upper = min(upper, ref - 1e-6)

    def f(temp: FloatArray, ln_ref: float, t_min: float) -> FloatArray:
        return np.asarray(ln_ref - 2.0 * np.log((temp - t_min) / (ref - t_min)),
                          dtype=np.float64)

    # start: linear fit of sqrt(1/SL) on T gives T_min = −intercept/slope
    slope, intercept = np.polyfit(t, np.exp(-y / 2), 1)
    start_tmin = -intercept / slope if slope > 0 else upper - 10.0
    start_tmin = min(start_tmin, upper - 1e-3)
    start_ln = float(np.mean(y + 2.0 * np.log((t - start_tmin) / (ref - start_tmin))))
    try:
        popt, pcov = optimize.curve_fit(f, t, y, p0=[start_ln, start_tmin],
                                        bounds=([-np.inf, -KELVIN_OFFSET], [np.inf, upper]))
    except (RuntimeError, ValueError) as exc:
        raise ValidationError(f"square-root model did not converge: {exc}",
                              field="shelf_life") from None
    ln_ref, t_min = float(popt[0]), float(popt[1])
    se = np.sqrt(np.maximum(np.diag(pcov), 0.0))
    resid = y - f(t, ln_ref, t_min)
    return ShelfLifeFit(
        model=SquareRoot(t_min, ref), shelf_life_ref_h=math.exp(ln_ref), parameter="t_min_c",
        estimate=t_min, interval=(t_min - tq * float(se[1]), t_min + tq * float(se[1])),
        shelf_life_ref_interval_h=(math.exp(ln_ref - tq * float(se[0])),
                                   math.exp(ln_ref + tq * float(se[0]))),
        confidence=conf, residuals=resid, r_squared=_r2(y, resid), dof=dof)
