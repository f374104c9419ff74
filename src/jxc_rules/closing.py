"""Month-end close (月结) for products priced per tonne and stocked in bags.

Model
-----
Per product (a :class:`~jxc_rules.packaging.ProductProfile` with a mass price unit and a nominal
pack content of whole grams) the close takes

* the **opening** stock: bags and value (no bags, no value);
* the **journal** of movements in posting order: receipts (bags, cost price per price unit) and
  shipments (bags, selling price per price unit, optionally the ordered quantity from the sales
  document and the weighbridge net weight 地磅单);
* a **physical count** (盘点): whole bags, broken bags (破袋) and the loose kilograms recovered
  from them.

Inside, quantities are ``int`` grams and money ``int`` fen; every output is exact ``Decimal``.

Formulas
--------
* Receipt value ``= round(bags × content × cost_price, 0.01)``.
* **Moving-average cost** (移动加权平均): within a run of shipments between two receipts the
  average ``V/B`` (value and bags on hand after the receipt) is constant; a shipment whose
  cumulative bags in the run reach ``c`` has cumulative cost ``round(V·c/B, 0.01)``, and its COGS is
  the difference of consecutive cumulative costs. COGS therefore telescopes: shipping everything
  takes exactly the value on hand, and no fen drifts. Only the per-run totals need a sequential
  pass (one Python step per receipt); every shipment's COGS is then computed with numpy.
* **Booked** quantity of a shipment: its weighbridge weight when the profile invoices on
  ``"actual"`` weight and a weight is given, else the ordered quantity, else the nominal
  ``bags × content``.
* **Variance table** (positive = stock gone that no document booked):

  ==================  ================  ===============================  =====================
  cause               bags              tonnes                           value
  ==================  ================  ===============================  =====================
  ``order_residual``  0                 Σ (nominal − ordered)            0 (cost is per bag)
  ``catch_weight``    0                 Σ (nominal − weighbridge)        0 (cost is per bag)
  ``count_difference``book − counted    (book − counted − broken) ×      ``round(V·d/B)``
                      − broken          content
  ``broken_bags``     broken            broken × content − loose         rest of the write-off
  ==================  ================  ===============================  =====================

  (``order_residual`` sums the lines booked at their ordered quantity, ``catch_weight`` the lines
  booked at their weighbridge weight; weighed lines outside the profile's tolerance are listed in
  the row's ``flagged`` documents either way.) The write-off of count difference + broken bags is
  rounded once and split, so it never exceeds the book value.
* **Identity**, exact in bags, tonnes and fen::

      opening + receipts − shipments − Σ variances = closing

* Revenue = Σ line amounts on the profile's invoice basis; gross margin (实时毛利) = revenue − COGS.

The close is a pure function: on any error (unknown SKU, duplicate document id, a shipment beyond
stock) it raises and nothing is booked.

References: moving weighted average cost as in 企业会计准则第1号——存货 (CAS 1, 2006) art. 14 and
IAS 2 §25–27; rounding per :mod:`jxc_rules.rounding`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt
import pint

from jxc_rules._internal.arrays import require_numbers
from jxc_rules._internal.exact import fraction_to_decimal, to_fraction
from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    UnknownItemError,
    ValidationError,
    bad_value,
)
from jxc_rules.money import from_fen, whole_fen
from jxc_rules.packaging import ProductProfile, _to_units
from jxc_rules.rounding import round_quotient
from jxc_rules.units import check_dimension, exact_factor, parse_quantity, parse_unit, unit_of

__all__ = [
    "CAUSES",
    "Journal",
    "MonthEndClose",
    "Opening",
    "ProductClose",
    "Receipt",
    "Shipment",
    "StockBook",
    "StockCount",
    "VarianceRow",
    "close_month",
    "journal",
]

CAUSES: Final[tuple[str, ...]] = (
    "order_residual", "catch_weight", "count_difference", "broken_bags",
)
RECEIPT: Final = 1
SHIPMENT: Final = -1
_PRICE_SCALE: Final = 10**4  # prices in 1e-4 yuan per price unit
_NONE: Final = -1  # "no value" in the int64 gram columns

IntArray = npt.NDArray[np.int64]


def _grams(value: object, field: str, *, default_unit: str = "kg") -> int:
    """An exact whole number of grams from ``"12.35 t"``, a Quantity or a number of kg."""
    if isinstance(value, str):
        mag, unit = parse_quantity(value, field)
        if not str(unit) or str(unit) == "dimensionless":
            unit = parse_unit(default_unit)
        grams = mag * exact_factor(unit, "g", field=field)
    elif isinstance(value, pint.Quantity):
        grams = to_fraction(value.magnitude, field) * exact_factor(unit_of(value, field), "g",
                                                                     field=field)
    else:
        grams = to_fraction(value, field) * exact_factor(default_unit, "g", field=field)
    if grams.denominator != 1:
        raise bad_value(field, value, "a whole number of grams")
    if grams < 0:
        raise bad_value(field, value, "a quantity >= 0")
    return int(grams)


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise bad_value(field, value, "a whole number of bags")
    if value < 0:
        raise bad_value(field, value, "a number of bags >= 0")
    return int(value)


def _ordered_g(value: object) -> int | None:
    return None if value is None else _grams(value, "ordered")


def _actual_g(value: object) -> int | None:
    return None if value is None else _grams(value, "actual")


def _bags(value: object) -> int:
    bags = _count(value, "bags")
    if bags == 0:
        raise bad_value("bags", value, "a whole number of bags > 0")
    return bags


def _opening_bags(value: object) -> int:
    return _count(value, "opening.bags")


def _opening_value(value: object) -> Decimal:
    return from_fen(whole_fen(value, "opening.value"))


def _count_bags(value: object) -> int:
    return _count(value, "count.bags")


def _count_broken(value: object) -> int:
    return _count(value, "count.broken_bags")


def _count_loose(value: object) -> int:
    return _grams(value, "count.loose")


def _price(value: object) -> Fraction:
    p = to_fraction(value, "price")
    if p < 0:
        raise bad_value("price", value, "a price >= 0")
    if p * _PRICE_SCALE >= 2**62:
        raise bad_value("price", value, "a price below 4.6e14 yuan per price unit (fix the "
                        "price: it does not fit the close's exact 1e-4 yuan column)")
    return p


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------

@attrs.frozen
class Receipt:
    """A goods receipt (入库单): ``bags`` at ``price`` yuan per the profile's price unit."""

    doc_id: str
    sku: str
    bags: int = attrs.field(converter=_bags)
    price: Fraction = attrs.field(converter=_price)


