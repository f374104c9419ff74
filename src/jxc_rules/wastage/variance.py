"""Theoretical vs actual usage (理论用量 vs 实际用量) and the variance that neither explains.

Model
-----
Per item (and channel, when stock is counted per channel)::

    actual       = opening + purchases − closing            (all in the item's stock unit)
    theoretical  = Σ_d sold[d] × recipe[d, i] / yield_i      (as purchased; see theoretical_usage)
    net_variance = actual − theoretical − recorded_waste
    variance_rate = net_variance / actual,  waste_rate = recorded_waste / actual

A positive net variance is unrecorded loss (over-portioning, unrecorded waste, theft); a negative
one means the sales and recipes claim more than left the store (count or recipe errors). Rates
outside ``[0, 1]`` are *flagged*, never clipped; an item whose ``|variance_rate|`` exceeds its
category's cap is flagged too.

Units are normalised **before** any rate is computed: purchases are converted from the purchase
unit to the stock unit (exactly, via :func:`jxc_rules.units.exact_factor`), and a purchase unit
of another dimension (cases against kilograms) needs an explicit pack size — without one the
call is refused. This is the bug behind a reported "spoil rate of 500 %": waste in kg divided by
purchases counted in cases.

When the stock count is per item but the theoretical usage is per item *and* channel, the item's
net variance is also shown per channel, allocated in proportion to theoretical usage
(``variance_by_channel``; an allocation, not a measurement).

Sources
-------
Theoretical vs actual food cost and usage variance: Dopson & Hayes, *Food and Beverage Cost
Control* (Wiley), "Estimating actual food expense" / "ideal vs actual"; the same
opening + purchases − closing identity is the cost-of-goods-used formula of every inventory
textbook.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt
import pint

from jxc_rules._internal.arrays import as_float_array, name_list
from jxc_rules.errors import UnitError, ValidationError, bad_value
from jxc_rules.units import dimension_of, exact_factor, magnitude, parse_unit
from jxc_rules.wastage.prep import RecipeMatrix

__all__ = ["VarianceReport", "theoretical_usage", "usage_variance"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]


def theoretical_usage(
    sold: npt.ArrayLike, recipe: RecipeMatrix, *, yields: npt.ArrayLike | None = None
) -> FloatArray:
    """Theoretical usage ``Σ_d sold[d, ...] × recipe[d, i]`` as purchased → ``(ingredients, ...)``.

    Parameters
    ----------
    sold : array (dishes, ...)
        Portions sold, e.g. ``(dishes, channels)`` or ``(dishes, days, channels)``.
    recipe : RecipeMatrix
    yields : array (ingredients,), optional
        Yield (edible ÷ as purchased) per ingredient, applied when the recipe is on the edible
        basis. A recipe already on the as-purchased basis refuses yields (they would be counted
        twice).

    Examples
    --------
    >>> from jxc_rules.wastage.prep import recipe_matrix
    >>> r = recipe_matrix({"beef_plate": {"beef": 0.15}})
    >>> theoretical_usage([[100, 40]], r, yields=[0.75]).round(6).tolist()
    [[20.0, 8.0]]
    """
    s = as_float_array(sold, "sold", min_value=0.0)
    if s.ndim == 0 or s.shape[0] != len(recipe.dishes):
        raise bad_value("sold", s.shape, f"an array whose first axis is the {len(recipe.dishes)} "
                        "dishes")
    usage = np.tensordot(recipe.matrix.T, s, axes=1)
    if yields is None:
        return np.asarray(usage, dtype=np.float64)
    if recipe.basis == "as_purchased":
        raise bad_value("yields", "given", "omitted for an as-purchased recipe (yield would be "
                        "applied twice)")
    y = as_float_array(yields, "yields", min_value=0.0, min_inclusive=False, max_value=1.0)
    if y.shape != (len(recipe.ingredients),):
        raise bad_value("yields", y.shape, f"one yield per ingredient ({len(recipe.ingredients)})")
    return np.asarray(usage / y.reshape((-1,) + (1,) * (usage.ndim - 1)), dtype=np.float64)


def _per_item_units(units: str | Sequence[str], n: int, field: str) -> list[pint.Unit]:
    if isinstance(units, str):
        return [parse_unit(units, field)] * n
    out = [parse_unit(u, f"{field}[{k}]") for k, u in enumerate(name_list(units, field,
                                                                          "unit names"))]
    if len(out) != n:
        raise bad_value(field, len(out), f"one unit per item ({n})")
    return out


def _amounts(value: Any, units: list[pint.Unit], field: str) -> FloatArray:
    """Magnitudes in each item's stock unit: a Quantity array is converted (one stock unit for
    all items); plain numbers are taken as already in it."""
    if isinstance(value, (str, pint.Quantity)):
        if len({str(u) for u in units}) != 1:
            raise bad_value(field, value, "plain numbers when items have different stock units",
                            error=UnitError)
        value = magnitude(value, units[0], field=field)
    return as_float_array(value, field, min_value=0.0)


def _purchase_factors(
    stock: list[pint.Unit],
    purchase: list[pint.Unit],
    pack_sizes: Any,
    items: Sequence[str],
) -> FloatArray:
    """Stock units per purchase unit, per item: the exact factor where the two units share a
    dimension, else the stated pack size.

    One pack size given for all items applies only to the items that need it (the others convert
    exactly: a pack size never rescales kilograms bought against kilograms counted); a per-item
    pack size where the units share a dimension must agree with the exact factor.
    """
    shared = pack_sizes is None or isinstance(pack_sizes, (str, pint.Quantity)) \
        or np.ndim(pack_sizes) == 0
    if pack_sizes is None:
        packs: list[Any] = [None] * len(stock)
    elif shared:
        packs = [pack_sizes] * len(stock)
    else:
        packs = list(pack_sizes)
        if len(packs) != len(stock):
            raise bad_value("purchase_pack_size", len(packs), f"one per item ({len(stock)})")
    factors = np.empty(len(stock), dtype=np.float64)
    for k, (s_unit, p_unit, pack) in enumerate(zip(stock, purchase, packs, strict=True)):
        if s_unit.dimensionality == p_unit.dimensionality:
            exact = _factor(p_unit, s_unit, "purchase_unit")
            factors[k] = float(exact)
            if pack is not None and not shared:
                stated = _one(as_float_array(
                    magnitude(pack, s_unit, field=f"purchase_pack_size[{k}]"),
                    f"purchase_pack_size[{k}]", min_value=0.0, min_inclusive=False), pack,
                    f"purchase_pack_size[{k}]")
                if abs(stated - float(exact)) > 1e-12 * max(1.0, float(exact)):
                    raise bad_value(
                        f"purchase_pack_size[{k}]", pack,
                        f"absent or equal to one {p_unit!s} ({float(exact):g} {s_unit!s}) for "
                        f"{items[k]!r}, bought in {p_unit!s} and counted in {s_unit!s}", row=k)
            continue
        if pack is None:
            raise UnitError(
                f"purchases of {items[k]!r} are in {str(p_unit)!r} ({dimension_of(p_unit)}) but "
                f"stock is in {str(s_unit)!r} ({dimension_of(s_unit)}): give purchase_pack_size "
                f"(the {dimension_of(s_unit)} in one {p_unit!s})",
                field="purchase_unit", value=str(p_unit), row=k)
        size = magnitude(pack, s_unit, field=f"purchase_pack_size[{k}]")
        size_arr = as_float_array(size, f"purchase_pack_size[{k}]", min_value=0.0,
                                  min_inclusive=False)
        factors[k] = _one(size_arr, pack, f"purchase_pack_size[{k}]")
    return factors


@attrs.frozen(eq=False)
class VarianceReport:
    """Theoretical vs actual usage per item (and channel), in stock units.

    Rates are ``NaN`` where actual usage is 0; ``out_of_range`` marks rates outside ``[0, 1]`` or
    undefined with something to explain; ``over_cap`` marks ``|variance_rate| > cap``;
    ``flagged = out_of_range | over_cap``.
    """

    items: tuple[str, ...]
    stock_units: tuple[str, ...]
    actual: FloatArray
    theoretical: FloatArray
    recorded_waste: FloatArray
    net_variance: FloatArray
    variance_rate: FloatArray
    waste_rate: FloatArray
    cap: FloatArray
    out_of_range: BoolArray
    over_cap: BoolArray
    flagged: BoolArray
    variance_by_channel: FloatArray | None = None

    def flags(self) -> dict[str, list[str]]:
        """Item → reasons (``"over_cap"``, ``"variance_rate_out_of_range"``,
        ``"waste_rate_out_of_range"``, ``"no_usage"``) for flagged items (any channel)."""
        out: dict[str, list[str]] = {}
        vr, wr, act = self.variance_rate, self.waste_rate, self.actual
        with np.errstate(invalid="ignore"):
            checks = {
                "over_cap": self.over_cap,
                "variance_rate_out_of_range": (vr < 0) | (vr > 1),
                "waste_rate_out_of_range": (wr < 0) | (wr > 1),
                "no_usage": (act == 0) & ((self.theoretical != 0) | (self.recorded_waste != 0)),
            }
        for k, item in enumerate(self.items):
            reasons = [name for name, mask in checks.items() if np.any(mask[k])]
            if reasons:
                out[item] = reasons
        return out


def usage_variance(
    opening: Any,
    purchases: Any,
    closing: Any,
    theoretical: npt.ArrayLike,
    recorded_waste: Any = 0.0,
    *,
    items: Sequence[str],
    stock_unit: str | Sequence[str] = "kg",
    purchase_unit: str | Sequence[str] | None = None,
    purchase_pack_size: Any = None,
    categories: Sequence[str] | None = None,
    caps: Mapping[str, float] | float | None = None,
    theoretical_unit: str | Sequence[str] | None = None,
) -> VarianceReport:
    """Net variance = actual − theoretical − recorded waste, with rates and outlier flags.

    Parameters
    ----------
    opening, purchases, closing : array (items,) or (items, channels)
        Stock counts and purchases (>= 0). ``opening``/``closing`` are in ``stock_unit``,
        ``purchases`` in ``purchase_unit`` (default: the stock unit); Quantity arrays are
        converted when all items share one stock unit.
    theoretical : array (items,) or (items, channels), or a Quantity array
        From :func:`theoretical_usage`: plain numbers in ``theoretical_unit`` (default: the stock
        unit); a Quantity array is converted (one stock unit for all items).
    recorded_waste : array, default 0
        Recorded waste (报损) in stock units, broadcasting to ``theoretical``.
    items : sequence of str
    stock_unit, purchase_unit : str or one per item
    purchase_pack_size : quantity (str/Quantity) or one per item, optional
        Stock quantity in one purchase unit, required where the purchase unit has another
        dimension than the stock unit (``"10 kg"`` per case).
    categories : one per item, optional
    caps : mapping category → cap on ``|variance_rate|``, or one cap for all, optional
    theoretical_unit : str or one per item, optional
        Unit of a plain-number ``theoretical`` — e.g. ``RecipeMatrix.units`` (kg) when stock is
        counted in 斤. Converted exactly to the stock unit before any rate; another dimension is
        a ``UnitError``.

    Examples
    --------
    >>> rep = usage_variance([10.0], [3.0], [4.0], [8.2], [0.4], items=["beef"],
    ...                      purchase_unit="pcs", purchase_pack_size="2 kg", caps=0.05)
    >>> float(rep.actual[0]), round(float(rep.net_variance[0]), 6), bool(rep.flagged[0])
    (12.0, 3.4, True)
    """
    names = tuple(str(i) for i in name_list(items, "items", "item names, one per row of the "
                                             "counts"))
    n = len(names)
    if n == 0:
        raise bad_value("items", list(items), "at least one item")
    stock = _per_item_units(stock_unit, n, "stock_unit")
    purchase = stock if purchase_unit is None else _per_item_units(purchase_unit, n,
                                                                    "purchase_unit")
    factors = _purchase_factors(stock, purchase, purchase_pack_size, names)
    o = _amounts(opening, stock, "opening")
    c = _amounts(closing, stock, "closing")
    if isinstance(purchases, (str, pint.Quantity)):
        if purchase_unit is None:
            p = _amounts(purchases, stock, "purchases")
        else:
            p = _amounts(purchases, purchase, "purchases") * _expand(factors, 1)
    else:
        p_raw = as_float_array(purchases, "purchases", min_value=0.0)
        if p_raw.ndim == 0 or p_raw.shape[0] != n:
            raise bad_value("purchases", p_raw.shape,
                            f"an array whose first axis is the {n} items")
        p = p_raw * _expand(factors, p_raw.ndim)
    if theoretical_unit is not None and isinstance(theoretical, (str, pint.Quantity)):
        raise bad_value("theoretical_unit", theoretical_unit,
                        "omitted when theoretical is a Quantity (it carries its unit)",
                        error=UnitError)
    theo = _amounts(theoretical, stock, "theoretical")
    waste = _amounts(recorded_waste, stock, "recorded_waste")
    for name, arr in (("opening", o), ("purchases", p), ("closing", c), ("theoretical", theo)):
        if arr.ndim == 0 or arr.shape[0] != n:
            raise bad_value(name, arr.shape, f"an array whose first axis is the {n} items")
    if theoretical_unit is not None:
        theo = theo * _expand(_unit_factors(
            _per_item_units(theoretical_unit, n, "theoretical_unit"), stock, names,
            "theoretical_unit"), theo.ndim)
    # align by the leading (item) axis: a per-item array never broadcasts along the channel axis
    if not o.ndim == p.ndim == c.ndim:
        raise ValidationError(
            f"opening{o.shape}, purchases{p.shape} and closing{c.shape} must all be per item "
            "or all per item and channel", field="opening,purchases,closing")
    if theo.ndim not in (o.ndim, o.ndim + 1):
        raise bad_value("theoretical", theo.shape, f"{o.ndim} or {o.ndim + 1} dimensions (per "
                        "item and channel when stock is counted per item)")
    if waste.ndim not in (0, o.ndim, theo.ndim):
        raise bad_value("recorded_waste", waste.shape, f"a scalar or an array shaped like "
                        f"the stock counts {o.shape} or the theoretical usage {theo.shape}")
    try:
        actual = o + p - c
    except ValueError:
        raise ValidationError(f"opening{o.shape}, purchases{p.shape} and closing{c.shape} do "
                              "not broadcast", field="opening,purchases,closing") from None
    by_channel: FloatArray | None = None
    theo_at = theo
    if theo.ndim == actual.ndim + 1:  # stock counted per item, usage known per channel
        theo_at = theo.sum(axis=-1)
        waste_at = waste.sum(axis=-1) if waste.ndim == theo.ndim else waste
    else:
        waste_at = waste
    try:
        actual, theo_at, waste_at = np.broadcast_arrays(actual, theo_at, waste_at)
    except ValueError:
        raise ValidationError(f"actual{actual.shape}, theoretical{theo.shape} and "
                              f"recorded_waste{waste.shape} do not broadcast",
                              field="theoretical,recorded_waste") from None
    net = actual - theo_at - waste_at
    # over: a net of ~1e-229 kg over an actual of 5e-324 kg is an inf rate: out_of_range below
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        vrate = np.where(actual > 0, net / np.where(actual > 0, actual, 1.0), np.nan)
        wrate = np.where(actual > 0, waste_at / np.where(actual > 0, actual, 1.0), np.nan)
        if theo.ndim == actual.ndim + 1:
            share = np.where(theo_at[..., None] > 0,
                             theo / np.where(theo_at > 0, theo_at, 1.0)[..., None],
                             1.0 / theo.shape[-1])
            by_channel = np.asarray(net[..., None] * share, dtype=np.float64)
    nothing = (actual == 0) & ((theo_at != 0) | (waste_at != 0))
    with np.errstate(invalid="ignore"):
        out_of_range = (vrate < 0) | (vrate > 1) | (wrate < 0) | (wrate > 1) | (actual < 0) \
            | nothing
    cap = _caps(caps, categories, names)
    cap_b = cap.reshape((-1,) + (1,) * (net.ndim - 1))
    with np.errstate(invalid="ignore"):
        over = np.abs(vrate) > cap_b
    return VarianceReport(
        items=names, stock_units=tuple(str(u) for u in stock),
        actual=np.asarray(actual, dtype=np.float64), theoretical=np.asarray(theo_at),
        recorded_waste=np.asarray(waste_at), net_variance=np.asarray(net),
        variance_rate=np.asarray(vrate), waste_rate=np.asarray(wrate), cap=cap,
        out_of_range=np.asarray(out_of_range), over_cap=np.asarray(over),
        flagged=np.asarray(out_of_range | over), variance_by_channel=by_channel,
    )


def _unit_factors(src: list[pint.Unit], stock: list[pint.Unit], items: Sequence[str],
                  field: str) -> FloatArray:
    """Exact stock units per ``src`` unit, per item; another dimension is a ``UnitError``."""
    out = np.empty(len(stock), dtype=np.float64)
    for k, (s_unit, t_unit) in enumerate(zip(stock, src, strict=True)):
        if s_unit.dimensionality != t_unit.dimensionality:
            raise UnitError(
                f"{field} of {items[k]!r} is {str(t_unit)!r} ({dimension_of(t_unit)}) but stock "
                f"is in {str(s_unit)!r} ({dimension_of(s_unit)})", field=field,
                value=str(t_unit), row=k)
        out[k] = float(_factor(t_unit, s_unit, field))
    return out


@functools.lru_cache(maxsize=256)
def _factor(src: pint.Unit, dst: pint.Unit, field: str) -> Fraction:
    """Exact ``dst`` per ``src``, once per pair of units (not once per item)."""
    return exact_factor(src, dst, field=field)


def _expand(factors: FloatArray, ndim: int) -> FloatArray:
    return factors.reshape((-1,) + (1,) * max(ndim - 1, 0))


def _caps(
    caps: Mapping[str, float] | float | None, categories: Sequence[str] | None,
    items: tuple[str, ...],
) -> FloatArray:
    n = len(items)
    if caps is None:
        return np.full(n, np.inf)
    if not isinstance(caps, Mapping):
        value = _one(as_float_array(caps, "caps", min_value=0.0), caps, "caps")
        return np.full(n, value)
    if categories is None:
        raise bad_value("categories", None, "one category per item when caps is a mapping")
    cats = list(categories)
    if len(cats) != n:
        raise bad_value("categories", len(cats), f"one category per item ({n})")
    out = np.full(n, np.inf)
    for k, cat in enumerate(cats):
        if cat in caps:
            out[k] = _one(as_float_array(caps[cat], f"caps.{cat}", min_value=0.0), caps[cat],
                          f"caps.{cat}")
    return out


def _one(arr: FloatArray, value: object, field: str) -> float:
    """The single number ``arr`` holds (a list where one value belongs is refused, not read)."""
    if arr.ndim:
        raise bad_value(field, value, "a single number (one value, not a list)")
    return float(arr)
