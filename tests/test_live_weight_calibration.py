"""fit_rate: recovers the rate (and Q10) from synthetic noisy history; intervals; checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import ValidationError
from jxc_rules.errors import UnitError
from jxc_rules.live_weight import (
    MortalityCurve,
    RateFit,
    TransitModel,
    expected_weight,
    fit_rate,
)
from jxc_rules.testing import decay_forms


def _history(rate: float, form: str, n: int, noise: float, seed: int,
             **model_kw: object) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    shipped = rng.uniform(500, 5000, n)
    hours = rng.uniform(2, 14, n)
    temps = rng.uniform(18, 32, n)
    model = TransitModel(rate, form=form, **model_kw)  # type: ignore[arg-type]
    temp_arg = temps if model.q10 is not None else None
    received = model.expected_weight(shipped, hours, temp_arg) * np.exp(rng.normal(0, noise, n))
    return shipped, received, hours, temps


@given(rate=st.floats(0.0005, 0.01), form=decay_forms(), seed=st.integers(0, 2**32 - 1),
       noise=st.floats(0.0005, 0.005))
def test_fit_recovers_the_true_rate_from_noisy_history(rate: float, form: str, seed: int,
                                                       noise: float) -> None:
    shipped, received, hours, _ = _history(rate, form, 150, noise, seed)
    fit = fit_rate(shipped, received, hours, form=form)
    half = (fit.ci_high - fit.ci_low) / 2
    # within ~4 standard errors (a 1-in-15,000 event for a correct estimator)
    assert abs(fit.rate_per_hour - rate) <= 2.1 * half
    assert fit.ci_low <= fit.rate_per_hour <= fit.ci_high
    assert fit.n == 150
    assert fit.model.rate_per_hour == fit.rate_per_hour
    assert fit.residual_sd == pytest.approx(noise, rel=0.35)


def test_interval_covers_the_true_rate_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(2026)
    hits = 0
    trials = 300
    for _ in range(trials):
        seed = int(rng.integers(2**32))
        shipped, received, hours, _ = _history(0.003, "compound", 40, 0.003, seed)
        fit = fit_rate(shipped, received, hours)
        hits += fit.ci_low <= 0.003 <= fit.ci_high
    assert 0.91 <= hits / trials <= 0.98


def test_noise_free_history_gives_the_exact_rate() -> None:
    for form in ("linear", "compound", "continuous"):
        hours = np.array([4.0, 6.0, 8.0, 10.0])
        received = expected_weight(1000, hours, rate_per_hour=0.003, form=form)
        fit = fit_rate(1000, received, hours, form=form)
        assert fit.rate_per_hour == pytest.approx(0.003, rel=1e-9)
        assert fit.ci_high - fit.ci_low == pytest.approx(0.0, abs=1e-9)


def test_fit_recovers_rate_and_q10_from_temperatures() -> None:
    shipped, received, hours, temps = _history(0.003, "compound", 400, 0.002, 11,
                                               q10=2.2, ref_temp_c=25)
    fit = fit_rate(shipped, received, hours, temps, fit_q10=True, ref_temp_c=25)
    assert fit.q10 is not None
    assert fit.q10_ci is not None
    assert fit.q10_ci[0] < fit.q10 < fit.q10_ci[1]
    assert fit.q10 == pytest.approx(2.2, rel=0.08)
    assert fit.rate_per_hour == pytest.approx(0.003, rel=0.03)
    assert fit.model.q10 == fit.q10
    assert fit.model.ref_temp_c == 25


@pytest.mark.parametrize("form", ["compound", "continuous", "linear"])
def test_fit_with_a_fixed_q10(form: str) -> None:
    shipped, received, hours, temps = _history(0.004, form, 300, 0.002, 5, q10=2.0,
                                               ref_temp_c=25)
    fit = fit_rate(shipped, received, hours, temps, form=form, q10=2.0, ref_temp_c=25)
    assert fit.rate_per_hour == pytest.approx(0.004, rel=0.03)
    assert fit.q10 is None
    assert fit.model.q10 == 2.0


def test_fit_takes_a_known_first_phase_out_and_keeps_the_base_parameters() -> None:
    base = TransitModel("0.3 %/h", initial_rate_per_hour=0.01, initial_phase_hours=2,
                        mortality=MortalityCurve([0, 12], [0, 0.01]), source="customer figure")
    shipped, received, hours, _ = _history(0.002, "compound", 300, 0.002, 3,
                                           initial_rate_per_hour=0.01, initial_phase_hours=2)
    fit = fit_rate(shipped, received, hours, base=base)
    assert fit.rate_per_hour == pytest.approx(0.002, rel=0.05)
    assert fit.model.initial_rate_per_hour == 0.01
    assert fit.model.mortality == base.mortality
    assert "fitted from 300 shipments" in fit.model.source
    assert base.rate_per_hour == 0.003  # the pack's model is untouched
    assert fit.pack_check is not None
    assert fit.pack_check.outside
    assert fit.pack_check.position == "above"
    assert "review it" in fit.pack_check.message


def test_check_says_inside_below_and_above() -> None:
    shipped, received, hours, _ = _history(0.003, "compound", 200, 0.003, 9)
    fit = fit_rate(shipped, received, hours)
    assert isinstance(fit, RateFit)
    assert not fit.rate_outside(fit.rate_per_hour)
    assert fit.check("0.1 %/h").position == "below"
    assert fit.check(0.01).position == "above"
    assert fit.rate_outside("1 %/h")
    assert "inside" in fit.check(fit.rate_per_hour).message
    summary = fit.summary()
    assert summary["n"] == 200
    assert summary["rate_per_hour"].endswith("%/h")


def test_dead_weight_is_taken_out_of_the_history() -> None:
    hours = np.array([4.0, 8.0, 12.0])
    received = expected_weight(900, hours, rate_per_hour=0.003)
    fit = fit_rate(1000, received, hours, dead_kg=100)
    assert fit.rate_per_hour == pytest.approx(0.003, rel=1e-9)


def test_fit_refuses_bad_history() -> None:
    with pytest.raises(ValidationError, match="more than 1 shipments"):
        fit_rate([1000], [970], [8])
    with pytest.raises(ValidationError, match=r"received_kg must be > 0 .*\(row 1\)"):
        fit_rate([1000, 1000], [970, 0], [8, 8])
    with pytest.raises(ValidationError, match=r"hours must be >= 0, got -8.0 \(row 1\)"):
        fit_rate([1000, 1000], [970, 980], [8, -8])
    with pytest.raises(ValidationError, match="received_kg must be a finite number"):
        fit_rate([1000, 1000], [970, float("nan")], [8, 8])
    with pytest.raises(ValidationError, match=r"shipped_kg − dead_kg must be > 0 .*\(row 0\)"):
        fit_rate([1000, 1000], [970, 980], [8, 8], dead_kg=[1000, 0])
    with pytest.raises(ValidationError, match="do not broadcast"):
        fit_rate([1000, 1000, 1000], [970, 980], [8, 8])
    with pytest.raises(ValidationError, match="temp_c given but no q10"):
        fit_rate([1000, 1000], [970, 980], [8, 8], [25, 30])
    with pytest.raises(ValidationError, match="fit_q10=True needs temp_c"):
        fit_rate([1000, 1000, 1000], [970, 980, 960], [8, 8, 9], fit_q10=True)
    with pytest.raises(ValidationError, match="all are 0 h"):
        fit_rate([1000, 1000], [970, 980], [0, 0])
    with pytest.raises(ValidationError, match="rate in"):
        fit_rate([1000, 1000], [1100, 1080], [8, 8])
    with pytest.raises(ValidationError, match="confidence"):
        fit_rate([1000, 1000], [970, 980], [8, 8], confidence=1.5)
    # one value: an empty array or several levels are refused by name (the fuzzer's case: a
    # raw TypeError from float() before)
    for level in (np.array([]), np.array([0.9, 0.95]), "0.95"):
        with pytest.raises(ValidationError, match="confidence must be a number in"):
            fit_rate([1000, 1000], [970, 980], [8, 8], confidence=level)
    with pytest.raises(ValidationError, match="q10 must be a number > 0"):
        fit_rate([1000, 1000], [970, 980], [8, 8], [20, 22], q10=np.array([2.0, 3.0]),
                 ref_temp_c=20)


@pytest.mark.parametrize("form", ["continuous", "compound"])
def test_interval_is_the_ols_t_interval_through_the_origin_by_hand(form: str) -> None:
    from scipy import stats

    hours = np.array([4.0, 6.0, 8.0, 10.0, 12.0])
    received = np.array([988.5, 981.0, 977.2, 969.0, 964.9])
    fit = fit_rate(1000, received, hours, form=form, confidence=0.9)
    y = -np.log(received / 1000)
    k = (hours @ y) / (hours @ hours)
    resid = y - k * hours
    s = np.sqrt(resid @ resid / (5 - 1))
    half = stats.t.ppf(0.95, 5 - 1) * s / np.sqrt(hours @ hours)
    to_rate = (lambda x: -np.expm1(-x)) if form == "compound" else (lambda x: x)
    assert fit.rate_per_hour == pytest.approx(to_rate(k), rel=1e-12)
    assert fit.ci_low == pytest.approx(to_rate(k - half), rel=1e-12)
    assert fit.ci_high == pytest.approx(to_rate(k + half), rel=1e-12)
    assert fit.residual_sd == pytest.approx(s, rel=1e-12)


def test_a_history_that_cannot_identify_the_parameters_is_refused() -> None:
    # one temperature only: Q10 is not identifiable (no zero-width interval at the start value)
    with pytest.raises(ValidationError, match=r"temp_c must be temperatures that differ"):
        fit_rate([1000] * 5, [970, 980, 975, 972, 978], [8] * 5, [25] * 5, fit_q10=True)
    # no time in transit: compound form with temperatures (the nonlinear path) too
    with pytest.raises(ValidationError, match=r"all are 0 h"):
        fit_rate([1000] * 3, [1000] * 3, [0, 0, 0], [20, 25, 30], q10=2)
    # every trip inside the known first phase: nothing left to fit the second rate from
    base = TransitModel(0.003, initial_rate_per_hour=0.01, initial_phase_hours=2)
    with pytest.raises(ValidationError, match=r"beyond the first 2 h phase"):
        fit_rate([1000] * 3, [990] * 3, [1, 2, 1.5], base=base)
    # ... unless the fish were fasted, which removes the first phase
    assert fit_rate([1000] * 3, [990, 980, 985], [1, 2, 1.5], base=base,
                    fasted=True).rate_per_hour > 0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: fit_rate([1000, 1000], [970, 980], [8, 8], base=0.003), ValidationError,
         r"base must be a TransitModel"),
        (lambda: fit_rate(np.full((2, 2), 1000.0), 970, 8), ValidationError,
         r"shipped_kg must be one row per shipment"),
        (lambda: fit_rate([1000, 1000], [970, 980], [8, 8], q10=2), ValidationError,
         r"q10 needs ref_temp_c"),
        (lambda: fit_rate([1000, 1000], [970, 980], [8, 8], form="cubic"), ValidationError,
         r"form must be one of"),
        (lambda: fit_rate("2 L", [970, 980], [8, 8]), UnitError, r"shipped_kg must be a mass"),
    ],
)
def test_fit_rate_argument_errors_name_the_field(call: object, error: type[Exception],
                                                 message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]