@attrs.frozen
class Shipment:
    """A shipment (出库单): ``bags`` sold at ``price`` per price unit; ``ordered`` is the sales
    document's quantity (``"12.35 t"``), ``actual`` the weighbridge net weight (``"12.402 t"``);
    both optional, stored as whole grams (plain numbers are kg)."""

    doc_id: str
    sku: str
    bags: int = attrs.field(converter=_bags)
    price: Fraction = attrs.field(converter=_price)
    ordered: int | None = attrs.field(default=None, converter=_ordered_g)
    actual: int | None = attrs.field(default=None, converter=_actual_g)


@attrs.frozen
class Opening:
    """Opening stock of one product: whole bags and their value (yuan, whole fen). No bags, no
    value: a value without stock has no moving average and would ride on the next receipt."""

    bags: int = attrs.field(converter=_opening_bags)
    value: Decimal = attrs.field(converter=_opening_value)

    def __attrs_post_init__(self) -> None:
        if self.bags == 0 and self.value != 0:
            raise bad_value("opening.value", self.value, "0.00 when opening.bags is 0")


@attrs.frozen
class StockCount:
    """A physical count (盘点): whole bags, broken bags (破袋) and the loose weight recovered from
    them (``"37.5 kg"``; a plain number is kg)."""

    bags: int = attrs.field(converter=_count_bags)
    broken_bags: int = attrs.field(default=0, converter=_count_broken)
    loose: int = attrs.field(default=0, converter=_count_loose)




@attrs.frozen(eq=False)
class Journal:
    """Movements in posting order, column by column (build with :func:`journal` or
    :meth:`from_records`).

    ``kind`` is +1 for a receipt and −1 for a shipment; ``price_e4`` is the price in 1e-4 yuan per
    the profile's price unit; ``ordered_g`` / ``actual_g`` are whole grams, −1 where absent.
    """

    doc_id: npt.NDArray[Any]
    sku: npt.NDArray[Any]
    kind: npt.NDArray[np.int8]
    bags: IntArray
    price_e4: IntArray
    ordered_g: IntArray
    actual_g: IntArray

    def __len__(self) -> int:
        return int(self.bags.shape[0])

    @classmethod
    def from_records(cls, records: Iterable[Receipt | Shipment | Mapping[str, Any]]) -> Journal:
        """Columns from :class:`Receipt` / :class:`Shipment` objects or mappings with a ``kind``
        key (``"receipt"`` / ``"shipment"``) and the fields of those classes."""
        rows: list[Receipt | Shipment] = []
        if isinstance(records, (str, bytes, Mapping, Receipt, Shipment)) or not isinstance(
                records, Iterable) or (isinstance(records, np.ndarray) and records.ndim == 0):
            raise bad_value("movements", records, "a Journal or a list of Receipt / Shipment "
                            "records (or mappings with a 'kind' key)")
        for i, rec in enumerate(records):
            if isinstance(rec, (Receipt, Shipment)):
                rows.append(rec)
                continue
            if not isinstance(rec, Mapping):
                raise bad_value("movements", rec, "Receipt, Shipment or a mapping", row=i)
            data = dict(rec)
            kind = data.pop("kind", None)
            try:
                if kind == "receipt":
                    rows.append(Receipt(**data))
                elif kind == "shipment":
                    rows.append(Shipment(**data))
                else:
                    raise bad_value("kind", kind, "'receipt' or 'shipment'", row=i)
            except TypeError as exc:
                raise ValidationError(f"movements row {i}: {exc}", field="movements",
                                      row=i) from None
            except ValidationError as exc:
                raise type(exc)(f"{exc} (row {i})", field=exc.field, value=exc.value,
                                row=i) from None
        n = len(rows)
        price_e4 = []
        for i, r in enumerate(rows):
            scaled = r.price * _PRICE_SCALE
            if scaled.denominator != 1:
                raise bad_value("price", fraction_to_decimal(r.price), "at most 4 decimals",
                                row=i)
            price_e4.append(int(scaled))
        return cls(
            doc_id=np.array([r.doc_id for r in rows], dtype=object),
            sku=np.array([r.sku for r in rows], dtype=object),
            kind=np.array([RECEIPT if isinstance(r, Receipt) else SHIPMENT for r in rows],
                          dtype=np.int8).reshape(n),
            bags=np.array([r.bags for r in rows], dtype=np.int64).reshape(n),
            price_e4=np.array(price_e4, dtype=np.int64).reshape(n),
            ordered_g=np.array([_g_or_none(getattr(r, "ordered", None)) for r in rows],
                               dtype=np.int64).reshape(n),
            actual_g=np.array([_g_or_none(getattr(r, "actual", None)) for r in rows],
                              dtype=np.int64).reshape(n),
        )


