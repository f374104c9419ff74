"""Foundation strategies: exact numbers, money, units, quantities, weight vectors, and the
boundary-steered ones (:func:`priced_lines`, :func:`pack_quantities`).

Each is a function returning a ``SearchStrategy`` (so parameters can narrow it), built from
``st.builds`` / ``@st.composite`` like hypothesis's own. Bad arguments raise
``hypothesis.errors.InvalidArgument`` when the strategy is built.

Boundary bias
-------------
Uniform draws almost never land where rounding code goes wrong: with 2-place prices and 3-place
quantities, price × quantity is a half-fen tie (x.xx5 exactly) for about 1 draw in 1,000, so a
host invoice that rounds a float survives hypothesis's default 100 examples. The steered
strategies take ``boundary_bias`` (default 0.3): that share of draws is *constructed* on a
boundary — a half-fen tie, one last-place unit either side of it, a residual of exactly half a
pack or one pack, zero, the largest value — and the rest is drawn freely. The choice is drawn
first as an integer, so shrinking moves a failing example *towards* the exact boundary, never
away from it. ``boundary_bias=0`` gives the plain distribution.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pint
from hypothesis import strategies as st

from jxc_rules.rounding import MODES
from jxc_rules.testing import _args
from jxc_rules.units import Q_

__all__ = [
    "PricedLine",
    "count_units",
    "exact_decimals",
    "exact_numbers",
    "mass_units",
    "money_amounts",
    "pack_quantities",
    "priced_lines",
    "quantities",
    "rounding_modes",
    "steps",
    "weight_vectors",
]

MASS_UNITS = ("g", "kg", "t", "jin", "liang", "斤", "两", "公斤", "吨", "qian")
COUNT_UNITS = ("piece", "pcs", "个", "件", "dozen", "打", "gross")


def exact_decimals(
    min_value: int | str | Decimal = -10**6,
    max_value: int | str | Decimal = 10**6,
    places: int = 3,
) -> st.SearchStrategy[Decimal]:
    """Finite ``Decimal`` values with at most ``places`` decimal places."""
    name = "exact_decimals"
    low = _args.check_decimal(name, "min_value", min_value)
    high = _args.check_decimal(name, "max_value", max_value)
    _args.check_range(name, low, high)
    _args.check_int(name, "places", places)
    return st.decimals(
        min_value=low, max_value=high, places=places,
        allow_nan=False, allow_infinity=False,
    )


def exact_numbers(
    min_value: int = -10**6, max_value: int = 10**6, places: int = 3
) -> st.SearchStrategy[int | str | Decimal | Fraction]:
    """Every exact input form the API accepts: int, decimal str, ``Decimal``, ``Fraction``."""
    decs = exact_decimals(min_value, max_value, places)
    return st.one_of(
        st.integers(min_value, max_value),
        decs,
        decs.map(str),
        decs.map(Fraction),
    )


def money_amounts(
    min_value: int | str | Decimal = 0, max_value: int | str | Decimal = 10**7, *,
    places: int = 2, boundary_bias: float = 0.3,
) -> st.SearchStrategy[Decimal]:
    """Yuan amounts with exactly ``places`` places (``Decimal('35226.00')``).

    ``boundary_bias`` of the draws are boundaries: ``min_value``, ``max_value``, zero and one
    fen when in range, and — with ``places >= 3`` — half-fen ties (``x.xx5``) and one last-place
    unit either side of one, the values where rounding to the fen differs between modes and
    where float arithmetic goes wrong.
    """
    name = "money_amounts"
    low = _args.check_decimal(name, "min_value", min_value)
    high = _args.check_decimal(name, "max_value", max_value)
    _args.check_range(name, low, high)
    _args.check_int(name, "places", places)
    bias = _args.check_fraction(name, "boundary_bias", boundary_bias)
    quantum = Decimal(1).scaleb(-places)
    free = exact_decimals(low, high, places=places).map(lambda d: d.quantize(quantum))
    if bias == 0:
        return free
    fixed = sorted({v.quantize(quantum) for v in (low, high, Decimal(0), Decimal("0.01"))
                    if low <= v <= high})
    options: list[st.SearchStrategy[Decimal]] = [st.sampled_from(fixed)]
    if places >= 3:
        fen_lo, fen_hi = math.ceil(low * 100), math.floor(high * 100) - 1
        if fen_lo <= fen_hi:
            unit = Decimal(1).scaleb(-places)

            def tie(fen: int, side: int) -> Decimal:
                v = (Decimal(fen) / 100 + Decimal("0.005") + side * unit).quantize(quantum)
                return min(max(v, low), high)

            options.append(st.builds(tie, st.integers(fen_lo, fen_hi), st.sampled_from(
                (0, -1, 1))))
    return _biased(bias, st.one_of(*options), free)


def _biased(bias: float, boundary: st.SearchStrategy[Any],
            free: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``boundary`` for a ``bias`` share of draws, else ``free``; shrinks towards boundary."""
    cut = round(bias * 100)
    return st.integers(0, 99).flatmap(lambda r: boundary if r < cut else free) if 0 < cut < 100 \
        else (boundary if cut >= 100 else free)


