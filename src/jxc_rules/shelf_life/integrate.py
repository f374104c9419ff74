"""Equivalent time: hours at the reference temperature that a temperature log consumes.

For a log of readings (t_i, T_i) the consumed (equivalent) time is E = ∫ ρ(T(t)) dt, with the
temperature between readings chosen explicitly:

- ``"previous"`` — each reading holds until the next: Σ Δt_i ρ(T_i);
- ``"next"`` — each reading holds since the previous one: Σ Δt_i ρ(T_{i+1});
- ``"trapezoid"`` — mean of the rates at both ends: Σ Δt_i (ρ(T_i) + ρ(T_{i+1}))/2;
- ``"linear"`` — temperature linear between readings, the rate integrated exactly along the ramp
  (closed form for Q10, Bigelow, square root and tables, Gauss–Legendre quadrature with relative
  error ≤ 1e-10 for Arrhenius): Σ Δt_i · mean ρ on [T_i, T_{i+1}].

Logs come as one lot (1-D arrays → a float), many lots at once (2-D ``lots × readings`` arrays;
padding is explicit: a NaN *time* in per-lot ``times_h``, or with one shared clock the slots
before a lot's first reading — a NaN temperature at a known time is never padding) or a long format
(``lot_ids``, times, temperatures grouped by lot, times increasing within a lot). A missing
reading *inside* a lot's log is a data-quality gap: :func:`equivalent_time` refuses it rather than
bridging it silently; :func:`jxc_rules.shelf_life.assess_lots` fills it conservatively and flags it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias, overload

import numpy as np
import numpy.typing as npt
import pint

from jxc_rules._internal.arrays import as_float_array, first_bad_row, scalar_float
from jxc_rules.errors import TimeSeriesError, ValidationError, bad_value
from jxc_rules.shelf_life.models import (
    Arrhenius,
    RateModel,
    _Exponential,
)
from jxc_rules.units import check_dimension, magnitude, parse_quantity, unit_of, ureg

__all__ = [
    "INTERPOLATIONS",
    "Interpolation",
    "effective_temperature",
    "equivalent_time",
    "interval_consumption",
    "mean_kinetic_temperature",
    "remaining_life",
    "shelf_life_at",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
Interpolation: TypeAlias = Literal["previous", "next", "trapezoid", "linear"]
INTERPOLATIONS: tuple[str, ...] = ("previous", "next", "trapezoid", "linear")

_CHUNK_ELEMENTS = 1 << 17  # readings per block of lots: bounded memory, cache-friendly
_ASSESS_CHUNK_ELEMENTS = 1 << 15  # assess_lots keeps ~40 temporaries per block: smaller blocks


def _check_interpolation(interpolation: str) -> None:
    if not isinstance(interpolation, str) or interpolation not in INTERPOLATIONS:
        raise bad_value("interpolation", interpolation, "one of " + ", ".join(INTERPOLATIONS))


def _check_model(model: object) -> RateModel:
    if not isinstance(model, RateModel):
        raise bad_value("model", model, "a rate model (Q10, Arrhenius, SquareRoot, Bigelow, "
                        "RateTable)")
    return model


def interval_consumption(
    dt_h: FloatArray,
    temp0_c: FloatArray,
    temp1_c: FloatArray,
    model: RateModel,
    interpolation: str = "linear",
) -> FloatArray:
    """Equivalent hours of each interval: ``dt_h`` hours from ``temp0_c`` to ``temp1_c``.

    Elementwise over arrays of any (broadcast) shape; no checks (callers validate).

    Examples
    --------
    >>> from jxc_rules.shelf_life import Q10
    >>> m = Q10(3, 4)
    >>> [round(float(interval_consumption(np.array(1.0), np.array(4.0), np.array(14.0), m, i)), 4)
    ...  for i in INTERPOLATIONS]
    [1.0, 3.0, 2.0, 1.8205]
    """
    if interpolation == "previous":
        return np.asarray(dt_h * model.relative_rate(temp0_c), dtype=np.float64)
    if interpolation == "next":
        return np.asarray(dt_h * model.relative_rate(temp1_c), dtype=np.float64)
    if interpolation == "trapezoid":
        r = model.relative_rate(temp0_c) + model.relative_rate(temp1_c)
        return np.asarray(0.5 * dt_h * r, dtype=np.float64)
    return np.asarray(dt_h * model.mean_rate_on_ramp(temp0_c, temp1_c), dtype=np.float64)


def _block_consumption(
    times: FloatArray, temps: FloatArray, model: RateModel, interpolation: str
) -> FloatArray:
    """Per-row sums of interval consumption of a block of readings without NaN; ``times``
    broadcasts against ``temps`` (rows × readings)."""
    dt = np.diff(times, axis=-1)
    t0 = temps[..., :-1]
    t1 = temps[..., 1:]
    if isinstance(model, _Exponential):
        # one exponential per reading, shared by the two intervals it bounds
        r = model.relative_rate(temps)
        r0 = r[..., :-1]
        r1 = r[..., 1:]
        if interpolation == "previous":
            mean = r0
        elif interpolation == "next":
            mean = r1
        elif interpolation == "trapezoid":
            mean = 0.5 * (r0 + r1)
        else:
            mean = model.mean_rate_on_ramp(t0, t1, r0, r1)
        cons = dt * mean
    else:
        cons = interval_consumption(dt, t0, t1, model, interpolation)
    return np.asarray(cons.sum(axis=-1), dtype=np.float64)


def _block_row(mask: npt.NDArray[np.bool_], start: int) -> tuple[int, int]:
    """(lot, reading) of the first True in a block's ``mask``, the lot counted from 0."""
    row = first_bad_row(mask)
    assert isinstance(row, tuple)
    return (row[0] + start, row[1])


