"""The demand fit's shortcuts give what the plain computation gives: the NB2 terms computed once
per dispersion, the design parts shared by the channels, the covariance taken from statsmodels'
Newton result, and a Newton run abandoned when it shoots off."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jxc_rules.calibrate import demand as D
from jxc_rules.calibrate.sales import read_sales


@pytest.mark.parametrize("share_censored", [0.0, 0.3])
def test_nb_terms_equal_the_reference_parts(share_censored: float) -> None:
    rng = np.random.default_rng(7)
    y = rng.negative_binomial(20, 0.4, 400).astype(np.float64)
    mu = y * rng.uniform(0.7, 1.4, y.size) + 0.3
    censored = rng.uniform(size=y.size) < share_censored
    censored[:3] = share_censored > 0                 # a censored 0 among them
    y[0] = 0.0
    r = 1 / 0.04
    ll, d1, d2 = D._nb_parts(y, mu, r, censored)
    terms = D._NBTerms(y, censored, r)
    t1, t2, log_surv = terms.derivatives(mu)
    # bit for bit: the same elementwise operations on the same operands
    np.testing.assert_array_equal(t1, d1)
    np.testing.assert_array_equal(t2, d2)
    np.testing.assert_array_equal(terms.loglike(mu, log_surv), ll)


@pytest.fixture(scope="module")
def sales(histories: dict[int, Path], pack: Any) -> Any:
    return read_sales(histories[0], pack)


def _parts(sales: Any, pack: Any) -> tuple[Any, Any, Any]:
    from jxc_rules.simulate.calendar import build_calendar

    calendar = build_calendar(sales.dates[0], sales.dates[-1])
    blocks = D._blocks(sales.dates)
    weather = D._weather_days(sales, tuple(pack.weather))
    return calendar, blocks, weather


def test_shared_design_parts_equal_a_design_built_alone(sales: Any, pack: Any) -> None:
    calendar, blocks, weather = _parts(sales, pack)
    shared: dict[Any, Any] = {}
    for channel in sales.channels:
        alone = D._design(sales, pack, channel, calendar, blocks, weather)
        together = D._design(sales, pack, channel, calendar, blocks, weather, shared)
        assert alone.columns == together.columns
        assert (alone.x != together.x).nnz == 0
        np.testing.assert_array_equal(alone.y, together.y)
        np.testing.assert_array_equal(alone.weather, together.weather)
        for a, b in zip(alone.row_index, together.row_index, strict=True):
            np.testing.assert_array_equal(a, b)
    assert any(key[0] == "rows" for key in shared if isinstance(key, tuple))


def test_base_block_has_seven_weekday_columns_per_series(sales: Any, pack: Any) -> None:
    calendar, blocks, weather = _parts(sales, pack)
    design = D._design(sales, pack, "dine_in", calendar, blocks, weather)
    base = [c for c in design.columns if c.kind == "base"]
    assert len(base) == 7 * int(sales.present[:, :, 0].sum())
    x = design.x.toarray()
    # every row's weekday weights sum to 1 (a weekday, a day off's weekend mean, a 调休 mean)
    np.testing.assert_allclose(x[:, : len(base)].sum(axis=1), 1.0)


def test_newton_covariance_is_the_inverse_negative_hessian(sales: Any, pack: Any) -> None:
    calendar, blocks, weather = _parts(sales, pack)
    design, _ = D._separate(D._drop_empty(D._design(sales, pack, "dine_in", calendar, blocks,
                                                    weather)))
    params, cov, alpha, converged = D._fit_channel(design, np.zeros((design.y.size, 0)), [],
                                                   censor=True)
    assert converged
    model = D._model_class()(design.y, None, additive=np.zeros((design.y.size, 0)),
                             censored=design.censored, alpha=alpha,
                             names=[c.label for c in design.columns],
                             sparse_exog=design.x.tocsr())
    expected = np.linalg.inv(-model.hessian(params))
    np.testing.assert_allclose(cov, expected, rtol=1e-8, atol=1e-12)


class _Result:
    def __init__(self, params: np.ndarray) -> None:
        self.params = params
        self.normalized_cov_params = None


class _ShootingModel:
    """Newton lands where the likelihood is flat; Newton-CG finds the optimum at 1."""

    endog = np.ones(4)

    def __init__(self) -> None:
        self.methods: list[str] = []

    def loglike(self, params: np.ndarray) -> float:
        return float(-np.sum((params - 1.0) ** 2)) - 10.0

    def score(self, params: np.ndarray) -> np.ndarray:
        return np.asarray(-2.0 * (params - 1.0))

    def fit(self, *, start_params: np.ndarray, callback: Any = None, **kwargs: Any) -> _Result:
        self.methods.append(kwargs["method"])
        if kwargs["method"] == "newton":
            callback(np.full_like(start_params, 1e6))     # the first step shoots off
            raise AssertionError("the run should have been abandoned")
        return _Result(np.ones_like(start_params))


def test_a_newton_run_that_shoots_off_is_abandoned_at_once() -> None:
    model = _ShootingModel()
    params, converged, cov = D._maximize(model, np.zeros(2), tol=1e-7)
    assert converged
    np.testing.assert_allclose(params, 1.0)
    assert cov is None                                   # recomputed by the caller
    assert model.methods == ["newton", "minimize"]


def test_stopping_before_the_closing_hessian_gives_the_same_point(sales: Any, pack: Any
                                                                   ) -> None:
    """The pilot stops at statsmodels' own last iterate without its closing Hessian: the same
    parameters as the full run; the naive fit (no covariance) one step earlier, within 1e-8."""
    import warnings

    calendar, blocks, weather = _parts(sales, pack)
    design, _ = D._separate(D._drop_empty(D._design(sales, pack, "dine_in", calendar, blocks,
                                                    weather)))
    none = np.zeros((design.y.size, 0))
    params, _, alpha, _ = D._fit_channel(design, none, [], censor=True)
    start = np.append(params * 0.9, alpha)
    full, cov, _, ok_full = D._fit_channel(design, none, [], censor=False, start=start)
    lean, no_cov, _, ok_lean = D._fit_channel(design, none, [], censor=False, start=start,
                                              need_cov=False)
    assert ok_full
    assert ok_lean
    np.testing.assert_allclose(lean, full, rtol=0, atol=1e-8)      # Newton's tolerance
    assert cov.shape == (full.size, full.size)
    assert no_cov.size == 0
    model = D._model_class()(design.y, None, additive=none, censored=design.censored,
                             alpha=alpha, names=[c.label for c in design.columns],
                             sparse_exog=design.x.tocsr())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = model.fit(start_params=params * 0.9, method="newton", maxiter=3, disp=False)
    np.testing.assert_array_equal(D._pilot_steps(model, params * 0.9), plain.params)


def test_separation_reports_each_column_once_with_its_remaining_rows(sales: Any, pack: Any
                                                                      ) -> None:
    """Two effects with no finite estimate whose days overlap: the first (all sold nothing)
    leaves with its rows, the second (all sold out) is counted on the rows still in the fit."""
    import attrs

    calendar, blocks, weather = _parts(sales, pack)
    design = D._drop_empty(D._design(sales, pack, "dine_in", calendar, blocks, weather))
    cols = [k for k, c in enumerate(design.columns) if c.kind == "holiday"]
    rows_of = {k: design.x.indices[design.x.indptr[k]:design.x.indptr[k + 1]] for k in cols}
    first, second = next((a, b) for a, b in itertools.pairwise(cols)
                         if np.intersect1d(rows_of[a], rows_of[b]).size == 0)
    shared_row = rows_of[first][0]
    y = design.y.copy()
    y[rows_of[first]] = 0.0
    censored = design.censored.copy()
    censored[rows_of[second]] = True
    # one row of the second column is also one of the first's (a sold-out 0)
    x = design.x.tolil()
    x[shared_row, second] = 1.0
    design = attrs.evolve(design, x=x.tocsc(), y=y, censored=censored)
    kept, dropped = D._separate(design)
    assert [(c.label, zero) for c, _, zero in dropped] == [
        (design.columns[first].label, True), (design.columns[second].label, False)]
    assert dropped[0][1] == rows_of[first].size
    assert dropped[1][1] == rows_of[second].size          # the shared row left with the first
    labels = {c.label for c in kept.columns}
    assert design.columns[first].label not in labels
    assert design.columns[second].label not in labels
    assert kept.y.size == design.y.size - rows_of[first].size - rows_of[second].size


def test_row_filter_and_day_rows_equal_the_plain_constructions(sales: Any, pack: Any) -> None:
    """_keep_rows filters a CSC design's rows without the CSR round trip, _day_rows joins the
    rows of a list of days in one pass: the same arrays as the plain constructions."""
    calendar, blocks, weather = _parts(sales, pack)
    design = D._drop_empty(D._design(sales, pack, "takeaway", calendar, blocks, weather))
    rng = np.random.default_rng(3)
    for share in (0.0, 0.5, 0.97, 1.0):
        keep = rng.uniform(size=design.y.size) < share
        plain = design.x.tocsr()[keep].tocsc()
        fast = D._keep_rows(design.x, keep)
        assert fast.shape == plain.shape
        for a, b in ((fast.data, plain.data), (fast.indices, plain.indices),
                     (fast.indptr, plain.indptr)):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
    day_start = np.searchsorted(design.row_index[0], np.arange(sales.days + 1)).astype(np.intp)
    for days in ([], [0], [5, 3, 400, 401], list(range(sales.days))):
        plain_rows = (np.concatenate([np.arange(day_start[d], day_start[d + 1]) for d in days])
                      if days else np.empty(0, dtype=np.intp))
        got = D._day_rows(day_start, days)
        np.testing.assert_array_equal(got, plain_rows)
        assert got.dtype == np.intp


def test_the_parts_kept_for_a_few_parameter_vectors_are_theirs(sales: Any, pack: Any) -> None:
    """The model keeps the per-row terms of its first and last few parameter vectors: whatever
    the order of the requests, each answer is that of a fresh model at that vector."""
    calendar, blocks, weather = _parts(sales, pack)
    design = D._drop_empty(D._design(sales, pack, "dine_in", calendar, blocks, weather))
    none = np.zeros((design.y.size, 0))
    censored = design.censored.copy()
    censored[::7] = True

    def model() -> Any:
        return D._model_class()(design.y, None, additive=none, censored=censored, alpha=0.04,
                                names=[c.label for c in design.columns],
                                sparse_exog=design.x.tocsr())

    rng = np.random.default_rng(5)
    base = np.log(design.y.mean() + 1.0)
    vectors = [base + rng.normal(0, 0.1, design.x.shape[1]) for _ in range(6)]
    kept = model()
    for k in [0, 1, 2, 0, 3, 4, 1, 0, 5, 2, 5, 0]:
        fresh = model()
        p = vectors[k]
        assert kept.loglike(p) == fresh.loglike(p)
        np.testing.assert_array_equal(kept.score(p), fresh.score(p))
        np.testing.assert_array_equal(kept.hessian(p), fresh.hessian(p))
    assert len(kept._cache) <= D._KEEP


def test_survival_once_per_group_of_alike_rows_is_bit_for_bit_every_row() -> None:
    """betainc once per group of censored rows with the same y and mean gives every row's own
    value; a grouping whose rows differ (a shared fingerprint) is caught and every row done."""
    rng = np.random.default_rng(11)
    y = rng.integers(1, 60, 300).astype(np.float64)
    mu = y * rng.uniform(0.8, 2.0, y.size)
    y[150:], mu[150:] = y[:150], mu[:150]                       # rows 150.. repeat 0..149
    censored = np.ones(y.size, dtype=bool)
    r = 1 / 0.03
    plain = D._NBTerms(y, censored, r).derivatives(mu)
    first = np.arange(150, dtype=np.intp)
    of = np.concatenate([first, first])
    grouped = D._NBTerms(y, censored, r, (first, of))
    assert grouped.first is not None
    for a, b in zip(grouped.derivatives(mu), plain, strict=True):
        np.testing.assert_array_equal(a, b)
    moved = mu.copy()
    moved[200] *= 1.01                                           # no longer alike row 50
    for a, b in zip(grouped.derivatives(moved), D._NBTerms(y, censored, r).derivatives(moved),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_alike_rows_share_y_and_design_row_and_no_additive_term(sales: Any, pack: Any
                                                               ) -> None:
    calendar, blocks, weather = _parts(sales, pack)
    design = D._drop_empty(D._design(sales, pack, "takeaway", calendar, blocks, weather))
    xs = design.x.tocsr()
    censored = design.y >= np.quantile(design.y, 0.7)            # the busy days, many alike
    additive = np.where(design.weather[:, :1] > 0, 0.3, 0.0)
    first, of = D._alike_rows(xs, design.y, censored, additive)
    cp = np.flatnonzero(censored & (design.y > 0))
    assert of.size == cp.size
    assert first.size < cp.size                                  # some rows are alike
    dense = xs[cp].toarray()
    for g, row in enumerate(first):
        members = np.flatnonzero(of == g)
        assert row == members.min()
        assert np.all(design.y[cp[members]] == design.y[cp[row]])
        assert np.all(dense[members] == dense[row])
        if additive[cp[row], 0] != 0:
            assert members.size == 1


def test_models_sharing_the_lngamma_terms_give_their_own_loglikelihood(sales: Any, pack: Any
                                                                       ) -> None:
    """The censored and the naive model of one design share the lnΓ terms of its sales at the
    same dispersion (_Sparse.constants): each log-likelihood is that of a model alone."""
    calendar, blocks, weather = _parts(sales, pack)
    design = D._drop_empty(D._design(sales, pack, "dine_in", calendar, blocks, weather))
    prepared = D._Sparse.of(design)
    none = np.zeros((design.y.size, 0))
    censored = design.y >= np.quantile(design.y, 0.8)
    params = np.full(design.x.shape[1], np.log(design.y.mean() + 1.0))
    names = [c.label for c in design.columns]
    for alpha in (0.04, 0.04, 0.1):
        for cens in (censored, np.zeros_like(censored)):
            shared = D._model_class()(design.y, None, additive=none, censored=cens, alpha=alpha,
                                      names=names, sparse_exog=prepared.xs,
                                      constants=prepared.constants)
            alone = D._model_class()(design.y, None, additive=none, censored=cens, alpha=alpha,
                                     names=names, sparse_exog=prepared.xs)
            np.testing.assert_array_equal(shared.loglikeobs(params), alone.loglikeobs(params))
    assert sorted(prepared.constants) == [1 / 0.1, 1 / 0.04]


def _separate_plainly(design: Any) -> tuple[np.ndarray, list[tuple[str, int, bool]]]:
    """The separation loop recounting every column after each drop (the reference)."""
    x = design.x
    n_col = x.shape[1]
    on = x.data != 0
    col_all = np.repeat(np.arange(n_col), np.diff(x.indptr))[on]
    row_all = x.indices[on]
    alive = np.ones(design.y.size, dtype=bool)
    dropped = []
    while True:
        live = alive[row_all]
        col_of, row_of = col_all[live], row_all[live]
        sold = np.bincount(col_of, weights=design.y[row_of], minlength=n_col)
        exact = np.bincount(col_of, weights=~design.censored[row_of], minlength=n_col) > 0
        some = np.bincount(col_of, minlength=n_col) > 0
        bad = np.flatnonzero(((sold == 0) | ~exact) & some)
        if not bad.size:
            return alive, dropped
        k = int(bad[0])
        rows = row_of[col_of == k]
        dropped.append((design.columns[k].label, int(rows.size), bool(sold[k] == 0)))
        alive[rows] = False


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separation_with_updated_counts_equals_recounting_every_column(
        sales: Any, pack: Any, seed: int) -> None:
    import attrs

    calendar, blocks, weather = _parts(sales, pack)
    design = D._drop_empty(D._design(sales, pack, "group_meal", calendar, blocks, weather))
    rng = np.random.default_rng(seed)
    y = design.y * (rng.uniform(size=design.y.size) < 0.6)         # many zero sales
    censored = rng.uniform(size=design.y.size) < 0.5               # many sold out
    design = attrs.evolve(design, y=y, censored=censored)
    alive, expected = _separate_plainly(design)
    kept, dropped = D._separate(design)
    assert [(c.label, n, zero) for c, n, zero in dropped] == expected
    assert len(expected) >= 2                                    # several drops
    np.testing.assert_array_equal(kept.y, design.y[alive])
    assert (kept.x != D._drop_empty(D._rows(design, alive)).x).nnz == 0


def _plain_newton_fails(model: Any, start: np.ndarray) -> bool:
    """statsmodels' Newton alone from ``start`` (the takeaway fit before the damped steps):
    True when it ends worse than it started, off the optimum, or on a singular Hessian."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = model.fit(start_params=start, method="newton", maxiter=12, disp=False,
                            skip_hessian=True)
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            return True
    params = np.asarray(res.params)
    return not (np.all(np.isfinite(params)) and model.loglike(params) >= model.loglike(start)
                and np.abs(model.score(params)).max() <= 1e-3)


