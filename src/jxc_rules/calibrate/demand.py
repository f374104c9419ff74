"""Demand effects from daily sales: a censored negative-binomial count regression.

Model
-----
For channel *c*, location *l*, item *n* (dishes pooled: one family) and day *d*, demand is
negative binomial (NB2: variance μ + α μ²) with mean

    μ = exp( b[l, n, daytype(d)] + Σ_h Σ_k h[c, k] · 1[d is position k of holiday h]
             + Σ_h e[h, n] · 1[d in the break of h] + Σ_w log γ[w, c] · 1[weather w on d] )
        + Σ_w s[w] · (1 − γ[w, dine_in]) · μ_dine,0[d, l, n] · 1[weather w on d]   (takeaway)

— the simulator's own demand model (:mod:`jxc_rules.simulate.demand`,
:mod:`jxc_rules.simulate.weather`) read backwards:

* ``b``: the base weekly profile per item and location (Monday .. Sunday). A day off of a break
  takes the mean of Saturday and Sunday, a make-up workday (调休) the mean of Monday .. Friday; in
  the log-linear fit these are geometric means (within 0.1 % of the simulator's arithmetic mean
  when the two weekend days differ by less than 10 %).
* ``h``: the holiday profiles over **the pack's own windows** (``before`` counted back from the
  first day off, eve last; ``during`` day 1, 2, ... off, the last value repeating; ``after``),
  laid over the calendar of :mod:`jxc_rules.simulate.calendar` (``holidays`` package and the
  announced schedules) — so a fitted value goes straight back to the pack field it estimates.
* ``e``: a per-item factor on the days of a break (the reference item, the best seller, has
  none): a dish that sells better over the festival does not bend the channel's profile.
* ``γ``, ``s``: weather multipliers per channel and the share of lost dine-in demand that
  reappears as takeaway. ``μ_dine,0`` is the dine-in mean without weather from the dine-in fit
  (two stages: dine-in first; its uncertainty is not carried into the takeaway intervals).

**Censored demand.** On a day an item sold out (``stockout`` = 1) the recorded sale ``y`` is a
lower bound: the likelihood of that day is ``P(Y ≥ y)`` (the NB survival function, a
regularised incomplete beta function), not ``P(Y = y)``. Treating such days as exact —
the naive fit — biases every effect of the days that sell out (festival peaks) downward; the fit
reports how much (:attr:`ChannelFit.naive`).

Fitting
-------
α by the method of moments from a Poisson GLM fit (statsmodels IRLS), then the censored NB
likelihood maximised by statsmodels' ``GenericLikelihoodModel`` (Newton, with the analytic score
and Hessian below) holding α fixed — in NB2 the information matrix is block-diagonal between the
mean parameters and α, so their intervals do not depend on α's estimate to first order. A
takeaway fit, whose additive shares curve the likelihood along the nearly collinear
(multiplier, share) ridge, first takes damped Newton steps with a line search
(:func:`_damped_start`) and then converges by statsmodels' Newton. 95 % Wald intervals on the
log scale (multipliers: ``exp(β ± 1.96 se)``).

Sources
-------
Cameron, A. C. & Trivedi, P. K. (2013) *Regression Analysis of Count Data*, 2nd ed., §3.3 (NB2)
and §4.3 (censored counts). Seabold, S. & Perktold, J. (2010) statsmodels.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.calibrate.estimate import Estimate, Refusal, sufficiency
from jxc_rules.calibrate.sales import SalesData
from jxc_rules.errors import ValidationError

__all__ = ["ChannelFit", "DemandFit", "fit_demand"]

FloatArray = npt.NDArray[np.float64]

Z95 = 1.959963984540054
MAX_DESIGN_CELLS = 60_000_000
"""Largest design matrix fitted (rows × columns, ~480 MB of float64): a store's two years of
a hundred dishes is ~8 M; a chain's many stores at once is refused with the fix."""

MIN_DAYS = 28
"""Shortest history fitted: four weeks, so that every weekday is seen four times."""

_ZH_HOLIDAY = {"Spring Festival": "春节", "National Day": "国庆节", "Labour Day": "劳动节",
               "New Year's Day": "元旦", "Dragon Boat Festival": "端午节",
               "Mid-Autumn Festival": "中秋节", "Tomb-sweeping Day": "清明节"}


@attrs.frozen
class _Column:
    kind: str            # base | holiday | break_item | weather
    label: str
    path: str | None = None
    current: float | None = None
    holiday: str | None = None
    weather: str | None = None


@attrs.frozen(eq=False)
class ChannelFit:
    """One channel's fit: ``params`` and ``cov`` over ``columns`` (plus the takeaway shifts at
    the end), ``alpha`` the NB2 dispersion, ``naive`` the estimates of the same fit with the
    stock-out flag ignored (path → value), ``rows`` and ``censored`` counts."""

    channel: str
    labels: tuple[str, ...]
    params: FloatArray
    cov: FloatArray
    alpha: float
    rows: int
    censored: int
    naive: Mapping[str, float]
    converged: bool


@attrs.frozen(eq=False)
class DemandFit:
    """What :func:`fit_demand` returns: per-field :class:`Estimate` rows, :class:`Refusal` rows
    for what the data could not support, and the fits behind them."""

    estimates: tuple[Estimate, ...]
    refusals: tuple[Refusal, ...]
    channels: Mapping[str, ChannelFit]
    data_from: dt.date
    data_to: dt.date
    seconds: float

    def estimate(self, path: str) -> Estimate:
        """The estimate of one pack field (KeyError-compatible error when not fitted)."""
        for e in self.estimates:
            if e.path == path:
                return e
        from jxc_rules.errors import UnknownItemError

        raise UnknownItemError(f"{path!r} was not fitted; fitted: "
                               f"{', '.join(e.path for e in self.estimates[:8])} ...", key=path)


# --------------------------------------------------------------------------------------------
# the likelihood


def _nb_constant(y: FloatArray, r: float) -> FloatArray:
    """The part of the NB2 log-pmf that does not depend on μ: lnΓ(y+r) − lnΓ(r) − lnΓ(y+1)."""
    from scipy import special

    return np.asarray(special.gammaln(y + r) - special.gammaln(r) - special.gammaln(y + 1),
                      dtype=np.float64)


