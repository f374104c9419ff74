"""Temperature rate models for shelf life (保质期) and the conversions between them.

Every model gives a *relative rate* ρ(T): how many hours at the reference temperature one hour at
``T`` consumes. It is 1 at the model's reference temperature, and ties the models to shelf life by
the relative-rate identity

    ρ(T) = SL(T_ref) / SL(T).

Models (formulas and sources in ``docs/shelf_life.md``):

- :class:`Q10` — ρ(T) = Q10^((T − T_ref)/10)  (Labuza 1982; Labuza & Riboh 1982).
- :class:`Bigelow` — ρ(T) = 10^((T − T_ref)/z)  (Bigelow 1921; z-value of thermal processing).
- :class:`Arrhenius` — ρ(T) = exp(−Ea/R · (1/T_K − 1/T_ref,K)), R = 8.314462618 J/(mol·K),
  T_K = T + 273.15.
- :class:`SquareRoot` — Ratkowsky et al. (1982): √k = b (T − T_min), hence
  ρ(T) = ((T − T_min)/(T_ref − T_min))² above T_min and 0 at or below it.
- :class:`RateTable` — a user table, piecewise linear in temperature.

Each model also gives ``mean_rate_on_ramp(temp0_c, temp1_c)``: the mean of ρ along a temperature
that moves linearly from ``temp0_c`` to ``temp1_c`` (= (1/ΔT)∫ρ dT). Multiplied by the interval's
duration it is the exact consumed time of a linear ramp: in closed form for Q10, Bigelow, square
root and tables; by Gauss–Legendre quadrature (relative error ≤ 1e-10) for Arrhenius.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules._internal.arrays import as_float_array, require_numbers, scalar_float
from jxc_rules.errors import ValidationError, bad_value
from jxc_rules.units import magnitude

__all__ = [
    "GAS_CONSTANT",
    "KELVIN_OFFSET",
    "Q10",
    "Arrhenius",
    "Bigelow",
    "RateModel",
    "RateTable",
    "SquareRoot",
    "ea_to_q10",
    "ea_to_z",
    "model_from_mapping",
    "q10_to_ea",
    "q10_to_z",
    "z_to_ea",
    "z_to_q10",
]

GAS_CONSTANT = 8.314462618
"""Molar gas constant R in J/(mol·K) (CODATA 2018, exact)."""
KELVIN_OFFSET = 273.15
"""T[K] = T[°C] + 273.15."""

FloatArray: TypeAlias = npt.NDArray[np.float64]
_LN10 = math.log(10.0)


# --------------------------------------------------------------------------- validators
def _finite(field: str) -> Any:
    def check(_inst: object, _attr: object, value: float) -> None:
        if not math.isfinite(value):
            raise bad_value(field, value, "a finite number")
    return check


def _positive(field: str) -> Any:
    def check(_inst: object, _attr: object, value: float) -> None:
        if not (math.isfinite(value) and value > 0):
            raise bad_value(field, value, "a finite number > 0")
    return check


def _above_absolute_zero(_inst: object, _attr: object, value: float) -> None:
    if not (math.isfinite(value) and value > -KELVIN_OFFSET):
        raise bad_value("ref_temp_c", value, "a finite temperature above -273.15 °C")


def _number(field: str) -> Any:
    def convert(value: Any) -> float:
        return scalar_float(value, field, "a number", allow_text=True)
    return convert


def _temperature(field: str) -> Any:
    def convert(value: Any) -> float:
        """A temperature in °C from a number, ``"4 degC"`` or a Quantity."""
        if isinstance(value, (bool, np.bool_)):
            raise bad_value(field, value, "a temperature")
        if isinstance(value, (int, float)):
            return scalar_float(value, field, "a temperature in °C")
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, np.ndarray):
            return scalar_float(value, field, "a temperature in °C")
        return scalar_float(magnitude(value, "degC", field=field), field,
                            "a temperature in °C")
    return convert


def _ea_kj(value: Any) -> float:
    if isinstance(value, (int, float, np.ndarray)) and not isinstance(value, bool):
        return scalar_float(value, "ea_kj_per_mol", "an activation energy in kJ/mol")
    return scalar_float(magnitude(value, "kJ/mol", field="ea_kj_per_mol"), "ea_kj_per_mol",
                        "an activation energy in kJ/mol")


def _q10_value(value: Any) -> float:
    return float(_number("q10")(value))


def _z_value(value: Any) -> float:
    return float(_number("z_c")(value))


def _ref_temp(value: Any) -> float:
    return float(_temperature("ref_temp_c")(value))


def _t_min(value: Any) -> float:
    return float(_temperature("t_min_c")(value))


def _ref_field() -> Any:
    return attrs.field(converter=_ref_temp, validator=_above_absolute_zero)


# --------------------------------------------------------------------------- base class
class RateModel(abc.ABC):
    """A relative rate ρ(T) with ρ(ref_temp_c) = 1 (see the module docstring)."""

    ref_temp_c: float
    tag: ClassVar[str]

    @abc.abstractmethod
    def relative_rate(self, temp_c: npt.ArrayLike) -> FloatArray:
        """ρ(T) for every temperature (°C), as a float array of the input's shape."""

    @abc.abstractmethod
    def inverse_rate(self, rate: npt.ArrayLike) -> FloatArray:
        """The temperature (°C) at which ρ equals ``rate`` (the lowest one where ρ is flat)."""

    @abc.abstractmethod
    def mean_rate_on_ramp(self, temp0_c: FloatArray, temp1_c: FloatArray) -> FloatArray:
        """Mean of ρ along a linear temperature ramp from ``temp0_c`` to ``temp1_c``."""

    @abc.abstractmethod
    def to_mapping(self) -> dict[str, Any]:
        """A plain YAML-safe mapping that :func:`model_from_mapping` reads back."""

    def _rate_at(self, temp_c: npt.ArrayLike) -> FloatArray:
        return self.relative_rate(temp_c)


