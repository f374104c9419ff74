"""Table turnover → covers → dishes → ingredients → as purchased → prep quantity; par and orders.

The chain (备货量, prep quantity)
--------------------------------
For dine-in (堂食)::

    covers      = tables × uses_per_table × guests_per_table
    portions_d  = covers × take_rate_d              (点菜率: portions of dish d per cover)
    edible_i    = Σ_d portions_d × recipe[d, i]     (edible portion, EP)
    as_purch_i  = edible_i / yield_i                (出成率 = EP ÷ AP, yield ≤ 1)
    prep_i,c    = gross_up(as_purch_i,c, loss_i,c)  (channel loss, in its stated convention)

Takeaway (外卖) and group meals (团餐) replace ``covers`` by their own order forecasts (orders ×
dishes per order); everything after the first line is the same, with the channel's own loss.

Table turnover (翻台率) has two definitions in the trade, and this module names them:

* ``"uses_per_table"``: seatings ÷ tables. A 30-table room seating 114 parties turns 3.8.
* ``"extra_uses_per_table"``: (seatings − tables) ÷ tables, i.e. turns *after* the first seating.
  The same day is 2.8.

So ``uses_per_table = extra_uses_per_table + 1``; :func:`covers` requires the definition.

Par level and order (订货)::

    par   = usage_per_day × days_of_cover + safety
    need  = max(par − on_hand, 0)
    order = need in whole purchase packs (jxc_rules.packaging.ship_plan_batch, mode "up")

Sources
-------
* Covers and table turns: Kimes, S. E. (1999) "Implementing restaurant revenue management: a
  five-step approach", *Cornell Hotel and Restaurant Administration Quarterly* 40(3) — seat
  occupancy, table turns and covers. Both readings of 翻台率 are in use in Chinese catering
  practice; we know of no single authoritative standard, which is why both are named here and
  neither is a default.
* EP/AP yield: USDA *Food Buying Guide for Child Nutrition Programs*.
* Par levels: Dopson & Hayes, *Food and Beverage Cost Control*, "par levels" (usage × days between
  deliveries + safety stock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Final, Literal, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt
import pint

from jxc_rules._internal.arrays import (
    as_float_array,
    broadcast_arrays,
    name_list,
    require_numbers,
    scalar_float,
)
from jxc_rules._internal.exact import to_fraction
from jxc_rules.bom import Bom, explode
from jxc_rules.errors import UnitError, UnknownItemError, ValidationError, bad_value
from jxc_rules.rounding import check_mode, round_array
from jxc_rules.units import (
    dimension_of,
    exact_factor,
    magnitude,
    parse_quantity,
    parse_unit,
    unit_of,
)
from jxc_rules.wastage.models import (
    CAUSES,
    ChannelLossModel,
    _checked,
    _rates,
    canonical_channel,
    check_convention,
    gross_up,
)

__all__ = [
    "TURNOVER_DEFINITIONS",
    "OrderPlan",
    "PrepChain",
    "PrepPlan",
    "RecipeMatrix",
    "TurnoverDefinition",
    "convert_turnover",
    "covers",
    "dish_portions",
    "ingredient_demand",
    "order_quantities",
    "par_level",
    "prep_chain",
    "prep_plan",
    "prep_quantities",
    "recipe_matrix",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
TurnoverDefinition: TypeAlias = Literal["uses_per_table", "extra_uses_per_table"]
TURNOVER_DEFINITIONS: Final[tuple[str, ...]] = ("uses_per_table", "extra_uses_per_table")


def _out(arr: FloatArray) -> float | FloatArray:
    return float(arr) if arr.ndim == 0 else arr


def _check_definition(definition: object, field: str = "turnover_definition") -> str:
    if not isinstance(definition, str) or definition not in TURNOVER_DEFINITIONS:
        raise bad_value(field, definition, "'uses_per_table' (seatings ÷ tables) or "
                        "'extra_uses_per_table' ((seatings − tables) ÷ tables)")
    return str(definition)


def _uses_per_table(turnover: npt.ArrayLike, definition: str) -> FloatArray:
    if definition == "uses_per_table":
        return as_float_array(turnover, "turnover", min_value=0.0)
    return as_float_array(turnover, "turnover", min_value=-1.0) + 1.0


# ---------------------------------------------------------------- turnover and covers


def convert_turnover(
    turnover: npt.ArrayLike, from_definition: str, to_definition: str
) -> float | FloatArray:
    """Table turnover (翻台率) restated from one definition to the other.

    >>> convert_turnover(3.8, "uses_per_table", "extra_uses_per_table")
    2.8
    >>> convert_turnover(2.8, "extra_uses_per_table", "uses_per_table")
    3.8
    """
    src = _check_definition(from_definition, "from_definition")
    dst = _check_definition(to_definition, "to_definition")
    uses = _uses_per_table(turnover, src)
    out = uses if dst == "uses_per_table" else uses - 1.0
    # round away the float noise of ± 1 (3.8 − 1 = 2.8, not 2.7999999999999998); beyond 1e290
    # rounding to 12 places would overflow and means nothing: those stay as they are
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = np.round(out, 12)
    return _out(np.where(np.abs(out) < 1e290, rounded, out))


def covers(
    tables: npt.ArrayLike,
    turnover: npt.ArrayLike,
    guests_per_table: npt.ArrayLike,
    *,
    turnover_definition: str,
) -> float | FloatArray:
    """Dine-in covers (就餐人次) = tables × uses per table × guests per table.

    Parameters
    ----------
    tables : array_like
        Tables in service (>= 0).
    turnover : array_like
        Table turnover (翻台率) in ``turnover_definition``.
    guests_per_table : array_like
        Average party size per seating (>= 0).
    turnover_definition : {"uses_per_table", "extra_uses_per_table"}
        Required: seatings ÷ tables, or (seatings − tables) ÷ tables.

    Returns
    -------
    float or ndarray
        Covers; arrays broadcast (e.g. days × stores).

    Examples
    --------
    >>> round(covers(30, 3.8, 3.2, turnover_definition="uses_per_table"), 6)
    364.8
    >>> round(covers(30, 2.8, 3.2, turnover_definition="extra_uses_per_table"), 6)
    364.8
    """
    definition = _check_definition(turnover_definition)
    t = as_float_array(tables, "tables", min_value=0.0)
    uses = _uses_per_table(turnover, definition)
    g = as_float_array(guests_per_table, "guests_per_table", min_value=0.0)
    # documented: numpy broadcasting (tables per store against turnover per day and store)
    t, uses, g = broadcast_arrays(strict=False, tables=t, turnover=uses, guests_per_table=g)
    try:
        with np.errstate(over="raise"):  # the FPU flag: no pass over the data
            return _out(np.asarray(t * uses * g, dtype=np.float64))
    except FloatingPointError:
        raise bad_value("tables", "tables x uses x guests beyond float range",
                        "a service whose covers are within float range") from None


# ---------------------------------------------------------------- recipes


@attrs.frozen(eq=False)
class RecipeMatrix:
    """A recipe set as a dense ``dishes × ingredients`` matrix (quantity per portion).

    ``units[j]`` is ingredient ``j``'s unit (kg for masses); ``basis`` says whether quantities are
    edible portion (``"edible"``, yield still to apply) or already as purchased
    (``"as_purchased"``, yield must not be applied again).
    """

    dishes: tuple[str, ...]
    ingredients: tuple[str, ...]
    units: tuple[str, ...]
    matrix: FloatArray
    basis: Literal["edible", "as_purchased"] = "edible"

    def index(self, ingredient: str) -> int:
        try:
            return self.ingredients.index(ingredient)
        except ValueError:
            raise UnknownItemError(f"unknown ingredient {ingredient!r}", key=ingredient) from None


def _canonical_unit(unit: pint.Unit) -> str:
    dim = dimension_of(unit)
    return {"mass": "kg", "count": "piece", "volume": "L"}.get(dim, str(unit))


def recipe_matrix(
    recipe: Any,
    dishes: Sequence[str] | None = None,
    *,
    unit: str = "kg",
    basis: str = "edible",
) -> RecipeMatrix:
    """Explode every dish into its ingredients once, as a dense matrix.

    Parameters
    ----------
    recipe : mapping dish → {ingredient: quantity per portion}, or a ``jxc_rules.bom.Bom``
        Quantities are numbers in ``unit`` or strings such as ``"150 g"`` / ``"2 pcs"``; each
        ingredient is kept in one canonical unit (kg for masses, pieces for counts) and a
        quantity of another dimension for the same ingredient is a ``UnitError``. A ``Bom`` is
        exploded with ``jxc_rules.bom.explode(bom, dish, 1)`` (multi-level, exact) and each leaf
        converted from its BOM stock unit to the canonical one (plain counts stay unitless).
    dishes : sequence of str, optional
        Row order (default: the mapping's order, or the BOM's non-leaf items sorted).
    unit : str
        Unit of plain-number quantities.
    basis : {"edible", "as_purchased"}
        What the quantities mean (see :class:`RecipeMatrix`).

    Examples
    --------
    >>> r = recipe_matrix({"beef_hotpot": {"beef": "150 g", "tofu": 0.05},
    ...                    "veg_platter": {"spinach": "2 两"}})
    >>> r.ingredients, r.units
    (('beef', 'tofu', 'spinach'), ('kg', 'kg', 'kg'))
    >>> r.matrix.tolist()
    [[0.15, 0.05, 0.0], [0.0, 0.0, 0.1]]
    """
    if not isinstance(basis, str) or basis not in ("edible", "as_purchased"):
        raise bad_value("basis", basis, "'edible' or 'as_purchased'")
    if isinstance(recipe, Bom):
        return _bom_matrix(recipe, dishes, basis)
    if not isinstance(recipe, Mapping) or not recipe:
        raise bad_value("recipe", recipe, "a non-empty mapping dish -> {ingredient: qty} or a Bom")
    default_unit = parse_unit(unit, "unit")
    names = list(recipe) if dishes is None else list(dishes)
    if len(set(names)) != len(names):
        raise bad_value("dishes", names, "distinct dish names")
    ingredients: dict[str, int] = {}
    units: list[str] = []
    entries: list[tuple[int, int, float]] = []
    for row, dish in enumerate(names):
        if dish not in recipe:
            raise UnknownItemError(f"recipe has no dish {dish!r}", key=dish)
        lines = recipe[dish]
        if not isinstance(lines, Mapping):
            raise bad_value(f"recipe.{dish}", lines, "a mapping ingredient -> quantity")
        for ingredient, qty in lines.items():
            field = f"recipe.{dish}.{ingredient}"
            if isinstance(qty, str) and not _is_number(qty):
                mag, src = parse_quantity(qty, field)
            elif isinstance(qty, pint.Quantity):
                mag, src = to_fraction(qty.magnitude, field), parse_unit(unit_of(qty, field), field)
            else:
                mag, src = to_fraction(qty, field), default_unit
            if mag < 0:
                raise bad_value(field, qty, "a quantity >= 0")
            col = ingredients.get(ingredient)
            if col is None:
                col = ingredients[ingredient] = len(units)
                units.append(_canonical_unit(src))
            try:
                factor = exact_factor(src, units[col], field=field)
            except UnitError:
                raise UnitError(
                    f"{field}: {qty!r} is a {dimension_of(src)} quantity but {ingredient!r} is "
                    f"measured in {units[col]!r} ({dimension_of(units[col])}) elsewhere in the "
                    "recipe", field=field, value=qty) from None
            entries.append((row, col, scalar_float(mag * factor, field,
                                                   "a quantity within float range")))
    matrix = np.zeros((len(names), len(units)), dtype=np.float64)
    for row, col, value in entries:
        matrix[row, col] += value
    return RecipeMatrix(tuple(names), tuple(ingredients), tuple(units), matrix,
                        "edible" if basis == "edible" else "as_purchased")


def _is_number(text: str) -> bool:
    try:
        to_fraction(text)
    except ValidationError:
        return False
    return True


def _bom_matrix(bom: Bom, dishes: Sequence[str] | None, basis: str) -> RecipeMatrix:
    if dishes is None:  # top items: the dishes (sub-recipes such as a broth base are exploded)
        codes = bom.low_level_codes()
        names = sorted(i for i in bom.items if codes.get(i, 0) == 0 and i not in bom.leaves)
    else:
        names = list(dishes)
    rows: list[dict[str, Fraction]] = []
    for dish in names:
        if dish not in bom:
            raise UnknownItemError(f"BOM has no dish {dish!r}", key=dish)
        rows.append(explode(bom, dish, 1))
    ingredients = sorted({leaf for row in rows for leaf in row})
    units: list[str] = []
    factors: list[Fraction] = []
    for leaf in ingredients:
        stock = bom.stock_unit(leaf)
        if stock is None:
            units.append("")
            factors.append(Fraction(1))
        else:
            target = _canonical_unit(parse_unit(stock, f"unit of {leaf}"))
            units.append(target)
            factors.append(exact_factor(stock, target, field=f"unit of {leaf}"))
    col = {name: j for j, name in enumerate(ingredients)}
    matrix = np.zeros((len(names), len(ingredients)), dtype=np.float64)
    for i, row in enumerate(rows):
        for leaf, qty in row.items():
            matrix[i, col[leaf]] = float(qty * factors[col[leaf]])
    return RecipeMatrix(tuple(names), tuple(ingredients), tuple(units), matrix,
                        "edible" if basis == "edible" else "as_purchased")


# ---------------------------------------------------------------- demand


def dish_portions(drivers: npt.ArrayLike, take_rates: npt.ArrayLike) -> FloatArray:
    """Portions per dish, day and channel: ``take_rate[d, c] × driver[t, c]``.

    Parameters
    ----------
    drivers : array (days, channels)
        Covers for dine-in; order forecasts (orders or meals) for takeaway and group meals.
    take_rates : array (dishes, channels) or (dishes, days, channels)
        Portions of each dish per cover / per order (点菜率).

    Returns
    -------
    ndarray (dishes, days, channels)

    Examples
    --------
    >>> dish_portions([[364.8]], [[0.35]]).round(6).tolist()
    [[[127.68]]]
    """
    d = as_float_array(drivers, "drivers", min_value=0.0)
    r = as_float_array(take_rates, "take_rates", min_value=0.0)
    if d.ndim != 2:
        raise bad_value("drivers", d.shape, "a (days, channels) array")
    if r.ndim == 2:
        r = r[:, None, :]
    if r.ndim != 3:
        raise bad_value("take_rates", r.shape, "a (dishes, channels) or (dishes, days, channels) "
                        "array")
    if not _compatible(r, d):
        _shape_error(r, d)
    return np.asarray(r * d[None, :, :], dtype=np.float64)


def _compatible(r: FloatArray, d: FloatArray) -> bool:
    try:
        np.broadcast_shapes(r.shape, (1, *d.shape))
    except ValueError:
        return False
    return True


def _shape_error(r: FloatArray, d: FloatArray) -> None:
    raise ValidationError(f"take_rates{r.shape} and drivers{d.shape} do not broadcast "
                          "(expected take_rates (dishes, [days,] channels), drivers (days, "
                          "channels))", field="take_rates,drivers")


def ingredient_demand(portions: npt.ArrayLike, recipe: RecipeMatrix) -> FloatArray:
    """Ingredient quantities ``Σ_d portions[d, ...] × recipe[d, i]`` → (ingredients, ...).

    >>> r = recipe_matrix({"beef_plate": {"beef": 0.15}})
    >>> ingredient_demand([[[127.68]]], r).round(6).tolist()
    [[[19.152]]]
    """
    p = as_float_array(portions, "portions", min_value=0.0)
    if p.ndim == 0 or p.shape[0] != len(recipe.dishes):
        raise bad_value("portions", p.shape,
                        f"an array whose first axis is the {len(recipe.dishes)} dishes")
    try:
        with np.errstate(over="raise"):  # the FPU flag: no pass over the result
            return np.asarray(np.tensordot(recipe.matrix.T, p, axes=1), dtype=np.float64)
    except FloatingPointError:
        raise bad_value("portions", "portions x recipe quantities beyond float range",
                        "portions whose ingredient demand is within float range") from None


def prep_quantities(
    edible: npt.ArrayLike,
    *,
    yields: npt.ArrayLike = 1.0,
    losses: npt.ArrayLike = 0.0,
    convention: str = "loss",
) -> FloatArray:
    """Prep quantity from edible demand: ``gross_up(edible / yield, loss, convention)``.

    Vectorised over items × days × channels. Layout: ``edible`` is ``(items, days, channels)``;
    ``yields`` of shape ``(items,)`` is read as one per item and ``losses`` of shape
    ``(items, channels)`` as one per item and channel (both are expanded over days); other
    shapes broadcast as numpy does.

    Yield (> 0, ≤ 1) and loss are each applied once: prep ≥ as purchased ≥ edible.

    Examples
    --------
    >>> prep_quantities([[[19.152]]], yields=[0.85], losses=[[0.04]]).round(3).tolist()
    [[[23.471]]]
    """
    conv = check_convention(convention)
    e = _checked(edible, "edible", 0.0)
    y = as_float_array(yields, "yields", min_value=0.0, min_inclusive=False, max_value=1.0)
    loss = _rates(losses, conv, conv)
    if e.ndim == 3:
        if y.ndim == 1 and y.shape[0] == e.shape[0]:
            y = y[:, None, None]
        if loss.ndim == 2 and loss.shape == (e.shape[0], e.shape[2]):
            loss = loss[:, None, :]
    try:
        np.broadcast_shapes(e.shape, y.shape, loss.shape)
    except ValueError:
        raise ValidationError(f"edible{e.shape}, yields{y.shape} and losses{loss.shape} do not "
                              "broadcast", field="edible,yields,losses") from None
    # inputs are checked once above; one fused pass per operation, no re-validation
    factor = 1.0 / (y * (1.0 - loss)) if conv == "loss" else (1.0 + loss) / y
    return np.asarray(e * factor, dtype=np.float64)



# ---------------------------------------------------------------- plans


@attrs.frozen(eq=False)
class PrepPlan:
    """Prep quantities with the loss kept apart from the yield, by cause.

    Arrays are ``(items, days, channels)``; ``cause_rates`` is ``(items, channels, causes)``
    (loss convention, causes in the order of ``causes``). Identity:
    ``prep = edible + trim + Σ_causes loss_by_cause`` where ``trim = as_purchased − edible`` is
    the standard yield trim (not a loss) and ``loss_by_cause[..., k] = prep × L_k`` (loss-
    convention causes are shares of the gross). The derived arrays are computed on access, so a
    10⁴ × 365 × 3 plan does not hold five more copies of itself.
    """

    items: tuple[str, ...]
    channels: tuple[str, ...]
    causes: tuple[str, ...]
    edible: FloatArray
    as_purchased: FloatArray
    prep: FloatArray
    cause_rates: FloatArray

    @property
    def trim(self) -> FloatArray:
        """Standard yield trim ``as_purchased − edible`` (not a loss)."""
        return np.asarray(self.as_purchased - self.edible, dtype=np.float64)

    @property
    def loss(self) -> FloatArray:
        """Total channel loss ``prep − as_purchased``."""
        return np.asarray(self.prep - self.as_purchased, dtype=np.float64)

    @property
    def loss_by_cause(self) -> FloatArray:
        """Loss by cause, ``(items, days, channels, causes)``."""
        return np.asarray(self.prep[..., None] * self.cause_rates[:, None, :, :],
                          dtype=np.float64)

    @property
    def prep_by_item_day(self) -> FloatArray:
        """Prep summed over channels: ``(items, days)``."""
        return np.asarray(self.prep.sum(axis=-1), dtype=np.float64)

    def loss_report(self) -> dict[str, dict[str, float]]:
        """Channel → cause → total quantity lost (plus ``"yield_trim"``), summed over items/days."""
        out: dict[str, dict[str, float]] = {}
        prep_ic = self.prep.sum(axis=1)  # (items, channels)
        by_cause = np.einsum("ic,ick->ck", prep_ic, self.cause_rates)
        trim = self.as_purchased.sum(axis=(0, 1)) - self.edible.sum(axis=(0, 1))
        for c, channel in enumerate(self.channels):
            row = {cause: float(by_cause[c, k]) for k, cause in enumerate(self.causes)}
            row["yield_trim"] = float(trim[c])
            out[channel] = row
        return out


def prep_plan(
    model: ChannelLossModel,
    edible: npt.ArrayLike,
    items: Sequence[str],
    channels: Sequence[str] | None = None,
    *,
    basis: str = "edible",
) -> PrepPlan:
    """Prep quantities for ``edible`` demand ``(items, days, channels)`` under ``model``.

    ``basis="as_purchased"`` says the demand already is as purchased (e.g. from a recipe stated
    in AP quantities): the model's yields are then not applied again.

    Examples
    --------
    >>> m = ChannelLossModel.from_mapping({"convention": "loss",
    ...     "channels": {"dine_in": {"plate": 0.02, "prep": 0.02}}, "yields": {"beef": 0.85}})
    >>> plan = prep_plan(m, [[[19.152]]], ["beef"])
    >>> round(float(plan.prep[0, 0, 0]), 3), round(float(plan.trim[0, 0, 0]), 3)
    (23.471, 3.38)
    """
    if not isinstance(basis, str) or basis not in ("edible", "as_purchased"):
        raise bad_value("basis", basis, "'edible' or 'as_purchased'")
    chans = model.channel_names if channels is None else tuple(
        canonical_channel(c) for c in name_list(channels, "channels", "channel names"))
    item_names = name_list(items, "items", "item names")
    e = _checked(edible, "edible", 0.0)
    if e.ndim != 3 or e.shape[0] != len(item_names) or e.shape[2] != len(chans):
        raise bad_value("edible", e.shape, f"an (items={len(item_names)}, days, "
                        f"channels={len(chans)}) array")
    yields = model.yield_array(item_names) if basis == "edible" else np.ones(len(item_names))
    causes = model.cause_array(item_names, chans, convention="loss")  # (items, channels, causes)
    loss = causes.sum(axis=-1)
    as_purchased = e / yields[:, None, None]
    prep = np.asarray(gross_up(as_purchased, loss[:, None, :]), dtype=np.float64)
    return PrepPlan(item_names, chans, CAUSES, e, as_purchased, prep, causes)


@attrs.frozen
class PrepChain:
    """The worked-example chain for one dish/ingredient on dine-in, step by step."""

    covers: float | FloatArray
    portions: float | FloatArray
    edible: float | FloatArray
    as_purchased: float | FloatArray
    prep: float | FloatArray


def prep_chain(
    tables: npt.ArrayLike,
    turnover: npt.ArrayLike,
    guests_per_table: npt.ArrayLike,
    take_rate: npt.ArrayLike,
    portion: npt.ArrayLike,
    *,
    turnover_definition: str,
    yield_fraction: npt.ArrayLike = 1.0,
    loss: npt.ArrayLike = 0.0,
    convention: str,
) -> PrepChain:
    """Tables → covers → portions → edible → as purchased → prep, every step kept (broadcasts).

    ``convention`` is required: the loss is refused without one.

    Examples
    --------
    >>> c = prep_chain(30, 3.8, 3.2, 0.35, 0.15, turnover_definition="uses_per_table",
    ...                yield_fraction=0.85, loss=0.04, convention="loss")
    >>> [round(float(x), 3) for x in (c.covers, c.edible, c.as_purchased, c.prep)]
    [364.8, 19.152, 22.532, 23.471]
    """
    conv = check_convention(convention)
    try:
        with np.errstate(over="raise"):  # the FPU flag: no pass over the data
            return _prep_chain(tables, turnover, guests_per_table, take_rate, portion,
                               yield_fraction, loss, conv, turnover_definition)
    except FloatingPointError:
        raise bad_value("tables", "a service beyond float range", "tables, turnover, guests "
                        "and portions whose covers and prep quantities are within float range"
                        ) from None


def _prep_chain(tables: Any, turnover: Any, guests_per_table: Any, take_rate: Any,
                portion: Any, yield_fraction: Any, loss: Any, conv: Any,
                turnover_definition: Any) -> PrepChain:
    cov = np.asarray(covers(tables, turnover, guests_per_table,
                            turnover_definition=turnover_definition), dtype=np.float64)
    rate = as_float_array(take_rate, "take_rate", min_value=0.0)
    size = as_float_array(portion, "portion", min_value=0.0)
    y = as_float_array(yield_fraction, "yield_fraction", min_value=0.0, min_inclusive=False,
                       max_value=1.0)
    loss_arr = _rates(loss, conv, "loss")
    broadcast_arrays(strict=False, covers=cov, take_rate=rate, portion=size,  # "(broadcasts)"
                     yield_fraction=y, loss=loss_arr)
    portions = cov * rate
    edible = portions * size
    ap = edible / y
    prep = np.asarray(gross_up(ap, loss_arr, convention=conv), dtype=np.float64)
    return PrepChain(_out(cov), _out(np.asarray(portions)), _out(np.asarray(edible)),
                     _out(np.asarray(ap)), _out(prep))


# ---------------------------------------------------------------- par and orders


def _numbers(value: Any, field: str) -> Any:
    """``value`` unchanged, once plain numbers are known to be numbers: ``magnitude`` reads a
    list as float64 and would take ``[True, 2]`` as ``[1, 2]`` and ``["10"]`` as ten."""
    if not isinstance(value, (str, pint.Quantity)):
        require_numbers(value, field)
    return value


def par_level(
    usage_per_day: Any, days_of_cover: npt.ArrayLike, safety: Any = 0.0, *, unit: str | None = None
) -> float | FloatArray:
    """Par level (标准库存) = usage per day × days of cover + safety stock.

    ``usage_per_day`` and ``safety`` may be Quantities / strings (converted to ``unit``, which
    then is required) or plain numbers in one unit.

    >>> par_level(23.471, 2, 5.0)
    51.942
    >>> par_level("10 斤", 2, "1 kg", unit="kg")
    11.0
    """
    usage, safe = usage_per_day, safety
    if unit is not None:
        usage = np.asarray(magnitude(_numbers(usage, "usage_per_day"), unit,
                                     field="usage_per_day"))
        safe = np.asarray(magnitude(_numbers(safe, "safety"), unit, field="safety"))
    u = as_float_array(usage, "usage_per_day", min_value=0.0)
    d = as_float_array(days_of_cover, "days_of_cover", min_value=0.0)
    s = as_float_array(safe, "safety", min_value=0.0)
    u, d, s = broadcast_arrays(usage_per_day=u, days_of_cover=d, safety=s)
    try:
        with np.errstate(over="raise"):  # the FPU flag: no pass over the data
            return _out(np.asarray(u * d + s, dtype=np.float64))
    except FloatingPointError:
        raise bad_value("usage_per_day", "usage x days_of_cover + safety beyond float range",
                        "a par level within float range") from None


@attrs.frozen(eq=False)
class OrderPlan:
    """Purchase order lines: ``need = max(par − on_hand, 0)``, ``packs`` whole purchase packs,
    ``ordered = packs × pack size`` and ``residual = need − ordered`` (≤ 0 with mode ``"up"``),
    all in ``unit``."""

    need: FloatArray
    packs: npt.NDArray[np.int64]
    ordered: FloatArray
    residual: FloatArray
    unit: str | None


def order_quantities(
    par: Any,
    on_hand: Any,
    *,
    pack_size: Any = None,
    mode: str = "up",
    unit: str | None = None,
    decimals: int = 3,
) -> OrderPlan:
    """Order = max(par − on hand, 0) in whole purchase packs (via ``jxc_rules.packaging``).

    Parameters
    ----------
    par, on_hand : array_like, array Quantity or quantity string
        In ``unit`` (required when either is a Quantity/string; both are converted to it, so an
        on-hand count in 斤 against a par in kg is fine, and a count against a mass is a
        ``UnitError``).
    pack_size : scalar, array (per line), str or Quantity, optional
        Purchase pack (``"10 kg"``); without it the need is ordered as is, rounded to
        ``10**-decimals``.
    mode : str
        Rounding of the number of packs; ``"up"`` (default) never orders less than the need.
    decimals : int
        The need is first rounded *up* to ``10**-decimals`` of ``unit`` (1 g for kg), the
        resolution of :func:`jxc_rules.packaging.ship_plan_batch`.

    Examples
    --------
    >>> plan = order_quantities([51.942, 8.0], [12.5, 10.0], pack_size="10 kg", unit="kg")
    >>> plan.packs.tolist(), plan.ordered.tolist()
    ([4, 0], [40.0, 0.0])
    """
    from jxc_rules.packaging import ship_plan_batch

    check_mode(mode)
    if unit is not None:
        par_v = np.asarray(magnitude(_numbers(par, "par"), unit, field="par"))
        hand_v = np.asarray(magnitude(_numbers(on_hand, "on_hand"), unit, field="on_hand"))
    else:
        for name, value in (("par", par), ("on_hand", on_hand)):
            if isinstance(value, (str, pint.Quantity)):
                raise bad_value("unit", None, f"given when {name} carries a unit", error=UnitError)
        par_v, hand_v = par, on_hand
    p = as_float_array(par_v, "par", min_value=0.0)
    h = as_float_array(hand_v, "on_hand", min_value=0.0)
    p, h = broadcast_arrays(par=p, on_hand=h)
    need = np.maximum(p - h, 0.0)
    step = 10.0 ** -decimals
    scale = 10.0 ** decimals
    # rounded up to the step, then snapped to the float nearest k / 10**decimals (a division by
    # an exact power of ten is correctly rounded; k × 0.001 is not), the value packaging expects
    need_r = np.rint(round_array(need, step, "ceiling") * scale) / scale
    if pack_size is None:
        packs = np.zeros(need_r.shape, dtype=np.int64)
        return OrderPlan(need, packs, need_r, need - need_r, unit)
    plan = ship_plan_batch(need_r, pack_size, mode=mode, unit=unit, decimals=decimals)
    ordered = np.asarray(plan.shipped, dtype=np.float64)
    return OrderPlan(need, np.asarray(plan.packs, dtype=np.int64), ordered, need - ordered, unit)