def rounding_modes() -> st.SearchStrategy[str]:
    """One of the seven rounding mode names."""
    return st.sampled_from(MODES)


def steps() -> st.SearchStrategy[Decimal]:
    """Rounding steps the trade uses: fen, jiao, whole units, 5, 12, 40, 144, and odd ones."""
    return st.one_of(
        st.sampled_from([Decimal(s) for s in ("0.01", "0.05", "0.1", "1", "5", "12", "40", "144")]),
        exact_decimals(Decimal("0.001"), 1000, places=3),
    )


def weight_vectors(
    min_size: int = 1, max_size: int = 12, *, allow_zero: bool = True
) -> st.SearchStrategy[list[Decimal]]:
    """Non-negative weights, not all zero (valid input for :func:`jxc_rules.money.allocate`).

    Built, not filtered: an all-zero draw gets its first weight set to 0.001, so no draw is
    rejected and ``[Decimal('0.001')]`` is the minimal example."""
    _args.check_sizes("weight_vectors", min_size, max_size, minimum=1)
    low = 0 if allow_zero else Decimal("0.001")
    element = exact_decimals(low, 10**4, places=3)

    def nonzero(ws: list[Decimal]) -> list[Decimal]:
        return ws if any(w > 0 for w in ws) else [Decimal("0.001"), *ws[1:]]

    return st.lists(element, min_size=min_size, max_size=max_size).map(nonzero)


def mass_units() -> st.SearchStrategy[str]:
    """Mass unit names, Chinese market units included."""
    return st.sampled_from(MASS_UNITS)


def count_units() -> st.SearchStrategy[str]:
    """Count unit names (pieces, dozens, gross), Chinese names included."""
    return st.sampled_from(COUNT_UNITS)


def quantities(
    units: st.SearchStrategy[str] | None = None,
    magnitudes: st.SearchStrategy[Decimal] | None = None,
) -> st.SearchStrategy[pint.Quantity[Any]]:
    """Scalar ``Quantity`` values of :data:`jxc_rules.units.ureg` with exact ``Decimal``
    magnitudes (masses by default)."""
    return st.builds(
        Q_,
        magnitudes if magnitudes is not None else exact_decimals(0, 10**5, places=3),
        units if units is not None else mass_units(),
    )


@attrs.frozen
class PricedLine:
    """One invoice line a host prices: ``quantity`` (exact, in ``price_unit``) at
    ``unit_price`` yuan per ``price_unit``. :meth:`amount` is the library's answer
    (:func:`jxc_rules.packaging.line_amount`: exact product, half-up to the fen)."""

    quantity: Decimal
    unit_price: Decimal
    price_unit: str = "kg"

    @property
    def exact_amount(self) -> Decimal:
        """``quantity × unit_price`` before rounding."""
        return self.quantity * self.unit_price

    def amount(self, mode: str = "half_up") -> Decimal:
        """The fen-rounded amount :func:`~jxc_rules.packaging.line_amount` gives."""
        from jxc_rules.packaging import line_amount

        return line_amount(self.quantity, self.unit_price, self.price_unit, mode=mode)