def _g_or_none(value: int | None) -> int:
    return _NONE if value is None else value


def journal(
    doc_id: Sequence[str] | npt.NDArray[Any],
    sku: Sequence[str] | npt.NDArray[Any],
    kind: Sequence[str] | npt.ArrayLike,
    bags: npt.ArrayLike,
    price: npt.ArrayLike,
    *,
    ordered_kg: npt.ArrayLike | None = None,
    actual_kg: npt.ArrayLike | None = None,
) -> Journal:
    """A :class:`Journal` from arrays (the batch path).

    Parameters
    ----------
    doc_id, sku : sequences of str
    kind : ``"receipt"`` / ``"shipment"`` strings, or +1 / −1
    bags : whole numbers > 0
    price : yuan per the profile's price unit, at most 4 decimals
    ordered_kg, actual_kg : kg with at most 3 decimals (whole grams); NaN where absent

    Examples
    --------
    >>> j = journal(["PO1", "SO1"], ["urea", "urea"], ["receipt", "shipment"], [400, 309],
    ...             [2300, 2850], ordered_kg=[np.nan, 12350])
    >>> j.kind.tolist(), j.ordered_g.tolist()
    ([1, -1], [-1, 12350000])
    """
    ids = np.asarray(doc_id, dtype=object).ravel()
    skus = np.asarray(sku, dtype=object).ravel()
    n = ids.shape[0]
    try:
        kinds_in = np.asarray(kind)
    except (TypeError, ValueError):  # ragged lists
        raise bad_value("kind", kind, "one 'receipt' / 'shipment' (or +1/-1) per row") from None
    if kinds_in.dtype.kind in "iu":
        wide = kinds_in.astype(np.int64).ravel()  # compare before narrowing: 257 is not +1
        bad = (wide != RECEIPT) & (wide != SHIPMENT)
        kinds = wide.astype(np.int8)
    else:
        k = kinds_in.astype(str).ravel()
        kinds = np.where(k == "receipt", RECEIPT, SHIPMENT).astype(np.int8)
        bad = (k != "receipt") & (k != "shipment")
    if bad.any():
        row = int(np.argmax(bad))
        raise bad_value("kind", kinds_in.ravel()[row], "'receipt' or 'shipment' (or +1/-1)",
                        row=row)
    bag_arr = _to_units(bags, 1, "bags", allow_negative=False,
                        hint=" (whole bags)").ravel()
    if (bag_arr == 0).any():
        raise bad_value("bags", 0, "a whole number of bags > 0", row=int(np.argmax(bag_arr == 0)))
    price_arr = _to_units(price, _PRICE_SCALE, "price", allow_negative=False,
                          hint=" (at most 4 decimals)").ravel()
    cols = {"skus": skus, "kind": kinds, "bags": bag_arr, "price": price_arr}
    for name, col in cols.items():
        if col.shape[0] != n:
            raise ValidationError(f"journal columns differ in length: doc_id has {n} rows, "
                                  f"{name} has {col.shape[0]}", field=name)
    return Journal(doc_id=ids, sku=skus, kind=kinds, bags=bag_arr, price_e4=price_arr,
                   ordered_g=_optional_g_column(ordered_kg, n, "ordered_kg"),
                   actual_g=_optional_g_column(actual_kg, n, "actual_kg"))


def _optional_g_column(values: npt.ArrayLike | None, n: int, field: str) -> IntArray:
    if values is None:
        return np.full(n, _NONE, dtype=np.int64)
    require_numbers(values, field)
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except OverflowError:
        raise bad_value(field, "a number beyond float range", "kg below 2**50 grams") from None
    except (TypeError, ValueError):
        raise bad_value(field, values, "numbers in kg (NaN where absent)") from None
    if arr.shape[0] != n:
        raise ValidationError(f"{field} has {arr.shape[0]} rows, expected {n}", field=field)
    absent = np.isnan(arr)
    grams = _to_units(np.where(absent, 0.0, arr), 1000, field, allow_negative=False,
                      hint=" (whole grams)")
    return np.where(absent, _NONE, grams).astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Outputs
# ----------------------------------------------------------------------------------------------