def test_the_takeaway_fit_converges_by_newton_where_plain_newton_fails(
        histories: dict[int, Path], pack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The takeaway share fit starts from the pilot's optimum (shares 0), where plain Newton
    overshoots along the (multiplier, share) ridge and used to fall back to Newton-CG (which
    stops at a score of ~1e-4): the damped steps take it to where statsmodels' Newton
    converges — its covariance is kept (a fallback's is not) and the score vanishes."""
    seen: list[tuple[Any, np.ndarray, Any]] = []
    real = D._maximize

    def watch(model: Any, start: np.ndarray, **kwargs: Any) -> Any:
        out = real(model, start, **kwargs)
        if model.n_shift and kwargs.get("need_cov", True):
            seen.append((model, np.array(start), out))
        return out

    monkeypatch.setattr(D, "_maximize", watch)
    fit = D.fit_demand(read_sales(histories[1], pack), pack, naive=False)
    [(model, start, (params, converged, cov))] = seen
    assert _plain_newton_fails(model, start)            # the history fails without the damping
    assert converged
    assert cov is not None                              # Newton's own result, no fallback
    assert np.abs(model.score(params)).max() <= 1e-8
    # the start the damped steps reach is at least as good as where they began
    damped = D._damped_start(model, start, tol=1e-7)
    assert model.loglike(damped) >= model.loglike(start)
    np.testing.assert_array_equal(fit.channels["takeaway"].params, params)
