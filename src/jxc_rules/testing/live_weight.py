"""Hypothesis strategies for live-weight transit: rates, shipments, temperature legs, mortality
curves and whole :class:`~jxc_rules.live_weight.TransitModel` values.

Every strategy returns *valid* input for :mod:`jxc_rules.live_weight`; narrow it with the
parameters. Arrays are ``numpy`` float64.

>>> from hypothesis import given
>>> from jxc_rules.testing import shipments
>>> @given(shipments())
... def test_reconcile_adds_up(s): ...
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jxc_rules.live_weight import FORMS, MortalityCurve, TransitModel
from jxc_rules.testing import _args

__all__ = [
    "decay_forms",
    "mortality_curves",
    "shipment_arrays",
    "shipments",
    "temperature_legs",
    "transit_models",
    "transit_rates",
]

FloatArray = npt.NDArray[np.float64]


def transit_rates(max_rate: float = 0.02, *, allow_zero: bool = True) -> st.SearchStrategy[float]:
    """Per-hour weight-loss fractions in ``[0, max_rate]`` (``(0, max_rate]`` without zero)."""
    _args.check_float_range("transit_rates", 0.0, max_rate, ("0", "max_rate"))
    if max_rate <= 0 and not allow_zero:
        raise _args.fail("transit_rates", "max_rate must be > 0 when allow_zero=False")
    return st.floats(0.0, max_rate, allow_nan=False, exclude_min=not allow_zero)


def decay_forms(forms: tuple[str, ...] = FORMS) -> st.SearchStrategy[str]:
    """One of ``"linear"``, ``"compound"``, ``"continuous"``."""
    forms = _args.check_choices("decay_forms", "forms", forms, FORMS)
    return st.sampled_from(forms)


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _check_shipments(min_size: int = 1, max_size: int = 30, *, max_kg: float = 20_000.0,
                     max_hours: float = 48.0, max_dead_fraction: float = 0.2,
                     max_gain_fraction: float = 0.05) -> None:
    _args.check_sizes("shipments", min_size, max_size)
    _args.check_float_range("shipments", 0.0, max_kg, ("0", "max_kg"))
    _args.check_float_range("shipments", 0.0, max_hours, ("0", "max_hours"))
    _args.check_fraction("shipments", "max_dead_fraction", max_dead_fraction)
    _args.check_float_range("shipments", 0.0, max_gain_fraction, ("0", "max_gain_fraction"))


def _check_legs(min_legs: int = 1, max_legs: int = 6, *, max_hours: float = 24.0,
                min_temp_c: float = 5.0, max_temp_c: float = 35.0) -> None:
    _args.check_sizes("temperature_legs", min_legs, max_legs, names=("min_legs", "max_legs"))
    _args.check_float_range("temperature_legs", 0.0, max_hours, ("0", "max_hours"))
    _args.check_float_range("temperature_legs", min_temp_c, max_temp_c,
                            ("min_temp_c", "max_temp_c"))


def _check_curves(max_points: int = 6, *, max_hours: float = 72.0) -> None:
    _args.check_int("mortality_curves", "max_points", max_points, 1)
    if isinstance(max_hours, bool) or not isinstance(max_hours, (int, float)) or not (
            max_hours >= max_points):
        raise _args.fail("mortality_curves", f"max_hours must be a number >= max_points "
                         f"({max_points}), got {max_hours!r}")


def _check_models(*, forms: tuple[str, ...] = FORMS, max_rate: float = 0.01,
                  temperature: bool | None = None, two_phase: bool | None = None,
                  mortality: bool | None = None) -> None:
    _args.check_choices("transit_models", "forms", forms, FORMS)
    _args.check_float_range("transit_models", 0.0, max_rate, ("0", "max_rate"))
    if max_rate <= 0:
        raise _args.fail("transit_models", f"max_rate must be > 0, got {max_rate!r}")


@_args.checked(_check_shipments)
@st.composite
def shipments(
    draw: st.DrawFn,
    min_size: int = 1,
    max_size: int = 30,
    *,
    max_kg: float = 20_000.0,
    max_hours: float = 48.0,
    max_dead_fraction: float = 0.2,
    max_gain_fraction: float = 0.05,
) -> dict[str, FloatArray]:
    """A batch of shipments as ``{"shipped_kg", "received_kg", "dead_kg", "hours"}`` arrays.

    ``dead_kg <= shipped_kg``; ``received_kg`` ranges from 0 to a small gain above the live
    weight shipped (gains are valid input: reconcile flags them).
    """
    n = draw(st.integers(min_size, max_size))
    shipped = np.array(draw(st.lists(_floats(0.0, max_kg), min_size=n, max_size=n)))
    dead_frac = np.array(draw(st.lists(_floats(0.0, max_dead_fraction), min_size=n,
                                       max_size=n)))
    recv_frac = np.array(draw(st.lists(_floats(0.0, 1.0 + max_gain_fraction), min_size=n,
                                       max_size=n)))
    hours = np.array(draw(st.lists(_floats(0.0, max_hours), min_size=n, max_size=n)))
    dead = shipped * dead_frac
    return {"shipped_kg": shipped, "received_kg": (shipped - dead) * recv_frac,
            "dead_kg": dead, "hours": hours}


@_args.checked(_check_legs)
@st.composite
def temperature_legs(
    draw: st.DrawFn,
    min_legs: int = 1,
    max_legs: int = 6,
    *,
    max_hours: float = 24.0,
    min_temp_c: float = 5.0,
    max_temp_c: float = 35.0,
) -> tuple[FloatArray, FloatArray]:
    """One trip's legs: ``(hours, temp_c)``, two 1-D arrays of the same length."""
    n = draw(st.integers(min_legs, max_legs))
    hours = draw(st.lists(_floats(0.0, max_hours), min_size=n, max_size=n))
    temps = draw(st.lists(_floats(min_temp_c, max_temp_c), min_size=n, max_size=n))
    return np.array(hours), np.array(temps)