@attrs.frozen
class VarianceRow:
    """One row of the variance table: its ``cause`` (one of :data:`CAUSES`), the bags, tonnes
    and value (yuan) it takes out of stock (negative = a gain), and the documents behind it
    (``flagged``: weighed shipments outside the catch-weight tolerance)."""

    sku: str
    cause: str
    bags: int
    tonnes: Decimal
    value: Decimal
    documents: tuple[str, ...] = ()
    flagged: tuple[str, ...] = ()


@attrs.frozen
class ProductClose:
    """The close of one product; every figure exact. ``*_t`` are tonnes, values are yuan.

    Identity (checked by :meth:`identity_holds`)::

        opening + receipts − shipments − Σ variances = closing   (bags, tonnes, value)
    """

    sku: str
    opening_bags: int
    opening_t: Decimal
    opening_value: Decimal
    receipts_bags: int
    receipts_t: Decimal
    receipts_value: Decimal
    shipments_bags: int
    shipments_t: Decimal
    cogs: Decimal
    revenue: Decimal
    gross_margin: Decimal
    book_bags: int
    book_t: Decimal
    book_value: Decimal
    closing_bags: int
    closing_loose_kg: Decimal
    closing_t: Decimal
    closing_value: Decimal
    average_cost_per_t: Decimal | None
    variances: tuple[VarianceRow, ...]

    def identity_holds(self) -> bool:
        """``True`` when the close balances exactly in bags, tonnes and value."""
        f = Fraction  # exact sums, whatever the caller's decimal context
        vb = sum(r.bags for r in self.variances)
        vt = sum((f(r.tonnes) for r in self.variances), f(0))
        vv = sum((f(r.value) for r in self.variances), f(0))
        return (
            self.opening_bags + self.receipts_bags - self.shipments_bags - vb == self.closing_bags
            and f(self.opening_t) + f(self.receipts_t) - f(self.shipments_t) - vt
            == f(self.closing_t)
            and f(self.opening_value) + f(self.receipts_value) - f(self.cogs) - vv
            == f(self.closing_value)
        )


@attrs.frozen(eq=False)
class MonthEndClose:
    """The whole close: one :class:`ProductClose` per product, plus the per-movement COGS and
    revenue (int64 fen, aligned with the journal rows; 0 for receipts)."""

    products: dict[str, ProductClose]
    cogs_fen: IntArray
    revenue_fen: IntArray

    def variance_table(self) -> list[VarianceRow]:
        """Every variance row of every product, products in name order."""
        return [row for sku in sorted(self.products) for row in self.products[sku].variances]

    @property
    def total_value(self) -> Decimal:
        """Closing value of all products together."""
        return from_fen(sum(int(Fraction(p.closing_value) * 100) for p in self.products.values()))


# ----------------------------------------------------------------------------------------------
# The close
# ----------------------------------------------------------------------------------------------

def _profiles(profiles: object) -> dict[str, ProductProfile]:
    if isinstance(profiles, ProductProfile):
        items = [profiles]
    elif isinstance(profiles, Mapping):
        items = list(profiles.values())
    elif isinstance(profiles, Iterable):
        items = list(profiles)
    else:
        raise bad_value("profiles", profiles, "ProductProfile objects")
    out: dict[str, ProductProfile] = {}
    for p in items:
        if not isinstance(p, ProductProfile):
            raise bad_value("profiles", p, "a ProductProfile")
        if p.sku in out:
            raise DuplicateError(f"profiles: sku {p.sku!r} appears twice", field="profiles",
                                 value=p.sku)
        out[p.sku] = p
    if not out:
        raise bad_value("profiles", [], "at least one product profile")
    return out


def _content_g(profile: ProductProfile) -> int:
    check_dimension(profile.price_unit, "mass", field=f"price_unit of {profile.sku} (the "
                    "month-end close counts weight)")
    grams = profile.content * exact_factor(profile.price_unit, "g")
    if grams.denominator != 1:
        raise bad_value("pack.content", profile.pack_content, "a whole number of grams")
    return int(grams)


def _per_product(values: object, name: str, cls: type[Any], skus: dict[str, ProductProfile],
                 ) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise bad_value(name, values, f"a mapping of sku to {cls.__name__}")
    out: dict[str, Any] = {}
    for sku, v in values.items():
        if sku not in skus:
            raise UnknownItemError(f"{name}: unknown sku {sku!r}", key=sku)
        if isinstance(v, cls):
            out[sku] = v
        elif isinstance(v, Mapping):
            try:
                out[sku] = cls(**v)
            except TypeError as exc:
                raise ValidationError(f"{name}.{sku}: {exc}", field=f"{name}.{sku}") from None
        elif isinstance(v, (tuple, list)):
            try:
                out[sku] = cls(*v)
            except TypeError as exc:
                raise ValidationError(f"{name}.{sku}: {exc}", field=f"{name}.{sku}") from None
        else:
            raise bad_value(f"{name}.{sku}", v, f"a {cls.__name__}, mapping or tuple")
    return out


def _t(grams: int) -> Decimal:
    return fraction_to_decimal(Fraction(grams, 10**6))


def _yuan(fen: int) -> Decimal:
    return from_fen(fen)


