"""The demand calibration (#18) beside Prophet on the same synthetic history.

What is compared
----------------
Two years (2025-01-01 .. 2026-12-31, two Spring Festivals) of the bundled hotpot world
(``hotpot-spring-festival-2027``: 5 dishes × 3 channels, NB demand with dispersion 30, rain and
snow, the true Spring Festival profile of the scenario, tripe × 1.1 on the break days), exported
by :func:`jxc_rules.simulate.history.export_history` for seeds 0 .. k-1, in two versions:

* **uncensored** — the true demand ``counts`` written as the sales (no stock-out flag): the fair
  comparison of the profile, since Prophet has no notion of a sold-out day;
* **censored** — what the POS recorded (``sold`` and the stock-out flag). Ours treats sold-out
  days as censored, Prophet sees the recorded sales. With the 2026.10 policy this store sells
  out on ≈ 0.3 % of (day, dish) pairs, so the two cases differ little;
* **capped** — heavy censoring: each dish's stock is its 85th percentile of daily demand (all
  channels), the served fraction ``min(1, stock / demand)`` the same in every channel and the
  sales ``floor(demand × fraction)``, flagged sold out — the simulator's own recording rule
  with a tight stock, ≈ 15 % of dish-days sold out, most of them festival peaks and weekends.

**Ours**: ``fit_demand(read_sales(csv, pack), pack)`` with the 2026.10 pack — one censored NB2
fit per channel, the 5 dishes pooled, the pack's own windows (dine-in: before 4, during 9,
after 2), 95 % Wald intervals. Fit time per item = ``fit.seconds / 5``.

**Prophet** (``pip install -e ".[bench-prophet]"``), fitted as a careful Prophet user would, per
(dish, channel) series (15 fits per history):

* ``holidays``: one holiday per pack window position (``"Spring Festival during[3]"`` ...) on the
  same calendar days ours uses (lower/upper window 0), for every holiday of the pack (Spring
  Festival, National Day, Labour Day, New Year's Day) — the same holiday structure as ours, so
  that each position gets its own per-day multiplier;
* ``seasonality_mode="multiplicative"`` (the effects are multipliers, comparable on the log
  scale), weekly seasonality on, **yearly off**: the world has no yearly cycle, and with two
  years of data yearly Fourier terms would absorb part of a festival that falls in the same
  weeks each year (off favours Prophet); daily off (daily data);
* extra (multiplicative) regressors a Prophet user in China adds: ``day_off_weekday`` (an
  official day off on Mon..Fri: the store then sells at its weekend level) and
  ``workday_weekend`` (a make-up workday, 调休, on Sat/Sun), and ``rain`` / ``snow`` from the
  weather column;
* the MAP fit (Prophet's default: L-BFGS in Stan); priors, changepoints and the rest default.

Prophet's recovered multiplier of a position on a date is the ratio of its prediction with and
without that holiday term, ``(1 + m) / (1 + m − h)`` (``m`` the multiplicative terms, ``h`` the
position's component); the geometric mean over the position's dates (one per festival). Its
truth is the scenario's profile at that date (the simulator's own
:func:`~jxc_rules.simulate.calendar.holiday_multipliers`; 1.0 where the pack's window is longer
than the truth's) × the dish's break factor on break days. Ours is compared with the channel's
truth (its profile is that of the reference dish, dish_beef, whose factor is 1). "Prophet pooled"
is the geometric mean over the 5 dishes of Prophet's multipliers, each divided by its dish's
*true* break factor — an upper bound on what pooling Prophet's per-dish fits could give.

Error = RMSE of ``log(estimate) − log(truth)`` over the Spring Festival positions of the three
channels' pack windows (15 + 12 + 8 = 35 positions: the 2026 break is a day longer, so
``during[8]`` has one date), over seeds (and, for Prophet, dishes).

**Intervals.** Ours: a 95 % interval on every position. Prophet's MAP fit has one parameter
draw: the ``<holiday>_lower`` / ``_upper`` columns of ``predict`` equal the point value (checked
below); ``uncertainty_samples`` gives ``yhat_lower/upper`` from trend-change and noise
simulation — an interval for the day's forecast, not for the effect. Intervals for the effect
need ``mcmc_samples > 0`` (full HMC; ``--mcmc N`` times one fit).

Run
---
    python benchmarks/bench_calibrate.py              # the error table, 5 seeds, both cases
    python benchmarks/bench_calibrate.py --seeds 2 --mcmc 300
    python benchmarks/run.py -k calibrate             # the timing row in the common table

Without prophet installed the module still defines its case (ours only, with its recovery
check), so ``tests/test_benchmarks_smoke.py`` runs in CI, which does not install it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib.util
import logging
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from _harness import Baseline, Case

SCENARIO = "hotpot-spring-festival-2027"
HORIZON = (dt.date(2025, 1, 1), dt.date(2026, 12, 31))
PACK_VERSION = "2026.10"
HOLIDAY = "Spring Festival"
_TMP = Path(tempfile.mkdtemp(prefix="jxc-bench-calibrate-"))


def prophet_available() -> bool:
    return importlib.util.find_spec("prophet") is not None


# ---------------------------------------------------------------------------------- the data
@functools.cache
def _scenario() -> Any:
    from jxc_rules.simulate import load_scenario

    return load_scenario(SCENARIO, horizon=HORIZON)


@functools.cache
def _pack() -> Any:
    from jxc_rules.rules import load_pack

    return load_pack("hotpot", version=PACK_VERSION)


@attrs.frozen
class Prepared:
    history: Any          # the History whose ``sold`` is what both methods see
    sales: Any            # read_sales of its CSV (ours)
    mode: str


MODES = {"demand": "uncensored (true demand)",
         "recorded": "censored as recorded (sold + stock-out flag, 2026.10 policy)",
         "capped": "heavily censored (stock = 85th percentile of a dish's daily demand)"}
CAP_QUANTILE = 0.85


@functools.cache
def prepared(seed: int, mode: str = "demand") -> Prepared:
    """History ``seed`` as ``mode`` (see :data:`MODES`), its CSV read by ``read_sales``."""
    from jxc_rules.calibrate.sales import read_sales
    from jxc_rules.simulate.history import export_history, history_csv

    h = export_history(_scenario(), seed=seed)
    if mode == "demand":
        h = attrs.evolve(h, sold=h.counts.copy(), stockout=np.zeros_like(h.stockout))
    elif mode == "capped":
        total = h.counts.sum(axis=2)                                        # [D, N]
        stock = np.quantile(total, CAP_QUANTILE, axis=0)[None, :]
        frac = np.minimum(1.0, np.divide(stock, total, out=np.ones_like(total),
                                         where=total > 0))
        h = attrs.evolve(h, sold=np.floor(h.counts * frac[:, :, None] + 1e-9),
                         stockout=frac < 1.0)
    elif mode != "recorded":
        raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
    path = _TMP / f"history-{seed}-{mode}.csv"
    history_csv(h, path)
    return Prepared(h, read_sales(path, _pack()), mode)


@functools.cache
def _calendar() -> Any:
    from jxc_rules.simulate.calendar import build_calendar

    return build_calendar(*HORIZON)


@functools.cache
def positions(holiday: str, channel: str) -> dict[str, tuple[dt.date, ...]]:
    """Pack position → its dates in the horizon (the same mapping ours uses)."""
    from jxc_rules.calibrate.demand import _blocks, _holiday_positions

    cal = _calendar()
    profile = _pack().holidays[holiday].profile(channel)
    by_pos: dict[str, list[dt.date]] = {}
    for day, pos in _holiday_positions(_blocks(cal.dates).get(holiday, []), profile).items():
        if HORIZON[0] <= day <= HORIZON[1]:
            by_pos.setdefault(pos, []).append(day)
    return {p: tuple(sorted(d)) for p, d in by_pos.items()}


@functools.cache
def truth(channel: str, dish: str | None = None) -> dict[str, float]:
    """True multiplier per Spring Festival pack position (× the dish's break factor)."""
    from jxc_rules.simulate.calendar import holiday_multipliers

    sc, cal = _scenario(), _calendar()
    effect = sc.holidays[HOLIDAY]
    mult = holiday_multipliers(cal, {HOLIDAY: dict(effect.channels)}, [channel])[:, 0]
    factor = float(dict(effect.items).get(dish, 1.0)) if dish else 1.0
    index = {d: k for k, d in enumerate(cal.dates)}
    out: dict[str, float] = {}
    for pos, days in positions(HOLIDAY, channel).items():
        logs = [math.log(mult[index[d]]) for d in days]
        out[pos] = math.exp(float(np.mean(logs))) * (factor if pos.startswith("during") else 1.0)
    return out


def channels() -> tuple[str, ...]:
    return tuple(_scenario().channels)


def dishes() -> tuple[str, ...]:
    return tuple(name for _loc, name in prepared(0).history.entities)


# ----------------------------------------------------------------------------------- ours
@attrs.frozen
class OursResult:
    profile: dict[str, dict[str, tuple[float, float, float]]]   # channel → pos → (v, lo, hi)
    seconds: float


def fit_ours(p: Prepared, *, repeat: int = 1, naive: bool = True) -> OursResult:
    """Our fit on one core (one BLAS thread, like Prophet's single-threaded Stan); ``seconds``
    the best ``fit.seconds`` of ``repeat`` fits (a shared machine's load only adds time).
    ``naive``: ``fit_demand``'s default, which also refits with the stock-out flag ignored to
    show the bias (``jxc-rules calibrate`` does); False times the censored fit alone."""
    from jxc_rules.calibrate.demand import fit_demand
    from jxc_rules.simulate.executors import single_threaded_blas

    with single_threaded_blas():
        fits = [fit_demand(p.sales, _pack(), naive=naive) for _ in range(max(1, repeat))]
    fit = fits[0]
    seconds = min(float(f.seconds) for f in fits)
    prefix = f"holidays.{HOLIDAY}."
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    for e in fit.estimates:
        if e.path.startswith(prefix):
            channel, pos = e.path[len(prefix):].split(".", 1)
            out.setdefault(channel, {})[pos] = (float(e.value), float(e.low), float(e.high))
    return OursResult(out, seconds)


# -------------------------------------------------------------------------------- prophet
def _quiet() -> None:
    for name in ("cmdstanpy", "prophet", "prophet.plot", "prophet.models"):
        logging.getLogger(name).setLevel(logging.ERROR)


@functools.cache
def _prophet_frames(channel: str) -> tuple[Any, Any]:
    """The holidays frame (one holiday per pack position of every pack holiday) and the
    regressor columns over the horizon."""
    import pandas as pd

    cal = _calendar()
    rows: list[tuple[str, Any]] = []
    for hname in _pack().holidays:
        for pos, days in positions(hname, channel).items():
            rows.extend((f"{hname} {pos}", pd.Timestamp(d)) for d in days)
    holidays = pd.DataFrame(rows, columns=["holiday", "ds"])
    holidays["lower_window"] = 0
    holidays["upper_window"] = 0
    weekday = np.asarray(cal.weekday)
    regs = pd.DataFrame({
        "ds": pd.to_datetime(list(cal.dates)),
        "day_off_weekday": (np.asarray(cal.day_off) & (weekday < 5)).astype(float),
        "workday_weekend": (np.asarray(cal.makeup_workday) & (weekday >= 5)).astype(float),
    })
    return holidays, regs


REGRESSORS = ("day_off_weekday", "workday_weekend", "rain", "snow")


@attrs.define
class ProphetResult:
    profile: dict[str, dict[str, dict[str, float]]] = attrs.field(factory=dict)  # dish→ch→pos
    seconds: dict[str, float] = attrs.field(factory=dict)                       # dish → sum
    effect_interval_width: float = 0.0   # max |holiday_upper − holiday_lower| seen (MAP: 0)


def _series(p: Prepared, n: int, c: int, channel: str) -> Any:
    _holidays, regs = _prophet_frames(channel)
    df = regs.copy()
    df["y"] = p.history.sold[:, n, c].astype(float)
    states = [set(w.split("+")) for w in p.history.weather]
    df["rain"] = [1.0 if "rain" in s else 0.0 for s in states]
    df["snow"] = [1.0 if "snow" in s else 0.0 for s in states]
    return df


def _model(holidays: Any, *, mcmc_samples: int = 0) -> Any:
    _quiet()
    from prophet import Prophet

    m = Prophet(holidays=holidays, seasonality_mode="multiplicative", weekly_seasonality=True,
                yearly_seasonality=False, daily_seasonality=False, mcmc_samples=mcmc_samples)
    for r in REGRESSORS:
        m.add_regressor(r)
    return m


def fit_prophet(p: Prepared, dish_names: Sequence[str] | None = None, *,
                components: bool = True) -> ProphetResult:
    """One Prophet per (dish, channel); ``components``: also read the multipliers back."""
    names = [name for _loc, name in p.history.entities]
    res = ProphetResult()
    for n, dish in enumerate(names):
        if dish_names is not None and dish not in dish_names:
            continue
        res.seconds[dish] = 0.0
        for c, channel in enumerate(p.history.channels):
            holidays, _ = _prophet_frames(channel)
            df = _series(p, n, c, channel)
            m = _model(holidays)
            start = time.perf_counter()
            m.fit(df)
            res.seconds[dish] += time.perf_counter() - start
            if components:
                res.profile.setdefault(dish, {})[channel] = _multipliers(m, df, channel, res)
    return res


def _multipliers(m: Any, df: Any, channel: str, res: ProphetResult) -> dict[str, float]:
    fc = m.predict(df).set_index("ds")
    out: dict[str, float] = {}
    for pos, days in positions(HOLIDAY, channel).items():
        col = f"{HOLIDAY} {pos}"
        at = fc.loc[[np.datetime64(d) for d in days]]
        mt, h = at["multiplicative_terms"].to_numpy(), at[col].to_numpy()
        res.effect_interval_width = max(
            res.effect_interval_width,
            float(np.max(np.abs(at[f"{col}_upper"].to_numpy() - at[f"{col}_lower"].to_numpy()))))
        ratio = np.clip((1.0 + mt) / np.maximum(1.0 + mt - h, 1e-9), FLOOR, None)
        out[pos] = math.exp(float(np.mean(np.log(ratio))))
    return out


# ----------------------------------------------------------------------------- the scores
FLOOR = 0.01
"""A recovered multiplier below 1 % counts as 1 % (Prophet's Gaussian fit can forecast zero or
less on a near-empty day: group meals over the break, truth 0.05)."""


def _log_error(estimate: float, true: float) -> float:
    return math.log(max(estimate, FLOOR)) - math.log(true)


def _rmse(errors: Sequence[float]) -> float:
    return math.sqrt(float(np.mean(np.square(errors)))) if errors else float("nan")


@attrs.define
class Score:
    ours: list[float] = attrs.field(factory=list)
    prophet: list[float] = attrs.field(factory=list)
    pooled: list[float] = attrs.field(factory=list)
    covered: list[bool] = attrs.field(factory=list)
    ours_seconds: list[float] = attrs.field(factory=list)      # per item, per history
    lean_seconds: list[float] = attrs.field(factory=list)      # the same, naive=False
    prophet_seconds: list[float] = attrs.field(factory=list)   # per item (dish)
    per_channel: dict[str, Score] = attrs.field(factory=dict)
    refused: list[tuple[int, str, str]] = attrs.field(factory=list)  # (seed, channel, position)
    prophet_on_refused: list[float] = attrs.field(factory=list)
    interval_width: float = 0.0


def score(seeds: Sequence[int], mode: str, *, with_prophet: bool = True,
          dish_names: Sequence[str] | None = None, repeat: int = 1) -> Score:
    """Errors on the positions ours estimated (a position ours refuses — "the data barely
    inform it" — is listed in ``refused``, with Prophet's errors there kept apart)."""
    total = Score()
    for seed in seeds:
        p = prepared(seed, mode)
        ours = fit_ours(p, repeat=repeat)
        n_items = len(p.history.entities)
        total.ours_seconds.append(ours.seconds / n_items)
        if repeat > 1:
            lean = fit_ours(p, repeat=repeat, naive=False)
            total.lean_seconds.append(lean.seconds / n_items)
        pr = fit_prophet(p, dish_names) if with_prophet else None
        if pr is not None:
            total.prophet_seconds.extend(pr.seconds.values())
            total.interval_width = max(total.interval_width, pr.effect_interval_width)
        for channel in channels():
            sub = total.per_channel.setdefault(channel, Score())
            true = truth(channel)
            for pos, (v, lo, hi) in ours.profile.get(channel, {}).items():
                err = _log_error(v, true[pos])
                for s in (total, sub):
                    s.ours.append(err)
                    s.covered.append(lo <= true[pos] <= hi)
            if pr is None:
                continue
            fitted = ours.profile.get(channel, {})
            for pos in true:
                pooled = []
                for dish, per in pr.profile.items():
                    err = _log_error(per[channel][pos], truth(channel, dish)[pos])
                    pooled.append(err)
                    if pos not in fitted:
                        total.prophet_on_refused.append(err)
                        continue
                    for s in (total, sub):
                        s.prophet.append(err)
                if pos not in fitted:
                    total.refused.append((seed, channel, pos))
                    continue
                for s in (total, sub):
                    s.pooled.append(float(np.mean(pooled)))
    return total


# ------------------------------------------------------------------------------- the cases
def _check_ours(seed: int = 0) -> None:
    s = score([seed], "demand", with_prophet=False)
    assert _rmse(s.ours) < 0.25, f"our Spring Festival profile is off: RMSE {_rmse(s.ours):.3f}"
    assert np.mean(s.covered) >= 0.8, f"our intervals cover {np.mean(s.covered):.0%}"


def _check_both(seed: int = 0) -> None:
    """Agreement: both recover the same profile (to Prophet's per-dish noise), ours has
    intervals, Prophet's MAP effect has none."""
    first = dishes()[0]
    s = score([seed], "demand", dish_names=[first])
    assert _rmse(s.ours) < 0.25, f"ours: RMSE {_rmse(s.ours):.3f}"
    assert _rmse(s.prophet) < 0.5, f"prophet: RMSE {_rmse(s.prophet):.3f}"
    assert len(s.prophet) == len(s.ours), "both score the same positions"
    assert s.interval_width < 1e-9, "Prophet's MAP holiday component has an interval?"


def cases(scale: float) -> list[Case]:
    seed = 0
    p = prepared(seed)
    n_items = len(p.history.entities)

    def ours() -> Any:
        return fit_ours(p)

    if not prophet_available():
        return [Case("calibrate Spring Festival profile (NB2, pooled); prophet not installed "
                     "(pip install -e '.[bench-prophet]')", n_items, ours, unit="items",
                     check=_check_ours)]
    first = dishes()[0]

    def prophet_one_dish() -> Any:
        return fit_prophet(p, [first], components=False)

    return [Case("calibrate Spring Festival profile, 2 years, per dish (3 channels)", n_items,
                 ours, [Baseline("prophet MAP, one fit per (dish, channel)", prophet_one_dish,
                                 sample=1)],
                 unit="items", target=">= 50x prophet", check=_check_both)]


# ------------------------------------------------------------------------- a chain's export
def chain_sales(stores: int) -> Any:
    """A chain's two-year export: store *k* is history seed *k* (true demand, its own weather),
    renamed ``store-kk`` — ``stores × 5`` (store, dish) series in one file, one fit per
    channel. The truth is the same in every store."""
    from jxc_rules.calibrate.sales import read_sales

    header = ""
    rows: list[str] = []
    for k in range(stores):
        prepared(k, "demand")
        lines = (_TMP / f"history-{k}-demand.csv").read_text(encoding="utf-8").splitlines()
        header = lines[0]
        rows.extend(line.replace(",chengdu-01,", f",store-{k:02d},", 1) for line in lines[1:])
    rows.sort(key=lambda line: line[:10])             # by date, stores in order (stable)
    path = _TMP / f"chain-{stores}.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return read_sales(path, _pack())


def chain_row(stores: int, prophet_per_item: float) -> str:
    """Ours on the chain's export: fit time per (store, dish) series beside Prophet's per-item
    time (Prophet fits each series alone, so its time per item does not change with the
    chain), the profile's error and our coverage."""
    from jxc_rules.calibrate.demand import fit_demand
    from jxc_rules.simulate.executors import single_threaded_blas

    sales = chain_sales(stores)
    with single_threaded_blas():
        fits = [fit_demand(sales, _pack(), naive=False) for _ in range(3)]
    items = stores * len(dishes())
    per_item = min(f.seconds for f in fits) / items
    errors, covered = [], []
    prefix = f"holidays.{HOLIDAY}."
    for e in fits[0].estimates:
        if e.path.startswith(prefix):
            channel, pos = e.path[len(prefix):].split(".", 1)
            true = truth(channel)[pos]
            errors.append(_log_error(e.value, true))
            covered.append(e.low <= true <= e.high)
    return (f"{stores}-store chain ({items} store-dish series, one file): ours "
            f"{per_item * 1e3:.2f} ms per item (best of 3, one BLAS thread), Prophet "
            f"{prophet_per_item * 1e3:.0f} ms per item (its per-series fits, as above) → "
            f"{prophet_per_item / per_item:.0f}× faster; RMSE log {_rmse(errors):.3f} over "
            f"{len(errors)} positions, 95 % coverage {np.mean(covered):.0%}")


# ------------------------------------------------------------------------------------ main
def _mcmc_seconds(samples: int) -> tuple[float, float]:
    """Time one Prophet fit with ``mcmc_samples`` (dish 0, dine-in; Prophet's default 4 chains
    run one after another, one core) and the widest ``during[3]`` effect interval."""
    p = prepared(0)
    channel = p.history.channels[0]
    holidays, _ = _prophet_frames(channel)
    df = _series(p, 0, 0, channel)
    m = _model(holidays, mcmc_samples=samples)
    start = time.perf_counter()
    m.fit(df, show_progress=False, parallel_chains=1)   # Prophet's 4 chains, on one core
    seconds = time.perf_counter() - start
    fc = m.predict(df)
    col = f"{HOLIDAY} during[3]"
    on = fc[col] != 0
    width = float((fc.loc[on, f"{col}_upper"] - fc.loc[on, f"{col}_lower"]).max())
    return seconds, width


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="histories 0 .. N-1")
    parser.add_argument("--mcmc", type=int, default=0,
                        help="also time one Prophet fit with this many mcmc_samples")
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=list(MODES))
    parser.add_argument("--stores", type=int, default=10,
                        help="the chain row: a chain of this many stores (0: no chain row)")
    args = parser.parse_args(argv)
    if not prophet_available():
        print("prophet is not installed: pip install -e '.[bench-prophet]'", file=sys.stderr)
        return 2
    seeds = list(range(args.seeds))
    fit_ours(prepared(0))                            # warm-up: imports, first-call costs
    fit_prophet(prepared(0), [dishes()[0]], components=False)
    print(f"{SCENARIO}, {HORIZON[0]} .. {HORIZON[1]}, pack {PACK_VERSION}, seeds {seeds}")
    for mode in args.modes:
        s = score(seeds, mode, repeat=3)
        share = float(np.mean([prepared(k, mode).history.stockout.mean() for k in seeds]))
        label = f"{MODES[mode]}: {share:.1%} of dish-days sold out"
        t_ours = float(np.median(s.ours_seconds))
        t_prophet = float(np.median(s.prophet_seconds))
        print(f"\n## {label}")
        print("| channel | (position, seed) pairs | RMSE log, ours | Prophet per dish | Prophet pooled | "
              "ours / Prophet | our 95 % coverage |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for ch, sub in [*s.per_channel.items(), ("all", s)]:
            print(f"| {ch} | {len(sub.ours)} | {_rmse(sub.ours):.3f} | "
                  f"{_rmse(sub.prophet):.3f} | {_rmse(sub.pooled):.3f} | "
                  f"{_rmse(sub.ours) / _rmse(sub.prophet):.2f} | {np.mean(sub.covered):.0%} |")
        if s.refused:
            where = Counter(f"{ch} {pos}" for _seed, ch, pos in s.refused)
            print(f"\nours refused {len(s.refused)} (position, seed) pairs (\"the data barely "
                  f"inform it\"): {', '.join(f'{k} ×{n}' for k, n in sorted(where.items()))}; "
                  f"Prophet's per-dish RMSE there {_rmse(s.prophet_on_refused):.3f}, mean log "
                  f"error {np.mean(s.prophet_on_refused):+.3f} (left out above)")
        print(f"\nfit time per item (median): ours {t_ours * 1e3:.1f} ms (best of 3 "
              f"fit.seconds / {len(dishes())}, one BLAS thread), Prophet "
              f"{t_prophet * 1e3:.0f} ms (sum of its 3 fits) → {t_prophet / t_ours:.1f}× faster")
        t_lean = float(np.median(s.lean_seconds))
        print(f"without the naive comparison fit (fit_demand(..., naive=False)): ours "
              f"{t_lean * 1e3:.1f} ms → {t_prophet / t_lean:.1f}× faster")
        print(f"Prophet holiday-effect interval width (MAP, predict's _lower/_upper): "
              f"{s.interval_width:.2g}")
        if mode == "demand" and args.stores:
            print(chain_row(args.stores, t_prophet))
    if args.mcmc:
        seconds, width = _mcmc_seconds(args.mcmc)
        print(f"\nProphet with mcmc_samples={args.mcmc}: one fit {seconds:.1f} s, "
              f"during[3] effect interval width {width:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
