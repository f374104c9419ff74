"""Calibration: fitted parameters recover known models; intervals cover; bad input refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jxc_rules.errors import ValidationError
from jxc_rules.shelf_life import (
    Q10,
    Arrhenius,
    Bigelow,
    SquareRoot,
    fit_shelf_life,
    q10_to_z,
)

TEMPS = np.array([0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0])


@pytest.mark.parametrize(("truth", "kind", "parameter", "value"), [
    (Q10(3, 4), "q10", "q10", 3.0),
    (Arrhenius(90, 4), "arrhenius", "ea_kj_per_mol", 90.0),
    (Bigelow(18, 4), "bigelow", "z_c", 18.0),
    (SquareRoot(-5, 4), "square_root", "t_min_c", -5.0),
])
def test_exact_observations_recover_the_model(truth: object, kind: str, parameter: str,
                                              value: float) -> None:
    life = 240 / truth.relative_rate(TEMPS)  # type: ignore[attr-defined]
    fit = fit_shelf_life(TEMPS, life, model=kind, ref_temp_c=4)
    assert fit.parameter == parameter
    assert fit.estimate == pytest.approx(value, rel=1e-6)
    assert fit.shelf_life_ref_h == pytest.approx(240, rel=1e-6)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.dof == TEMPS.size - 2
    np.testing.assert_allclose(fit.model.relative_rate(TEMPS), truth.relative_rate(TEMPS),  # type: ignore[attr-defined]
                               rtol=1e-6)


def test_q10_fit_by_hand_and_bigelow_agrees() -> None:
    # halves every 4 °C → b = ln 2 / 4, Q10 = 2^2.5
    fit = fit_shelf_life([0, 4, 8, 12], [20, 10, 5, 2.5], ref_temp_c=4)
    assert fit.estimate == pytest.approx(2 ** 2.5)
    z = fit_shelf_life([0, 4, 8, 12], [20, 10, 5, 2.5], model="bigelow", ref_temp_c=4)
    assert z.estimate == pytest.approx(q10_to_z(2 ** 2.5))


def test_interval_covers_the_truth_in_most_noisy_trials() -> None:
    rng = np.random.default_rng(7)
    covered = 0
    trials = 200
    for _ in range(trials):
        life = 240 / 3 ** ((TEMPS - 4) / 10) * np.exp(rng.normal(0, 0.1, TEMPS.size))
        fit = fit_shelf_life(TEMPS, life, ref_temp_c=4, confidence=0.9)
        lo, hi = fit.interval
        assert lo < fit.estimate < hi
        covered += lo <= 3 <= hi
    # 90 % nominal; binomial(200, 0.9) lies in [170, 192] with probability > 0.999
    assert 170 <= covered <= 192


def test_the_fit_returns_a_new_model_and_residuals_in_log_units() -> None:
    life = np.array([20.0, 10.0, 6.0, 2.5])
    fit = fit_shelf_life([0, 4, 8, 12], life, ref_temp_c=4)
    fitted = fit.shelf_life_ref_h / fit.model.relative_rate(np.array([0, 4, 8, 12.0]))
    np.testing.assert_allclose(fit.residuals, np.log(life) - np.log(fitted), atol=1e-12)
    lo, hi = fit.shelf_life_ref_interval_h
    assert lo < fit.shelf_life_ref_h < hi


def test_bad_calibration_input_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 3"):
        fit_shelf_life([0, 4], [10, 5], ref_temp_c=4)
    with pytest.raises(ValidationError, match="shelf_life must be > 0"):
        fit_shelf_life([0, 4, 8], [10, -5, 2], ref_temp_c=4)
    with pytest.raises(ValidationError, match="finite"):
        fit_shelf_life([0, 4, 8], [10, np.nan, 2], ref_temp_c=4)
    with pytest.raises(ValidationError, match="two distinct"):
        fit_shelf_life([4, 4, 4], [10, 9, 11], ref_temp_c=4)
    with pytest.raises(ValidationError, match="does not fall"):
        fit_shelf_life([0, 4, 8], [5, 10, 20], ref_temp_c=4)
    with pytest.raises(ValidationError, match="grows with temperature"):
        fit_shelf_life([0, 4, 8], [5, 10, 20], model="arrhenius", ref_temp_c=4)
    with pytest.raises(ValidationError, match="model must be one of"):
        fit_shelf_life([0, 4, 8], [5, 10, 20], model="weibull", ref_temp_c=4)
    with pytest.raises(ValidationError, match="confidence"):
        fit_shelf_life([0, 4, 8], [20, 10, 5], ref_temp_c=4, confidence=1.5)


def test_arrhenius_interval_in_kj_per_mol() -> None:
    rng = np.random.default_rng(3)
    life = 240 / Arrhenius(80, 4).relative_rate(TEMPS) * np.exp(rng.normal(0, 0.05, TEMPS.size))
    fit = fit_shelf_life(TEMPS, life, model="arrhenius", ref_temp_c=4)
    lo, hi = fit.interval
    assert lo < fit.estimate < hi
    assert math.isclose(fit.model.ea_kj_per_mol, fit.estimate)  # type: ignore[attr-defined]


def test_q10_interval_is_the_textbook_ols_interval_on_log_shelf_life() -> None:
    # ln SL = a − b (T − T_ref): the slope's t-interval (n − 2 degrees of freedom, as in
    # scipy.stats.linregress), mapped through Q10 = exp(10 b); the intercept's through exp(a)
    from scipy import stats

    life = np.array([21.0, 14.5, 9.2, 7.1, 4.4])
    temps = np.array([0.0, 3.0, 6.0, 9.0, 12.0])
    fit = fit_shelf_life(temps, life, ref_temp_c=4, confidence=0.95)
    reg = stats.linregress(temps - 4, np.log(life))
    tq = stats.t.ppf(0.975, len(temps) - 2)
    assert fit.dof == 3
    assert fit.estimate == pytest.approx(math.exp(-10 * reg.slope), rel=1e-12)
    assert fit.interval == pytest.approx((math.exp(-10 * (reg.slope + tq * reg.stderr)),
                                          math.exp(-10 * (reg.slope - tq * reg.stderr))),
                                         rel=1e-10)
    assert fit.shelf_life_ref_interval_h == pytest.approx(
        (math.exp(reg.intercept - tq * reg.intercept_stderr),
         math.exp(reg.intercept + tq * reg.intercept_stderr)), rel=1e-10)
    assert fit.r_squared == pytest.approx(reg.rvalue ** 2, rel=1e-12)