def _amount_fen(grams: IntArray, price_e4: IntArray, factor: Fraction) -> IntArray:
    """round_half_up(grams × factor(g → price unit) × price) in fen, exactly."""
    # fen = grams * price_e4 * factor / 100
    num_mult = factor.numerator
    den = factor.denominator * 100
    bound = float(np.abs(grams).max(initial=0)) * float(price_e4.max(initial=0)) * num_mult
    if bound < 2.0**62 and den < 2**62:
        return round_quotient(grams * price_e4 * np.int64(num_mult), np.int64(den),
                          "half_up").astype(np.int64)
    num = grams.astype(object) * price_e4.astype(object) * num_mult
    return np.asarray(round_quotient(num, den, "half_up"), dtype=np.int64)


def close_month(
    profiles: ProductProfile | Mapping[str, ProductProfile] | Iterable[ProductProfile],
    movements: Journal | Iterable[Receipt | Shipment | Mapping[str, Any]],
    *,
    opening: Mapping[str, Opening | Mapping[str, Any] | tuple[Any, ...]] | None = None,
    counts: Mapping[str, StockCount | Mapping[str, Any] | tuple[Any, ...]] | None = None,
) -> MonthEndClose:
    """Close the month for one or many products (see the module docstring for the model).

    Parameters
    ----------
    profiles : ProductProfile, or several (sequence or mapping by sku)
    movements : Journal, or Receipt / Shipment records in posting order
    opening : mapping sku → Opening (or ``{"bags":, "value":}``, or ``(bags, value)``)
        Products not named open empty.
    counts : mapping sku → StockCount (or mapping / tuple)
        Products not counted close at book (no count difference).

    Returns
    -------
    MonthEndClose

    Raises
    ------
    UnknownItemError
        A movement, opening or count names a product without a profile.
    DuplicateError
        Two movements share a document id.
    InsufficientStock
        A shipment takes more bags than are on hand at that point; ``.shortages`` maps each
        short product to its missing bags (the largest deficit over the journal: the extra
        opening stock that would cover every shipment). Nothing is booked.

    Examples
    --------
    >>> urea = ProductProfile(sku="urea", name="尿素", price_unit="t", pack_content="40 kg")
    >>> close = close_month(urea, [
    ...     Receipt("PO1", "urea", 400, 2300),
    ...     Shipment("SO1", "urea", 309, 2850, ordered="12.35 t"),
    ... ], opening={"urea": (100, "9000.00")}, counts={"urea": StockCount(190, 1, "30 kg")})
    >>> p = close.products["urea"]
    >>> p.closing_bags, p.closing_t, p.cogs, p.revenue, p.gross_margin
    (190, Decimal('7.63'), Decimal('28304.40'), Decimal('35226.00'), Decimal('6921.60'))
    >>> [(r.cause, r.bags, r.tonnes, r.value)
    ...  for r in p.variances]  # doctest: +NORMALIZE_WHITESPACE
    [('order_residual', 0, Decimal('0.01'), Decimal('0.00')),
     ('catch_weight', 0, Decimal('0'), Decimal('0.00')),
     ('count_difference', 0, Decimal('0'), Decimal('0.00')),
     ('broken_bags', 1, Decimal('0.01'), Decimal('22.90'))]
    >>> p.identity_holds()
    True
    """
    profs = _profiles(profiles)
    jr = movements if isinstance(movements, Journal) else Journal.from_records(movements)
    open_map = _per_product(opening, "opening", Opening, profs)
    count_map = _per_product(counts, "counts", StockCount, profs)
    skus = sorted(profs)
    index = {s: i for i, s in enumerate(skus)}
    n_prod = len(skus)
    content = np.array([_content_g(profs[s]) for s in skus], dtype=np.int64)
    factors = [exact_factor("g", profs[s].price_unit) for s in skus]
    n = len(jr)

    # --- codes, unknown skus, duplicate document ids ------------------------------------------
    if n:
        sku_str = jr.sku.astype(str)
        uniq_sku, code = np.unique(sku_str, return_inverse=True)
        unknown = [s for s in uniq_sku.tolist() if s not in index]
        if unknown:
            row = int(np.argmax(sku_str == unknown[0]))
            raise UnknownItemError(f"movements: unknown sku {unknown[0]!r} (row {row}); "
                                   f"profiles cover {', '.join(skus)}", key=unknown[0])
        remap = np.array([index[s] for s in uniq_sku.tolist()], dtype=np.int64)
        code = remap[code]
        ids = jr.doc_id.astype(str)
        uniq_ids, counts_id = np.unique(ids, return_counts=True)
        if (counts_id > 1).any():
            dup = str(uniq_ids[int(np.argmax(counts_id > 1))])
            rows = np.flatnonzero(ids == dup).tolist()
            raise DuplicateError(f"doc_id {dup!r} is used by {len(rows)} movements (rows "
                                 f"{', '.join(map(str, rows))})", field="doc_id", value=dup,
                                 row=tuple(rows))
    else:
        code = np.zeros(0, dtype=np.int64)

    order = np.argsort(code, kind="stable")
    c = code[order]
    kind = jr.kind[order].astype(np.int64)
    bags = jr.bags[order]
    price = jr.price_e4[order]
    ordered_g = jr.ordered_g[order]
    actual_g = jr.actual_g[order]
    is_rec = kind == RECEIPT
    is_ship = ~is_rec
    pc = content[c]
    nominal_g = bags * pc

    open_bags = np.array([open_map[s].bags if s in open_map else 0 for s in skus],
                         dtype=np.int64)
    open_fen = [int(Fraction(open_map[s].value) * 100) if s in open_map else 0 for s in skus]

    # --- stock never below zero (checked before anything is computed) ----------------------
    signed = np.where(is_rec, bags, -bags)
    starts = np.searchsorted(c, np.arange(n_prod))  # first row of each product
    cum = np.cumsum(signed)
    before = np.concatenate([[0], cum])[starts]  # cumulative sum before each product's rows
    running = open_bags[c] + cum - before[c]
    if n and (running < 0).any():
        shortages: dict[str, int] = {}
        first_doc = ""
        for p in np.unique(c[running < 0]).tolist():
            mask = (c == p) & (running < 0)
            shortages[skus[p]] = int(-running[mask].min())
            if not first_doc:
                first_doc = str(jr.doc_id[order][np.argmax(mask)])
        raise InsufficientStock(
            shortages,
            context=f"close_month: shipment {first_doc} takes more bags than are on hand "
                    "(shortfall in bags; nothing was booked)")

    # --- values: receipts at cost, shipments at selling price -------------------------------
    basis_actual = np.array([profs[s].invoice_basis == "actual" for s in skus], dtype=bool)
    weighed = actual_g >= 0
    invoiced_g = np.where(weighed & basis_actual[c], actual_g, nominal_g)
    line_fen = np.zeros(n, dtype=np.int64)
    priced_g = np.where(is_rec, nominal_g, invoiced_g)
    distinct = sorted(set(factors))
    factor_of_row = np.array([distinct.index(f) for f in factors], dtype=np.int64)[c]
    for k, factor in enumerate(distinct):  # one vectorised call per price unit (t, kg, ...)
        sel = factor_of_row == k
        if sel.any():
            line_fen[sel] = _amount_fen(priced_g[sel], price[sel], factor)
    receipt_fen = np.where(is_rec, line_fen, 0)
    revenue_fen = np.where(is_ship, line_fen, 0)

    # --- moving average: sequential over runs, vectorised over shipments ----------------------
    seg_start = is_rec.copy()
    seg_start[starts[starts < n]] = True
    seg_id = np.cumsum(seg_start) - 1
    seg_first = np.flatnonzero(seg_start)
    ship_bags = np.where(is_ship, bags, 0)
    seg_shipped = np.add.reduceat(ship_bags, seg_first) if n else np.zeros(0, dtype=np.int64)
    seg_v: list[int] = []
    seg_b: list[int] = []
    book_fen = list(open_fen)
    book_bags = open_bags.tolist()
    last_avg: dict[int, tuple[int, int]] = {}  # product -> (value, bags) of its last run with stock
    for first_row, shipped in zip(seg_first.tolist(), seg_shipped.tolist(), strict=True):
        p = int(c[first_row])
        if is_rec[first_row]:
            book_fen[p] += int(receipt_fen[first_row])
            book_bags[p] += int(bags[first_row])
        v, b = book_fen[p], book_bags[p]
        seg_v.append(v)
        seg_b.append(b)
        if b > 0:
            last_avg[p] = (v, b)
        if shipped:
            taken = (2 * v * shipped + b) // (2 * b)  # round half up, v, b, shipped >= 0
            book_fen[p] -= taken
            book_bags[p] -= shipped
    cogs_sorted = np.zeros(n, dtype=np.int64)
    if n:
        cum_ship = np.cumsum(ship_bags)
        cum_in_seg = cum_ship - (cum_ship - ship_bags)[seg_first][seg_id]
        v_arr = np.array(seg_v, dtype=object if max(seg_v, default=0) >= 2**40 else np.int64)
        b_arr = np.array([b if b > 0 else 1 for b in seg_b], dtype=np.int64)
        vs, bs = v_arr[seg_id], b_arr[seg_id]
        if vs.dtype == object or float(np.abs(cum_in_seg).max(initial=0)) * 2**41 >= 2**62:
            vs, cum_obj = vs.astype(object), cum_in_seg.astype(object)
            upto = round_quotient(vs * cum_obj, bs.astype(object), "half_up")
            prev = round_quotient(vs * (cum_obj - ship_bags.astype(object)), bs.astype(object),
                              "half_up")
            cogs_sorted = np.asarray(upto - prev, dtype=np.int64)
        else:
            upto = round_quotient(vs * cum_in_seg, bs, "half_up")
            prev = round_quotient(vs * (cum_in_seg - ship_bags), bs, "half_up")
            cogs_sorted = (upto - prev).astype(np.int64)
        cogs_sorted = np.where(is_ship, cogs_sorted, 0)

    # --- per-product sums ---------------------------------------------------------------------
    ends = np.searchsorted(c, np.arange(n_prod), side="right")

    def per(values: IntArray, mask: npt.NDArray[np.bool_] | None = None) -> list[int]:
        """Exact per-product sums (rows are sorted by product: differences of a cumsum)."""
        w = values if mask is None else np.where(mask, values, 0)
        if float(np.abs(w).max(initial=0)) * max(n, 1) >= 2.0**62:
            w = w.astype(object)  # Python ints: no overflow
        cs = np.concatenate([np.zeros(1, dtype=w.dtype), np.cumsum(w)])
        return [int(x) for x in (cs[ends] - cs[starts]).tolist()]

    booked_at_actual = is_ship & weighed & basis_actual[c]
    booked_at_order = is_ship & ~booked_at_actual & (ordered_g >= 0)
    booked_g = np.where(booked_at_actual, actual_g,
                        np.where(booked_at_order, ordered_g, nominal_g))
    rec_bags = per(bags, is_rec)
    rec_g = per(nominal_g, is_rec)
    rec_fen = per(receipt_fen)
    shp_bags = per(bags, is_ship)
    shp_booked_g = per(booked_g, is_ship)
    residual_g = per(nominal_g - ordered_g, booked_at_order)
    catch_g = per(nominal_g - actual_g, booked_at_actual)
    cogs_p = per(cogs_sorted)
    rev_p = per(revenue_fen)
    tol = [profs[s].catch_weight_tolerance for s in skus]
    docs_sorted = jr.doc_id[order]
    # flagged: weighed lines with |actual − nominal| > tolerance × nominal (exact in ints)
    tol_num = np.array([t.numerator for t in tol], dtype=np.int64)[c]
    tol_den = np.array([t.denominator for t in tol], dtype=np.int64)[c]
    diff = np.abs(actual_g - nominal_g)
    small = float(max(int(tol_den.max(initial=1)), int(tol_num.max(initial=1)))) * float(
        max(int(diff.max(initial=0)), int(nominal_g.max(initial=0)), 1)) < 2.0**62
    if small:
        over = diff * tol_den > tol_num * nominal_g
    else:
        over = np.asarray(diff.astype(object) * tol_den.astype(object)
                          > tol_num.astype(object) * nominal_g.astype(object), dtype=bool)
    flagged_mask = is_ship & weighed & over

    products: dict[str, ProductClose] = {}
    for p, sku in enumerate(skus):
        cg = int(content[p])
        bb, vb = book_bags[p], book_fen[p]
        wb = bb * cg
        cnt = count_map.get(sku)
        counted = bb if cnt is None else cnt.bags
        broken = 0 if cnt is None else cnt.broken_bags
        loose = 0 if cnt is None else cnt.loose
        if broken > bb:
            raise ValidationError(
                f"counts[{sku!r}].broken_bags must be at most the {bb} bags on the books, got "
                f"{broken}; fix the count (broken bags are bags held, counted as broken)",
                field="count.broken_bags", value=broken)
        if loose > broken * cg:
            raise ValidationError(
                f"counts[{sku!r}].loose must be at most broken_bags x bag size = {broken} x "
                f"{fraction_to_decimal(Fraction(cg, 1000))} kg = "
                f"{fraction_to_decimal(Fraction(broken * cg, 1000))} kg, got "
                f"{fraction_to_decimal(Fraction(loose, 1000))} kg; fix the loose weight or the "
                f"broken bags count", field="count.loose", value=loose)
        d = bb - counted - broken
        lost_g_count = d * cg
        lost_g_broken = broken * cg - loose
        if wb > 0:
            ref_v, ref_g = vb, wb
        else:
            # nothing on the books: value a counted surplus at the last average cost
            last_v, last_b = last_avg.get(p, (0, 1))
            ref_v, ref_g = last_v, last_b * cg
        write_off = round_quotient(ref_v * (lost_g_count + lost_g_broken), ref_g)
        count_fen = round_quotient(ref_v * lost_g_count, ref_g)
        broken_fen = write_off - count_fen
        rows_p = slice(int(starts[p]), int(ends[p]))  # this product's rows (sorted by product)
        docs_p = docs_sorted[rows_p]

        def docs(mask: npt.NDArray[np.bool_], docs_p: npt.NDArray[Any] = docs_p,
                 rows_p: slice = rows_p) -> tuple[str, ...]:
            return tuple(map(str, docs_p[mask[rows_p]].tolist()))

        table = (
            VarianceRow(sku, "order_residual", 0, _t(residual_g[p]), _yuan(0),
                        documents=docs(booked_at_order)),
            VarianceRow(sku, "catch_weight", 0, _t(catch_g[p]), _yuan(0),
                        documents=docs(booked_at_actual), flagged=docs(flagged_mask)),
            VarianceRow(sku, "count_difference", d, _t(lost_g_count), _yuan(count_fen)),
            VarianceRow(sku, "broken_bags", broken, _t(lost_g_broken), _yuan(broken_fen)),
        )
        closing_g = counted * cg + loose
        closing_fen = vb - write_off
        open_g = int(open_bags[p]) * cg
        products[sku] = ProductClose(
            sku=sku,
            opening_bags=int(open_bags[p]), opening_t=_t(open_g), opening_value=_yuan(open_fen[p]),
            receipts_bags=rec_bags[p], receipts_t=_t(rec_g[p]), receipts_value=_yuan(rec_fen[p]),
            shipments_bags=shp_bags[p], shipments_t=_t(shp_booked_g[p]),
            cogs=_yuan(cogs_p[p]), revenue=_yuan(rev_p[p]),
            gross_margin=_yuan(rev_p[p] - cogs_p[p]),
            book_bags=bb, book_t=_t(wb), book_value=_yuan(vb),
            closing_bags=counted, closing_loose_kg=fraction_to_decimal(Fraction(loose, 1000)),
            closing_t=_t(closing_g), closing_value=_yuan(closing_fen),
            average_cost_per_t=None if closing_g == 0 else fraction_to_decimal(
                Fraction(round_quotient(closing_fen * 10**6, closing_g), 100)),
            variances=table,
        )
    cogs_out = np.zeros(n, dtype=np.int64)
    rev_out = np.zeros(n, dtype=np.int64)
    cogs_out[order] = cogs_sorted
    rev_out[order] = revenue_fen
    return MonthEndClose(products=products, cogs_fen=cogs_out, revenue_fen=rev_out)