def _padding_masks(finite: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.bool_],
                                                            npt.NDArray[np.bool_]]:
    """(inside, interior_missing): readings within [first, last] finite reading of each row,
    and the missing readings among them."""
    before = np.logical_or.accumulate(finite, axis=-1)
    after = np.logical_or.accumulate(finite[..., ::-1], axis=-1)[..., ::-1]
    inside = before & after
    return inside, inside & ~finite


ABSOLUTE_ZERO_C = -273.15


def _check_options(max_gap_h: float | None, plausible_range_c: Any) -> None:
    """Refuse a non-positive / NaN ``max_gap_h`` and an inverted or malformed range."""
    if max_gap_h is not None:
        try:
            gap = float(max_gap_h)
        except (TypeError, ValueError, OverflowError):
            raise bad_value("max_gap_h", max_gap_h, "a number of hours > 0") from None
        if not gap > 0:
            raise bad_value("max_gap_h", gap, "a number of hours > 0 (or None for no limit)")
    if plausible_range_c is not None:
        try:
            lo, hi = (float(v) for v in plausible_range_c)
        except (TypeError, ValueError, OverflowError):
            raise bad_value("plausible_range_c", plausible_range_c,
                            "a pair (low, high) in °C") from None
        if not (lo < hi):
            raise bad_value("plausible_range_c", [lo, hi], "a pair (low, high) with low < high")


def _missing_reading(at: tuple[int, int], one_lot: bool) -> TimeSeriesError:
    return TimeSeriesError(
        f"temps_c has a missing (NaN) reading ({_where(at, one_lot)}); drop the missing "
        "readings (and their times) or pass them as a gap to assess_lots, which fills "
        "conservatively and flags them", field="temps_c", value=float("nan"),
        row=_err_row(at, one_lot))


def _check_absolute_zero(temps: FloatArray, start: int, one_lot: bool) -> None:
    with np.errstate(invalid="ignore"):
        cold = temps <= ABSOLUTE_ZERO_C
    if cold.any():
        r = first_bad_row(cold)
        assert isinstance(r, tuple)
        at = (r[0] + start, r[1])
        raise bad_value("temps_c", float(temps[r[0], r[1]]),
                        f"above absolute zero (-273.15 °C) ({_where(at, one_lot)})",
                        row=_err_row(at, one_lot))


def _where(at: tuple[int, int], one_lot: bool) -> str:
    return f"reading {at[1]}" if one_lot else f"lot {at[0]}, reading {at[1]}"


def _err_row(at: tuple[int, int], one_lot: bool) -> int | tuple[int, ...]:
    return at[1] if one_lot else at