def _solve_tie(p: int, m: int, t: int, side: int) -> int:
    """The ``t``-th g >= 0 with p·g ≡ m/2 (mod m), moved ``side`` units: price p (integer
    units) times quantity g lands on half of m, i.e. half a fen."""
    d = math.gcd(p, m)
    mp, hp = m // d, (m // 2) // d
    g0 = (hp * pow(p // d, -1, mp)) % mp if mp > 1 else 0
    g = g0 + t * mp + side
    return g if g >= 0 else g + mp


@st.composite
def _priced_lines(draw: st.DrawFn, quantities: st.SearchStrategy[Any],
                  unit_prices: st.SearchStrategy[Any], price_unit: str, qp: int, pp: int,
                  max_quantity: Decimal, bias: int, solve_price: bool) -> PricedLine:
    q_step, p_step = Decimal(1).scaleb(-qp), Decimal(1).scaleb(-pp)
    steer = draw(st.integers(0, 99)) < bias
    if not steer:
        q = Decimal(draw(quantities)).quantize(q_step)
        p = Decimal(draw(unit_prices)).quantize(p_step)
        return PricedLine(q, p, price_unit)
    fen = 10 ** (qp + pp - 2)  # one fen in units of 10**-(qp+pp) yuan
    # the tie itself (3 in 5), or one last-place unit either side of it
    side = draw(st.sampled_from((0, 0, 0, -1, 1)))
    t = draw(st.integers(0, 50))
    if solve_price:  # the host fixed the quantities: put the price on the tie
        gi = int(Decimal(draw(quantities)).quantize(q_step).scaleb(qp))
        if gi % (2 ** (qp + pp - 2)) == 0:
            gi += 1  # g divisible by 2**k (8 for grams × fen) never reaches a half fen; g+1 does
        pi = _solve_tie(gi, fen, t, side)
        return PricedLine(Decimal(gi).scaleb(-qp), Decimal(pi).scaleb(-pp), price_unit)
    pi = int(Decimal(draw(unit_prices)).quantize(p_step).scaleb(pp))
    if pi % (2 ** (qp + pp - 2)) == 0:
        pi += 1  # a price of a multiple of 2**k units (8 fen) never makes a half fen; p+1 does
    gi = _solve_tie(pi, fen, t, side)
    return PricedLine(min(Decimal(gi).scaleb(-qp), max_quantity), Decimal(pi).scaleb(-pp),
                      price_unit)


def _exact_or_strategy(strategy: str, name: str, value: Any) -> Any:
    if isinstance(value, st.SearchStrategy):
        return value
    return _args.check_decimal(strategy, name, value)


def priced_lines(
    quantities: st.SearchStrategy[Any] | int | str | Decimal | None = None,
    unit_prices: st.SearchStrategy[Any] | int | str | Decimal | None = None,
    *,
    price_unit: str = "kg",
    quantity_places: int = 3,
    price_places: int = 2,
    max_quantity: int | str | Decimal = 10**5,
    max_price: int | str | Decimal = 10**5,
    boundary_bias: float = 0.5,
) -> st.SearchStrategy[PricedLine]:
    """:class:`PricedLine` values — quantity (``quantity_places``, default grams of a kg) ×
    unit price (``price_places``, default fen) — steered onto half-fen ties.

    A ``boundary_bias`` share (default one half) of draws is built so that quantity × price is
    exactly a half fen (``x.xx5``) or one last-place unit either side of it: the quantity is
    solved from the drawn price (p·g ≡ ½ fen mod 1 fen), or, when only ``quantities`` is
    given, the price from the quantity. That is where ``round(float(q) * float(p), 2)`` and
    half-even rounding differ from half-up (四舍五入); the rest of the draws are free.
    ``quantities`` / ``unit_prices`` are strategies of exact numbers or one exact value
    (default: 0–``max_quantity``, 0–``max_price``).
    """
    name = "priced_lines"
    qp = _args.check_int(name, "quantity_places", quantity_places)
    pp = _args.check_int(name, "price_places", price_places)
    if qp + pp < 3:
        raise _args.fail(name, f"quantity_places + price_places must be >= 3 for an amount to "
                         f"reach a half fen, got {qp} + {pp}")
    bias = _args.check_fraction(name, "boundary_bias", boundary_bias)
    max_q = _args.check_decimal(name, "max_quantity", max_quantity)
    max_p = _args.check_decimal(name, "max_price", max_price)
    quantities = None if quantities is None else _args.as_strategy(
        name, "quantities", _exact_or_strategy(name, "quantities", quantities))
    unit_prices = None if unit_prices is None else _args.as_strategy(
        name, "unit_prices", _exact_or_strategy(name, "unit_prices", unit_prices))
    if not isinstance(price_unit, str) or not price_unit:
        raise _args.fail(name, f"price_unit must be a unit name such as 'kg', got {price_unit!r}")
    solve_price = quantities is not None and unit_prices is None
    # integers scaled, not st.decimals: they shrink to small round numbers (0.5 kg at 0.01 yuan)
    qs = quantities if quantities is not None else st.integers(
        0, int(max_q.scaleb(qp))).map(lambda n: Decimal(n).scaleb(-qp))
    ps = unit_prices if unit_prices is not None else st.integers(
        0, int(max_p.scaleb(pp))).map(lambda n: Decimal(n).scaleb(-pp))
    return _priced_lines(qs, ps, price_unit, qp, pp, max_q, round(bias * 100), solve_price)


def pack_quantities(
    pack: int | str | Decimal = 40,
    *,
    max_packs: int = 1000,
    places: int = 3,
    boundary_bias: float = 0.3,
) -> st.SearchStrategy[Decimal]:
    """Ordered quantities (in the pack's unit) for :func:`jxc_rules.packaging.ship_plan`.

    A ``boundary_bias`` share sits on a boundary of whole-pack rounding: zero, exactly ``n``
    packs, ``n`` packs and a half (the half-up tie), one last-place unit either side of those,
    exactly one pack, and ``max_packs`` packs; the rest is free in [0, max_packs × pack].
    """
    name = "pack_quantities"
    size = _args.check_decimal(name, "pack", pack)
    if size <= 0:
        raise _args.fail(name, f"pack must be > 0, got {pack!r}")
    n_max = _args.check_int(name, "max_packs", max_packs, 1)
    _args.check_int(name, "places", places)
    bias = _args.check_fraction(name, "boundary_bias", boundary_bias)
    quantum = Decimal(1).scaleb(-places)
    top = size * n_max
    free = exact_decimals(0, top, places=places)

    def at(n: int, half: bool, side: int) -> Decimal:
        v = size * n + (size / 2 if half else 0) + side * quantum
        return min(max(v.quantize(quantum), Decimal(0)), top.quantize(quantum))

    boundary = st.one_of(
        st.sampled_from([Decimal(0).quantize(quantum), size.quantize(quantum),
                         top.quantize(quantum)]),
        st.builds(at, st.integers(0, n_max - 1), st.booleans(), st.sampled_from((0, -1, 1))),
    )
    return _biased(bias, boundary, free)