class StockBook:
    """Post movements one at a time with the close's own checks; a refused posting changes
    nothing. ``close()`` runs :func:`close_month` on everything posted (thread-safe).

    Examples
    --------
    >>> urea = ProductProfile(sku="urea", name="尿素", price_unit="t", pack_content="40 kg")
    >>> book = StockBook(urea, opening={"urea": (10, "900.00")})
    >>> book.post(Shipment("SO1", "urea", 12, 2850))
    Traceback (most recent call last):
    ...
    jxc_rules.errors.InsufficientStock: SO1: insufficient stock (urea: short 2)
    >>> book.on_hand("urea"), len(book.movements)
    (10, 0)
    >>> book.post(Receipt("PO1", "urea", 5, 2300)); book.on_hand("urea")
    15
    """

    def __init__(
        self,
        profiles: ProductProfile | Mapping[str, ProductProfile] | Iterable[ProductProfile],
        *,
        opening: Mapping[str, Opening | Mapping[str, Any] | tuple[Any, ...]] | None = None,
    ) -> None:
        self._profiles = _profiles(profiles)
        for profile in self._profiles.values():
            _content_g(profile)  # the close's own checks now, not at month end
        self._opening = _per_product(opening, "opening", Opening, self._profiles)
        self._bags = {s: (self._opening[s].bags if s in self._opening else 0)
                      for s in self._profiles}
        self._ids: set[str] = set()
        self._movements: list[Receipt | Shipment] = []
        self._lock = threading.Lock()

    @property
    def movements(self) -> tuple[Receipt | Shipment, ...]:
        """Everything posted so far, in posting order."""
        return tuple(self._movements)

    def on_hand(self, sku: str) -> int:
        """Bags of ``sku`` on the books now."""
        if sku not in self._bags:
            raise UnknownItemError(f"unknown sku {sku!r}", key=sku)
        return self._bags[sku]

    def post(self, movement: Receipt | Shipment | Mapping[str, Any]) -> None:
        """Book one movement, or raise (``UnknownItemError``, ``DuplicateError``,
        ``InsufficientStock`` naming the product and the missing bags) and book nothing."""
        if isinstance(movement, Mapping):
            movement = _record(movement)
        if not isinstance(movement, (Receipt, Shipment)):
            raise bad_value("movement", movement, "a Receipt or Shipment")
        if (movement.price * _PRICE_SCALE).denominator != 1:
            raise bad_value("price", fraction_to_decimal(movement.price), "at most 4 decimals "
                            f"(document {movement.doc_id})")
        with self._lock:
            if movement.sku not in self._bags:
                raise UnknownItemError(f"{movement.doc_id}: unknown sku {movement.sku!r}",
                                       key=movement.sku)
            if movement.doc_id in self._ids:
                raise DuplicateError(f"doc_id {movement.doc_id!r} is already posted",
                                     field="doc_id", value=movement.doc_id)
            delta = movement.bags if isinstance(movement, Receipt) else -movement.bags
            if self._bags[movement.sku] + delta < 0:
                raise InsufficientStock({movement.sku: -(self._bags[movement.sku] + delta)},
                                        context=movement.doc_id)
            self._bags[movement.sku] += delta
            self._ids.add(movement.doc_id)
            self._movements.append(movement)

    def close(
        self, counts: Mapping[str, StockCount | Mapping[str, Any] | tuple[Any, ...]] | None = None,
    ) -> MonthEndClose:
        """:func:`close_month` over everything posted."""
        with self._lock:
            moves = list(self._movements)
        return close_month(self._profiles, moves, opening=self._opening, counts=counts)


def _record(mapping: Mapping[str, Any]) -> Receipt | Shipment:
    data = dict(mapping)
    kind = data.pop("kind", None)
    try:
        if kind == "receipt":
            return Receipt(**data)
        if kind == "shipment":
            return Shipment(**data)
    except TypeError as exc:
        raise ValidationError(f"movement: {exc}", field="movement") from None
    raise bad_value("kind", kind, "'receipt' or 'shipment'")