class _Exponential(RateModel):
    """ρ(T) = exp(k (T − T_ref)): Q10 (k = ln Q10 / 10) and Bigelow (k = ln 10 / z)."""

    @property
    @abc.abstractmethod
    def log_rate_per_c(self) -> float:
        """k in ρ(T) = exp(k (T − T_ref)), per °C."""

    def relative_rate(self, temp_c: npt.ArrayLike) -> FloatArray:
        t = np.asarray(temp_c, dtype=np.float64)
        return np.exp(self.log_rate_per_c * (t - self.ref_temp_c))

    def inverse_rate(self, rate: npt.ArrayLike) -> FloatArray:
        r = as_float_array(rate, "rate", min_value=0, min_inclusive=False)
        return np.asarray(self.ref_temp_c + np.log(r) / self.log_rate_per_c, dtype=np.float64)

    def mean_rate_on_ramp(
        self,
        temp0_c: FloatArray,
        temp1_c: FloatArray,
        rate0: FloatArray | None = None,
        rate1: FloatArray | None = None,
    ) -> FloatArray:
        """Closed form: ρ0 · (e^x − 1)/x with x = k ΔT (series for |x| < 1e-4)."""
        k = self.log_rate_per_c
        r0 = self.relative_rate(temp0_c) if rate0 is None else rate0
        r1 = self.relative_rate(temp1_c) if rate1 is None else rate1
        x = k * (np.asarray(temp1_c) - np.asarray(temp0_c))
        small = np.abs(x) < 1e-4
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(small, r0 * (1.0 + x * (0.5 + x / 6.0)), (r1 - r0) / x)
        return np.asarray(out, dtype=np.float64)