def _check_block(
    dt: FloatArray, valid: npt.NDArray[np.bool_], times: FloatArray, temps: FloatArray,
    max_gap_h: float | None, plausible_range_c: tuple[float, float] | None,
    start: int, one_lot: bool,
) -> None:
    """Checks of a block of lots (rows ``start``...): strictly increasing times, gaps, range.
    Errors name the lot (block row + ``start``) and the reading."""
    _check_absolute_zero(temps, start, one_lot)
    with np.errstate(invalid="ignore"):
        bad = valid & ~(dt > 0)
    if bad.any():
        r = first_bad_row(bad)
        assert isinstance(r, tuple)
        tt = np.broadcast_to(times, temps.shape)
        t_prev, t_here = float(tt[r[0], r[1]]), float(tt[r[0], r[1] + 1])
        at = (r[0] + start, r[1] + 1)
        kind = "duplicate timestamp" if t_here == t_prev else "unsorted timestamps"
        raise TimeSeriesError(
            f"times_h must increase strictly within each lot: {kind} {t_here!r} after "
            f"{t_prev!r} ({_where(at, one_lot)})", field="times_h", value=t_here,
            row=_err_row(at, one_lot))
    if max_gap_h is not None:
        with np.errstate(invalid="ignore"):
            over = valid & (dt > max_gap_h)
        if over.any():
            r = first_bad_row(over)
            assert isinstance(r, tuple)
            at = (r[0] + start, r[1] + 1)
            gap = float(dt[r[0], r[1]])
            raise TimeSeriesError(
                f"gap of {gap:g} h exceeds max_gap_h={max_gap_h:g} before "
                f"{_where(at, one_lot)}; fill it explicitly (assess_lots fills conservatively "
                "and flags it) instead of bridging it", field="times_h", value=gap,
                row=_err_row(at, one_lot))
    if plausible_range_c is not None:
        lo, hi = float(plausible_range_c[0]), float(plausible_range_c[1])
        with np.errstate(invalid="ignore"):
            outside = (temps < lo) | (temps > hi)
        if outside.any():
            r = first_bad_row(outside)
            assert isinstance(r, tuple)
            at = (r[0] + start, r[1])
            raise bad_value("temps_c", float(temps[r[0], r[1]]),
                            f"within the plausible range [{lo:g}, {hi:g}] °C "
                            f"({_where(at, one_lot)})", row=_err_row(at, one_lot))


def _prepare(
    times_h: Any, temps_c: Any,
) -> tuple[FloatArray, FloatArray]:
    times = as_float_array(_magnitudes(times_h, "h", "times_h"), "times_h", allow_nan=True)
    temps = as_float_array(_magnitudes(temps_c, "degC", "temps_c"), "temps_c", allow_nan=True)
    return times, temps


def _magnitudes(value: Any, unit: str, field: str) -> Any:
    """Quantities and strings converted to ``unit``; plain numbers and arrays as they are."""
    if isinstance(value, (str, pint.Quantity)):
        return magnitude(value, unit, field=field)
    return value


