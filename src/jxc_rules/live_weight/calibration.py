"""Learning the transit weight-loss rate (and optionally Q10) from shipment history.

scikit-learn style: :func:`fit_rate` takes history and returns a :class:`RateFit` holding a *new*
:class:`~jxc_rules.live_weight.model.TransitModel` plus diagnostics; the pack's model is never
changed. A business committee reviews the fit monthly: :meth:`RateFit.check` says whether the
pack's current rate lies outside the fitted confidence interval.

Model and estimator
-------------------
Per shipment ``i`` with live weight shipped ``Sᵢ − Dᵢ`` (dead weighed apart), received ``Rᵢ``,
``tᵢ`` hours and temperature factor ``fᵢ = Q10^((Tᵢ − Tref)/10)`` (1 without temperature), the
observed exposure is ``yᵢ = −ln(Rᵢ / (Sᵢ − Dᵢ))`` (compound, continuous) or the observed loss
fraction ``yᵢ = 1 − Rᵢ/(Sᵢ − Dᵢ)`` (linear), and the model says ``yᵢ = tᵢ · k(r·fᵢ) + εᵢ`` with
``k`` the hazard of :mod:`~jxc_rules.live_weight.core` (a known first phase of a two-phase model
is subtracted first). Noise is taken as independent, equal-variance and additive in ``y``
(multiplicative in weight).

* Without temperature scaling (or for the continuous/linear forms with a fixed Q10) the model is
  linear in ``k`` through the origin: ``k̂ = Σxy / Σx²``, ``se = s / √Σx²``, ``s² = Σe²/(n − 1)``,
  and the ``(1 − α)`` interval is ``k̂ ± t_{n−1, 1−α/2} · se`` (ordinary least squares, e.g.
  Draper & Smith, *Applied Regression Analysis*, 3rd ed., 1998, ch. 3). For the compound form
  ``r = 1 − e^(−k)``, a monotone map, so the interval maps across.
* Otherwise (compound with temperature, or ``fit_q10=True``) nonlinear least squares
  (``scipy.optimize.curve_fit``) on ``r`` (and ``ln Q10``), with the interval from the estimated
  covariance and Student's t on ``n − p`` degrees of freedom (a Wald interval).

The lower end of a rate interval is cut at 0 (a rate cannot be negative).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from jxc_rules._internal.lazy import lazy_module

if TYPE_CHECKING:
    from scipy import optimize, stats
else:  # scipy loads when a fit runs, not when live_weight is imported
    optimize, stats = lazy_module("scipy.optimize"), lazy_module("scipy.stats")

from jxc_rules._internal.arrays import (
    as_float_array,
    broadcast_arrays,
    first_bad_row,
    scalar_float,
)
from jxc_rules.errors import ValidationError, bad_value
from jxc_rules.live_weight.core import (
    FloatArray,
    as_hours,
    as_kg,
    as_temp,
    check_form,
    hazard,
)
from jxc_rules.live_weight.model import TransitModel, format_rate, parse_rate

__all__ = ["RateCheck", "RateFit", "fit_rate"]


@attrs.frozen
class RateCheck:
    """Whether a rate lies inside a fitted interval.

    ``position`` is ``"below"``, ``"inside"`` or ``"above"``; ``outside`` is its negation of
    ``"inside"``; ``message`` is a sentence for the committee's report.
    """

    rate_per_hour: float
    ci_low: float
    ci_high: float
    confidence: float
    position: str

    @property
    def outside(self) -> bool:
        return self.position != "inside"

    @property
    def message(self) -> str:
        conf = f"{self.confidence:.0%}"
        interval = f"[{format_rate(_tidy(self.ci_low))}, {format_rate(_tidy(self.ci_high))}]"
        rate = format_rate(self.rate_per_hour)
        if self.position == "inside":
            return f"rate {rate} is inside the {conf} interval {interval}"
        return (f"rate {rate} is {self.position} the {conf} interval {interval} fitted from "
                "history: review it")


def _tidy(x: float) -> float:
    return float(f"{x:.4g}")


@attrs.frozen(eq=False)
class RateFit:
    """A fitted transit model and its diagnostics.

    Attributes
    ----------
    model : TransitModel
        A new model with the fitted rate (and Q10); other parameters copied from ``base``.
    rate_per_hour, ci_low, ci_high, confidence
        The estimate and its confidence interval (per-hour fractions).
    q10, q10_ci
        Fitted Q10 and its interval (``None`` unless ``fit_q10=True``).
    residual_sd
        Standard deviation of the residuals of ``y`` (exposure or loss fraction).
    residual_sd_kg
        Standard deviation of ``received − model-predicted received`` in kg.
    n
        Shipments used.
    pack_check
        :meth:`check` of ``base.rate_per_hour`` when a base model was given.
    """

    model: TransitModel
    rate_per_hour: float
    ci_low: float
    ci_high: float
    confidence: float
    q10: float | None
    q10_ci: tuple[float, float] | None
    residual_sd: float
    residual_sd_kg: float
    n: int
    pack_check: RateCheck | None = None

    def check(self, rate_per_hour: object) -> RateCheck:
        """Where ``rate_per_hour`` (``0.003`` or ``"0.3 %/h"``) lies against the interval."""
        rate = parse_rate(rate_per_hour)
        position = ("below" if rate < self.ci_low else "above" if rate > self.ci_high
                    else "inside")
        return RateCheck(rate, self.ci_low, self.ci_high, self.confidence, position)

    def rate_outside(self, rate_per_hour: object) -> bool:
        """``True`` when ``rate_per_hour`` lies outside the confidence interval."""
        return self.check(rate_per_hour).outside

    def summary(self) -> dict[str, Any]:
        """A plain dict for reports (rates as ``"%/h"`` strings)."""
        out: dict[str, Any] = {
            "rate_per_hour": format_rate(_tidy(self.rate_per_hour)),
            "ci": [format_rate(_tidy(self.ci_low)), format_rate(_tidy(self.ci_high))],
            "confidence": self.confidence,
            "residual_sd": self.residual_sd,
            "residual_sd_kg": self.residual_sd_kg,
            "n": self.n,
            "form": self.model.form,
        }
        if self.q10 is not None:
            out["q10"] = self.q10
            out["q10_ci"] = list(self.q10_ci) if self.q10_ci else None
        if self.pack_check is not None:
            out["pack_check"] = self.pack_check.message
        return out


def _inverse_hazard(k: float, form: str) -> float:
    """The per-hour rate of a hazard ``k``; a confidence bound of an extreme fit may be
    -inf (unbounded below) rather than a numpy overflow warning."""
    if form != "compound":
        return float(k)
    with np.errstate(over="ignore"):
        return float(-np.expm1(-k))


def fit_rate(
    shipped_kg: object,
    received_kg: object,
    hours: object,
    temp_c: object = None,
    *,
    form: str | None = None,
    fit_q10: bool = False,
    dead_kg: object = 0,
    q10: float | None = None,
    ref_temp_c: float | None = None,
    base: TransitModel | None = None,
    fasted: bool = False,
    confidence: float = 0.95,
    source: str | None = None,
) -> RateFit:
    """Fit the weight-loss rate (and optionally Q10) from historical shipments.

    Parameters
    ----------
    shipped_kg, received_kg, hours : array-like (1-D after broadcasting)
        History: live weight loaded, live weight received, hours in transit.
    temp_c : array-like, optional
        Mean transit temperature per shipment. Needs ``q10`` (given, from ``base``, or fitted
        with ``fit_q10=True``).
    form : {"compound", "linear", "continuous"}, optional
        Default: ``base.form``, else ``"compound"``.
    fit_q10 : bool
        Fit Q10 too (needs ``temp_c`` with some spread).
    dead_kg : array-like
        Dead-on-arrival weight per shipment, taken out of the shipped weight.
    q10, ref_temp_c : float, optional
        Fixed Q10 and its reference temperature (default: ``base``'s; ``ref_temp_c`` else the
        median of ``temp_c``).
    base : TransitModel, optional
        The pack's current model: its other parameters are copied, and ``pack_check`` says
        whether its rate lies outside the fitted interval.
    fasted : bool
        The history's fish were fasted (no first phase of a two-phase ``base``).
    confidence : float
        Confidence level of the intervals, default 0.95.
    source : str, optional
        The new model's ``source``; by default a sentence saying it was fitted, from how many
        shipments.

    Returns
    -------
    RateFit

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> hours = rng.uniform(4, 12, 200)
    >>> received = 1000 * (1 - 0.002) ** hours * np.exp(rng.normal(0, 0.002, 200))
    >>> fit = fit_rate(1000, received, hours, base=TransitModel("0.3 %/h"))
    >>> fit.summary()["rate_per_hour"], fit.summary()["ci"]
    ('0.2014 %/h', ['0.1982 %/h', '0.2046 %/h'])
    >>> fit.pack_check.message
    'rate 0.3 %/h is above the 95% interval [0.1982 %/h, 0.2046 %/h] fitted from history: review it'
    """
    if base is not None and not isinstance(base, TransitModel):
        raise bad_value("base", base, "a TransitModel")
    form = check_form(form if form is not None else (base.form if base else "compound"))
    # one value (an array of none or of several is refused by name), then its range
    conf = float(as_float_array(scalar_float(confidence, "confidence", "a number in (0, 1)"),
                                "confidence", min_value=0.0, max_value=1.0,
                                min_inclusive=False, max_inclusive=False))
    shipped = as_kg(shipped_kg, "shipped_kg")
    received = as_kg(received_kg, "received_kg")
    dead = as_kg(dead_kg, "dead_kg")
    t = as_hours(hours)
    arrays: dict[str, Any] = {"shipped_kg": shipped, "received_kg": received, "hours": t,
                              "dead_kg": dead}
    temp = None
    if temp_c is not None:
        temp = as_temp(temp_c)
        arrays["temp_c"] = temp
    bcast = broadcast_arrays(**arrays)
    if bcast[0].ndim > 1:
        raise bad_value("shipped_kg", f"shape {bcast[0].shape}", "one row per shipment (1-D)")
    s, r, t, d = (np.atleast_1d(a).astype(np.float64) for a in bcast[:4])
    temp = None if temp is None else np.atleast_1d(bcast[4]).astype(np.float64)
    live = s - d
    _check_rows(live <= 0, "shipped_kg − dead_kg", live, "> 0 (some live weight shipped)")
    if form != "linear":
        _check_rows(r <= 0, "received_kg", r, f"> 0 for the {form} form (log of the ratio)")
    with np.errstate(over="ignore"):
        ratio = r / live
    _check_rows(~np.isfinite(ratio), "received_kg", r, "within float range of the live weight "
                "shipped (received / (shipped − dead) overflows)")
    if form != "linear":  # r > 0 was checked: a 0 here is an underflow, log(0) = -inf
        _check_rows(ratio <= 0, "received_kg", r, "not vanishingly small against the live "
                    "weight shipped (received / (shipped − dead) underflows to 0)")
    y = -np.log(ratio) if form != "linear" else 1.0 - ratio

    q10_fixed = q10 if q10 is not None else (base.q10 if base and not fit_q10 else None)
    ref = ref_temp_c if ref_temp_c is not None else (base.ref_temp_c if base else None)
    if temp is not None:
        if not fit_q10 and q10_fixed is None:
            raise ValidationError("temp_c given but no q10: pass q10=, a base model with q10, "
                                  "or fit_q10=True", field="temp_c")
        if ref is None:
            ref = float(np.median(temp))
    elif fit_q10:
        raise ValidationError("fit_q10=True needs temp_c", field="temp_c")
    elif q10_fixed is not None and ref is None:
        raise ValidationError("q10 needs ref_temp_c", field="ref_temp_c")
    if q10_fixed is not None:
        q10_fixed = float(as_float_array(scalar_float(q10_fixed, "q10", "a number > 0"), "q10",
                                         min_value=0.0, min_inclusive=False))

    # a known first phase (two-phase base model) is taken out of y
    phase = 0.0 if (fasted or base is None or base.initial_rate_per_hour is None) \
        else base.initial_phase_hours
    first = np.minimum(t, phase)
    rest = t - first
    n = int(y.size)
    n_params = 2 if fit_q10 else 1
    if n <= n_params:
        raise bad_value("shipped_kg", f"{n} shipments", f"more than {n_params} shipments to fit")
    tq = float(stats.t.ppf(0.5 + conf / 2.0, n - n_params))

    def factor(theta: float) -> FloatArray:
        if temp is None:
            return np.ones_like(t)
        assert ref is not None
        out: FloatArray = np.exp(theta * (temp - ref) / 10.0)
        return out

    def first_exposure(f: FloatArray) -> FloatArray:
        if phase == 0.0 or base is None or base.initial_rate_per_hour is None:
            return np.zeros_like(t)
        k1: FloatArray = hazard(np.minimum(base.initial_rate_per_hour * f, 1 - 1e-12), form)
        return k1 * first

    # identifiability, checked before any fit (a least-squares routine would otherwise return its
    # starting value with a zero-width interval)
    moving = rest > 0.0
    if not moving.any():
        raise bad_value("hours", float(np.max(t)), "some shipments with time in transit "
                        + (f"beyond the first {phase:g} h phase (the rate is fitted from those "
                           "hours)" if phase > 0.0 else "(all are 0 h)"))
    if fit_q10:
        assert temp is not None
        spread = float(np.ptp(temp[moving]))
        if spread == 0.0:
            raise bad_value("temp_c", float(temp[moving][0]), "temperatures that differ between "
                            "shipments when fit_q10=True (Q10 is the change of rate with "
                            "temperature)")
    q10_est: float | None = None
    q10_ci: tuple[float, float] | None = None
    if not fit_q10 and (temp is None or form != "compound"):
        theta = 0.0 if q10_fixed is None else float(np.log(q10_fixed))
        f = factor(theta)
        x = rest * f
        yy = y - first_exposure(f)
        sxx = float(np.dot(x, x))
        if sxx == 0.0:
            raise bad_value("hours", 0.0, "some shipments with time in transit (all are 0 h)")
        k = float(np.dot(x, yy)) / sxx
        resid = yy - k * x
        s_res = float(np.sqrt(np.dot(resid, resid) / (n - 1)))
        se = s_res / float(np.sqrt(sxx))
        rate = _inverse_hazard(k, form)
        if not math.isfinite(rate):
            raise bad_value("received_kg", "weights implying a gain beyond float range",
                            "received weights that a constant loss rate can explain (check "
                            "for a shipment that lost, or gained, almost all its weight)")
        low = _inverse_hazard(k - tq * se, form)
        high = _inverse_hazard(k + tq * se, form)
    else:
        def model(_x: FloatArray, rate: float, theta: float = 0.0) -> FloatArray:
            f = factor(theta if fit_q10 else float(np.log(q10_fixed or 1.0)))
            k_rest = hazard(np.minimum(rate * f, 1 - 1e-12), form)
            out: FloatArray = k_rest * rest + first_exposure(f)
            return out

        y_scale = float(np.mean(rest)) or 1.0
        p0 = [max(float(np.mean(y)) / y_scale, 1e-6)] + ([float(np.log(2.0))] if fit_q10 else [])
        lower = [0.0] + ([-np.inf] if fit_q10 else [])
        upper = [1.0] + ([np.inf] if fit_q10 else [])
        try:
            # extreme histories (log ratios of ~700) overflow inside the optimiser: judged by
            # the finiteness of what it returns, below, not by numpy's warnings
            with np.errstate(over="ignore", invalid="ignore"):
                popt, pcov = optimize.curve_fit(model, t, y, p0=p0, bounds=(lower, upper))
                perr = np.sqrt(np.diag(pcov))
                resid = y - model(t, *popt)
                sse = float(np.dot(resid, resid))
        except (RuntimeError, ValueError) as exc:  # pragma: no cover - scipy's own failure
            raise ValidationError(f"the rate could not be fitted: {exc}", field="received_kg")\
                from None
        if not (np.all(np.isfinite(popt)) and math.isfinite(sse)):
            raise ValidationError("the rate could not be fitted: this history overflows the "
                                  "fit (a shipment that lost almost all its weight?)",
                                  field="received_kg")
        degenerate = bool(np.any(perr == 0.0)) and sse > 0.0
        if not np.all(np.isfinite(perr)) or degenerate:
            raise ValidationError("the fit is not identifiable from this history (no spread in "
                                  "hours or temp_c?)", field="temp_c" if fit_q10 else "hours")
        rate = float(popt[0])
        low, high = rate - tq * float(perr[0]), rate + tq * float(perr[0])
        s_res = float(np.sqrt(sse / (n - n_params)))
        if fit_q10:
            q10_est = float(np.exp(popt[1]))
            q10_ci = (float(np.exp(popt[1] - tq * perr[1])), float(np.exp(popt[1] + tq * perr[1])))
    if not 0.0 <= rate < 1.0:
        raise bad_value("received_kg", f"fitted rate {rate!r}",
                        "a history that implies a rate in [0, 1) per hour (received above "
                        "shipped on average?)")
    low = max(low, 0.0)
    high = min(high, 1.0)

    q10_model = q10_est if fit_q10 else q10_fixed
    new_source = source if source is not None else (
        f"fitted from {n} shipments ({form} form, {conf:.0%} interval "
        f"{format_rate(_tidy(low))} to {format_rate(_tidy(high))})")
    changes: dict[str, Any] = {
        "rate_per_hour": rate, "form": form, "source": new_source,
        "q10": q10_model, "ref_temp_c": ref if q10_model is not None else None,
    }
    fitted = attrs.evolve(base, **changes) if base is not None else TransitModel(**changes)
    predicted = fitted.expected_weight(live, t, temp if q10_model is not None else None,
                                       fasted=fasted)
    resid_kg = r - predicted
    fit = RateFit(
        model=fitted, rate_per_hour=rate, ci_low=low, ci_high=high, confidence=conf,
        q10=q10_est, q10_ci=q10_ci, residual_sd=s_res,
        residual_sd_kg=float(np.std(resid_kg, ddof=n_params)), n=n,
    )
    if base is not None:
        fit = attrs.evolve(fit, pack_check=fit.check(base.rate_per_hour))
    return fit


def _check_rows(mask: Any, field: str, values: FloatArray, expected: str) -> None:
    if np.any(mask):
        row = first_bad_row(np.asarray(mask))
        assert isinstance(row, int)
        raise bad_value(field, float(values[row]), expected, row=row)