@_args.checked(_check_curves)
@st.composite
def mortality_curves(
    draw: st.DrawFn, max_points: int = 6, *, max_hours: float = 72.0
) -> MortalityCurve:
    """Valid curves: hours from 0, strictly increasing; fractions in [0, 1], non-decreasing."""
    n = draw(st.integers(1, max_points))
    gaps = draw(st.lists(_floats(0.5, max_hours / max_points), min_size=n - 1, max_size=n - 1))
    hours = np.concatenate([[0.0], np.cumsum(gaps)])
    steps = draw(st.lists(_floats(0.0, 1.0), min_size=n, max_size=n))
    fractions = np.cumsum(steps)
    top = float(fractions[-1])
    if top > 1.0:
        fractions = fractions / top
    fractions = np.minimum(np.maximum.accumulate(fractions), 1.0)
    return MortalityCurve(hours=hours.tolist(), dead_fraction=fractions.tolist())


@_args.checked(_check_models)
@st.composite
def transit_models(
    draw: st.DrawFn,
    *,
    forms: tuple[str, ...] = FORMS,
    max_rate: float = 0.01,
    temperature: bool | None = None,
    two_phase: bool | None = None,
    mortality: bool | None = None,
) -> TransitModel:
    """Valid :class:`TransitModel` values; ``None`` for a feature means "sometimes"."""
    kwargs: dict[str, Any] = {"form": draw(decay_forms(forms))}
    if temperature if temperature is not None else draw(st.booleans()):
        kwargs["q10"] = draw(_floats(1.0, 3.0))
        kwargs["ref_temp_c"] = draw(_floats(10.0, 30.0))
    if two_phase if two_phase is not None else draw(st.booleans()):
        kwargs["initial_rate_per_hour"] = draw(transit_rates(max_rate * 3, allow_zero=False))
        kwargs["initial_phase_hours"] = draw(_floats(0.5, 6.0))
    if mortality if mortality is not None else draw(st.booleans()):
        kwargs["mortality"] = draw(mortality_curves())
    kwargs["source"] = draw(st.sampled_from(["customer figure", "fitted", ""]))
    return TransitModel(draw(transit_rates(max_rate)), **kwargs)


def shipment_arrays(
    n_lines: int | st.SearchStrategy[int] = 10_000,
    *,
    max_kg: float = 20_000.0,
    max_hours: float = 48.0,
    max_dead_fraction: float = 0.2,
    max_gain_fraction: float = 0.05,
) -> st.SearchStrategy[dict[str, FloatArray]]:
    """:func:`shipments` for big batches: the same four arrays, drawn with
    ``hypothesis.extra.numpy.arrays`` so 10⁴ lines cost a few milliseconds and pass the health
    checks (a few drawn values over a drawn background, the way ``arrays`` fills)."""
    name = "shipment_arrays"
    if isinstance(n_lines, st.SearchStrategy):
        sizes = n_lines
    else:
        _args.check_int(name, "n_lines", n_lines, 1)
        sizes = st.just(n_lines)
    _check_shipments(1, 1, max_kg=max_kg, max_hours=max_hours,
                     max_dead_fraction=max_dead_fraction, max_gain_fraction=max_gain_fraction)

    def arr(n: int, high: float) -> st.SearchStrategy[FloatArray]:
        return hnp.arrays(np.float64, n, elements=st.floats(
            0.0, high, allow_nan=False, allow_infinity=False, width=64))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, FloatArray]:
        n = draw(sizes)
        shipped = draw(arr(n, max_kg))
        dead = shipped * draw(arr(n, max_dead_fraction))
        received = (shipped - dead) * draw(arr(n, 1.0 + max_gain_fraction))
        return {"shipped_kg": shipped, "received_kg": received, "dead_kg": dead,
                "hours": draw(arr(n, max_hours))}

    return build()