def equivalent_time(
    times_h: Any,
    temps_c: Any,
    model: RateModel,
    *,
    interpolation: str = "linear",
    lot_ids: Any = None,
    max_gap_h: float | None = None,
    plausible_range_c: tuple[float, float] | None = None,
) -> float | FloatArray:
    """Hours at the model's reference temperature consumed by a temperature log.

    E = ∫ ρ(T(t)) dt, see the module docstring for the four interpolations.

    Parameters
    ----------
    times_h, temps_c : array_like
        1-D (one lot), 2-D ``lots × readings`` (``times_h`` may be 1-D, shared by all lots),
        or 1-D long format with ``lot_ids``. Times increase strictly within each lot. In 2-D,
        padding is explicit: slots whose per-lot time is NaN (temperature NaN too), before or
        after the lot's readings; with a shared clock, the slots before a lot's first reading
        (it had not arrived). A NaN temperature at a known time — a logger's missing tail
        included — is a gap and refused (``assess_lots`` fills and flags it).
    model : RateModel
    interpolation : {"linear", "previous", "next", "trapezoid"}
    lot_ids : array_like, optional
        Long format: the lot of each reading, readings grouped by lot (each lot one contiguous
        block). The result has one value per lot in order of first appearance.
    max_gap_h : float, optional
        Refuse (``TimeSeriesError``) intervals longer than this instead of bridging them.
    plausible_range_c : (float, float), optional
        Refuse temperatures outside this range.

    Returns
    -------
    float for one lot, else an array with one value per lot.

    Raises
    ------
    TimeSeriesError
        Unsorted or duplicate timestamps, a missing reading inside a lot's log, a lot without
        readings, a gap over ``max_gap_h`` — naming the lot and reading.

    Examples
    --------
    Two days at 12 °C with Q10 = 3 around 4 °C consume 48 · 3^0.8 ≈ 115.6 hours at 4 °C:

    >>> from jxc_rules.shelf_life import Q10
    >>> round(equivalent_time([0, 48], [12, 12], Q10(3, 4)), 2)
    115.59
    >>> equivalent_time([[0, 24, 48], [0, 24, np.nan]], [[4, 4, 4], [14, 14, np.nan]],
    ...                 Q10(3, 4)).round(9).tolist()
    [48.0, 72.0]
    >>> equivalent_time([0, 24, 24], [4, 5, 6], Q10(3, 4))
    Traceback (most recent call last):
    ...
    jxc_rules.errors.TimeSeriesError: times_h must increase strictly within each lot: \
duplicate timestamp 24.0 after 24.0 (reading 2)
    """
    model = _check_model(model)
    _check_interpolation(interpolation)
    _check_options(max_gap_h, plausible_range_c)
    times, temps = _prepare(times_h, temps_c)
    if lot_ids is not None:
        return _equivalent_time_long(lot_ids, times, temps, model, interpolation, max_gap_h,
                                     plausible_range_c)
    if temps.ndim == 1:
        if times.shape != temps.shape:
            raise ValidationError(
                f"times_h and temps_c must have the same length, got {times.shape} and "
                f"{temps.shape}", field="times_h")
        if temps.size == 0:
            raise bad_value("temps_c", [], "at least one reading")
        nan_temp = np.isnan(temps)
        if nan_temp.any():  # one lot: no padding, a NaN anywhere is a missing reading
            raise _missing_reading((0, int(np.argmax(nan_temp))), True)
        nan_time = np.isnan(times)
        if nan_time.any():
            i = int(np.argmax(nan_time))
            raise bad_value("times_h", float("nan"), f"a finite time for every reading "
                            f"(reading {i})", row=i)
        out = _equivalent_time_2d(times[None, :], temps[None, :], model, interpolation,
                                  max_gap_h, plausible_range_c, one_lot=True)
        return float(out[0])
    if temps.ndim != 2:
        raise bad_value("temps_c", f"an array of shape {temps.shape}", "1-D or 2-D (lots × "
                        "readings)")
    if times.ndim == 1:
        if times.shape[0] != temps.shape[1]:
            raise ValidationError(
                f"shared times_h must have one entry per reading column: {times.shape[0]} "
                f"times for {temps.shape[1]} readings", field="times_h")
    elif times.shape != temps.shape:
        raise ValidationError(
            f"times_h and temps_c must have the same shape, got {times.shape} and "
            f"{temps.shape}", field="times_h")
    return _equivalent_time_2d(times, temps, model, interpolation, max_gap_h,
                               plausible_range_c, one_lot=False)