@attrs.frozen
class Q10(_Exponential):
    """Q10 model: ρ(T) = Q10^((T − T_ref)/10) — the rate multiplies by Q10 per 10 °C.

    Source: Labuza, T. P. (1982), *Shelf-life Dating of Foods*, Food & Nutrition Press.

    Parameters
    ----------
    q10 : float
        Rate ratio per 10 °C, > 0 (chilled dairy and fish typically 2–4).
    ref_temp_c : float
        Reference temperature in °C (where ρ = 1).

    Examples
    --------
    >>> model = Q10(3, ref_temp_c=4)
    >>> round(float(model.relative_rate(12)), 4)   # 3 ** 0.8
    2.4082
    >>> Q10(0, 4)
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: q10 must be a finite number > 0, got 0.0
    """

    q10: float = attrs.field(converter=_q10_value, validator=_positive("q10"))
    ref_temp_c: float = _ref_field()
    tag: ClassVar[str] = "q10"

    @property
    def log_rate_per_c(self) -> float:
        return math.log(self.q10) / 10.0

    def to_mapping(self) -> dict[str, Any]:
        return {"q10": self.q10, "ref_temp_c": self.ref_temp_c}


@attrs.frozen
class Bigelow(_Exponential):
    """Bigelow (z-value) model: ρ(T) = 10^((T − T_ref)/z) — ten times faster per ``z_c`` °C.

    Source: Bigelow, W. D. (1921), *J. Infect. Dis.* 29: 528–536. Equivalent to Q10 with
    Q10 = 10^(10/z) at every temperature.

    Examples
    --------
    >>> round(float(Bigelow(z_c=20.96, ref_temp_c=4).relative_rate(24.96)), 6)
    10.0
    """

    z_c: float = attrs.field(converter=_z_value, validator=_positive("z_c"))
    ref_temp_c: float = _ref_field()
    tag: ClassVar[str] = "z_c"

    @property
    def log_rate_per_c(self) -> float:
        return _LN10 / self.z_c

    def to_mapping(self) -> dict[str, Any]:
        return {"z_c": self.z_c, "ref_temp_c": self.ref_temp_c}


# Gauss–Legendre rules: (largest exponent variation v, nodes) for a relative error <= 1e-11
# of the mean of exp(-c/T) along a linear ramp in T (measured against scipy.integrate.quad at
# T0 in {-50, 0, 100} °C and c in {2e3, 1.2e4, 4e4} K).
_GL_RULES: tuple[tuple[float, int], ...] = (
    (1e-5, 1), (0.01, 2), (0.1, 3), (0.5, 4), (1.0, 5), (2.0, 6), (6.0, 8), (12.0, 10),
    (16.0, 12), (32.0, 16),
)
_GL_NODES = {n: np.polynomial.legendre.leggauss(n) for _, n in _GL_RULES}