def _nb_parts(y: FloatArray, mu: FloatArray, r: float, censored: npt.NDArray[np.bool_],
              constant: FloatArray | None = None
              ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-row log-likelihood and its first and second derivatives in μ (NB2, size r);
    ``constant`` is :func:`_nb_constant` of the exact rows (computed here when not given)."""
    from scipy import special

    ll = np.empty_like(mu)
    d1 = np.empty_like(mu)
    d2 = np.empty_like(mu)
    ex = ~censored
    ye, me = y[ex], mu[ex]
    const = _nb_constant(ye, r) if constant is None else constant
    ll[ex] = const + r * np.log(r / (r + me)) + ye * np.log(me / (r + me))
    d1[ex] = ye / me - (ye + r) / (r + me)
    d2[ex] = -ye / me**2 + (ye + r) / (r + me) ** 2
    cz = censored & (y <= 0)                 # P(Y >= 0) = 1
    ll[cz], d1[cz], d2[cz] = 0.0, 0.0, 0.0
    cp = censored & (y > 0)
    if cp.any():
        yc, mc = y[cp], mu[cp]
        x = mc / (r + mc)
        surv = np.maximum(special.betainc(yc, r, x), 1e-300)
        log_surv = np.log(surv)
        log_g = ((yc - 1) * np.log(x) + (r - 1) * np.log1p(-x) - special.betaln(yc, r))
        lx = np.exp(log_g - log_surv)
        lxx = lx * ((yc - 1) / x - (r - 1) / (1 - x)) - lx**2
        xm = r / (r + mc) ** 2
        xmm = -2.0 * r / (r + mc) ** 3
        ll[cp] = log_surv
        d1[cp] = lx * xm
        d2[cp] = lxx * xm**2 + lx * xmm
    return ll, d1, d2


class _NBTerms:
    """:func:`_nb_parts` for one fixed ``(y, censored)`` at size ``r``, what does not depend on
    μ computed once (the lnΓ constant, ln B(y, r) of the censored rows, the row subsets) and the
    log-likelihood only when asked: Newton's steps need the derivatives alone. The exact rows'
    terms are computed over every row and the censored rows overwritten — elementwise the same
    operations on the same operands as :func:`_nb_parts` on the exact subset, so bit for bit
    its values, without the gathers and scatters (tested equal).

    ``alike`` (:func:`_alike_rows`): the censored rows with ``y > 0`` grouped by ``y`` and design
    row, whose P(Y ≥ y) is then the same number — ``betainc`` is evaluated once per group (a
    sold-out weekend of the same dish and position in two years), after checking that the
    inputs are indeed equal (else on every row)."""

    def __init__(self, y: FloatArray, censored: npt.NDArray[np.bool_], r: float,
                 alike: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None = None,
                 constant: FloatArray | None = None) -> None:
        from scipy import special

        self.r = r
        self.y = y
        self.neg_y = -y
        self.y_r = y + r
        self.all_exact = not bool(censored.any())
        self.censored = np.flatnonzero(censored)
        self.cp = np.flatnonzero(censored & (y > 0))        # censored at 0: P(Y ≥ 0) = 1
        self.yc = y[self.cp]
        # every row (censored: unused); ``constant``: the same array, computed by a model of
        # the same sales at the same r (the naive fit's, after the censored one's)
        self.constant = _nb_constant(y, r) if constant is None else constant
        self.log_beta = (np.asarray(special.betaln(self.yc, r), dtype=np.float64)
                         if self.cp.size else np.empty(0))
        self.first: npt.NDArray[np.intp] | None = None     # distinct rows (positions in cp)
        self.of: npt.NDArray[np.intp] | None = None        # each row's distinct row
        if alike is not None and self.cp.size and alike[0].size < 0.9 * self.cp.size:
            self.first, self.of = alike                 # else not worth the check
            self.yc_first = self.yc[self.first]

    def _survival(self, x: FloatArray) -> FloatArray:
        """``betainc(yc, r, x)``: once per distinct row where the rows alike have equal x."""
        from scipy import special

        if self.first is not None and self.of is not None:
            x_first = x[self.first]
            if np.array_equal(x_first[self.of], x):
                return np.asarray(special.betainc(self.yc_first, self.r, x_first),
                                  dtype=np.float64)[self.of]
        return np.asarray(special.betainc(self.yc, self.r, x), dtype=np.float64)

    def derivatives(self, mu: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """First and second derivatives in μ per row, and ln P(Y ≥ y) of the censored rows."""
        # y/μ − (y+r)/(r+μ) and −y/μ² + (y+r)/(r+μ)², the same operations (sums commute
        # exactly), the operands that do not depend on μ kept, the temporaries reused
        r, y = self.r, self.y
        r_mu = r + mu
        d1 = y / mu
        d1 -= self.y_r / r_mu
        d2 = np.square(mu)
        np.divide(self.neg_y, d2, out=d2)
        np.square(r_mu, out=r_mu)
        np.divide(self.y_r, r_mu, out=r_mu)
        d2 += r_mu
        if self.all_exact:
            return d1, d2, np.empty(0)
        d1[self.censored] = 0.0
        d2[self.censored] = 0.0
        if not self.cp.size:
            return d1, d2, np.empty(0)
        yc, mc = self.yc, mu[self.cp]
        x = mc / (r + mc)
        log_surv = np.log(np.maximum(self._survival(x), 1e-300))
        log_g = (yc - 1) * np.log(x) + (r - 1) * np.log1p(-x) - self.log_beta
        lx = np.exp(log_g - log_surv)
        lxx = lx * ((yc - 1) / x - (r - 1) / (1 - x)) - lx**2
        xm = r / (r + mc) ** 2
        xmm = -2.0 * r / (r + mc) ** 3
        d1[self.cp] = lx * xm
        d2[self.cp] = lxx * xm**2 + lx * xmm
        return d1, d2, np.asarray(log_surv, dtype=np.float64)

    def loglike(self, mu: FloatArray, log_surv: FloatArray) -> FloatArray:
        """Per-row log-likelihood (``log_surv`` from :meth:`derivatives` at the same μ)."""
        r = self.r
        # constant + r·ln(r/(r+μ)) + y·ln(μ/(r+μ)), added in that order
        r_mu = r + mu
        ll = np.divide(r, r_mu)
        np.log(ll, out=ll)
        ll *= r
        ll += self.constant
        np.divide(mu, r_mu, out=r_mu)
        np.log(r_mu, out=r_mu)
        r_mu *= self.y
        ll += r_mu
        if self.all_exact:
            return ll
        ll[self.censored] = 0.0
        ll[self.cp] = log_surv
        return ll


def _gram_pairs(xs: Any) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]:
    """For ``Xᵀ diag(w) X`` by one ``bincount``: every pair of nonzeros within a row of the CSR
    matrix ``xs`` as (row, flat index i·P + j, x_ri·x_rj). Rows hold a handful of nonzeros (an
    item's weekday level and a few effects), so the pairs are few: Σ_r k_r² for k_r nonzeros."""
    n_rows, p = xs.shape
    starts = xs.indptr[:-1].astype(np.intp)
    k = np.diff(xs.indptr).astype(np.intp)
    squares = k * k
    rows = np.repeat(np.arange(n_rows, dtype=np.intp), squares)
    offset = np.concatenate([[0], np.cumsum(squares)[:-1]]).astype(np.intp)
    t = np.arange(int(squares.sum()), dtype=np.intp) - offset[rows]
    kr = k[rows]
    a = starts[rows] + t // kr
    b = starts[rows] + t % kr
    cols = xs.indices.astype(np.intp)
    return rows, cols[a] * p + cols[b], np.asarray(xs.data[a] * xs.data[b], dtype=np.float64)


def _alike_rows(xs: Any, y: FloatArray, censored: npt.NDArray[np.bool_], additive: FloatArray
                ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The censored rows with ``y > 0`` (in row order, positions among them) grouped by ``y``
    and, by a fingerprint of the design row (its nonzeros against fixed random weights), the
    same design row and no additive term: rows whose mean, and so P(Y ≥ y), is the same number
    at every parameter vector. ``(first, of)``: each group's first row, each row's group. A
    fingerprint shared by two different rows only costs time: :meth:`_NBTerms._survival`
    checks that the rows grouped have equal inputs."""
    cp = np.flatnonzero(censored & (y > 0))
    if not cp.size:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    weights = np.random.default_rng(20261208).uniform(1.0, 2.0, xs.shape[1])
    print_ = np.asarray(xs @ weights, dtype=np.float64)[cp]
    if additive.shape[1]:
        lone = np.any(additive[cp] != 0, axis=1)           # alike only itself
        print_[lone] = -1.0 - np.flatnonzero(lone)
    yc = y[cp]
    order = np.lexsort((print_, yc))
    new = np.ones(cp.size, dtype=bool)
    new[1:] = (yc[order][1:] != yc[order][:-1]) | (print_[order][1:] != print_[order][:-1])
    of = np.empty(cp.size, dtype=np.intp)
    of[order] = np.cumsum(new) - 1
    return np.asarray(order[new], dtype=np.intp), of    # lexsort is stable: lowest row first


_KEEP = 3
"""Parameter vectors whose per-row terms a model keeps (the first one asked for and the last
ones)."""


@functools.cache
def _model_class() -> Any:
    from scipy import sparse
    from statsmodels.base.model import GenericLikelihoodModel, LikelihoodModel

    class CensoredNB(GenericLikelihoodModel):  # type: ignore[misc]
        """NB2 with log-linear mean plus an additive term ``A @ s``, right-censored rows.

        The design is sparse (each row has its item's weekday level and a few effects), so
        the score and the Hessian ``Xᵀ diag(w) X`` run on a CSR copy; the per-row derivatives
        are computed once per parameter vector (Newton asks for score and Hessian at the same
        point)."""

        def __init__(self, endog: FloatArray, exog: Any, *, additive: FloatArray,
                     censored: npt.NDArray[np.bool_], alpha: float, names: Sequence[str],
                     sparse_exog: Any = None, pairs: Any = None, sparse_t: Any = None,
                     constants: dict[float, FloatArray] | None = None) -> None:
            self.additive = additive
            self.censored = censored
            self.r = 1.0 / alpha
            self.xs = sparse_exog if sparse_exog is not None else sparse.csr_matrix(exog)
            self.n_beta = self.xs.shape[1]
            self.n_shift = len(names) - self.n_beta
            self.xs_t = self.xs.T.tocsr() if sparse_t is None else sparse_t
            self._pairs = pairs if pairs is not None else _gram_pairs(self.xs)
            self._cache: dict[bytes, list[Any]] = {}     # params → parts (see _parts)
            self._terms: _NBTerms | None = None                # per-row terms at self.r
            self._alike: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None = None
            # r → _nb_constant(endog, r), shared by the models of one design (see _Sparse)
            self._constants = {} if constants is None else constants
            # the design stays sparse here: statsmodels gets no dense exog (its data handling
            # would copy and scan it), every parameter is named as an "extra" one
            super().__init__(endog, None, extra_params_names=list(names), hasconst=False)
            self.nparams = len(names)
            self.df_model = self.nparams
            self.df_resid = endog.shape[0] - self.nparams

        def initialize(self) -> None:
            # GenericLikelihoodModel's initialize computes the design's rank by SVD on every
            # construction; the degrees of freedom are set in __init__ instead
            LikelihoodModel.initialize(self)

        def _mean(self, params: FloatArray) -> tuple[FloatArray, FloatArray]:
            beta = params[: self.n_beta]
            expo = np.exp(np.clip(self.xs @ beta, -30, 30))
            mu = expo + (self.additive @ params[self.n_beta:] if self.n_shift else 0.0)
            return np.maximum(mu, 1e-9), expo

        def set_alpha(self, alpha: float) -> None:
            """The same model at another dispersion."""
            self.r = 1.0 / alpha
            self._cache = {}

        def _parts(self, params: FloatArray) -> list[Any]:
            """``[d1, d2, expo, mu, ln P(Y ≥ y) of the censored rows, loglikeobs or None]``,
            computed once per parameter vector (the log-likelihood on first request) and kept
            for the last :data:`_KEEP` vectors: a fit's start is asked for again (the pilot's
            closing comparison, a fallback optimiser restarting where Newton started)."""
            key = np.asarray(params, dtype=np.float64).tobytes()
            parts = self._cache.get(key)
            if parts is not None:
                return parts
            mu, expo = self._mean(params)
            if self._terms is None or self._terms.r != self.r:
                if self._alike is None and self.censored.any():
                    self._alike = _alike_rows(self.xs, self.endog, self.censored,
                                              self.additive)
                constant = self._constants.get(self.r)
                self._terms = _NBTerms(self.endog, self.censored, self.r, self._alike,
                                       constant)
                self._constants.setdefault(self.r, self._terms.constant)
            d1, d2, log_surv = self._terms.derivatives(mu)
            if len(self._cache) >= _KEEP:
                # the oldest goes, except the first (a fit's start)
                del self._cache[list(self._cache)[1 if _KEEP > 1 else 0]]
            parts = self._cache[key] = [d1, d2, expo, mu, log_surv, None]
            return parts

        def loglikeobs(self, params: FloatArray) -> FloatArray:
            parts = self._parts(params)
            if parts[5] is None:
                assert self._terms is not None
                parts[5] = self._terms.loglike(parts[3], parts[4])
            ll: FloatArray = parts[5]
            return ll

        def loglike(self, params: FloatArray) -> float:
            return float(self.loglikeobs(params).sum())

        def score(self, params: FloatArray) -> FloatArray:
            d1, _, expo = self._parts(params)[:3]
            g = self.xs_t @ (d1 * expo)
            if self.n_shift:
                g = np.concatenate([g, self.additive.T @ d1])
            return np.asarray(g, dtype=np.float64)

        def hessian(self, params: FloatArray) -> FloatArray:
            d1, d2, expo = self._parts(params)[:3]
            w = d2 * expo**2 + d1 * expo
            rows, flat, prod = self._pairs
            p = self.n_beta
            h_bb = np.bincount(flat, weights=w[rows] * prod, minlength=p * p).reshape(p, p)
            if not self.n_shift:
                return np.asarray(h_bb, dtype=np.float64)
            a = self.additive
            h_bs = self.xs_t @ (a * (d2 * expo)[:, None])
            h_ss = (a * d2[:, None]).T @ a
            return np.asarray(np.block([[h_bb, h_bs], [h_bs.T, h_ss]]), dtype=np.float64)

    return CensoredNB


# --------------------------------------------------------------------------------------------
# the design


@attrs.frozen(eq=False)
class _Design:
    x: Any                         # scipy.sparse CSC [R, P]: a handful of nonzeros per row
    columns: tuple[_Column, ...]
    y: FloatArray
    censored: npt.NDArray[np.bool_]
    row_index: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]
    weather: FloatArray            # [R, W] indicators of the pack's weather states


def _blocks(dates: Sequence[dt.date], schedule: Any = None
            ) -> dict[str, list[tuple[dt.date, dt.date]]]:
    from jxc_rules.simulate.calendar import holiday_blocks

    margin = dt.timedelta(days=40)
    return holiday_blocks(dates[0] - margin, dates[-1] + margin, schedule=schedule)


def _holiday_positions(blocks: Sequence[tuple[dt.date, dt.date]], profile: Any
                       ) -> dict[dt.date, str]:
    """Calendar day → pack position (``before[i]``, ``during[i]``, ``after[i]``)."""
    out: dict[dt.date, str] = {}
    before, during, after = (tuple(profile.before), tuple(profile.during), tuple(profile.after))
    for first, last in blocks:
        for j in range(len(before)):             # before[-1] is the eve
            out[first - dt.timedelta(days=j + 1)] = f"before[{len(before) - 1 - j}]"
        if during:
            for k in range((last - first).days + 1):
                out[first + dt.timedelta(days=k)] = f"during[{min(k, len(during) - 1)}]"
        for j in range(len(after)):
            out[last + dt.timedelta(days=j + 1)] = f"after[{j}]"
    return out


def _position_value(profile: Any, position: str) -> float:
    part, idx = position.rstrip("]").split("[")
    return float(getattr(profile, part)[int(idx)])


def _weather_days(sales: SalesData, states: Sequence[str]) -> dict[str, FloatArray]:
    """``state → [D, L]`` indicator of the days each weather state was recorded."""
    if sales.weather is None:
        return {}
    kinds: dict[frozenset[str], int] = {}         # the distinct weather sets recorded
    n = sales.days * len(sales.locations)
    codes = np.fromiter((kinds.setdefault(s, len(kinds)) for day in sales.weather for s in day),
                        dtype=np.intp, count=n).reshape(sales.days, len(sales.locations))
    return {state: np.array([state in kind for kind in kinds], dtype=np.float64)[codes]
            for state in states}


def _week_weights(calendar: Any) -> FloatArray:
    """``[D, 7]`` weekday-level weights of each day: its weekday, a day off of a break the mean
    of Saturday and Sunday, a make-up workday (调休) the mean of Monday .. Friday."""
    n_days = len(calendar.weekday)
    week = np.zeros((n_days, 7))
    week[np.arange(n_days), calendar.weekday] = 1.0
    week[calendar.day_off] = 0.0
    week[calendar.day_off, 5:] = 0.5
    week[calendar.makeup_workday] = 0.0
    week[np.ix_(calendar.makeup_workday, np.arange(5))] = 0.2
    return week


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@attrs.frozen(eq=False)
class _Rows:
    """What the channels with the same series share: the rows (day-major), the base weekday
    block of the design, the weather indicators and each break's rows."""

    d_ix: npt.NDArray[np.intp]
    l_ix: npt.NDArray[np.intp]
    n_ix: npt.NDArray[np.intp]
    day_start: npt.NDArray[np.intp]          # rows of day d: day_start[d] .. day_start[d + 1]
    base: tuple[npt.NDArray[np.intp], FloatArray, npt.NDArray[np.intp]]   # rows, values, counts
    base_meta: tuple[_Column, ...]
    weather: FloatArray                      # [R, W]
    breaks: dict[str, npt.NDArray[np.intp]]  # holiday → its break days' rows (ascending)


def _rows_of(sales: SalesData, c: int, calendar: Any, weather_days: Mapping[str, FloatArray],
             states: Sequence[str], shared: dict[Any, Any]) -> _Rows:
    key = ("rows", sales.present[:, :, c].tobytes())
    if key in shared:
        cached: _Rows = shared[key]
        return cached
    n_days, n_loc, n_items = sales.days, len(sales.locations), len(sales.items)
    mask = np.broadcast_to(sales.present[None, :, :, c], (n_days, n_loc, n_items))
    d_ix, l_ix, n_ix = (a.astype(np.intp) for a in np.nonzero(mask))
    # base: weekday levels per (location, item) series, 7 columns each (in location, item
    # order; a weekday a short history never saw stays an empty column until _drop_empty)
    if "week" not in shared:
        shared["week"] = _week_weights(calendar)
    week: FloatArray = shared["week"]
    series = np.flatnonzero(sales.present[:, :, c].ravel())            # location-major codes
    meta: list[_Column] = []
    for code in series.tolist():
        lo, n = divmod(code, n_items)
        meta.extend(_Column("base", f"{sales.locations[lo]}/{sales.items[n]}/{name}")
                    for name in _WEEKDAYS)
    base_rows, base_vals = np.empty(0, dtype=np.intp), np.empty(0)
    base_counts = np.zeros(series.size * 7, dtype=np.intp)
    if series.size:
        g = np.searchsorted(series, l_ix * n_items + n_ix)            # series of each row
        weights = week[d_ix]                                           # [R, 7]
        rr, kk = np.nonzero(weights)                                   # row-major
        col_of = g[rr] * 7 + kk
        by_col = np.argsort(col_of, kind="stable")                     # rows ascending
        base_rows = rr[by_col].astype(np.intp)
        base_vals = weights[rr, kk][by_col]
        base_counts = np.bincount(col_of, minlength=series.size * 7).astype(np.intp)
    wmat = np.zeros((d_ix.size, len(states)))
    if sales.weather is not None:
        for w, state in enumerate(states):
            wmat[:, w] = weather_days[state][d_ix, l_ix]
    out = _Rows(d_ix, l_ix, n_ix, np.searchsorted(d_ix, np.arange(n_days + 1)).astype(np.intp),
                (base_rows, base_vals, base_counts), tuple(meta), wmat, {})
    shared[key] = out
    return out


def _day_rows(day_start: npt.NDArray[np.intp], days: Sequence[int] | npt.NDArray[np.intp]
              ) -> npt.NDArray[np.intp]:
    """The rows of ``days`` (rows of day d: ``day_start[d] .. day_start[d + 1]``), day by day
    in the order given: the concatenation of their ranges in one pass."""
    at = np.asarray(days, dtype=np.intp)
    first = day_start[at]
    n = day_start[at + 1] - first
    before = np.cumsum(n) - n                      # rows of the earlier days
    return np.repeat(first - before, n) + np.arange(int(n.sum()), dtype=np.intp)


def _design(sales: SalesData, pack: Any, channel: str, calendar: Any,
            blocks: Mapping[str, list[tuple[dt.date, dt.date]]],
            weather_days: Mapping[str, FloatArray], shared: dict[Any, Any] | None = None
            ) -> _Design:
    """The channel's sparse design; ``shared`` (one dict per :func:`fit_demand` call) keeps
    what channels with the same series have in common."""
    shared = {} if shared is None else shared
    c = sales.channels.index(channel)
    n_items = len(sales.items)
    states = tuple(getattr(pack, "weather", {}) or {})
    common = _rows_of(sales, c, calendar, weather_days, states, shared)
    d_ix, l_ix, n_ix, day_start = common.d_ix, common.l_ix, common.n_ix, common.day_start
    rows = d_ix.size
    base_rows, base_vals, base_counts = common.base
    cols: list[tuple[npt.NDArray[np.intp], FloatArray]] = []    # (rows, values) per column
    meta: list[_Column] = list(common.base_meta)
    # holiday positions over the pack's windows; rows run day-major (np.nonzero's order), so
    # the rows of day d are day_start[d] .. day_start[d + 1]
    if "day_of" not in shared:
        shared["day_of"] = {d: k for k, d in enumerate(sales.dates)}
    day_of: dict[dt.date, int] = shared["day_of"]
    ref: int | None = None                   # the reference item of the break factors
    for hname, rule in (getattr(pack, "holidays", {}) or {}).items():
        profile = rule.profile(channel)
        hb = blocks.get(hname, [])
        positions = _holiday_positions(hb, profile)
        by_pos: dict[str, list[int]] = {}
        for day, pos in positions.items():
            at = day_of.get(day)
            if at is not None:
                by_pos.setdefault(pos, []).append(at)
        order = [f"before[{i}]" for i in range(len(profile.before))] + \
            [f"during[{i}]" for i in range(len(profile.during))] + \
            [f"after[{i}]" for i in range(len(profile.after))]
        for pos in order:
            days = by_pos.get(pos)
            if not days:
                continue
            nz = _day_rows(day_start, days)
            cols.append((nz, np.ones(nz.size)))
            meta.append(_Column("holiday", f"{hname} {pos}",
                                f"holidays.{hname}.{channel}.{pos}",
                                _position_value(profile, pos), holiday=hname))
        # per-item factor on the break days (reference: the best seller)
        if hname not in common.breaks:
            days_in = sorted({j for first, last in hb for k in range((last - first).days + 1)
                              if (j := day_of.get(first + dt.timedelta(days=k))) is not None})
            common.breaks[hname] = _day_rows(day_start, days_in)            # ascending
        in_break = common.breaks[hname]
        if in_break.size and n_items > 1 and profile.during:
            if ref is None:
                ref = int(np.argmax(sales.quantity[:, :, :, c].sum(axis=(0, 1))))
            item_of = n_ix[in_break]
            for n in range(n_items):
                if n == ref or not sales.present[:, n, c].any():
                    continue
                nz = in_break[item_of == n]
                if nz.size:
                    cols.append((nz, np.ones(nz.size)))
                    meta.append(_Column("break_item", f"{hname} × {sales.items[n]}",
                                        holiday=hname))
    # weather states
    wmat = common.weather
    if sales.weather is not None:
        for w, state in enumerate(states):
            nz = np.flatnonzero(wmat[:, w])
            if nz.size:
                rule = pack.weather[state]
                cols.append((nz, wmat[nz, w]))
                meta.append(_Column("weather", f"{state}", f"weather.{state}.{channel}",
                                    rule.multiplier(channel), weather=state))
    n_cols = base_counts.size + len(cols)
    if rows * n_cols > MAX_DESIGN_CELLS:
        raise ValidationError(
            f"{channel}: {rows:,} item-days × {n_cols:,} effects is larger than one fit "
            f"holds ({MAX_DESIGN_CELLS:,} cells); calibrate per location (filter the export) "
            "or over fewer years", field="sales", value=rows * n_cols)
    from scipy import sparse

    if n_cols:
        indices = np.concatenate([base_rows, *(r for r, _ in cols)])
        data = np.concatenate([base_vals, *(v for _, v in cols)])
        counts = np.concatenate([base_counts, [r.size for r, _ in cols]]).astype(np.intp)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        x = sparse.csc_matrix((data, indices, indptr), shape=(rows, n_cols))
    else:
        x = sparse.csc_matrix((rows, 0))
    y = sales.quantity[d_ix, l_ix, n_ix, c]
    cens = sales.stockout[d_ix, l_ix, n_ix]
    return _Design(x, tuple(meta), y, cens, (d_ix, l_ix, n_ix), wmat)


def _drop_empty(design: _Design) -> _Design:
    """Columns no row touches (a base weekday a short history never saw) are dropped."""
    keep = np.flatnonzero(np.diff(design.x.indptr) > 0)
    if keep.size == design.x.shape[1]:
        return design
    return attrs.evolve(design, x=design.x[:, keep],
                        columns=tuple(design.columns[k] for k in keep))


def _keep_rows(x: Any, keep: npt.NDArray[np.bool_]) -> Any:
    """The CSC matrix ``x`` with only the rows ``keep``, filtered in place of the CSR round
    trip ``x.tocsr()[keep].tocsc()`` (the same arrays: each column's entries stay in order)."""
    from scipy import sparse

    if not x.has_sorted_indices:
        return x.tocsr()[keep].tocsc()
    on = keep[x.indices]
    n_col = x.shape[1]
    counts = np.bincount(np.repeat(np.arange(n_col), np.diff(x.indptr))[on], minlength=n_col)
    new_row = (np.cumsum(keep) - 1).astype(x.indices.dtype)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(x.indptr.dtype)
    return sparse.csc_matrix((x.data[on], new_row[x.indices[on]], indptr),
                             shape=(int(np.count_nonzero(keep)), n_col))


def _rows(design: _Design, keep: npt.NDArray[np.bool_]) -> _Design:
    d, lo, n = design.row_index
    return attrs.evolve(design, x=_keep_rows(design.x, keep), y=design.y[keep],
                        censored=design.censored[keep], row_index=(d[keep], lo[keep], n[keep]),
                        weather=design.weather[keep])


def _separate(design: _Design) -> tuple[_Design, list[tuple[_Column, int, bool]]]:
    """Columns with no finite estimate: all their rows sold 0 (the factor is 0: fish hotpot as
    a group meal over the festival), or all sold out (demand only known to be at least the
    sales: no upper bound). Each such column leaves the fit with its rows — exactly the limit of
    the likelihood — and is reported (``(column, rows, all zero)``), never kept at a huge
    coefficient."""
    dropped: list[tuple[_Column, int, bool]] = []
    x = design.x                                   # CSC: column k's rows in indptr[k]..
    n_col, n_row = x.shape[1], design.y.size
    on = x.data != 0                               # the rows each column touches
    col_all = np.repeat(np.arange(n_col), np.diff(x.indptr))[on]
    row_all = x.indices[on]
    start = np.searchsorted(col_all, np.arange(n_col + 1))        # column k: start[k]..
    y_all = design.y[row_all]
    exact_all = ~design.censored[row_all]
    # per column: what it sold, whether a row is exact (a sold-out 0 says nothing either), and
    # whether it has rows left — each a sum over its live entries in entry order, updated for
    # the columns a drop touches only (the same sums as over every column again)
    sold = np.bincount(col_all, weights=y_all, minlength=n_col)
    exact = np.bincount(col_all, weights=exact_all, minlength=n_col) > 0
    some = np.bincount(col_all, minlength=n_col) > 0
    live = np.ones(col_all.size, dtype=bool)       # entries whose row is still in the fit
    alive = np.ones(n_row, dtype=bool)             # rows not yet left out
    touched = np.zeros(n_col, dtype=bool)
    by_row = row_start = None
    while True:
        bad = np.flatnonzero(((sold == 0) | ~exact) & some)
        if not bad.size:
            break
        if by_row is None or row_start is None:    # the entries of each row
            by_row = np.argsort(row_all, kind="stable")
            row_start = np.concatenate([[0], np.cumsum(np.bincount(row_all, minlength=n_row))])
        k = int(bad[0])
        mine = np.arange(start[k], start[k + 1])
        rows = row_all[mine[live[mine]]]
        dropped.append((design.columns[k], int(rows.size), bool(sold[k] == 0)))
        alive[rows] = False
        gone = by_row[_day_rows(row_start, rows)]  # the entries of the rows left out
        live[gone] = False
        touched[:] = False
        touched[col_all[gone]] = True
        sub = live & touched[col_all]
        cols = np.flatnonzero(touched)
        sold[cols] = np.bincount(col_all[sub], weights=y_all[sub], minlength=n_col)[cols]
        exact[cols] = np.bincount(col_all[sub], weights=exact_all[sub], minlength=n_col
                                  )[cols] > 0
        some[cols] = np.bincount(col_all[sub], minlength=n_col)[cols] > 0
    if dropped:
        design = _drop_empty(_rows(design, alive))
    return design, dropped


# --------------------------------------------------------------------------------------------
# fitting


class _ShotOff(Exception):
    """A Newton run left for where the likelihood is flat (see :func:`_maximize`)."""


class _Stopped(Exception):
    """statsmodels' Newton reached the iterate it stops at (see :class:`_NewtonWatch`)."""

    def __init__(self, params: FloatArray) -> None:
        super().__init__()
        self.params = params


class _NewtonWatch:
    """statsmodels' Newton callback: raises :class:`_ShotOff` at an iterate far below the start
    (``floor``), and — when ``stop_early`` — :class:`_Stopped` at the iterate statsmodels' own
    rule stops at (no parameter moved by more than ``tol``, or ``maxiter`` steps): the same
    point, without the Hessian and its inverse statsmodels computes after the loop, which a
    fit whose covariance is not used (the pilot, the naive comparison) does not need."""

    def __init__(self, model: Any, start: FloatArray, floor: float | None, *, tol: float,
                 maxiter: int, stop_early: bool) -> None:
        self.model, self.floor, self.tol, self.maxiter = model, floor, tol, maxiter
        self.stop_early = stop_early
        self.previous = np.asarray(start, dtype=np.float64)
        self.steps = 0

    def __call__(self, params: FloatArray) -> None:
        params = np.asarray(params, dtype=np.float64)
        self.steps += 1
        # a Newton step that lands far below the start (every mean huge, the likelihood flat
        # there) never comes back: the run is abandoned at once instead of after maxiter steps
        # (the parts at that point are cached: the next step needs them anyway)
        if self.floor is not None:
            ll = self.model.loglike(params)
            if not ll >= self.floor - 0.1 * abs(self.floor):
                raise _ShotOff
        last = self.steps >= self.maxiter or not np.any(np.abs(params - self.previous)
                                                         > self.tol)
        self.previous = params
        if self.stop_early and last:
            raise _Stopped(params)


def _maximize(model: Any, start: FloatArray, *, tol: float, need_cov: bool = True
              ) -> tuple[FloatArray, bool, FloatArray | None]:
    """statsmodels' Newton from ``start`` (quadratic near the optimum); where it fails — a
    singular or indefinite Hessian (many sold-out days far from the start), a run that ends
    worse than it started — scipy's Newton-CG with its line search, then the trust-region
    Newton (``trust-exact``), then BFGS (all through statsmodels' ``fit``).

    Returns ``(params, converged, cov)``: ``cov`` is statsmodels' inverse negative Hessian at
    the optimum when Newton got there, else None (the caller computes it); ``need_cov=False``
    stops Newton at its last iterate before statsmodels' closing Hessian (:class:`_NewtonWatch`)
    and always returns None."""
    import warnings

    attempts: list[dict[str, Any]] = [
        # skip_hessian: no closing Hessian for the other optimisers (the score decides
        # convergence here, the covariance is computed once after); Newton's own is kept
        {"method": "newton", "maxiter": 25, "tol": tol, "skip_hessian": True},
        {"method": "minimize", "min_method": "Newton-CG", "maxiter": 200, "skip_hessian": True},
        {"method": "minimize", "min_method": "trust-exact", "maxiter": 500,
         "skip_hessian": True},
        {"method": "bfgs", "maxiter": 5000, "skip_hessian": True},
    ]
    if getattr(model, "n_shift", 0):
        # μ = exp(Xβ) + A s curves the likelihood along the nearly collinear (takeaway
        # multiplier, share) pair: plain Newton from the pilot's optimum (shares 0) overshoots
        # along it — to where a mean turns negative and the likelihood collapses — so the
        # first steps are damped (see _damped_start); from there Newton needs few steps
        attempts[0] = {**attempts[0], "maxiter": 12}
        start = _damped_start(model, start, tol=tol)
    best: tuple[FloatArray, bool, FloatArray | None] | None = None
    floor = model.loglike(start)
    for kwargs in attempts:
        newton = kwargs["method"] == "newton"
        watch = (_NewtonWatch(model, start, floor, tol=kwargs["tol"], maxiter=kwargs["maxiter"],
                              stop_early=not need_cov) if newton else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # statsmodels' notes; convergence checked here
            try:
                res = model.fit(start_params=start, disp=False, callback=watch, **kwargs)
                params = np.asarray(res.params, dtype=np.float64)
            except _Stopped as stop:
                res, params = None, stop.params
            except (np.linalg.LinAlgError, FloatingPointError, ValueError, _ShotOff):
                continue
        if not np.all(np.isfinite(params)):
            continue
        # converged when the score vanishes (statsmodels' own flag also waits for a weakly
        # identified parameter to stop drifting, which a vanishing score already settles)
        grad = np.abs(model.score(params)).max()
        # ... at a point no worse than the start: a Newton run that shot off to where the
        # likelihood is flat (a share of 10⁶, every mean huge) has a small score too
        better = model.loglike(params) >= floor - 1e-6 * abs(floor)
        # Newton's results carry the inverse of the negative Hessian at the optimum (statsmodels
        # computes it there): the covariance, not recomputed
        cov = res.normalized_cov_params if newton and res is not None else None
        cov = None if cov is None else np.asarray(cov, dtype=np.float64)
        if better and grad < 1e-3 * max(1.0, float(np.abs(model.endog).sum()) ** 0.5):
            return params, True, cov
        if best is None and better:
            best = (params, False, cov)
    if best is None:
        from jxc_rules.errors import JxcRulesError

        raise JxcRulesError("the demand regression did not converge from any start: the data "
                            "may hold a column with no information (all sold out, all zero)")
    return best


def _cholesky_shifted(neg_h: FloatArray) -> FloatArray | None:
    """The Cholesky factor of ``neg_h`` (the negative Hessian), or of ``neg_h + τI`` with the
    smallest τ of 1e-8, 1e-7, ... times its largest diagonal entry that makes it positive
    definite (Levenberg-Marquardt: where the censored likelihood is not concave, a step
    between Newton's and the score's direction, still uphill); None if none does."""
    try:
        return np.asarray(np.linalg.cholesky(neg_h), dtype=np.float64)
    except np.linalg.LinAlgError:
        pass
    scale = max(float(np.abs(neg_h.diagonal()).max()), 1e-12)
    eye = np.eye(neg_h.shape[0])
    for k in range(-8, 3):
        try:
            return np.asarray(np.linalg.cholesky(neg_h + scale * 10.0**k * eye),
                              dtype=np.float64)
        except np.linalg.LinAlgError:
            continue
    return None


def _damped_start(model: Any, start: FloatArray, *, tol: float, max_steps: int = 50
                  ) -> FloatArray:
    """Newton steps from ``start`` with the analytic score and Hessian (shifted towards the
    score where the likelihood is not concave: :func:`_cholesky_shifted`), each halved until
    the log-likelihood rises by a sufficient part of the step's slope (Armijo backtracking),
    until the rise a Newton step predicts is at the log-likelihood's rounding (or the step
    moves no parameter by more than ``tol``): the point statsmodels' Newton then starts from
    (converging in a step or two, with the covariance).

    A takeaway fit starts where the pilot's weather multipliers absorbed the takeaway shift
    (shares 0): its first full Newton step jumps along the nearly collinear (multiplier,
    share) ridge to where the likelihood is far lower or a mean is negative, and plain Newton
    never comes back (it used to fall back to Newton-CG, which stops at a score of ~1e-4).
    Stops where no uphill step can be made (the optimisers of :func:`_maximize` decide)."""
    params = np.asarray(start, dtype=np.float64)
    ll = model.loglike(params)
    for _ in range(max_steps):
        grad = model.score(params)
        neg_h = -model.hessian(params)
        if not np.all(np.isfinite(neg_h)):
            return params
        chol = _cholesky_shifted(neg_h)
        if chol is None:
            return params
        step = np.linalg.solve(chol.T, np.linalg.solve(chol, grad))   # (−H + τI)⁻¹ g: ascent
        slope = float(grad @ step)
        if not np.any(np.abs(step) > tol) or slope <= 1e-11 * max(1.0, abs(ll)):
            # the rise Newton predicts (slope / 2) is at the log-likelihood's rounding: a
            # line search cannot tell better from worse there, Newton converges from here
            return params
        t = 1.0
        for _ in range(40):
            trial = params + t * step
            ll_trial = model.loglike(trial)
            if ll_trial >= ll + 1e-4 * t * slope:                 # sufficient increase
                break
            t *= 0.5
        else:
            return params
        params, ll = trial, ll_trial
    return params


def _pilot_steps(model: Any, start: FloatArray, steps: int = 3) -> FloatArray:
    """A few Newton steps from the least-squares start: enough for α's moment estimate (the
    final fit then converges from there); any failure falls back to the full search."""
    import warnings

    tol = 1e-8                                    # statsmodels' Newton default
    watch = _NewtonWatch(model, start, None, tol=tol, maxiter=steps, stop_early=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            try:
                res = model.fit(start_params=start, method="newton", maxiter=steps, disp=False,
                                tol=tol, skip_hessian=True, callback=watch)
                params = np.asarray(res.params, dtype=np.float64)
            except _Stopped as stop:
                params = stop.params
            if np.all(np.isfinite(params)) and model.loglike(params) >= model.loglike(start):
                return params
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            pass
    return _maximize(model, start, tol=1e-3, need_cov=False)[0]


@attrs.frozen(eq=False)
class _Sparse:
    """A design's CSR copy, its transpose and its Hessian pairs: built once per channel, shared
    by the censored and the naive fits."""

    xs: Any
    xs_t: Any
    pairs: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]
    constants: dict[float, FloatArray] = attrs.field(factory=dict)   # r → lnΓ terms of y

    @classmethod
    def of(cls, design: _Design) -> _Sparse:
        xs = design.x.tocsr()
        return cls(xs, design.x.T.tocsr(), _gram_pairs(xs))


def _fit_channel(design: _Design, additive: FloatArray, shift_names: Sequence[str],
                 *, censor: bool, start: FloatArray | None = None,
                 prepared: _Sparse | None = None, need_cov: bool = True
                 ) -> tuple[FloatArray, FloatArray, float, bool]:
    """Fit one channel's design: ``(params, cov, alpha, converged)``; ``need_cov=False`` (the
    naive comparison) returns an empty ``cov``."""
    y = design.y
    cens = design.censored if censor else np.zeros_like(design.censored)
    names = [c.label for c in design.columns] + list(shift_names)
    model_class = _model_class()
    prepared = _Sparse.of(design) if prepared is None else prepared
    xs, pairs = prepared.xs, prepared.pairs
    pilot = None
    if start is None:
        # start: least squares on log(y + 1/2), one Newton pass at a guessed dispersion, then
        # α by the method of moments on the exact rows (Cameron & Trivedi 2013, §3.2)
        n_par = xs.shape[1]
        gram: FloatArray = np.bincount(pairs[1], weights=pairs[2], minlength=n_par * n_par
                                       ).astype(np.float64).reshape(n_par, n_par)  # XᵀX
        gram[np.diag_indices_from(gram)] += 1e-8 * max(1.0, float(gram.diagonal().max()))
        beta0 = np.linalg.solve(gram, prepared.xs_t @ np.log(y + 0.5))   # least squares
        # the pilot is log-linear (the weather terms absorb the takeaway shift for now): Newton
        # from a rough start is safe there; the shares then start at 0 from its optimum
        pilot = model_class(y, xs, additive=additive[:, :0], censored=cens, alpha=0.05,
                            names=names[: xs.shape[1]], sparse_exog=xs, pairs=pairs,
                            sparse_t=prepared.xs_t, constants=prepared.constants)
        beta1 = _pilot_steps(pilot, beta0)
        start = np.concatenate([beta1, np.zeros(additive.shape[1])])
        exact = ~cens
        mu0, _ = pilot._mean(beta1)
        mu0 = mu0[exact]
        alpha = float(np.sum((y[exact] - mu0) ** 2 - mu0) / np.sum(mu0**2))
        alpha = min(max(alpha, 1e-6), 50.0)
    else:
        alpha = float(start[-1])
        start = start[:-1]
    if pilot is not None and not additive.shape[1]:
        model = pilot                                   # same model, the dispersion updated
        model.set_alpha(alpha)
    else:
        model = model_class(y, xs, additive=additive, censored=cens, alpha=alpha, names=names,
                            sparse_exog=xs, pairs=pairs, sparse_t=prepared.xs_t,
                            constants=prepared.constants)
    # the naive comparison (no covariance) stops once a Newton step moves no parameter by 1e-5:
    # Newton converges quadratically there, so its values are within ~1e-10 of the optimum
    params, converged, cov = _maximize(model, start, tol=1e-7 if need_cov else 1e-5,
                                       need_cov=need_cov)
    if not need_cov:
        return params, np.empty((0, 0)), alpha, converged
    if cov is None:
        hess = model.hessian(params)
        try:
            cov = np.linalg.inv(-hess)
        except np.linalg.LinAlgError:
            cov = np.linalg.pinv(-hess)
    return params, np.asarray(cov, dtype=np.float64), alpha, converged


def fit_demand(sales: SalesData, pack: Any, *, level: float = 0.95, naive: bool = True
               ) -> DemandFit:
    """Fit the holiday profiles, weather multipliers and takeaway shifts of ``pack`` from
    ``sales`` (see the module doc for the model). Returns estimates at the pack's paths; what
    the data cannot support is a :class:`Refusal`, never a silent default.

    ``naive=True`` also fits with the stock-out flag ignored and keeps those estimates
    (:attr:`ChannelFit.naive`), to show what censoring changes.
    """
    import time

    from scipy import stats

    from jxc_rules.simulate.calendar import build_calendar

    t0 = time.perf_counter()
    if not 0 < level < 1:
        raise ValidationError(f"level must be in (0, 1), got {level!r}", field="level",
                              value=level)
    z = float(stats.norm.ppf(0.5 + level / 2))
    if sales.days < MIN_DAYS:
        raise ValidationError(
            f"{sales.days} days of sales ({sales.dates[0]}..{sales.dates[-1]}): at least "
            f"{MIN_DAYS} days are needed to fit a weekly profile (and a year or more to fit a "
            "holiday); export a longer history", field="sales", value=sales.days)
    calendar = build_calendar(sales.dates[0], sales.dates[-1])
    blocks = _blocks(sales.dates)
    estimates: list[Estimate] = []
    refusals: list[Refusal] = []
    fits: dict[str, ChannelFit] = {}
    dine_mean0: FloatArray | None = None          # [D, L, N] dine-in mean without weather
    dine_gamma: dict[str, float] = {}
    order = sorted(sales.channels, key=lambda ch: ch != "dine_in")   # dine-in first
    states = tuple(getattr(pack, "weather", {}) or {})
    weather_days = _weather_days(sales, states)
    shared: dict[Any, Any] = {}                  # what the channels' designs have in common
    _holiday_refusals(sales, pack, blocks, refusals)
    if states and sales.weather is None:
        refusals.append(Refusal(
            "weather", "the sales file has no weather column and no --weather file was given: "
            "weather multipliers not fitted",
            "销售文件没有天气列，也没有 --weather 文件：未拟合天气系数"))
    for channel in order:
        design, separated = _separate(_drop_empty(_design(sales, pack, channel, calendar,
                                                          blocks, weather_days, shared)))
        for col, n_rows, zero in separated:
            if col.path is None:
                continue
            if zero:
                refusals.append(Refusal(
                    col.path, f"{col.label} ({channel}): nothing sold on any of its {n_rows} "
                    "item-days, so the multiplier is 0 and has no interval; set it by hand",
                    f"{col.label}（{channel}）：{n_rows} 个品项日全部零销量，系数为 0、无区间；"
                    "请手工设定"))
            else:
                refusals.append(Refusal(
                    col.path, f"{col.label} ({channel}): every one of its {n_rows} item-days "
                    "sold out, so demand is only known to be at least what was sold; not "
                    "fitted (stock more on those days, or record lost sales, to learn it)",
                    f"{col.label}（{channel}）：{n_rows} 个品项日全部售罄，只知道需求不低于"
                    "销量；未拟合（这些日子多备货或记录缺货损失后才能估计）"))
        shift_states: list[str] = []
        additive = np.zeros((design.y.size, 0))
        if channel == "takeaway" and dine_mean0 is not None and sales.weather is not None:
            d_ix, l_ix, n_ix = design.row_index
            base = dine_mean0[d_ix, l_ix, n_ix]
            cols = []
            for w, state in enumerate(states):
                on = design.weather[:, w]
                if on.any() and state in dine_gamma:
                    cols.append(on * (1.0 - dine_gamma[state]) * base)
                    shift_states.append(state)
            if cols:
                additive = np.column_stack(cols)
        shift_names = [f"{s} shift_to_takeaway" for s in shift_states]
        prepared = _Sparse.of(design)
        params, cov, alpha, converged = _fit_channel(design, additive, shift_names,
                                                     censor=True, prepared=prepared)
        naive_values: dict[str, float] = {}
        n_cens = int(design.censored.sum())
        if naive and n_cens:
            p_naive, _, _, _ = _fit_channel(design, additive, shift_names, censor=False,
                                            start=np.append(params, alpha), prepared=prepared,
                                            need_cov=False)
            naive_values = _values(design, p_naive, shift_states)
        fits[channel] = ChannelFit(channel, tuple(c.label for c in design.columns)
                                   + tuple(shift_names), params, cov, alpha, int(design.y.size),
                                   n_cens, naive_values, converged)
        for est in _estimates(sales, pack, design, params, cov, shift_states, z, level,
                              blocks):
            if _informative(est):
                estimates.append(est)
            else:
                refusals.append(Refusal(
                    est.path, f"the data barely inform it ({channel}): the {int(level * 100)} % "
                    f"interval runs from {est.low:.3g} to {est.high:.3g}; not fitted (too "
                    "few of its days were seen, too many sold out, or the sales cannot tell it "
                    "apart from another effect)",
                    f"数据几乎不含信息（{channel}）：区间 {est.low:.3g} 至 {est.high:.3g}；"
                    "未拟合（样本太少、售罄太多，或与其他效应无法区分）"))
        if channel == "dine_in":
            dine_mean0 = _mean_without_weather(sales, design, params)
            for k, col in enumerate(design.columns):
                if col.kind == "weather" and col.weather is not None:
                    dine_gamma[col.weather] = float(np.exp(params[k]))
    return DemandFit(tuple(estimates), tuple(refusals), fits, sales.dates[0], sales.dates[-1],
                     time.perf_counter() - t0)


def _values(design: _Design, params: FloatArray, shift_states: Sequence[str]
            ) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, col in enumerate(design.columns):
        if col.path is not None:
            out[col.path] = float(np.exp(params[k]))
    p = len(design.columns)
    for j, state in enumerate(shift_states):
        out[f"weather.{state}.shift_to_takeaway"] = float(params[p + j])
    return out


def _mean_without_weather(sales: SalesData, design: _Design, params: FloatArray) -> FloatArray:
    keep = np.array([c.kind != "weather" for c in design.columns])
    eta = design.x[:, np.flatnonzero(keep)] @ params[: len(design.columns)][keep]
    out = np.zeros((sales.days, len(sales.locations), len(sales.items)))
    d_ix, l_ix, n_ix = design.row_index
    out[d_ix, l_ix, n_ix] = np.exp(eta)
    return out


def _breaks_seen(sales: SalesData, blocks: Sequence[tuple[dt.date, dt.date]]) -> int:
    lo, hi = sales.dates[0], sales.dates[-1]
    return sum(1 for first, last in blocks if first >= lo and last <= hi)


def _holiday_refusals(sales: SalesData, pack: Any,
                      blocks: Mapping[str, list[tuple[dt.date, dt.date]]],
                      refusals: list[Refusal]) -> None:
    span = f"{sales.dates[0]}..{sales.dates[-1]}"
    for hname in getattr(pack, "holidays", {}) or {}:
        seen = _breaks_seen(sales, blocks.get(hname, []))
        if seen == 0:
            zh = _ZH_HOLIDAY.get(hname, hname)
            refusals.append(Refusal(
                f"holidays.{hname}",
                f"no complete {hname} break in the data ({span}): its profile is not fitted; "
                "a history that spans the holiday (a year or more) is needed",
                f"数据（{span}）中没有完整的{zh}假期：未拟合其曲线；需要覆盖该节日的历史（一年以上）"))


MAX_LOG_WIDTH = 2 * np.log(4.0)
"""A multiplier whose interval spans more than a factor 16 (×/÷ 4) is refused as uninformed."""


def _informative(est: Estimate) -> bool:
    if not (np.isfinite(est.low) and np.isfinite(est.high)):
        return False
    if est.path.endswith("shift_to_takeaway"):
        return est.high - est.low <= 2.0
    return est.low > 0 and float(np.log(est.high / est.low)) <= MAX_LOG_WIDTH


def _estimates(sales: SalesData, pack: Any, design: _Design, params: FloatArray,
               cov: FloatArray, shift_states: Sequence[str], z: float, level: float,
               blocks: Mapping[str, list[tuple[dt.date, dt.date]]]) -> list[Estimate]:
    out: list[Estimate] = []
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    lo_d, hi_d = sales.dates[0], sales.dates[-1]
    d_ix, l_ix, _ = design.row_index
    years = np.array([d.year for d in sales.dates], dtype=np.int64)
    n_loc = len(sales.locations)

    seen = np.zeros(max(int(years.max()) - int(years.min()) + 1, sales.days * n_loc),
                    dtype=bool)

    def distinct(values: npt.NDArray[np.int64]) -> int:
        """How many distinct values (each in 0 .. seen.size - 1)."""
        seen[values] = True
        n = int(np.count_nonzero(seen))
        seen[values] = False
        return n

    for k, col in enumerate(design.columns):
        if col.path is None:
            continue
        b, s = float(params[k]), float(se[k])
        touched = design.x.indices[design.x.indptr[k]:design.x.indptr[k + 1]]
        if col.kind == "holiday":
            assert col.holiday is not None
            n = distinct(years[d_ix[touched]] - years[0])
            zh = _ZH_HOLIDAY.get(col.holiday, col.holiday)
            en, zh_text = sufficiency(n, col.holiday, zh)
            label = f"{col.holiday}s" if n != 1 else col.holiday
            method = "censored NB2 regression, holiday position over the pack's window"
        else:
            assert col.weather is not None
            n = distinct(d_ix[touched] * n_loc + l_ix[touched])     # (day, location) pairs
            label = f"{col.weather} days"
            en, zh_text = sufficiency(n, f"{col.weather} day", "雨天" if col.weather == "rain"
                                      else ("雪天" if col.weather == "snow" else col.weather))
            method = "censored NB2 regression, weather indicator"
        with np.errstate(over="ignore"):
            low, high = float(np.exp(b - z * s)), float(np.exp(b + z * s))
        out.append(Estimate(col.path, float(np.exp(b)), low, high, col.current, n, label,
                            lo_d, hi_d, method, level, en, zh_text))
    p = len(design.columns)
    for j, state in enumerate(shift_states):
        b, s = float(params[p + j]), float(se[p + j])
        rule = pack.weather[state]
        rows = np.flatnonzero(design.weather[:, tuple(getattr(pack, "weather", {})).index(state)])
        n = distinct(d_ix[rows] * n_loc + l_ix[rows])
        en, zh_text = sufficiency(n, f"{state} day", state)
        out.append(Estimate(f"weather.{state}.shift_to_takeaway", b, b - z * s, b + z * s,
                            float(rule.shift_to_takeaway), n, f"{state} days", lo_d, hi_d,
                            "censored NB2 with an additive takeaway term (two-stage)", level,
                            en + "; hard to tell apart from the takeaway multiplier",
                            zh_text + "；与外卖系数难以区分"))
    return out