def _equivalent_time_2d(
    times: FloatArray, temps: FloatArray, model: RateModel, interpolation: str,
    max_gap_h: float | None, plausible_range_c: tuple[float, float] | None, *, one_lot: bool,
) -> FloatArray:
    n_lots, n_read = temps.shape
    out = np.zeros(n_lots, dtype=np.float64)
    if n_read == 0 or n_lots == 0:
        if n_lots and n_read == 0:
            raise bad_value("temps_c", [], "at least one reading per lot")
        return out
    shared = times.ndim == 1
    rows = max(1, _CHUNK_ELEMENTS // n_read)
    for start in range(0, n_lots, rows):  # blocks of lots, not one lot at a time
        stop = min(n_lots, start + rows)
        tp = temps[start:stop]
        tm = times if shared else times[start:stop]
        finite = ~np.isnan(tp)
        all_finite = bool(finite.all())
        if all_finite and not np.isnan(tm).any():
            dt = np.broadcast_to(np.diff(tm, axis=-1), (tp.shape[0], n_read - 1))
            valid = np.ones(dt.shape, dtype=bool)
            _check_block(dt, valid, tm, tp, max_gap_h, plausible_range_c, start, one_lot)
            with np.errstate(over="ignore", invalid="ignore"):
                out[start:stop] = _overflow_to_inf(
                    _block_consumption(tm, tp, model, interpolation))
            continue
        tmb = np.broadcast_to(tm, tp.shape)
        if shared:
            # one clock for all lots: NaN before a lot's first reading means it had not
            # arrived; every slot after it is a reading the log must have
            inside = np.logical_or.accumulate(finite, axis=-1)
        else:
            # per-lot times: padding is explicit, a slot whose *time* is NaN (and then its
            # temperature too); it may only come before or after the lot's readings
            present = ~(np.isnan(tmb) & ~finite)
            inside, hole = _padding_masks(present)
            if hole.any():
                at = _block_row(hole, start)
                raise TimeSeriesError(
                    f"padding (NaN time and temperature) inside the log ({_where(at, one_lot)})"
                    "; padding may only come before or after a lot's readings",
                    field="times_h", value=float("nan"), row=at[1] if one_lot else at)
        missing = inside & ~finite & ~np.isnan(tmb)
        if missing.any():
            at = _block_row(missing, start)
            tail = not bool(finite[at[0] - start, at[1]:].any())
            where = "at the end of the log" if tail else "inside the log"
            raise TimeSeriesError(
                f"temps_c has a missing reading {where} ({_where(at, one_lot)}): a NaN "
                "temperature at a known time is a gap, never padding; fill it explicitly "
                "(assess_lots fills conservatively and flags it), or mark padding with NaN in "
                "per-lot times_h", field="temps_c", value=float("nan"),
                row=at[1] if one_lot else at)
        empty = ~(inside & finite).any(axis=-1)
        if empty.any():
            lot = int(np.argmax(empty)) + start
            raise TimeSeriesError(f"lot {lot} has no readings", field="temps_c", row=lot)
        missing_time = inside & np.isnan(tmb)
        if missing_time.any():
            row = first_bad_row(missing_time)
            assert isinstance(row, tuple)
            at = (row[0] + start, row[1])
            raise bad_value("times_h", float("nan"), f"a finite time for every reading "
                            f"({_where(at, one_lot)})", row=at[1] if one_lot else at)
        valid = inside[:, :-1] & inside[:, 1:]
        dt = np.diff(tmb, axis=-1)
        _check_block(dt, valid, tmb, np.where(finite, tp, np.nan), max_gap_h,
                     plausible_range_c, start, one_lot)
        # fill padding with a copy of the nearest reading: those intervals are masked out anyway
        first = np.argmax(finite, axis=-1)
        fill = tp[np.arange(tp.shape[0]), first][:, None]
        tp_safe = np.where(finite, tp, fill)
        dt_safe = np.where(valid, dt, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            cons = _overflow_to_inf(interval_consumption(dt_safe, tp_safe[:, :-1],
                                                         tp_safe[:, 1:], model, interpolation))
            out[start:stop] = np.where(valid, cons, 0.0).sum(axis=-1)
    return out


def _overflow_to_inf(cons: FloatArray) -> FloatArray:
    """Consumption of validated finite readings is NaN only where a rate overflowed
    (inf − inf, inf · 0 on a ramp): count it as infinite (expired), never as missing."""
    return np.where(np.isnan(cons), np.inf, cons)


def _py(value: Any) -> Any:
    """A numpy scalar as the plain Python value (for readable messages)."""
    return value.item() if hasattr(value, "item") else value


def _lot_index(lot_ids: Any, n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any]]:
    """Block index of each reading (0, 0, 1, 1, 1, ...) and the lot ids in block order."""
    ids = np.asarray(lot_ids)
    if ids.ndim != 1 or ids.shape[0] != n:
        raise ValidationError(f"lot_ids must have one id per reading ({n}), got shape "
                              f"{ids.shape}", field="lot_ids")
    if n == 0:
        return np.zeros(0, dtype=np.intp), ids
    change = np.empty(n, dtype=bool)
    change[0] = True
    change[1:] = ids[1:] != ids[:-1]
    block = np.cumsum(change) - 1
    firsts = ids[change]
    if np.unique(firsts).size != firsts.size:
        uniq, counts = np.unique(firsts, return_counts=True)
        dup = _py(uniq[np.argmax(counts > 1)])
        row = int(np.nonzero(change & (ids == dup))[0][1])
        raise TimeSeriesError(f"lot_ids must be grouped (sorted by lot, then time): lot {dup!r} "
                              f"appears again at row {row}", field="lot_ids", value=dup, row=row)
    return block.astype(np.intp), firsts


def _equivalent_time_long(
    lot_ids: Any, times: FloatArray, temps: FloatArray, model: RateModel, interpolation: str,
    max_gap_h: float | None, plausible_range_c: tuple[float, float] | None,
) -> FloatArray:
    if times.ndim != 1 or temps.shape != times.shape:
        raise ValidationError(f"long format needs 1-D times_h and temps_c of one length, got "
                              f"{times.shape} and {temps.shape}", field="times_h")
    n = temps.shape[0]
    block, firsts = _lot_index(lot_ids, n)
    n_lots = firsts.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    finite = ~np.isnan(temps)
    if not finite.all():
        # missing readings are allowed only before a lot's first / after its last reading
        counts = np.bincount(block, weights=finite, minlength=n_lots)
        empty = counts == 0
        if empty.any():
            lot = _py(firsts[int(np.argmax(empty))])
            raise TimeSeriesError(f"lot {lot!r} has no readings", field="temps_c", value=lot)
        cum = np.cumsum(finite)
        starts = np.searchsorted(block, np.arange(n_lots), side="left")
        before = cum - np.concatenate([[0], cum])[starts[block]] - finite  # finite before, same lot
        after = counts[block] - before - finite
        interior = ~finite & (before > 0) & (after > 0)
        if interior.any():
            row = int(np.argmax(interior))
            raise TimeSeriesError(
                f"temps_c has a missing reading inside the log of lot {_py(firsts[block[row]])!r} "
                f"(row {row}); fill gaps explicitly (assess_lots fills conservatively and flags "
                "them)", field="temps_c", value=float("nan"), row=row)
        keep = finite
        times, temps, block = times[keep], temps[keep], block[keep]
        rows = np.nonzero(keep)[0]
    else:
        rows = np.arange(n)
    if np.isnan(times).any():
        row = int(rows[int(np.argmax(np.isnan(times)))])
        raise bad_value("times_h", float("nan"), "a finite time for every reading", row=row)
    _check_absolute_zero(temps[None, :], 0, True)
    same = block[1:] == block[:-1]
    dt = np.diff(times)
    with np.errstate(invalid="ignore"):
        bad = same & ~(dt > 0)
    if bad.any():
        i = int(np.argmax(bad))
        kind = "duplicate timestamp" if dt[i] == 0 else "unsorted timestamps"
        raise TimeSeriesError(
            f"times_h must increase strictly within each lot: {kind} {float(times[i + 1])!r} "
            f"after {float(times[i])!r} (lot {_py(firsts[block[i]])!r}, row {int(rows[i + 1])})",
            field="times_h", value=float(times[i + 1]), row=int(rows[i + 1]))
    if max_gap_h is not None:
        over = same & (dt > max_gap_h)
        if over.any():
            i = int(np.argmax(over))
            raise TimeSeriesError(
                f"gap of {float(dt[i]):g} h exceeds max_gap_h={max_gap_h:g} in lot "
                f"{_py(firsts[block[i]])!r} (row {int(rows[i + 1])}); fill it explicitly",
                field="times_h", value=float(dt[i]), row=int(rows[i + 1]))
    if plausible_range_c is not None:
        lo, hi = float(plausible_range_c[0]), float(plausible_range_c[1])
        outside = (temps < lo) | (temps > hi)
        if outside.any():
            i = int(np.argmax(outside))
            raise bad_value("temps_c", float(temps[i]), f"within the plausible range "
                            f"[{lo:g}, {hi:g}] °C", row=int(rows[i]))
    with np.errstate(over="ignore", invalid="ignore"):
        cons = _overflow_to_inf(interval_consumption(np.where(same, dt, 0.0), temps[:-1],
                                                     temps[1:], model, interpolation))
        return np.bincount(block[:-1], weights=np.where(same, cons, 0.0),
                           minlength=n_lots).astype(np.float64)


# --------------------------------------------------------------------------- shelf life
def _duration(value: Any, field: str) -> tuple[float | FloatArray, pint.Unit | None]:
    """Magnitude and unit of a duration: a number/array (unit None) or a string / Quantity."""
    if isinstance(value, str):
        mag, unit = parse_quantity(value, field)
        return (scalar_float(mag, field, "a duration", allow_text=False),
                check_dimension(unit, "time", field=field, value=value))
    if isinstance(value, pint.Quantity):
        q_unit: Any = check_dimension(unit_of(value, field), "time", field=field, value=str(value))
        mag_q: float | FloatArray = np.asarray(value.magnitude, dtype=np.float64) \
            if np.ndim(value.magnitude) else float(value.magnitude)
        return mag_q, q_unit
    return magnitude(value, "h", field=field), None


def _positive_life(value: Any, field: str) -> tuple[float | FloatArray, pint.Unit | None]:
    mag, unit = _duration(value, field)
    arr = as_float_array(mag, field, min_value=0, min_inclusive=False)
    return (float(arr) if arr.ndim == 0 else arr), unit


def shelf_life_at(temp_c: Any, shelf_life_ref: Any, model: RateModel) -> Any:
    """Static shelf life at a constant temperature: SL(T) = SL(T_ref) / ρ(T).

    In the unit of ``shelf_life_ref``: a Quantity for a Quantity or a string (``"10 d"``), a
    number (or array) for a number. A rate of 0 (square root at or below T_min) gives infinity.

    Examples
    --------
    >>> from jxc_rules.shelf_life import Q10
    >>> round(shelf_life_at(12, 10, Q10(3, 4)), 4)
    4.1524
    >>> shelf_life_at(14, "10 d", Q10(3, 4))
    <Quantity(3.33333333, 'day')>
    >>> shelf_life_at(4, -1, Q10(3, 4))
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: shelf_life_ref must be > 0, got -1.0
    """
    model = _check_model(model)
    life, unit = _positive_life(shelf_life_ref, "shelf_life_ref")
    temps = as_float_array(_magnitudes(temp_c, "degC", "temp_c"), "temp_c",
                           min_value=ABSOLUTE_ZERO_C, min_inclusive=False)
    with np.errstate(over="ignore"):
        rate = model.relative_rate(temps)
    if np.ndim(life) and np.shape(life) != np.shape(rate):
        try:
            np.broadcast_shapes(np.shape(life), np.shape(rate))
        except ValueError:
            raise bad_value("shelf_life_ref", f"{np.size(life)} values",
                            f"one value or one per temperature ({np.size(rate)} temp_c)"
                            ) from None
    with np.errstate(divide="ignore", over="ignore"):  # a life beyond float range is inf,
        out = np.asarray(life / rate, dtype=np.float64)  # as at a rate of 0: it never expires
    value: Any = float(out) if out.ndim == 0 else out
    if unit is not None:
        return ureg.Quantity(value, unit)
    return value


_ScalarHours: TypeAlias = "float | int | str | pint.Quantity[float]"


@overload
def remaining_life(
    times_h: Sequence[float],
    temps_c: Sequence[float],
    model: RateModel,
    shelf_life_ref_h: _ScalarHours,
    *,
    forecast_temp_c: float | None = None,
    interpolation: str = "linear",
    lot_ids: None = None,
) -> float: ...
@overload
def remaining_life(
    times_h: npt.ArrayLike,
    temps_c: npt.ArrayLike,
    model: RateModel,
    shelf_life_ref_h: npt.ArrayLike | _ScalarHours,
    *,
    forecast_temp_c: npt.ArrayLike | None = None,
    interpolation: str = "linear",
    lot_ids: npt.ArrayLike,
) -> FloatArray: ...
@overload
def remaining_life(
    times_h: npt.ArrayLike,
    temps_c: npt.ArrayLike,
    model: RateModel,
    shelf_life_ref_h: npt.ArrayLike | _ScalarHours,
    *,
    forecast_temp_c: npt.ArrayLike | None = None,
    interpolation: str = "linear",
    lot_ids: npt.ArrayLike | None = None,
) -> float | FloatArray: ...
def remaining_life(
    times_h: Any,
    temps_c: Any,
    model: RateModel,
    shelf_life_ref_h: Any,
    *,
    forecast_temp_c: Any = None,
    interpolation: str = "linear",
    lot_ids: Any = None,
) -> float | FloatArray:
    """Hours of shelf life left at ``forecast_temp_c`` (default: the model's reference).

    Returns a ``float`` for one log (1-D times and temperatures, scalar shelf life, no
    ``lot_ids``) and a float64 array of one value per lot for ``lot_ids`` or 2-D logs (one row
    per lot); the overloads say so to a type checker.

    remaining = max(SL_ref − E, 0) / ρ(T_forecast), E = :func:`equivalent_time` of the log.
    Never negative: an expired lot has 0 left (``assess_lots`` reports the level).

    Examples
    --------
    Shelf life 10 days at 4 °C, Q10 = 3; two days at 12 °C leave ≈ 5.184 days at 4 °C:

    >>> from jxc_rules.shelf_life import Q10
    >>> round(remaining_life([0, 48], [12, 12], Q10(3, 4), 240) / 24, 3)
    5.184
    >>> round(remaining_life([0, 48], [12, 12], Q10(3, 4), "10 d", forecast_temp_c=8) / 24, 3)
    3.34
    """
    model = _check_model(model)
    life = as_float_array(_magnitudes(shelf_life_ref_h, "h", "shelf_life_ref_h"),
                          "shelf_life_ref_h", min_value=0, min_inclusive=False)
    used = equivalent_time(times_h, temps_c, model, interpolation=interpolation,
                           lot_ids=lot_ids)
    forecast = (model.ref_temp_c if forecast_temp_c is None else
                as_float_array(_magnitudes(forecast_temp_c, "degC", "forecast_temp_c"),
                               "forecast_temp_c", min_value=ABSOLUTE_ZERO_C,
                               min_inclusive=False))
    with np.errstate(over="ignore"):
        rate = model.relative_rate(forecast)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.maximum(np.asarray(life, dtype=np.float64) - used, 0.0) / rate
        left = np.where(np.asarray(life) - used <= 0, 0.0, left)
    arr = np.asarray(left, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr


def effective_temperature(
    times_h: Any, temps_c: Any, model: RateModel, *, interpolation: str = "linear",
    lot_ids: Any = None,
) -> float | FloatArray:
    """The constant temperature that consumes as much as the log over the same duration:
    T_eff = ρ⁻¹(E / (t_last − t_first)).

    Examples
    --------
    >>> from jxc_rules.shelf_life import Q10
    >>> round(effective_temperature([0, 1, 2], [4, 14, 4], Q10(3, 4)), 3)
    9.453
    """
    model = _check_model(model)
    used = equivalent_time(times_h, temps_c, model, interpolation=interpolation,
                           lot_ids=lot_ids)
    times, temps = _prepare(times_h, temps_c)
    span = _spans(times, temps, lot_ids)
    if np.any(span <= 0):
        raise bad_value("times_h", "a single reading", "a log spanning a positive duration")
    out = model.inverse_rate(np.asarray(used) / span)
    return float(out) if np.ndim(out) == 0 else np.asarray(out, dtype=np.float64)


def _spans(times: FloatArray, temps: FloatArray, lot_ids: Any) -> FloatArray:
    finite = ~np.isnan(temps)
    if lot_ids is not None:
        block, firsts = _lot_index(lot_ids, temps.shape[0])
        t = np.where(finite, times, np.nan)
        hi = np.full(firsts.shape[0], -np.inf)
        lo = np.full(firsts.shape[0], np.inf)
        np.fmax.at(hi, block, t)
        np.fmin.at(lo, block, t)
        return np.asarray(hi - lo, dtype=np.float64)
    tt = np.broadcast_to(times, temps.shape)
    t = np.where(finite, tt, np.nan)
    return np.asarray(np.nanmax(t, axis=-1) - np.nanmin(t, axis=-1), dtype=np.float64)


MKT_EA_KJ_PER_MOL = 83.144
"""Default ΔH for mean kinetic temperature: 83.144 kJ/mol (ΔH/R = 10 000 K; USP <1160>)."""


def mean_kinetic_temperature(
    temps_c: Any,
    *,
    times_h: Any = None,
    ea_kj_per_mol: float = MKT_EA_KJ_PER_MOL,
    interpolation: str = "linear",
) -> float | FloatArray:
    """Mean kinetic temperature (Haynes 1971), °C.

    Equally spaced readings (``times_h`` None):
    T_K = (ΔH/R) / (−ln(Σ exp(−ΔH/(R·T_i,K)) / n)) — Haynes, J. D. (1971), *J. Pharm. Sci.*
    60: 927–929. With ``times_h`` the time-weighted form (the Arrhenius effective temperature),
    integrated with ``interpolation``. Rows of a 2-D array are lots (NaN padding ignored).

    Examples
    --------
    >>> round(mean_kinetic_temperature([20, 30]), 2)
    26.26
    >>> round(mean_kinetic_temperature([20, 30], times_h=[0, 1], interpolation="trapezoid"), 2)
    26.26
    """
    ea = scalar_float(ea_kj_per_mol, "ea_kj_per_mol", "an activation energy in kJ/mol",
                      allow_text=True)
    if not (math.isfinite(ea) and ea > 0):
        raise bad_value("ea_kj_per_mol", ea, "a finite number > 0")
    if times_h is not None:
        _, temps = _prepare(times_h, temps_c)
        if temps.size and np.isnan(temps).all():
            raise bad_value("temps_c", "only NaN", "at least one measured temperature")
        ref = float(np.nanmean(temps)) if temps.size else 0.0
        return effective_temperature(times_h, temps_c, Arrhenius(ea, ref),
                                     interpolation=interpolation)
    temps = as_float_array(_magnitudes(temps_c, "degC", "temps_c"), "temps_c",
                           allow_nan=True, min_value=-273.15, min_inclusive=False)
    if temps.ndim == 0 or temps.size == 0:
        raise bad_value("temps_c", temps.tolist(), "at least one reading")
    c = ea * 1000.0 / 8.314462618
    x = -c / (temps + 273.15)
    n = np.sum(~np.isnan(x), axis=-1)
    if np.any(n == 0):  # before nanmax, which warns on an all-NaN row
        raise bad_value("temps_c", "an all-NaN row", "at least one reading per lot")
    m = np.nanmax(x, axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(np.nansum(np.exp(x - m), axis=-1) / n)
    out = np.asarray(-c / lse - 273.15, dtype=np.float64)
    return float(out) if out.ndim == 0 else out