@attrs.frozen
class Arrhenius(RateModel):
    """Arrhenius model: ρ(T) = exp(−Ea/R · (1/T_K − 1/T_ref,K)).

    R = 8.314462618 J/(mol·K), T_K = T + 273.15. ``ea_kj_per_mol`` is the activation energy in
    kJ/mol (≥ 0; spoilage of chilled foods typically 50–120).

    Examples
    --------
    >>> model = Arrhenius(ea_kj_per_mol=80, ref_temp_c=4)
    >>> float(model.relative_rate(4))
    1.0
    >>> round(float(model.relative_rate(14)), 3)
    3.35
    """

    ea_kj_per_mol: float = attrs.field(converter=_ea_kj, validator=_finite("ea_kj_per_mol"))
    ref_temp_c: float = _ref_field()
    tag: ClassVar[str] = "arrhenius"

    @ea_kj_per_mol.validator
    def _check_ea(self, _attr: object, value: float) -> None:
        if value < 0:
            raise bad_value("ea_kj_per_mol", value, ">= 0")

    @property
    def ea_over_r_k(self) -> float:
        """Ea / R in kelvin."""
        return self.ea_kj_per_mol * 1000.0 / GAS_CONSTANT

    def relative_rate(self, temp_c: npt.ArrayLike) -> FloatArray:
        t = np.asarray(temp_c, dtype=np.float64)
        inv_ref = 1.0 / (self.ref_temp_c + KELVIN_OFFSET)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.exp(-self.ea_over_r_k * (1.0 / (t + KELVIN_OFFSET) - inv_ref))
        _check_kelvin(t)
        return np.asarray(out, dtype=np.float64)

    def inverse_rate(self, rate: npt.ArrayLike) -> FloatArray:
        r = as_float_array(rate, "rate", min_value=0, min_inclusive=False)
        if self.ea_kj_per_mol == 0:
            raise ValidationError("an Arrhenius model with Ea = 0 has no inverse rate",
                                  field="ea_kj_per_mol", value=0.0)
        inv = 1.0 / (self.ref_temp_c + KELVIN_OFFSET) - np.log(r) / self.ea_over_r_k
        with np.errstate(divide="ignore"):
            return np.asarray(np.where(inv > 0, 1.0 / inv - KELVIN_OFFSET, np.inf),
                              dtype=np.float64)

    def mean_rate_on_ramp(self, temp0_c: FloatArray, temp1_c: FloatArray) -> FloatArray:
        """Gauss–Legendre quadrature, node count chosen per interval from the variation of the
        exponent (relative error ≤ 1e-10); ramps varying more than e^32 are split."""
        t0 = np.asarray(temp0_c, dtype=np.float64)
        t1 = np.asarray(temp1_c, dtype=np.float64)
        t0, t1 = np.broadcast_arrays(t0, t1)
        _check_kelvin(t0)
        _check_kelvin(t1)
        c = self.ea_over_r_k
        k0 = t0 + KELVIN_OFFSET
        k1 = t1 + KELVIN_OFFSET
        v = c * np.abs(1.0 / k0 - 1.0 / k1)
        inv_ref = 1.0 / (self.ref_temp_c + KELVIN_OFFSET)
        limits = np.array([lim for lim, _ in _GL_RULES])
        which = np.searchsorted(limits, v, side="left")
        counts = np.bincount(which.ravel(), minlength=len(_GL_RULES) + 1)
        # the most common rule runs on the whole array (no gather/scatter), others patch it
        dominant = int(np.argmax(counts[:len(_GL_RULES)]))
        out = self._gauss_legendre(k0, k1, _GL_RULES[dominant][1], 1, c, inv_ref)
        for i in np.nonzero(counts)[0]:
            if i <= dominant:  # more nodes than needed are at least as accurate
                continue
            sel = which == i
            if i < len(_GL_RULES):
                pieces, n = 1, _GL_RULES[i][1]
            else:  # huge ramp: composite rule of 16-node pieces
                pieces, n = math.ceil(float(v[sel].max()) / 24.0), 16
            out[sel] = self._gauss_legendre(k0[sel], k1[sel], n, pieces, c, inv_ref)
        return out

    @staticmethod
    def _gauss_legendre(
        a: FloatArray, b: FloatArray, n: int, pieces: int, c: float, inv_ref: float
    ) -> FloatArray:
        """Mean of exp(−c (1/T − 1/T_ref)) over [a, b] (kelvin): composite n-node rule."""
        nodes, weights = _GL_NODES[n]
        acc = np.zeros(np.shape(a), dtype=np.float64)
        width = (b - a) / pieces
        half = 0.5 * width
        for p in range(pieces):
            mid = a + (p + 0.5) * width
            for x, w in zip(nodes, weights, strict=True):
                acc += w * np.exp(-c * (1.0 / (mid + half * x) - inv_ref))
        return np.asarray(acc / (2.0 * pieces), dtype=np.float64)

    def to_mapping(self) -> dict[str, Any]:
        return {"arrhenius": self.ea_kj_per_mol, "ref_temp_c": self.ref_temp_c}


def _check_kelvin(t: FloatArray) -> None:
    bad = t <= -KELVIN_OFFSET
    if np.any(bad):
        from jxc_rules._internal.arrays import first_bad_row

        row = first_bad_row(np.asarray(bad))
        raise bad_value("temp_c", float(np.asarray(t)[row]), "above -273.15 °C",
                        row=row if np.ndim(t) else None)


@attrs.frozen
class SquareRoot(RateModel):
    """Ratkowsky square-root model: ρ(T) = ((T − T_min)/(T_ref − T_min))² above T_min, else 0.

    Source: Ratkowsky, D. A., Olley, J., McMeekin, T. A., Ball, A. (1982), *J. Bacteriol.* 149:
    1–5 (√k = b (T − T_min) below the optimum temperature). ``t_min_c`` must be below
    ``ref_temp_c``.

    Examples
    --------
    >>> model = SquareRoot(t_min_c=-6, ref_temp_c=4)
    >>> model.relative_rate([-8, -6, 4, 14]).tolist()
    [0.0, 0.0, 1.0, 4.0]
    >>> SquareRoot(t_min_c=5, ref_temp_c=4)
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: t_min_c must be below ref_temp_c (4.0), got 5.0
    """

    t_min_c: float = attrs.field(converter=_t_min, validator=_finite("t_min_c"))
    ref_temp_c: float = _ref_field()
    tag: ClassVar[str] = "t_min_c"

    def __attrs_post_init__(self) -> None:
        if not self.t_min_c < self.ref_temp_c:
            raise bad_value("t_min_c", self.t_min_c, f"below ref_temp_c ({self.ref_temp_c})")

    @property
    def _span2(self) -> float:
        return (self.ref_temp_c - self.t_min_c) ** 2

    def relative_rate(self, temp_c: npt.ArrayLike) -> FloatArray:
        t = np.asarray(temp_c, dtype=np.float64)
        d = np.maximum(t - self.t_min_c, 0.0)
        return np.asarray(d * d / self._span2, dtype=np.float64)

    def inverse_rate(self, rate: npt.ArrayLike) -> FloatArray:
        r = as_float_array(rate, "rate", min_value=0)
        return np.asarray(self.t_min_c + np.sqrt(r) * (self.ref_temp_c - self.t_min_c),
                          dtype=np.float64)

    def mean_rate_on_ramp(self, temp0_c: FloatArray, temp1_c: FloatArray) -> FloatArray:
        """Closed form with a = (T0 − T_min)₊, b = (T1 − T_min)₊: (a² + ab + b²)/3 when both are
        above T_min, (b³ − a³)/(3 ΔT) when the ramp crosses T_min, all over (T_ref − T_min)²."""
        t0 = np.asarray(temp0_c, dtype=np.float64)
        t1 = np.asarray(temp1_c, dtype=np.float64)
        a = np.maximum(t0 - self.t_min_c, 0.0)
        b = np.maximum(t1 - self.t_min_c, 0.0)
        both = (a > 0) & (b > 0)
        dt = t1 - t0
        crossing = ~both & (dt != 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            cross_val = (b * b * b - a * a * a) / (3.0 * dt)
        out = np.where(both, (a * a + a * b + b * b) / 3.0, np.where(crossing, cross_val, 0.0))
        return np.asarray(out / self._span2, dtype=np.float64)

    def to_mapping(self) -> dict[str, Any]:
        return {"t_min_c": self.t_min_c, "ref_temp_c": self.ref_temp_c}


def _float_tuple(values: Any) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise bad_value("table", values, "a list of numbers (temps_c, rates)")
    require_numbers(values, "table")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise bad_value("table", values, "a flat list of finite numbers (temps_c, rates)"
                        ) from None
    return tuple(float(x) for x in np.atleast_1d(arr).ravel())


@attrs.frozen
class RateTable(RateModel):
    """A user table of relative rates, piecewise linear in temperature.

    ``temps_c`` strictly increasing (≥ 2 points), ``rates`` ≥ 0 and non-decreasing (warmer never
    keeps longer), and the interpolated rate at ``ref_temp_c`` must be 1 (build with
    :meth:`normalised` to divide a table of absolute rates by its value at the reference).
    Temperatures outside the table are an error — never extrapolated.

    Examples
    --------
    >>> table = RateTable(temps_c=[0, 4, 8, 12], rates=[0.5, 1, 2, 4], ref_temp_c=4)
    >>> table.relative_rate([2, 10]).tolist()
    [0.75, 3.0]
    """

    temps_c: tuple[float, ...] = attrs.field(converter=_float_tuple)
    rates: tuple[float, ...] = attrs.field(converter=_float_tuple)
    ref_temp_c: float = _ref_field()
    tag: ClassVar[str] = "table"

    def __attrs_post_init__(self) -> None:
        temps = as_float_array(self.temps_c, "temps_c")
        rates = as_float_array(self.rates, "rates", min_value=0)
        if temps.shape != rates.shape or temps.size < 2:
            raise bad_value("rates", list(self.rates),
                            f"as many values as temps_c ({temps.size}), at least 2")
        if np.any(np.diff(temps) < 1e-6):
            row = int(np.argmax(np.diff(temps) < 1e-6)) + 1
            raise bad_value("temps_c", float(temps[row]),
                            "strictly increasing (by at least 1e-6 °C)", row=row)
        if np.any(np.diff(rates) < 0):
            row = int(np.argmax(np.diff(rates) < 0)) + 1
            raise bad_value("rates", float(rates[row]), "non-decreasing in temperature", row=row)
        if not temps[0] <= self.ref_temp_c <= temps[-1]:
            raise bad_value("ref_temp_c", self.ref_temp_c,
                            f"within the table [{temps[0]:g}, {temps[-1]:g}]")
        at_ref = float(np.interp(self.ref_temp_c, temps, rates))
        if abs(at_ref - 1.0) > 1e-9:
            raise bad_value("rates", at_ref, "1 at ref_temp_c (use RateTable.normalised)")

    @classmethod
    def normalised(cls, temps_c: Any, rates: Any, ref_temp_c: float) -> RateTable:
        """A table of absolute rates divided by its interpolated value at ``ref_temp_c``."""
        t = as_float_array(temps_c, "temps_c")
        r = as_float_array(rates, "rates", min_value=0)
        if t.shape != r.shape:
            raise bad_value("rates", r.tolist(), f"as many values as temps_c ({t.size})")
        at_ref = float(np.interp(float(ref_temp_c), t, r))
        if not at_ref > 0:
            raise bad_value("rates", at_ref, "> 0 at ref_temp_c")
        return cls(t, r / at_ref, ref_temp_c)

    @property
    def _t(self) -> FloatArray:
        return np.asarray(self.temps_c, dtype=np.float64)

    @property
    def _r(self) -> FloatArray:
        return np.asarray(self.rates, dtype=np.float64)

    def _check_range(self, t: FloatArray) -> None:
        lo, hi = self.temps_c[0], self.temps_c[-1]
        with np.errstate(invalid="ignore"):
            bad = (t < lo) | (t > hi)
        if np.any(bad):
            from jxc_rules._internal.arrays import first_bad_row

            row = first_bad_row(np.asarray(bad))
            raise bad_value("temp_c", float(np.asarray(t)[row]),
                            f"within the rate table [{lo:g}, {hi:g}] °C",
                            row=row if np.ndim(t) else None)

    def relative_rate(self, temp_c: npt.ArrayLike) -> FloatArray:
        t = np.asarray(temp_c, dtype=np.float64)
        self._check_range(t)
        return np.asarray(np.interp(t, self._t, self._r), dtype=np.float64)

    def inverse_rate(self, rate: npt.ArrayLike) -> FloatArray:
        r = as_float_array(rate, "rate", min_value=self.rates[0], max_value=self.rates[-1])
        rates = self._r
        temps = self._t
        # lowest temperature where the (non-decreasing) table reaches r
        idx = np.clip(np.searchsorted(rates, r, side="left"), 1, len(rates) - 1)
        r0, r1 = rates[idx - 1], rates[idx]
        t0, t1 = temps[idx - 1], temps[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(r1 > r0, (r - r0) / (r1 - r0), 1.0)
        out = np.where(r <= rates[0], temps[0], t0 + frac * (t1 - t0))
        return np.asarray(out, dtype=np.float64)

    def mean_rate_on_ramp(self, temp0_c: FloatArray, temp1_c: FloatArray) -> FloatArray:
        """Closed form: the exact area under the piecewise-linear rate from T0 to T1 over ΔT,
        summed as a trapezoid to the end of T0's piece, whole pieces between, and a trapezoid
        from the start of T1's piece (no cancellation on short ramps)."""
        t0 = np.asarray(temp0_c, dtype=np.float64)
        t1 = np.asarray(temp1_c, dtype=np.float64)
        self._check_range(t0)
        self._check_range(t1)
        lo = np.minimum(t0, t1)
        hi = np.maximum(t0, t1)
        temps = self._t
        rates = self._r
        last = len(temps) - 2
        k_lo = np.clip(np.searchsorted(temps, lo, side="right") - 1, 0, last)
        k_hi = np.clip(np.searchsorted(temps, hi, side="right") - 1, 0, last)
        r_lo = np.interp(lo, temps, rates)
        r_hi = np.interp(hi, temps, rates)
        cum = np.concatenate([[0.0], np.cumsum(np.diff(temps) * (rates[1:] + rates[:-1]) / 2)])
        same = k_lo == k_hi
        knot_a = temps[np.minimum(k_lo + 1, last + 1)]
        knot_b = temps[k_hi]
        area_split = ((knot_a - lo) * (r_lo + rates[np.minimum(k_lo + 1, last + 1)]) / 2
                      + (cum[k_hi] - cum[np.minimum(k_lo + 1, last + 1)])
                      + (hi - knot_b) * (rates[k_hi] + r_hi) / 2)
        width = hi - lo
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            mean = np.where(same | (width < 1e-9), 0.5 * (r_lo + r_hi), area_split / width)
        return np.asarray(mean, dtype=np.float64)

    def to_mapping(self) -> dict[str, Any]:
        return {"table": {"temps_c": list(self.temps_c), "rates": list(self.rates)},
                "ref_temp_c": self.ref_temp_c}


# --------------------------------------------------------------------------- conversions
def q10_to_z(q10: float) -> float:
    """Bigelow z (°C) with the same temperature dependence: z = 10 / log10(Q10) (Q10 > 1).

    >>> round(q10_to_z(3), 3)
    20.959
    """
    q = scalar_float(q10, "q10", allow_text=True)
    if not (math.isfinite(q) and q > 1):
        raise bad_value("q10", q, "a finite number > 1 (z is defined for rising rates)")
    return 10.0 / math.log10(q)


def z_to_q10(z_c: float) -> float:
    """Q10 = 10^(10/z).

    >>> round(z_to_q10(10), 6)
    10.0
    """
    z = scalar_float(z_c, "z_c", allow_text=True)
    if not (math.isfinite(z) and z > 0):
        raise bad_value("z_c", z, "a finite number > 0")
    try:
        return float(10.0 ** (10.0 / z))
    except OverflowError:  # z so small that Q10 is beyond float range
        raise bad_value("z_c", z, "a z large enough that Q10 = 10^(10/z) is within float "
                        "range (z > 0.04 °C)") from None


def _kelvin(temp_c: float, field: str = "temp_c") -> float:
    t = scalar_float(temp_c, field, "a temperature in °C", allow_text=True)
    if not (math.isfinite(t) and t > -KELVIN_OFFSET):
        raise bad_value(field, t, "a finite temperature above -273.15 °C")
    return t + KELVIN_OFFSET


def q10_to_ea(q10: float, temp_c: float) -> float:
    """Activation energy (kJ/mol) whose Arrhenius rate ratio between ``temp_c`` and
    ``temp_c + 10`` equals ``q10``: Ea = R · T (T + 10) · ln Q10 / 10, T in kelvin.

    Q10 and Ea agree exactly only over that one 10 °C step (an Arrhenius Q10 falls as
    temperature rises).

    >>> round(q10_to_ea(3, 4), 2)
    72.69
    """
    q = scalar_float(q10, "q10", allow_text=True)
    if not (math.isfinite(q) and q >= 1):
        raise bad_value("q10", q, "a finite number >= 1 (Ea >= 0)")
    k = _kelvin(temp_c)
    return GAS_CONSTANT * k * (k + 10.0) * math.log(q) / 10.0 / 1000.0


def ea_to_q10(ea_kj_per_mol: float, temp_c: float) -> float:
    """Q10 between ``temp_c`` and ``temp_c + 10`` of an Arrhenius model:
    Q10 = exp(10 · Ea / (R · T (T + 10))).

    >>> round(ea_to_q10(q10_to_ea(3, 4), 4), 12)
    3.0
    """
    ea = scalar_float(ea_kj_per_mol, "ea_kj_per_mol", allow_text=True)
    if not (math.isfinite(ea) and ea >= 0):
        raise bad_value("ea_kj_per_mol", ea, "a finite number >= 0")
    k = _kelvin(temp_c)
    try:
        return math.exp(10.0 * ea * 1000.0 / (GAS_CONSTANT * k * (k + 10.0)))
    except OverflowError:
        raise bad_value("ea_kj_per_mol", ea, f"an activation energy whose Q10 at {temp_c} °C "
                        "is within float range") from None


def z_to_ea(z_c: float, temp_c: float) -> float:
    """Ea (kJ/mol) matching a Bigelow z between ``temp_c`` and ``temp_c + 10``."""
    return q10_to_ea(z_to_q10(z_c), temp_c)


def ea_to_z(ea_kj_per_mol: float, temp_c: float) -> float:
    """Bigelow z (°C) matching an Arrhenius model between ``temp_c`` and ``temp_c + 10``."""
    return q10_to_z(ea_to_q10(ea_kj_per_mol, temp_c))


# --------------------------------------------------------------------------- mappings
_MODEL_KEYS = {
    "q10": Q10,
    "arrhenius": Arrhenius,
    "ea_kj_per_mol": Arrhenius,
    "z_c": Bigelow,
    "t_min_c": SquareRoot,
    "table": RateTable,
}


def model_from_mapping(mapping: Mapping[str, Any], *, path: str = "model") -> RateModel:
    """A rate model from its tagged mapping, the form rule packs use.

    ``{"q10": 3, "ref_temp_c": 4}``, ``{"arrhenius": 80, "ref_temp_c": 4}`` (kJ/mol, or
    ``"80 kJ/mol"``), ``{"z_c": 21, "ref_temp_c": 4}``, ``{"t_min_c": -6, "ref_temp_c": 4}``,
    ``{"table": {"temps_c": [...], "rates": [...]}, "ref_temp_c": 4}``. Errors name the key
    path (``model.q10``).

    Examples
    --------
    >>> model_from_mapping({"q10": 3, "ref_temp_c": 4})
    Q10(q10=3.0, ref_temp_c=4.0)
    >>> model_from_mapping({"q10": 3, "ref_temp_c": 4, "z_c": 20})
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: model must be exactly one of arrhenius, ea_kj_per_mol, \
q10, t_min_c, table, z_c, got ['q10', 'z_c']
    """
    if isinstance(mapping, RateModel):
        return mapping
    if not isinstance(mapping, Mapping):
        raise bad_value(path, mapping, "a mapping such as {q10: 3, ref_temp_c: 4}")
    tags = sorted(k for k in mapping if k in _MODEL_KEYS)
    if len(tags) != 1:
        raise bad_value(path, tags, "exactly one of " + ", ".join(sorted(_MODEL_KEYS)))
    tag = tags[0]
    unknown = sorted(set(mapping) - {tag, "ref_temp_c"})
    if unknown:
        raise bad_value(f"{path}.{unknown[0]}", mapping[unknown[0]],
                        f"absent (unknown key for a {tag} model; known: {tag}, ref_temp_c)")
    if "ref_temp_c" not in mapping:
        raise bad_value(f"{path}.ref_temp_c", None, "given (the reference temperature, °C)")
    cls = _MODEL_KEYS[tag]
    try:
        if cls is RateTable:
            table = mapping[tag]
            if not isinstance(table, Mapping) or set(table) != {"temps_c", "rates"}:
                raise bad_value(f"{path}.table", table, "a mapping with temps_c and rates")
            return RateTable(table["temps_c"], table["rates"], mapping["ref_temp_c"])
        model: RateModel = cls(mapping[tag], mapping["ref_temp_c"])
        return model
    except ValidationError as exc:
        field = exc.field or tag
        msg = str(exc)
        if msg.startswith(f"{exc.field} "):
            msg = msg[len(str(exc.field)) + 1:]
        raise type(exc)(f"{path}.{field} {msg}", field=f"{path}.{field}", value=exc.value,
                        row=exc.row) from None
