"""Bills of materials (物料清单, BOM): exact multi-level explosion, complete sets, where-used.

Model
-----
A BOM is a directed acyclic graph (a :class:`networkx.DiGraph`, parent → child). Each *line*
says that making ``outputs[parent]`` units of ``parent`` consumes ``qty`` ``unit`` of ``child``,
marked up for scrap (损耗), plus an optional fixed *setup* quantity per production order of the
parent. The requirement a line passes down is (Orlicky's gross-requirements explosion, as in
APICS/ASCM *MRP*; scrap as a planned markup, Vollmann et al., *Manufacturing Planning and Control
for Supply Chain Management*, ch. 6)::

    need(child) += need(parent) / output(parent) · qty · f(unit → stock unit of child) · (1 + scrap)
                   + setup · f · (1 + scrap)             (setup only when need(parent) > 0)

so scrap compounds down each path: 10 % scrap on a part under an assembly itself made with 10 %
scrap gives 200 finished → 220 assemblies → 242 parts. Every quantity is an exact
:class:`~fractions.Fraction`; unit factors (``jxc_rules.units.exact_factor``) are computed once
when the BOM is built, never per explosion.

Explosion goes *level by level* (low-level codes 低层码: an item's code is the longest path from
any top item to it), so an item's gross requirement is complete — summed over every parent —
before it is exploded (or netted against stock). Leaves (items without lines, i.e. purchased
parts) collect the result, each in its *stock unit*: the unit declared for the item in ``items``,
else the unit of its first line that names one, else a plain count.

Rounding to whole pieces is a separate, explicit step (:func:`round_requirements`): pieces round
up, masses are left exact unless the item declares a step.

Other features: phantom (虚拟件 / kit) items are blown through and never netted; effectivity
dates per line (``valid_from`` / ``valid_to``, both inclusive; pass ``on=`` to explode a BOM that
has dated lines); alternates (替代料) that take over the shortfall of a leaf line when stock is
given; netting of on-hand sub-assemblies (``on_hand=``); where-used (implosion, 反查) and
low-level codes.

Examples
--------
>>> bom = Bom([
...     {"parent": "gearbox", "child": "housing", "qty": 1, "unit": "pcs"},
...     {"parent": "gearbox", "child": "bolt-M8", "qty": 12, "unit": "pcs"},
...     {"parent": "housing", "child": "bolt-M8", "qty": 1, "unit": "dozen"},
...     {"parent": "housing", "child": "aluminium", "qty": "4.2", "unit": "kg", "scrap": "0.05"},
... ])
>>> explode(bom, "gearbox", 10)
{'bolt-M8': Fraction(240, 1), 'aluminium': Fraction(441, 10)}
>>> max_buildable(bom, "gearbox", {"bolt-M8": 500, "aluminium": 100})
20
"""

from __future__ import annotations

import collections
import datetime as _dt
import gc
import hashlib
import itertools
import math
import operator
import threading
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules._internal.lazy import lazy_module

if TYPE_CHECKING:
    import networkx as nx
else:  # networkx loads when a Bom is built, not when jxc_rules.bom is imported
    nx = lazy_module("networkx")
import pint

from jxc_rules._internal.bom_graph import layers
from jxc_rules._internal.exact import fraction_to_decimal, to_fraction
from jxc_rules._internal.percent import parse_ratio
from jxc_rules.errors import (
    BomCycleError,
    JxcRulesError,
    UnitError,
    UnknownItemError,
    ValidationError,
    bad_value,
)
from jxc_rules.rounding import MODES, check_mode, round_fraction
from jxc_rules.units import (
    dimension_of,
    exact_factor,
    exact_magnitude,
    parse_quantity,
    parse_unit,
)

MAX_SCRAP = 10
"""Scrap markups from 0 up to (not including) 10, i.e. 1000 %: beyond is a typo, not a process."""
MAX_QUANTITY: Final = 10**15
"""Largest quantity a BOM takes where a person writes one — line ``qty``, ``setup``, an
alternate's ``qty``, ``outputs``, an item's ``step``, the order ``quantity``, ``stock`` and
``on_hand`` — in its own unit. 10**15 kg is a trillion tonnes, and 10**15 is below 2**53, so every
whole quantity also survives a host's float or NUMERIC column: beyond is a typo or a unit slip."""
MIN_QUANTITY: Final = Fraction(1, 10**12)
"""Smallest non-zero line ``qty``, ``setup``, alternate ``qty``, output or ``step`` (1 µg written
in tonnes is 10**-12 t): below is a typo, and it would make :func:`max_buildable` count sets in
the trillions of trillions."""

__all__ = [
    "Alternate",
    "Bom",
    "BomLine",
    "ItemSpec",
    "explode",
    "explode_many",
    "low_level_codes",
    "max_buildable",
    "round_requirements",
    "where_used",
]

_LINE_KEYS: Final = frozenset(
    {"parent", "child", "qty", "unit", "scrap", "phantom", "setup", "valid_from", "valid_to",
     "alternates"}
)
_ALT_KEYS: Final = frozenset({"child", "qty", "unit"})
_ITEM_KEYS: Final = frozenset({"unit", "step", "mode", "phantom"})
_BOM_KEYS: Final = frozenset({"lines", "outputs", "items"})
_FAST_PATH_MAX_BITS: Final = 256  # common denominator size up to which explode uses integers


# ---------------------------------------------------------------- small helpers


def _name(value: object, field: str, row: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_value(field, value, "a non-empty item name", row=row)
    if value != value.strip() or not value.isprintable():  # 'bolt-M8 ' would be a new part
        raise bad_value(field, value, "an item name without leading or trailing spaces, tabs, "
                        "line breaks or other invisible characters", row=row)
    return value


def _unit_text(value: object, field: str, row: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():  # '' would parse as dimensionless
        raise bad_value(field, value, "a unit string such as 'pcs' or 'kg'", row=row,
                        error=UnitError)
    return value


def _exact(value: object, field: str, row: int | None = None) -> Fraction:
    """``to_fraction`` with its precise reason (a bool, NaN, not a number, ...) and the row."""
    try:
        return to_fraction(value, field)
    except ValidationError as exc:
        if row is None:
            raise
        raise type(exc)(f"{exc} (row {row})", field=exc.field, value=exc.value,
                        row=row) from None


def _date(value: object, field: str, row: int | None = None) -> _dt.date | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise bad_value(field, value, "a date such as '2026-07-01'", row=row)


def _plain(value: Fraction) -> int | str:
    """A YAML-safe exact number: an int when whole, else a decimal or 'p/q' string."""
    if value.denominator == 1:
        return value.numerator
    dec = fraction_to_decimal(value)
    return str(dec) if Fraction(dec) == value else f"{value.numerator}/{value.denominator}"


def _line_error(field: str, parent: str, child: str, value: object, expected: str, row: int,
                error: type[ValidationError] = ValidationError) -> ValidationError:
    """Like ``bad_value`` but the message also names the line (``lines[3].qty (A -> B)``) while
    ``.field`` stays a clean key path for the rule-pack loader."""
    return error(f"{field} ({parent} -> {child}) must be {expected}, got {value!r} (row {row})",
                 field=field, value=value, row=row)


def _on_line(exc: ValidationError, field: str, parent: str, child: str,
             row: int) -> ValidationError:
    """``exc`` (raised for ``field``) again, its message also naming the line and the row, its
    class (``UnitError`` stays ``UnitError``), ``.field`` and ``.value`` kept."""
    msg = str(exc)
    rest = msg[len(field):] if msg.startswith(field) else f": {msg}"
    if not rest.endswith(f"(row {row})"):
        rest += f" (row {row})"
    return type(exc)(f"{field} ({parent} -> {child}){rest}", field=exc.field or field,
                     value=exc.value, row=row)


def _within(value: Fraction, raw: object, field: str, parent: str, child: str, row: int,
            *, zero: bool = True) -> Fraction:
    """``value`` if it is 0 (when ``zero``) or within [MIN_QUANTITY, MAX_QUANTITY]."""
    if value < 0 or (value == 0 and not zero):
        raise _line_error(field, parent, child, raw, "a quantity >= 0" if zero else
                          "a quantity > 0", row)
    if value > MAX_QUANTITY:
        raise _line_error(field, parent, child, raw, "a quantity of at most 1e15 in its unit "
                          "(MAX_QUANTITY; beyond is a typo or a unit slip)", row)
    if 0 < value < MIN_QUANTITY:
        raise _line_error(field, parent, child, raw, "0 or a quantity of at least 1e-12 in its "
                          "unit (MIN_QUANTITY; below is a typo or a unit slip)", row)
    return value


def _bounded(value: Fraction, raw: object, field: str, *, minimum: bool = False) -> Fraction:
    """An order, stock, output or step quantity: >= 0 and at most MAX_QUANTITY (and, with
    ``minimum``, 0 or at least MIN_QUANTITY)."""
    if value < 0:
        raise bad_value(field, raw, "a quantity >= 0")
    if value > MAX_QUANTITY:
        raise bad_value(field, raw, "a quantity of at most 1e15 (MAX_QUANTITY; beyond is a typo "
                        "or a unit slip)")
    if minimum and 0 < value < MIN_QUANTITY:
        raise bad_value(field, raw, "0 or a quantity of at least 1e-12 (MIN_QUANTITY)")
    return value


def _check_keys(mapping: Mapping[str, Any], allowed: frozenset[str], field: str) -> None:
    if not isinstance(mapping, Mapping):
        raise bad_value(field, mapping, "a mapping")
    for key in mapping:
        if key not in allowed:
            raise bad_value(f"{field}.{key}", mapping[key],
                            "absent: unknown key (allowed: " + ", ".join(sorted(allowed)) + ")")


# ---------------------------------------------------------------- parameter objects


@attrs.frozen
class Alternate:
    """A substitute (替代料) for a leaf line: ``qty`` ``unit`` of ``child`` replace the primary
    line's ``qty`` per parent. ``qty``/``unit`` default to the primary line's."""

    child: str
    qty: Fraction | None = None
    unit: str | None = None

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"child": self.child}
        if self.qty is not None:
            out["qty"] = _plain(self.qty)
        if self.unit is not None:
            out["unit"] = self.unit
        return out


@attrs.frozen
class BomLine:
    """One validated BOM line (``row`` is its position in the input)."""

    parent: str
    child: str
    qty: Fraction
    unit: str | None = None
    scrap: Fraction = Fraction(0)
    phantom: bool = False
    setup: Fraction = Fraction(0)
    valid_from: _dt.date | None = None
    valid_to: _dt.date | None = None
    alternates: tuple[Alternate, ...] = ()
    row: int = 0

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], row: int = 0) -> BomLine:
        """Validate one line mapping; errors name ``lines[row].<key>``."""
        f = f"lines[{row}]"
        _check_keys(mapping, _LINE_KEYS, f)
        for key in ("parent", "child", "qty"):
            if key not in mapping:
                raise bad_value(f"{f}.{key}", None, "present (a line needs parent, child, qty)",
                                row=row)
        parent = _name(mapping["parent"], f"{f}.parent", row)
        child = _name(mapping["child"], f"{f}.child", row)
        unit = mapping.get("unit")
        if unit is not None:
            _unit_text(unit, f"{f}.unit", row)
            try:
                parse_unit(unit, f"{f}.unit")
            except UnitError:
                raise _line_error(f"{f}.unit", parent, child, unit,
                                  "a unit the registry knows (pcs, dozen, kg, 斤, L, ...)", row,
                                  UnitError) from None
        raw_qty = mapping["qty"]
        try:
            if isinstance(raw_qty, str) and any(c.isalpha() for c in raw_qty.replace("e", "")):
                if raw_qty.strip().lower().lstrip("+-") in ("nan", "inf", "infinity", "snan"):
                    raise bad_value(f"{f}.qty", raw_qty, "a finite number")
                qty, parsed = parse_quantity(raw_qty, f"{f}.qty")
                if unit is not None and parse_unit(unit, f"{f}.unit") != parsed:
                    raise bad_value(f"{f}.qty", raw_qty, f"in the line's unit {unit!r}",
                                    error=UnitError)
                unit = str(parsed) if unit is None else unit
            else:
                qty = to_fraction(raw_qty, f"{f}.qty")
        except ValidationError as exc:
            raise _on_line(exc, f"{f}.qty", parent, child, row) from None
        _within(qty, raw_qty, f"{f}.qty", parent, child, row)
        raw_scrap = mapping.get("scrap", 0)
        try:  # the same ratio parser as the rule packs: 0.1, "0.1", "10 %" or "5 ‰"
            scrap = parse_ratio(raw_scrap, f"{f}.scrap")
        except ValidationError as exc:
            raise _on_line(exc, f"{f}.scrap", parent, child, row) from None
        if not 0 <= scrap < MAX_SCRAP:
            raise _line_error(f"{f}.scrap", parent, child, raw_scrap,
                              f"a markup fraction from 0 to below {MAX_SCRAP} (0.1 or '10 %'; "
                              f"{MAX_SCRAP} would be {MAX_SCRAP * 100} % scrap)", row)
        raw_setup = mapping.get("setup", 0)
        try:
            setup = to_fraction(raw_setup, f"{f}.setup")
        except ValidationError as exc:
            raise _on_line(exc, f"{f}.setup", parent, child, row) from None
        _within(setup, raw_setup, f"{f}.setup", parent, child, row)
        phantom = mapping.get("phantom", False)
        if not isinstance(phantom, bool):
            raise bad_value(f"{f}.phantom", phantom, "true or false", row=row)
        valid_from = _date(mapping.get("valid_from"), f"{f}.valid_from", row)
        valid_to = _date(mapping.get("valid_to"), f"{f}.valid_to", row)
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            raise bad_value(f"{f}.valid_to", str(valid_to), f"on or after valid_from {valid_from}",
                            row=row)
        alternates: list[Alternate] = []
        raw_alts = mapping.get("alternates")
        if raw_alts is None:
            raw_alts = ()
        if not isinstance(raw_alts, Sequence) or isinstance(raw_alts, (str, bytes)):
            raise bad_value(f"{f}.alternates", raw_alts, "a list of {child, qty, unit} mappings",
                            row=row)
        for j, alt in enumerate(raw_alts):
            af = f"{f}.alternates[{j}]"
            _check_keys(alt, _ALT_KEYS, af)
            alt_child = _name(alt.get("child"), f"{af}.child", row)
            alt_qty = None
            if alt.get("qty") is not None:
                try:
                    alt_qty = to_fraction(alt["qty"], f"{af}.qty")
                except ValidationError as exc:
                    raise _on_line(exc, f"{af}.qty", parent, child, row) from None
                _within(alt_qty, alt["qty"], f"{af}.qty", parent, child, row, zero=False)
            alt_unit = alt.get("unit")
            if alt_unit is not None:
                parse_unit(_unit_text(alt_unit, f"{af}.unit", row), f"{af}.unit")
            alternates.append(Alternate(alt_child, alt_qty, alt_unit))
        return cls(parent, child, qty, unit, scrap, phantom, setup, valid_from, valid_to,
                   tuple(alternates), row)

    def _as_input(self) -> dict[str, Any]:
        """The fields as a line mapping, values untouched (``from_mapping`` checks them)."""
        out: dict[str, Any] = {k: getattr(self, k) for k in _LINE_KEYS if k != "alternates"}
        out["alternates"] = [
            {k: getattr(a, k) for k in _ALT_KEYS} if isinstance(a, Alternate) else a
            for a in (self.alternates if isinstance(self.alternates, Sequence) else
                      [self.alternates])]
        return out

    def to_mapping(self) -> dict[str, Any]:
        """A plain YAML-safe dict (only non-default keys)."""
        out: dict[str, Any] = {"parent": self.parent, "child": self.child,
                               "qty": _plain(self.qty)}
        if self.unit is not None:
            out["unit"] = self.unit
        if self.scrap:
            out["scrap"] = _plain(self.scrap)
        if self.setup:
            out["setup"] = _plain(self.setup)
        if self.phantom:
            out["phantom"] = True
        if self.valid_from is not None:
            out["valid_from"] = self.valid_from.isoformat()
        if self.valid_to is not None:
            out["valid_to"] = self.valid_to.isoformat()
        if self.alternates:
            out["alternates"] = [a.to_mapping() for a in self.alternates]
        return out

    def effective(self, on: _dt.date | None) -> bool:
        """Whether the line applies on date ``on`` (both ends inclusive; undated lines always)."""
        if on is None:
            return True
        return not ((self.valid_from is not None and on < self.valid_from)
                    or (self.valid_to is not None and on > self.valid_to))


@attrs.frozen
class ItemSpec:
    """An item declaration: stock ``unit``, rounding ``step``/``mode`` for
    :func:`round_requirements` (``step=0`` means never round), ``phantom`` (kit, 虚拟件)."""

    unit: str | None = None
    step: Fraction | None = None
    mode: str = "up"
    phantom: bool = False

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], field: str = "items") -> ItemSpec:
        _check_keys(mapping, _ITEM_KEYS, field)
        unit = mapping.get("unit")
        if unit is not None:
            parse_unit(_unit_text(unit, f"{field}.unit"), f"{field}.unit")
        step = None if mapping.get("step") is None else _exact(mapping["step"], f"{field}.step")
        if step is not None and step < 0:
            raise bad_value(f"{field}.step", mapping["step"], "a step >= 0 (0: never round)")
        if step is not None:
            _bounded(step, mapping["step"], f"{field}.step", minimum=True)
        raw_mode = mapping.get("mode", "up")
        if not isinstance(raw_mode, str):  # check_mode's `in` is ambiguous for arrays
            raise bad_value(f"{field}.mode", raw_mode,
                            "a rounding mode name: " + ", ".join(repr(m) for m in MODES))
        mode = check_mode(raw_mode, f"{field}.mode")
        phantom = mapping.get("phantom", False)
        if not isinstance(phantom, bool):
            raise bad_value(f"{field}.phantom", phantom, "true or false")
        return cls(unit, step, mode, phantom)

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.unit is not None:
            out["unit"] = self.unit
        if self.step is not None:
            out["step"] = _plain(self.step)
        if self.mode != "up":
            out["mode"] = self.mode
        if self.phantom:
            out["phantom"] = True
        return out


# ---------------------------------------------------------------- the BOM


class _Compiled:
    """One line ready for explosion: requirement factor per parent unit and setup, both already in
    the child's stock unit and marked up for scrap."""

    __slots__ = ("alternates", "child", "coef", "line", "setup")

    def __init__(self, line: BomLine, coef: Fraction, setup: Fraction,
                 alternates: tuple[tuple[str, Fraction], ...]) -> None:
        self.line = line
        self.child = line.child
        self.coef = coef
        self.setup = setup
        self.alternates = alternates  # (alternate item, its stock units per primary stock unit)


class Bom:
    """A validated, immutable multi-level bill of materials.

    Parameters
    ----------
    lines : iterable of mappings
        Each with ``parent``, ``child``, ``qty`` (exact, 0 or within [:data:`MIN_QUANTITY`,
        :data:`MAX_QUANTITY`]; zero lines are ignored, but not every line of a parent) and
        optional ``unit`` (of ``qty``), ``scrap`` (markup fraction in [0, :data:`MAX_SCRAP`):
        ``0.1`` or ``"10 %"``, compounding down each path), ``setup`` (fixed quantity per
        production order of the parent, same unit, bounded like ``qty``), ``phantom`` (the
        child is a kit / phantom assembly), ``valid_from`` / ``valid_to``
        (ISO dates, inclusive) and ``alternates`` (list of ``{child, qty, unit}``).
    outputs : mapping, optional
        Parent → quantity its lines produce (a number in the parent's stock unit or a quantity
        string); default 1.
    items : mapping, optional
        Item → ``{unit, step, mode, phantom}``. When given, every item named in a line must be
        declared (``UnknownItemError`` otherwise).

    Raises
    ------
    BomCycleError
        The lines contain a cycle (``.cycle`` lists it), zero-quantity lines included.
    UnitError
        A line's unit cannot convert to its child's stock unit (message names the line).
    ValidationError
        A quantity, scrap or setup that is negative, NaN, infinite, a bool or out of bounds; a
        parent whose every line is zero; an empty or blank-padded item name; bad key; bad date.
    UnknownItemError
        A line names an item that ``items`` does not declare.

    Examples
    --------
    >>> bom = Bom([{"parent": "A", "child": "S", "qty": 1, "scrap": "0.1"},
    ...            {"parent": "S", "child": "R", "qty": 1, "scrap": "0.1"}])
    >>> explode(bom, "A", 200)
    {'R': Fraction(242, 1)}
    >>> bom.low_level_codes()["R"]
    2
    """

    __slots__ = (
        "_by_parent", "_cols", "_fast", "_graph", "_has_dates", "_items", "_leaves", "_lines",
        "_llc", "_order", "_outputs", "_phantoms", "_pos", "_units",
    )

    def __init__(
        self,
        lines: Iterable[Mapping[str, Any] | BomLine],
        *,
        outputs: Mapping[str, Any] | None = None,
        items: Mapping[str, Mapping[str, Any] | ItemSpec] | None = None,
    ) -> None:
        try:
            if isinstance(lines, (str, bytes, Mapping)):
                raise TypeError
            rows_in = iter(lines)
        except TypeError:  # None, a number, a 0-d array, a single mapping or string
            raise bad_value("lines", lines, "a list of line mappings") from None
        rows: list[Any] = list(rows_in)
        self._lines: tuple[BomLine, ...] | None = None
        self._graph: nx.DiGraph | None = None
        self._by_parent: dict[str, list[_Compiled]] | None = None
        self._cols: _Columns | None = None
        # the vectorised pass decides; if it finds anything wrong (or input it does not take
        # fast), the line-by-line reader runs and raises the first error exactly as it reads it
        if not _build_fast(self, rows, outputs, items):
            self._build_by_line(rows, outputs, items)

    def _build_by_line(self, rows: list[Any], outputs: Mapping[str, Any] | None,
                       items: Mapping[str, Mapping[str, Any] | ItemSpec] | None) -> None:
        """The reference build, line by line: the same checks in reading order, so the first
        problem (lowest row, then items, cycle, all-zero parents, units, ...) is the one raised."""
        parsed: list[BomLine] = []
        self._cols = None
        for row, raw in enumerate(rows):
            # a BomLine built by hand is checked like a mapping (attrs runs no validators)
            line = BomLine.from_mapping(raw._as_input() if isinstance(raw, BomLine) else raw,
                                        row)
            parsed.append(line)
        self._lines = tuple(parsed)
        active = [ln for ln in parsed if ln.qty != 0 or ln.setup != 0]  # zero lines ignored

        specs = _read_items(items)
        if items is not None:
            for ln in parsed:
                for key, item in (("parent", ln.parent), ("child", ln.child),
                                  *(("alternates", a.child) for a in ln.alternates)):
                    if item not in specs:
                        raise UnknownItemError(
                            f"lines[{ln.row}].{key}: unknown item {item!r} "
                            f"({ln.parent} -> {ln.child}); declare it in items", key=item)
        self._items = specs

        graph = _line_graph(specs, parsed, cycles=True)
        self._graph = graph
        _check_made(parsed, {ln.parent for ln in active})

        # stock units: declared, else the first line naming one, else a plain count (None)
        units: dict[str, str | None] = {n: s.unit for n, s in specs.items() if s.unit}
        for ln in parsed:
            if ln.child not in units and ln.unit is not None:
                units[ln.child] = ln.unit
        for ln in parsed:
            for alt in ln.alternates:
                if alt.child not in units:
                    units[alt.child] = alt.unit if alt.unit is not None else units.get(ln.child)
        for node in graph.nodes:
            units.setdefault(node, None)
        self._units = units

        self._phantoms = frozenset(
            {n for n, s in specs.items() if s.phantom} | {ln.child for ln in parsed if ln.phantom}
        )

        out_map = _read_outputs(outputs, {ln.parent for ln in parsed}, units)
        self._outputs = out_map

        by_parent: dict[str, list[_Compiled]] = {}
        for ln in active:
            factor = _line_factor(ln.unit, units[ln.child], ln, "unit", ln.child)
            markup = 1 + ln.scrap
            per = out_map.get(ln.parent, Fraction(1))
            by_parent.setdefault(ln.parent, []).append(
                _Compiled(ln, ln.qty * factor * markup / per, ln.setup * factor * markup,
                          _alternates(ln, factor, units)))
        self._by_parent = by_parent
        self._leaves = frozenset(n for n in graph.nodes if graph.out_degree(n) == 0)
        _check_leaves(active, self._leaves, self._phantoms)
        self._has_dates = any(ln.valid_from or ln.valid_to for ln in active)

        # low-level codes and a level-by-level (hence topological) order
        llc: dict[str, int] = dict.fromkeys(graph.nodes, 0)
        for node in nx.topological_sort(graph):
            base = llc[node] + 1
            for child in graph.successors(node):
                if llc[child] < base:
                    llc[child] = base
        self._llc = llc
        self._order: tuple[str, ...] = tuple(sorted(graph.nodes, key=lambda n: (llc[n], n)))
        self._pos = {n: i for i, n in enumerate(self._order)}
        self._fast = _compile_fast(by_parent, llc)

    # -- built on first use (the vectorised build keeps columns, not objects)
    def _line_objects(self) -> tuple[BomLine, ...]:
        lines = self._lines
        if lines is None:
            assert self._cols is not None
            lines = self._lines = self._cols.lines()
        return lines

    def _nx_graph(self) -> nx.DiGraph:
        graph = self._graph
        if graph is None:
            graph = self._graph = _line_graph(self._items, self._line_objects(), cycles=False)
        return graph

    def _compiled(self) -> dict[str, list[_Compiled]]:
        by_parent = self._by_parent
        if by_parent is None:
            assert self._cols is not None
            by_parent = self._by_parent = self._cols.compiled(self._line_objects())
        return by_parent

    # -- read-only views
    @property
    def lines(self) -> tuple[BomLine, ...]:
        """The validated lines, zero lines included, in input order."""
        return self._line_objects()

    @property
    def graph(self) -> nx.DiGraph:
        """A read-only view of the parent → child graph (edge attribute ``rows``)."""
        return self._nx_graph().copy(as_view=True)

    @property
    def items(self) -> frozenset[str]:
        """Every item named by a line, an alternate or a declaration."""
        return frozenset(self._pos)

    @property
    def leaves(self) -> frozenset[str]:
        """Purchased parts: items without (non-zero) lines."""
        return self._leaves

    @property
    def phantoms(self) -> frozenset[str]:
        """Phantom (kit) items: exploded through, never netted or reserved."""
        return self._phantoms

    def stock_unit(self, item: str) -> str | None:
        """The unit results for ``item`` are in (``None``: a plain count)."""
        self._check_item(item)
        return self._units[item]

    def output(self, item: str) -> Fraction:
        """Quantity of ``item`` its lines produce (1 unless ``outputs`` said otherwise)."""
        self._check_item(item)
        return self._outputs.get(item, Fraction(1))

    def rounding(self, item: str) -> tuple[Fraction, str] | None:
        """``(step, mode)`` that :func:`round_requirements` applies to ``item``, or ``None``.

        Declared ``step`` wins (0: never); otherwise count units round up to whole pieces.
        """
        self._check_item(item)
        spec = self._items.get(item)
        if spec is not None and spec.step is not None:
            return (spec.step, spec.mode) if spec.step > 0 else None
        unit = self._units[item]
        if unit is not None and dimension_of(unit) == "count":
            return exact_factor("piece", unit), (spec.mode if spec else "up")
        return None

    def low_level_codes(self) -> dict[str, int]:
        """Low-level code of each item (0 for top items); same as :func:`low_level_codes`."""
        return {n: self._llc[n] for n in self._order}

    def to_lines(self) -> list[dict[str, Any]]:
        """The lines as plain YAML-safe dicts (``Bom(bom.to_lines(), ...)`` rebuilds it)."""
        return [ln.to_mapping() for ln in self._line_objects()]

    def to_mapping(self) -> dict[str, Any]:
        """``{"lines": [...], "outputs": {...}, "items": {...}}`` (empty sections omitted)."""
        out: dict[str, Any] = {"lines": self.to_lines()}
        if self._outputs:
            out["outputs"] = {k: _plain(v) for k, v in self._outputs.items()}
        if self._items:
            out["items"] = {k: v.to_mapping() for k, v in self._items.items()}
        return out

    @classmethod
    def cached(
        cls,
        lines: Iterable[Mapping[str, Any] | BomLine],
        *,
        version: Hashable | None = None,
        outputs: Mapping[str, Any] | None = None,
        items: Mapping[str, Mapping[str, Any] | ItemSpec] | None = None,
    ) -> Bom:
        """``Bom(lines, outputs=outputs, items=items)``, built once per BOM version and process.

        A host that explodes every order against BOMs that change now and then keeps one built
        ``Bom`` per version instead of building per order. The key is

        * ``version`` when given — the host's name for this exact content, e.g.
          ``("GB-200", "ECN-1043")``, a row version or the ``updated_at`` of the BOM header.
          It must change whenever lines, outputs or items change (the cache cannot see a change
          under the same version); the lookup then costs a dict access;
        * otherwise a BLAKE2b hash of the content (lines, outputs, items), so any changed value,
          added or removed line gives a new build. Hashing reads every line (about a quarter
          of a build); content with values other than plain ``str``, ``int``, ``float``,
          ``bool``, ``None``, ``Decimal``, ``Fraction``, dates, lists and dicts is built
          without caching.

        The cache keeps the :data:`CACHE_SIZE` most recently used BOMs (thread-safe; a
        :class:`Bom` is immutable, so sharing one is safe); failed builds are not cached;
        :meth:`cache_clear` empties it.

        Examples
        --------
        >>> lines = [{"parent": "kit", "child": "bolt", "qty": 2}]
        >>> Bom.cached(lines, version="kit@1") is Bom.cached(lines, version="kit@1")
        True
        >>> Bom.cached(lines) is Bom.cached([{"parent": "kit", "child": "bolt", "qty": 3}])
        False
        """
        if version is not None:
            key: Hashable = ("version", version)
        else:
            digest = _content_key(lines, outputs, items)
            if digest is None:
                return cls(lines, outputs=outputs, items=items)
            key = ("content", digest)
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
            if hit is not None:
                _CACHE.move_to_end(key)
                return hit
        bom = cls(lines, outputs=outputs, items=items)
        with _CACHE_LOCK:
            _CACHE[key] = bom
            _CACHE.move_to_end(key)
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
        return bom

    @staticmethod
    def cache_clear() -> None:
        """Forget every BOM :meth:`cached` keeps."""
        with _CACHE_LOCK:
            _CACHE.clear()

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Bom:
        """Build from ``{"lines": [...], "outputs": {...}, "items": {...}}``; unknown keys are
        errors naming the key."""
        _check_keys(mapping, _BOM_KEYS, "bom")
        if "lines" not in mapping:
            raise bad_value("lines", None, "a list of BOM lines")
        return cls(mapping["lines"], outputs=mapping.get("outputs"), items=mapping.get("items"))

    def _check_item(self, item: str) -> None:
        if not isinstance(item, str) or item not in self._pos:
            raise UnknownItemError(f"unknown item {item!r}: not in the BOM", key=item)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item in self._pos

    def __len__(self) -> int:
        return len(self._order)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bom):
            return NotImplemented
        return self.to_mapping() == other.to_mapping()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        n_lines = len(self._cols.parents) if self._cols is not None else len(self._line_objects())
        return f"Bom({len(self._order)} items, {n_lines} lines)"


def _read_items(items: Mapping[str, Mapping[str, Any] | ItemSpec] | None) -> dict[str, ItemSpec]:
    specs: dict[str, ItemSpec] = {}
    if items is not None:
        if not isinstance(items, Mapping):
            raise bad_value("items", items, "a mapping of item -> {unit, step, mode, phantom}")
        for name, spec in items.items():
            _name(name, f"items[{name!r}]")
            specs[name] = spec if isinstance(spec, ItemSpec) else ItemSpec.from_mapping(
                spec, f"items.{name}")
    return specs


def _read_outputs(outputs: Mapping[str, Any] | None, line_parents: set[str],
                  units: Mapping[str, str | None]) -> dict[str, Fraction]:
    out_map: dict[str, Fraction] = {}
    if outputs is not None and not isinstance(outputs, Mapping):
        raise bad_value("outputs", outputs, "a mapping of parent -> quantity produced")
    for parent, value in (outputs or {}).items():
        if parent not in line_parents:
            raise UnknownItemError(f"outputs: {parent!r} is not a parent in the BOM",
                                   key=parent)
        amount = _amount(value, units[parent], f"outputs.{parent}")
        if amount <= 0:
            raise bad_value(f"outputs.{parent}", value, "a quantity > 0")
        _bounded(amount, value, f"outputs.{parent}", minimum=True)
        out_map[parent] = amount
    return out_map


def _alternates(ln: BomLine, factor: Fraction,
                units: Mapping[str, str | None]) -> tuple[tuple[str, Fraction], ...]:
    """(alternate, its stock units per stock unit of the primary) for each alternate of a line."""
    alts: list[tuple[str, Fraction]] = []
    for j, alt in enumerate(ln.alternates):
        if alt.child == ln.child:
            raise bad_value(f"lines[{ln.row}].alternates[{j}].child", alt.child,
                            "an item other than the primary child", row=ln.row)
        alt_qty = ln.qty if alt.qty is None else alt.qty
        alt_unit = ln.unit if alt.unit is None else alt.unit
        alt_factor = _line_factor(alt_unit, units[alt.child], ln,
                                  f"alternates[{j}].unit", alt.child)
        if ln.qty == 0:
            raise bad_value(f"lines[{ln.row}].qty", 0, "> 0 on a line with alternates",
                            row=ln.row)
        alts.append((alt.child, alt_qty * alt_factor / (ln.qty * factor)))
    return tuple(alts)


def _check_leaves(active: Iterable[BomLine], leaves: frozenset[str],
                  phantoms: frozenset[str]) -> None:
    for ln in active:
        for j, alt in enumerate(ln.alternates):
            if ln.child not in leaves or alt.child not in leaves:
                raise bad_value(f"lines[{ln.row}].alternates[{j}]", alt.child,
                                "an alternate of a purchased part: primary and alternate "
                                "must both be leaves (items without lines)", row=ln.row)
    for name in phantoms:
        if name in leaves:
            raise bad_value(f"phantom item {name}", name,
                            "an assembly with lines (a phantom is exploded, never stocked)")


def _line_graph(specs: Mapping[str, ItemSpec], parsed: Sequence[BomLine], *,
                cycles: bool) -> nx.DiGraph:
    """The parent → child graph of the non-zero lines (edge attribute ``rows``), nodes in the
    order declared, then named. With ``cycles``, zero lines count too for the cycle check (a
    cycle is structural, whatever the quantity) and a cycle raises :class:`BomCycleError`."""
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(specs)
    for ln in parsed:
        graph.add_node(ln.parent)
        graph.add_node(ln.child)
        for alt in ln.alternates:
            graph.add_node(alt.child)
    for ln in parsed:
        if ln.qty == 0 and ln.setup == 0:
            continue
        if graph.has_edge(ln.parent, ln.child):
            graph.edges[ln.parent, ln.child]["rows"].append(ln.row)
        else:
            graph.add_edge(ln.parent, ln.child, rows=[ln.row])
    if cycles:
        zero_edges = [(ln.parent, ln.child) for ln in parsed
                      if (ln.qty == 0 and ln.setup == 0)
                      and not graph.has_edge(ln.parent, ln.child)]
        graph.add_edges_from(zero_edges, rows=[])
        if not nx.is_directed_acyclic_graph(graph):
            raise BomCycleError(_a_cycle(graph))
        graph.remove_edges_from(zero_edges)
    return graph


def _a_cycle(graph: nx.DiGraph) -> list[str]:
    """One cycle, searched inside a strongly connected component (fast on big graphs)."""
    for component in nx.strongly_connected_components(graph):
        node = next(iter(component))
        if len(component) > 1 or graph.has_edge(node, node):
            cycle = nx.find_cycle(graph.subgraph(component), source=node)
            return [str(u) for u, _v in cycle]
    raise AssertionError("no cycle")  # pragma: no cover


def _check_made(lines: Sequence[BomLine], made: set[str]) -> None:
    """A parent whose every line is zero would explode to itself, as a purchased part: refused,
    naming the parent and its lines."""
    for ln in lines:
        if ln.parent not in made:
            mine = [x for x in lines if x.parent == ln.parent]
            shown = ", ".join(f"lines[{x.row}] {x.parent} -> {x.child}" for x in mine)
            raise ValidationError(
                f"item {ln.parent!r} has lines ({shown}) but all "
                "quantities and setups are 0: it would be bought as a part instead of made; "
                "remove the lines or give a quantity",
                field=f"lines[{mine[0].row}].qty", value=ln.parent, row=mine[0].row)


def _amount(value: object, unit: str | None, field: str) -> Fraction:
    """An exact amount in ``unit`` from a number (already in it), a quantity string or a scalar
    ``pint.Quantity`` (a plain count item takes count units)."""
    if isinstance(value, pint.Quantity) or (
            isinstance(value, str) and any(c.isalpha() for c in value.replace("e", ""))):
        return exact_magnitude(value, unit if unit is not None else "piece", field=field)
    return _exact(value, field)


def _line_factor(unit: str | None, stock: str | None, line: BomLine, key: str,
                 child: str) -> Fraction:
    if unit is None or stock is None or unit == stock:
        if unit is not None and stock is None:  # cannot happen: a unit defines the stock unit
            raise AssertionError(unit)
        return Fraction(1)
    try:
        return exact_factor(unit, stock, field=f"lines[{line.row}].{key}")
    except UnitError:
        raise UnitError(
            f"lines[{line.row}].{key} ({line.parent} -> {child}): cannot convert {unit!r} "
            f"({dimension_of(unit)}) to {child}'s stock unit {stock!r} ({dimension_of(stock)})",
            field=f"lines[{line.row}].{key}", value=unit, row=line.row,
        ) from None


_Window = tuple[_dt.date | None, _dt.date | None]
_FastLine = tuple[str, int, int, "_Window | None"]


def _window(line: BomLine) -> _Window | None:
    """``(valid_from, valid_to)`` of a dated line, ``None`` for an undated one."""
    if line.valid_from is None and line.valid_to is None:
        return None
    return (line.valid_from, line.valid_to)


def _in_window(window: _Window, on: _dt.date) -> bool:
    start, end = window
    return not ((start is not None and on < start) or (end is not None and on > end))


class _Fast:
    """Integer form of the BOM: requirement of item ``n`` is ``N / (den · L**llc(n))``; each
    line is ``(child, mult, setup, window)`` with ``mult`` and ``setup`` integers (see
    :func:`_compile_fast`)."""

    __slots__ = ("lines", "scale")

    def __init__(self, scale: int, lines: dict[str, list[_FastLine]]) -> None:
        self.scale = scale
        self.lines = lines


def _compile_fast(by_parent: Mapping[str, list[_Compiled]], llc: Mapping[str, int]) -> _Fast | None:
    scale = 1
    for comps in by_parent.values():
        for c in comps:
            scale = math.lcm(scale, c.coef.denominator, c.setup.denominator)
    if scale.bit_length() > _FAST_PATH_MAX_BITS:
        return None
    lines: dict[str, list[_FastLine]] = {}
    for parent, comps in by_parent.items():
        ep = llc[parent]
        out = []
        for c in comps:
            ec = llc[c.child]
            mult = c.coef.numerator * (scale // c.coef.denominator) * scale ** (ec - ep - 1)
            setup = c.setup.numerator * (scale // c.setup.denominator) * scale ** (ec - 1)
            out.append((c.child, mult, setup, _window(c.line)))
        lines[parent] = out
    return _Fast(scale, lines)


# ---------------------------------------------------------------- the vectorised build


_SIMPLE_KEYS: Final = _LINE_KEYS - {"alternates"}
_PROBE: Final = {"parent": "p", "child": "c", "qty": 1}
_NUMBERS: Final = frozenset({str, int, float, Decimal, Fraction})
_DATES: Final = frozenset({type(None), str, _dt.date, _dt.datetime})


class _Bail(Exception):
    """The vectorised build declines: the line-by-line reader takes over (and names the error)."""


def _probe(**fields: object) -> BomLine:
    """One line mapping read by the line reader itself: the vectorised build decides every
    distinct value with exactly the checks a line gets (placeholder names; errors bail out)."""
    try:
        return BomLine.from_mapping({**_PROBE, **fields})
    except Exception:
        raise _Bail from None


def _codes(values: list[Any]) -> tuple[list[int], list[Any]]:
    """Each value's index among the distinct values (first appearance order), and those values.

    Values are told apart by type too (``1``, ``1.0`` and ``True`` are equal in Python but not
    the same input); an unhashable value raises ``TypeError`` (the build bails out)."""
    keys: list[Any] = values
    if len(set(map(type, values))) > 1:
        keys = list(zip(map(type, values), values, strict=True))
    table: dict[Any, Any] = dict.fromkeys(keys)
    distinct = list(table)
    table.update(zip(distinct, range(len(distinct)), strict=True))
    codes = list(map(table.__getitem__, keys))
    if keys is not values:
        distinct = [v for _t, v in distinct]
    return codes, distinct


def _combine(*cols: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Distinct combinations of non-negative integer columns: (code of each row, numbered by
    first appearance, and the first row of each code)."""
    code = cols[0].astype(np.int64)
    bound = int(code.max(initial=0)) + 1
    for col in cols[1:]:
        width = int(col.max(initial=0)) + 1
        if bound * width >= 2**62:  # renumber densely before the product could overflow
            code = np.unique(code, return_inverse=True)[1].reshape(-1).astype(np.int64)
            bound = int(code.max(initial=0)) + 1
        code = code * width + col
        bound *= width
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    # number the codes by first appearance (rows of the first code come first)
    rank = np.empty(first.size, dtype=np.intp)
    by_first = np.argsort(first, kind="stable")
    rank[by_first] = np.arange(first.size)
    return rank[inverse.reshape(-1)], first[by_first]


def _column(rows: list[dict[str, Any]], key: str, default: object, kinds: frozenset[type],
            keys: set[str]) -> list[Any] | None:
    if key not in keys:
        return None
    try:
        col = list(map(operator.itemgetter(key), rows))
    except KeyError:
        col = [r.get(key, default) for r in rows]
    if not set(map(type, col)) <= kinds:
        raise _Bail
    return col


class _Columns:
    """The lines as the vectorised build keeps them: per row, indices into small tables of the
    distinct values (a 17,000-line BOM has a few dozen distinct quantities); :class:`BomLine`
    and :class:`_Compiled` objects are made only when something asks for them."""

    __slots__ = ("active", "alternates", "children", "combo", "ctab", "parents", "parsed",
                 "phantom", "qidx", "qtab", "scrap", "setup", "sidx", "tidx", "valid_from",
                 "valid_to")

    parents: list[str]
    children: list[str]
    qidx: list[int]
    qtab: list[tuple[Fraction, str | None]]
    sidx: list[int] | None
    scrap: list[Fraction]
    tidx: list[int] | None
    setup: list[Fraction]
    phantom: list[bool] | None
    valid_from: list[_dt.date | None] | None
    valid_to: list[_dt.date | None] | None
    parsed: dict[int, BomLine]
    active: list[int]
    combo: list[int]
    ctab: list[tuple[int, int, int, int]]  # (coef num, coef den, setup num, setup den)
    alternates: dict[int, tuple[tuple[str, Fraction], ...]]

    def lines(self) -> tuple[BomLine, ...]:
        n = len(self.parents)
        qty = [self.qtab[i] for i in self.qidx]
        scrap = (map(self.scrap.__getitem__, self.sidx) if self.sidx is not None
                 else itertools.repeat(Fraction(0), n))
        setup = (map(self.setup.__getitem__, self.tidx) if self.tidx is not None
                 else itertools.repeat(Fraction(0), n))
        out = list(map(BomLine, self.parents, self.children, (q for q, _u in qty),
                       (u for _q, u in qty), scrap,
                       self.phantom if self.phantom is not None else itertools.repeat(False, n),
                       setup, self.valid_from or itertools.repeat(None, n),
                       self.valid_to or itertools.repeat(None, n),
                       itertools.repeat((), n), range(n)))
        for row, line in self.parsed.items():  # rows with alternates: read by the line reader
            out[row] = line
        return tuple(out)

    def compiled(self, lines: Sequence[BomLine]) -> dict[str, list[_Compiled]]:
        by_parent: dict[str, list[_Compiled]] = {}
        alts = self.alternates
        coef = [(Fraction(a, b), Fraction(c, d)) for a, b, c, d in self.ctab]
        for row, code in zip(self.active, self.combo, strict=True):
            ln = lines[row]
            by_parent.setdefault(ln.parent, []).append(
                _Compiled(ln, *coef[code], alts.get(row, ())))
        return by_parent


def _build_fast(bom: Bom, rows: list[Any], outputs: Mapping[str, Any] | None,
                items: Mapping[str, Mapping[str, Any] | ItemSpec] | None) -> bool:
    """Build ``bom`` in one vectorised pass over integer ids; ``False`` when it declines.

    The pass allocates some 50,000 small acyclic objects for a 17,000-line BOM (tuples, lists,
    big integers); the cyclic garbage collector would run some thirty times meanwhile and scan
    the host's whole heap in its older generations (20-30 % of the build on a busy host), for
    nothing: so it is paused for the pass (and switched back on only if it was on)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        _build_columns(bom, rows, outputs, items)
    except Exception:  # _Bail, or anything the line reader will name properly
        return False
    finally:
        if paused:
            gc.enable()
    return True


def _build_columns(bom: Bom, rows: list[Any], outputs: Mapping[str, Any] | None,
                   items: Mapping[str, Mapping[str, Any] | ItemSpec] | None) -> None:
    n = len(rows)
    if n == 0 or set(map(type, rows)) != {dict}:
        raise _Bail
    try:
        parents: list[str] = list(map(operator.itemgetter("parent"), rows))
        children: list[str] = list(map(operator.itemgetter("child"), rows))
        qtys: list[Any] = list(map(operator.itemgetter("qty"), rows))
    except KeyError:
        raise _Bail from None
    keys: set[str] = set().union(*rows)
    cols = _Columns()
    cols.parents, cols.children = parents, children

    # rows with alternates (or unknown keys) are read by the line reader itself
    parsed: dict[int, BomLine] = {}
    if not keys <= _SIMPLE_KEYS:
        for row, raw in enumerate(rows):
            if not _SIMPLE_KEYS.issuperset(raw):
                parsed[row] = BomLine.from_mapping(raw, row)
    cols.parsed = parsed
    alt_children = {a.child for ln in parsed.values() for a in ln.alternates}

    # names: strings, not empty, no padding, nothing invisible — once per distinct name
    names = set(parents)
    names.update(children)
    if set(map(type, names)) != {str} or "" in names:
        raise _Bail
    name_list = list(names)
    if not all(map(str.isprintable, name_list)) or list(map(str.strip, name_list)) != name_list:
        raise _Bail

    # quantities (with their unit), scrap, setup, phantom, dates: each distinct value read once
    # by the line reader (a quantity written with its unit, '4 kg', once per (qty, unit))
    units = _column(rows, "unit", None, frozenset({str, type(None)}), keys)
    if not set(map(type, qtys)) <= _NUMBERS:
        raise _Bail
    if units is None:
        raw_q, raw_qs = _codes(qtys)
        plain = [_probe(qty=raw).qty if not _unit_written(raw) else None for raw in raw_qs]
        if any(q is None for q in plain):
            raise _Bail  # '4 kg' without a unit key: rare, the line reader takes it
        cols.qidx, cols.qtab = raw_q, [(q, None) for q in plain if q is not None]
    else:
        if len(set(map(type, qtys))) == 1:  # one type: the (qty, unit) pair is the key
            cols.qidx, pairs = _codes(list(zip(qtys, units, strict=True)))
        else:
            raw_q, _qtys = _codes(qtys)
            raw_u, _units = _codes(units)
            code, first = _combine(np.array(raw_q, dtype=np.intp),
                                   np.array(raw_u, dtype=np.intp))
            cols.qidx = code.tolist()
            pairs = [(qtys[k], units[k]) for k in first.tolist()]
        for unit in set(u for _q, u in pairs):
            if unit is not None:
                _probe(unit=unit)
        plain_of: dict[tuple[type, object], Fraction | None] = {}
        cols.qtab = []
        for raw, unit in pairs:
            typed = (type(raw), raw)
            if typed not in plain_of:
                plain_of[typed] = None if _unit_written(raw) else _probe(qty=raw).qty
            q = plain_of[typed]
            if q is None:
                ln = _probe(qty=raw, unit=unit)
                cols.qtab.append((ln.qty, ln.unit))
            else:
                cols.qtab.append((q, unit))
    scraps = _column(rows, "scrap", 0, _NUMBERS, keys)
    cols.sidx = cols.tidx = None
    cols.scrap, cols.setup = [Fraction(0)], [Fraction(0)]
    if scraps is not None:
        cols.sidx, sdistinct = _codes(scraps)
        cols.scrap = [_probe(scrap=raw).scrap for raw in sdistinct]
    setups = _column(rows, "setup", 0, _NUMBERS, keys)
    if setups is not None:
        cols.tidx, tdistinct = _codes(setups)
        cols.setup = [_probe(setup=raw).setup for raw in tdistinct]
    cols.phantom = _column(rows, "phantom", False, frozenset({bool}), keys)
    cols.valid_from = cols.valid_to = None
    for key in ("valid_from", "valid_to"):
        raw_dates = _column(rows, key, None, _DATES, keys)
        if raw_dates is not None:
            didx, ddistinct = _codes(raw_dates)
            table = [getattr(_probe(**{key: raw}), key) for raw in ddistinct]
            setattr(cols, key, list(map(table.__getitem__, didx)))
    if cols.valid_from is not None and cols.valid_to is not None and any(
            a is not None and b is not None and b < a
            for a, b in zip(cols.valid_from, cols.valid_to, strict=True)):
        raise _Bail

    qidx = np.array(cols.qidx, dtype=np.intp)
    sidx = np.array(cols.sidx, dtype=np.intp) if cols.sidx is not None else np.zeros(n, np.intp)
    tidx = np.array(cols.tidx, dtype=np.intp) if cols.tidx is not None else np.zeros(n, np.intp)
    active = np.array([q != 0 for q, _u in cols.qtab], dtype=bool)[qidx]
    if cols.tidx is not None:
        active |= np.array([s != 0 for s in cols.setup], dtype=bool)[tidx]
    act = np.flatnonzero(active)

    # items: declared ones, every named item among them
    specs = _read_items(items)
    if items is not None and not (names | alt_children) <= specs.keys():
        raise _Bail

    # integer ids (by name, so a stable sort by low-level code is the (llc, name) order)
    node_names = sorted(specs.keys() | names | alt_children)
    n_nodes = len(node_names)
    ids = dict(zip(node_names, range(n_nodes), strict=True))
    pid = np.fromiter(map(ids.__getitem__, parents), np.intp, n)
    cid = np.fromiter(map(ids.__getitem__, children), np.intp, n)
    apid, acid = pid[act], cid[act]
    if act.size == n:
        level = layers(n_nodes, pid, cid)
    else:  # a cycle is structural, zero lines included; codes follow the non-zero lines
        if layers(n_nodes, pid, cid) is None:
            raise _Bail
        level = layers(n_nodes, apid, acid)
    out_degree = np.bincount(apid, minlength=n_nodes)
    if level is None or not np.array_equal(np.bincount(pid, minlength=n_nodes) > 0,
                                           out_degree > 0):  # a cycle, an all-zero parent
        raise _Bail

    # stock units: declared, else the first line naming one, else a plain count (None)
    qunit = [u for _q, u in cols.qtab]
    declared = {k: s.unit for k, s in specs.items() if s.unit}
    utab = {u: i for i, u in enumerate(dict.fromkeys([None, *qunit, *declared.values()]))}
    q_uid = np.array([utab[u] for u in qunit], dtype=np.intp)
    line_uid = q_uid[qidx]
    node_uid = np.zeros(n_nodes, dtype=np.intp)
    named = np.flatnonzero(line_uid)
    named_children, first_named = np.unique(cid[named], return_index=True)
    node_uid[named_children] = line_uid[named[first_named]]
    for k, u in declared.items():
        node_uid[ids[k]] = utab[u]
    unit_of: list[str | None] = list(utab)
    if parsed:  # alternates: their own unit, else the primary's stock unit
        assigned = set(np.flatnonzero(node_uid).tolist())
        for row in sorted(parsed):
            ln = parsed[row]
            for alt in ln.alternates:
                a = ids[alt.child]
                if a not in assigned:
                    unit = alt.unit if alt.unit is not None else unit_of[node_uid[ids[ln.child]]]
                    if unit not in utab:
                        utab[unit] = len(unit_of)
                        unit_of.append(unit)
                    node_uid[a] = utab[unit]
                    assigned.add(a)
    all_units = dict(zip(node_names, map(unit_of.__getitem__, node_uid.tolist()), strict=True))

    phantoms = {k for k, s in specs.items() if s.phantom}
    if cols.phantom is not None:
        phantoms.update(itertools.compress(children, cols.phantom))
    out_map = _read_outputs(outputs, set(parents), all_units)

    # the exact factor of each distinct (unit, stock unit, scrap, output) once, then of each
    # distinct (qty, that) once: a few thousand Fraction products for 17,000 lines
    out_tab = [Fraction(1), *out_map.values()]
    node_out = np.zeros(n_nodes, dtype=np.intp)
    for j, parent in enumerate(out_map, start=1):
        node_out[ids[parent]] = j
    aq = qidx[act]
    cu = node_uid[acid]
    asc = sidx[act]
    ao = node_out[apid]
    gcode, gfirst = _combine(line_uid[act], cu, asc, ao)
    gains: list[Fraction] = []  # factor · (1 + scrap) / output, per distinct combination
    markups: list[Fraction] = []  # factor · (1 + scrap), for setups
    act_rows: list[int] = act.tolist()
    cul, ascl, aol = cu.tolist(), asc.tolist(), ao.tolist()
    for k in gfirst.tolist():
        row = act_rows[k]
        qty, unit = cols.qtab[cols.qidx[row]]
        ufac = _line_factor(unit, unit_of[cul[k]], BomLine(parents[row], children[row], qty, unit,
                                                          row=row), "unit", children[row])
        markup = ufac * (1 + cols.scrap[ascl[k]])
        markups.append(markup)
        gains.append(markup / out_tab[aol[k]])
    combo, ctab = _coefficients([q for q, _u in cols.qtab], gains, aq, gcode,
                                cols.setup if cols.tidx is not None else None, markups,
                                tidx[act])
    alternates: dict[int, tuple[tuple[str, Fraction], ...]] = {}
    active_set = set(act_rows) if parsed else set()
    for row in sorted(parsed):
        ln = parsed[row]
        if row in active_set and ln.alternates:
            ufac = _line_factor(ln.unit, all_units[ln.child], ln, "unit", ln.child)
            alternates[row] = _alternates(ln, ufac, all_units)
    leaves = frozenset(itertools.compress(node_names, (out_degree == 0).tolist()))
    _check_leaves((parsed[r] for r in sorted(parsed) if r in active_set), leaves,
                  frozenset(phantoms))

    cols.active, cols.combo, cols.ctab = act_rows, combo.tolist(), ctab
    cols.alternates = alternates
    active_flags: list[bool] = active.tolist()
    has_dates = False
    for dates in (cols.valid_from, cols.valid_to):
        if dates is not None and any(itertools.compress(dates, active_flags)):
            has_dates = True

    llc_list: list[int] = level.tolist()
    order = tuple(map(node_names.__getitem__, np.argsort(level, kind="stable").tolist()))
    bom._cols = cols
    bom._items = specs
    bom._units = all_units
    bom._phantoms = frozenset(phantoms)
    bom._outputs = out_map
    bom._leaves = leaves
    bom._has_dates = has_dates
    bom._llc = dict(zip(node_names, llc_list, strict=True))
    bom._order = order
    bom._pos = dict(zip(order, range(n_nodes), strict=True))
    bom._fast = _fast_columns(cols, combo, act, apid, acid, level, node_names, has_dates)


_SMALL: Final = 2**31  # numerators and denominators below this multiply exactly in int64


def _coefficients(qtys: list[Fraction], gains: list[Fraction], qcode: npt.NDArray[np.intp],
                  gcode: npt.NDArray[np.intp], setups: list[Fraction] | None,
                  markups: list[Fraction], tcode: npt.NDArray[np.intp],
                  ) -> tuple[npt.NDArray[np.intp], list[tuple[int, int, int, int]]]:
    """The code of each active line's (qty, gain, setup) combination, and per combination the
    reduced ``qty · gain`` and ``setup · markup`` as (numerator, denominator, numerator,
    denominator): with ``np.gcd`` in int64 while every part is below 2**31 (the products are
    then exact), else with Python integers."""
    combo, first = _combine(qcode, gcode, tcode) if setups is not None else _combine(qcode,
                                                                                    gcode)
    qf, gf, tf = qcode[first], gcode[first], tcode[first]
    values = [*qtys, *gains, *markups, *(setups or ())]
    if max(max(v.numerator, v.denominator) for v in values) < _SMALL:
        def reduced(a: list[Fraction], ac: npt.NDArray[np.intp], b: list[Fraction],
                    bc: npt.NDArray[np.intp]) -> tuple[list[int], list[int]]:
            num = (np.array([v.numerator for v in a], dtype=np.int64)[ac]
                   * np.array([v.numerator for v in b], dtype=np.int64)[bc])
            den = (np.array([v.denominator for v in a], dtype=np.int64)[ac]
                   * np.array([v.denominator for v in b], dtype=np.int64)[bc])
            g = np.gcd(num, den)
            return (num // g).tolist(), (den // g).tolist()

        cn, cd = reduced(qtys, qf, gains, gf)
        if setups is not None:
            tn, td = reduced(setups, tf, markups, gf)
        else:
            tn, td = [0] * len(cn), [1] * len(cn)
        return combo, list(zip(cn, cd, tn, td, strict=True))
    table = []
    for q, g, t in zip(qf.tolist(), gf.tolist(), tf.tolist(), strict=True):
        c = qtys[q] * gains[g]
        u = (setups[t] if setups is not None else Fraction(0)) * markups[g]
        table.append((c.numerator, c.denominator, u.numerator, u.denominator))
    return combo, table


def _unit_written(raw: object) -> bool:
    """Whether the line reader takes ``raw`` as a quantity with its unit ('4 kg')."""
    return isinstance(raw, str) and any(c.isalpha() for c in raw.replace("e", ""))


def _fast_columns(cols: _Columns, combo: npt.NDArray[np.intp], act: npt.NDArray[np.intp],
                  apid: npt.NDArray[np.intp], acid: npt.NDArray[np.intp],
                  level: npt.NDArray[np.intp], node_names: list[str],
                  dated: bool) -> _Fast | None:
    """:func:`_compile_fast` over the distinct combinations instead of every line."""
    ctab = cols.ctab
    scale = math.lcm(*{d for _n, d, _sn, _sd in ctab}, *{d for _n, _d, _sn, d in ctab})
    if scale.bit_length() > _FAST_PATH_MAX_BITS:
        return None
    powers = [scale**k for k in range(int(level.max(initial=0)) + 1)]
    ec = level[acid]
    drop = ec - level[apid] - 1
    steps, first = _combine(combo, drop)
    cl, dl, el = combo.tolist(), drop.tolist(), ec.tolist()
    mult_tab = []
    for k in first.tolist():
        n, d, _sn, _sd = ctab[cl[k]]
        mult_tab.append(n * (scale // d) * powers[dl[k]])
    if any(sn for _n, _d, sn, _sd in ctab):
        sets, sfirst = _combine(combo, ec)
        setup_tab = []
        for k in sfirst.tolist():
            _n, _d, sn, sd = ctab[cl[k]]
            setup_tab.append(sn * (scale // sd) * powers[el[k] - 1])
    else:
        sets, setup_tab = np.zeros(combo.size, dtype=np.intp), [0]
    perm = np.argsort(apid, kind="stable")
    rows: list[int] = act[perm].tolist()
    kids = list(map(cols.children.__getitem__, rows))
    mults = list(map(mult_tab.__getitem__, steps[perm].tolist()))
    setups: list[int] | itertools.repeat[int] = (
        list(map(setup_tab.__getitem__, sets[perm].tolist())) if len(setup_tab) > 1
        or setup_tab[0] else itertools.repeat(0, len(rows)))
    windows: list[_Window | None] | itertools.repeat[None]
    if dated:
        n = len(cols.parents)
        start = cols.valid_from or [None] * n
        end = cols.valid_to or [None] * n
        windows = [None if start[r] is None and end[r] is None else (start[r], end[r])
                   for r in rows]
    else:
        windows = itertools.repeat(None, len(rows))
    flat: list[_FastLine] = list(zip(kids, mults, setups, windows, strict=False))
    owner = apid[perm]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if owner.size else owner
    ends = [*starts[1:].tolist(), len(flat)]
    lines = {node_names[p]: flat[a:b]
             for p, a, b in zip(owner[starts].tolist(), starts.tolist(), ends, strict=True)}
    return _Fast(scale, lines)


# ---------------------------------------------------------------- verbs


def _check_on(bom: Bom, on: object) -> _dt.date | None:
    day = _date(on, "on")
    if day is None and bom._has_dates:
        raise bad_value("on", None, "a date: this BOM has dated lines (valid_from / valid_to)")
    return day


def _no_lines(item: str, day: _dt.date | None) -> ValidationError:
    return bad_value(f"lines of {item}", day.isoformat() if day else None,
                     "at least one line effective on that date")


def _explode_fast(bom: Bom, fast: _Fast, item: str, qty: Fraction, day: _dt.date | None,
                  setups: bool) -> dict[str, Fraction]:
    llc = bom._llc
    scale = fast.scale
    den = qty.denominator
    req = _fast_numerators(bom, fast, item, qty.numerator, den, day, setups)
    return {k: Fraction(v, den * scale ** llc[k]) for k, v in req.items() if v}


def _fast_numerators(bom: Bom, fast: _Fast, item: str, num: int, den: int,
                     day: _dt.date | None, setups: bool) -> dict[str, int]:
    """Integer numerators ``N`` (requirement ``N / (den · scale**llc)``) of ``num/den`` of
    ``item``, zero entries kept, in the order :func:`explode` lists them."""
    llc = bom._llc
    scale = fast.scale
    req: dict[str, int] = {item: num * scale ** llc[item]}
    lines_of = fast.lines
    dated = day is not None
    for node in bom._order[bom._pos[item]:]:
        n = req.get(node)
        if n is None:
            continue
        lines = lines_of.get(node)
        if lines is None:
            continue
        del req[node]
        if n == 0:
            continue
        used = False
        for child, mult, setup, window in lines:
            if day is not None and window is not None and not _in_window(window, day):
                continue
            used = True
            add = n * mult + (setup * den if setups and setup else 0)
            req[child] = req.get(child, 0) + add
        if dated and not used:
            raise _no_lines(node, day)
    return req


def _explode_exact(bom: Bom, item: str, qty: Fraction, day: _dt.date | None, setups: bool,
                   on_hand: Mapping[str, Fraction] | None) -> dict[str, Fraction]:
    by_parent = bom._compiled()
    req: dict[str, Fraction] = {item: qty}
    taken: dict[str, Fraction] = {}
    by_alt: list[tuple[_Compiled, Fraction]] = []
    for node in bom._order[bom._pos[item]:]:
        r = req.get(node)
        if r is None:
            continue
        comps = by_parent.get(node)
        if comps is None:
            continue
        del req[node]
        if on_hand is not None and node != item and node not in bom._phantoms:
            have = on_hand.get(node, Fraction(0))
            if have > 0 and r > 0:
                take = min(have, r)
                taken[node] = take
                r -= take
        if r == 0:
            continue
        used = False
        for c in comps:
            if day is not None and not c.line.effective(day):
                continue
            used = True
            add = r * c.coef + (c.setup if setups else 0)
            req[c.child] = req.get(c.child, Fraction(0)) + add
            if c.alternates and on_hand is not None:
                by_alt.append((c, add))
        if day is not None and not used:
            raise _no_lines(node, day)
    if on_hand is not None:
        for c, contributed in by_alt:  # alternates take over what the primary cannot cover
            short = req.get(c.child, Fraction(0)) - on_hand.get(c.child, Fraction(0))
            movable = min(short, contributed)
            for alt, ratio in c.alternates:
                if movable <= 0:
                    break
                free = on_hand.get(alt, Fraction(0)) - req.get(alt, Fraction(0))
                if free <= 0:
                    continue
                move = min(movable, free / ratio)
                req[c.child] -= move
                req[alt] = req.get(alt, Fraction(0)) + move * ratio
                movable -= move
        for k, v in taken.items():
            req[k] = req.get(k, Fraction(0)) + v
    return {k: v for k, v in req.items() if v}


def _stock_map(stock: Mapping[str, Any] | None, field: str) -> dict[str, Fraction] | None:
    if stock is None:
        return None
    if not isinstance(stock, Mapping):
        raise bad_value(field, stock, "a mapping of item -> quantity")
    out = {}
    for k, v in stock.items():
        if not isinstance(k, str):  # it could never match an item: say so, not ignore it
            raise bad_value(f"{field} key", k, "an item name (a string)")
        out[k] = _bounded(_exact(v, f"{field}[{k!r}]"), v, f"{field}[{k!r}]")
    return out


def explode(
    bom: Bom,
    item: str,
    quantity: Any,
    *,
    on: _dt.date | str | None = None,
    on_hand: Mapping[str, Any] | None = None,
) -> dict[str, Fraction]:
    """Total requirement of every leaf to make ``quantity`` of ``item`` (多级展开).

    Gross requirements are propagated level by level in low-level-code order (each item's
    requirement summed over all its parents before it is exploded), exactly, through every level;
    see the module docstring for the formula. Duplicate lines are summed, zero lines ignored.

    Parameters
    ----------
    bom : Bom
    item : str
        What to make (a leaf explodes to itself).
    quantity : exact number or quantity string
        In ``item``'s stock unit, or a string such as ``"200 pcs"``; >= 0.
    on : date or ISO string, optional
        Effectivity date; required when the BOM has dated lines.
    on_hand : mapping, optional
        Stock by item. When given, (1) non-phantom sub-assemblies are netted against it before
        being exploded, and the quantities taken from stock appear in the result under the
        sub-assembly's name; (2) alternates take over the part of a leaf line the primary's stock
        cannot cover (in their listed order, only as far as their own stock goes).

    Returns
    -------
    dict[str, Fraction]
        Leaf → exact requirement in the leaf's stock unit (zero entries omitted).

    Examples
    --------
    >>> bom = Bom([{"parent": "kit", "child": "screw", "qty": 10, "unit": "pcs"},
    ...            {"parent": "kit", "child": "glue", "qty": 30, "unit": "g"},
    ...            {"parent": "glue", "child": "resin", "qty": "0.5", "unit": "g"}],
    ...           outputs={"kit": 4}, items=None)
    >>> explode(bom, "kit", 6)
    {'screw': Fraction(15, 1), 'resin': Fraction(45, 2)}
    """
    day = _check_on(bom, on)
    bom._check_item(item)
    qty = _bounded(_amount(quantity, bom._units[item], "quantity"), quantity, "quantity")
    stock = _stock_map(on_hand, "on_hand")
    if stock is None and bom._fast is not None:
        return _explode_fast(bom, bom._fast, item, qty, day, True)
    return _explode_exact(bom, item, qty, day, True, stock)


def _in_order(exc: JxcRulesError, index: int) -> JxcRulesError:
    """``exc`` again, its message starting with the order it is about (``orders[3]: ...``)."""
    if isinstance(exc, UnknownItemError):
        return UnknownItemError(f"orders[{index}]: {exc}", key=exc.key)
    if isinstance(exc, ValidationError) and not isinstance(exc, BomCycleError):
        field = f"orders[{index}].{exc.field}" if exc.field else f"orders[{index}]"
        return type(exc)(f"orders[{index}]: {exc}", field=field, value=exc.value, row=index)
    return exc


def explode_many(
    bom: Bom,
    orders: Iterable[tuple[str, Any]],
    *,
    on: _dt.date | str | None = None,
    on_hand: Mapping[str, Any] | None = None,
) -> list[dict[str, Fraction]]:
    """:func:`explode` for a batch of orders: ``[explode(bom, item, q, on=on, on_hand=on_hand)
    for item, q in orders]``, each order on its own (same results, same order, same exactness).

    Without ``on_hand``, explosion is affine in the quantity on the items it reaches: for any
    ``q > 0``, ``explode(item, q) = q · A(item) + S(item)``, ``A`` the requirement per unit
    without setups and ``S`` what the setups add (once per production order whatever ``q``).
    So each distinct item (and date) is exploded once, and every order of it costs one integer
    multiply-add and one ``Fraction`` per leaf. With ``on_hand`` (netting and alternates are not
    linear) each order is exploded in full, against the same stock.

    Parameters
    ----------
    orders : iterable of (item, quantity)
        Quantities as :func:`explode` takes them (exact numbers or quantity strings).
    on, on_hand :
        As in :func:`explode`, the same for every order.

    Raises
    ------
    ValidationError, UnknownItemError
        As :func:`explode`, the message starting with ``orders[i]:`` (``.row`` is ``i``).

    Examples
    --------
    >>> bom = Bom([{"parent": "kit", "child": "screw", "qty": 10, "unit": "pcs"},
    ...            {"parent": "kit", "child": "purge", "qty": 1, "unit": "g", "setup": 5}])
    >>> explode_many(bom, [("kit", 2), ("kit", "0.5"), ("screw", 7)])
    [{'screw': Fraction(20, 1), 'purge': Fraction(7, 1)}, \
{'screw': Fraction(5, 1), 'purge': Fraction(11, 2)}, {'screw': Fraction(7, 1)}]
    """
    day = _check_on(bom, on)
    stock = _stock_map(on_hand, "on_hand")
    if isinstance(orders, (str, bytes, Mapping)):
        raise bad_value("orders", orders, "a list of (item, quantity) pairs")
    try:
        rows = list(orders)
    except TypeError:
        raise bad_value("orders", orders, "a list of (item, quantity) pairs") from None
    parsed: list[tuple[str, Fraction]] = []
    for i, order in enumerate(rows):
        if (not isinstance(order, Sequence) or isinstance(order, (str, bytes))
                or len(order) != 2):
            raise bad_value(f"orders[{i}]", order, "an (item, quantity) pair", row=i)
        item, quantity = order
        try:
            bom._check_item(item)
            qty = _bounded(_amount(quantity, bom._units[item], "quantity"), quantity,
                           "quantity")
        except JxcRulesError as exc:
            raise _in_order(exc, i) from None
        parsed.append((item, qty))
    if stock is not None:
        return [_exploded(bom, item, qty, day, stock, i) for i, (item, qty) in enumerate(parsed)]
    fast = bom._fast
    out: list[dict[str, Fraction]] = []
    if fast is not None:
        per_item: dict[str, list[tuple[str, int, int, int]]] = {}
        for i, (item, qty) in enumerate(parsed):
            if qty == 0:
                out.append({})
                continue
            terms = per_item.get(item)
            if terms is None:
                try:
                    linear = _fast_numerators(bom, fast, item, 1, 1, day, False)
                    total = _fast_numerators(bom, fast, item, 1, 1, day, True)
                except JxcRulesError as exc:
                    raise _in_order(exc, i) from None
                # a setup-only line (qty 0) reaches items the linear part never does
                terms = per_item[item] = [
                    (k, linear.get(k, 0), v - linear.get(k, 0), fast.scale ** bom._llc[k])
                    for k, v in total.items() if v]
            num, den = qty.numerator, qty.denominator
            out.append({k: Fraction(num * a + den * b, den * d) for k, a, b, d in terms})
        return out
    exact: dict[str, list[tuple[str, Fraction, Fraction]]] = {}
    for i, (item, qty) in enumerate(parsed):
        if qty == 0:
            out.append({})
            continue
        fterms = exact.get(item)
        if fterms is None:
            try:
                per_unit = _explode_exact(bom, item, Fraction(1), day, False, None)
                total_f = _explode_exact(bom, item, Fraction(1), day, True, None)
            except JxcRulesError as exc:
                raise _in_order(exc, i) from None
            fterms = exact[item] = [(k, per_unit.get(k, Fraction(0)),
                                     v - per_unit.get(k, Fraction(0)))
                                    for k, v in total_f.items()]
        out.append({k: qty * a + b for k, a, b in fterms})
    return out


def _exploded(bom: Bom, item: str, qty: Fraction, day: _dt.date | None,
              stock: Mapping[str, Fraction], index: int) -> dict[str, Fraction]:
    try:
        return _explode_exact(bom, item, qty, day, True, stock)
    except JxcRulesError as exc:
        raise _in_order(exc, index) from None


def round_requirements(bom: Bom, requirements: Mapping[str, Any]) -> dict[str, Fraction]:
    """Round each requirement by its item's rule, once, at the end (取整).

    Count items round up to whole pieces (of their stock unit: 1 pcs, or 1/12 dozen when stocked in
    dozens); an item declared with ``step``/``mode`` uses those; other items stay exact.

    Examples
    --------
    >>> bom = Bom([{"parent": "A", "child": "bolt", "qty": "0.3", "unit": "pcs"},
    ...            {"parent": "A", "child": "oil", "qty": "0.3", "unit": "L"}])
    >>> round_requirements(bom, explode(bom, "A", 7))
    {'bolt': Fraction(3, 1), 'oil': Fraction(21, 10)}
    """
    if not isinstance(requirements, Mapping):
        raise bad_value("requirements", requirements, "a mapping of item -> quantity")
    out: dict[str, Fraction] = {}
    for sku, value in requirements.items():
        if sku not in bom:  # its rounding rule is unknown: never pass it through unrounded
            raise UnknownItemError(f"requirements: unknown item {sku!r}: not in the BOM",
                                   key=sku)
        q = _exact(value, f"requirements[{sku!r}]")
        if q < 0:
            raise bad_value(f"requirements[{sku!r}]", value, "a quantity >= 0")
        rule = bom.rounding(sku)
        out[sku] = q if rule is None else round_fraction(q, rule[0], rule[1])
    return out


def max_buildable(
    bom: Bom,
    item: str,
    stock: Mapping[str, Any],
    *,
    on: _dt.date | str | None = None,
    rounding: bool = True,
    net: bool = False,
) -> int:
    """Complete sets (齐套数): the largest whole number of ``item`` that ``stock`` covers.

    Counted in units of ``item`` (a kit whose lines make 4 counts 4 per batch). ``n`` is feasible
    when every leaf requirement of ``explode(bom, item, n)`` — rounded by
    :func:`round_requirements` when ``rounding`` (as :func:`~jxc_rules.reservation.reserve_order`
    does by default) — is at most its stock. Requirements never decrease as ``n`` grows, so the
    answer is found by bracketing from the linear bound (upwards too where a declared rounding
    mode can round a requirement down) and bisecting. With ``net=True`` stock of
    sub-assemblies (and alternates) counts too, as in ``explode(..., on_hand=stock)``.

    Examples
    --------
    >>> bom = Bom([{"parent": "kit", "child": "bolt", "qty": 2, "unit": "pcs"}],
    ...           outputs={"kit": 4})
    >>> max_buildable(bom, "kit", {"bolt": 3})
    6
    """
    day = _check_on(bom, on)
    bom._check_item(item)
    have = _stock_map(stock, "stock") or {}

    def feasible(n: int) -> bool:
        if n == 0:
            return True
        q = Fraction(n)
        if net:
            req = _explode_exact(bom, item, q, day, True, have)
        elif bom._fast is not None:
            req = _explode_fast(bom, bom._fast, item, q, day, True)
        else:
            req = _explode_exact(bom, item, q, day, True, None)
        if rounding:
            req = round_requirements(bom, req)
        return all(v <= have.get(k, 0) for k, v in req.items())

    per_unit = (_explode_fast(bom, bom._fast, item, Fraction(1), day, False)
                if bom._fast is not None else _explode_exact(bom, item, Fraction(1), day, False,
                                                             None))
    if not per_unit:
        raise bad_value(f"lines of {item}", item, "a BOM that needs some component")
    bound = min(math.floor(have.get(k, Fraction(0)) / v) for k, v in per_unit.items())
    if net:  # sub-assembly stock may allow more than the leaves alone: bracket upwards
        lo, hi = 0, max(bound, 1)
        while feasible(hi):
            lo, hi = hi, hi * 2
    elif not feasible(bound):  # setups or rounding up need more than the linear bound
        lo, hi = 0, bound
    else:
        lo, hi = bound, bound + 1
        # rounding down or to nearest (a declared mode) can cover sets beyond the linear bound
        rounds_down = rounding and any(
            rule is not None and rule[1] not in ("up", "ceiling")
            for rule in (bom.rounding(k) for k in per_unit))
        if not rounds_down:
            return bound
        while feasible(hi):
            lo, hi = hi, hi * 2
    while hi - lo > 1:  # invariant: feasible(lo), not feasible(hi)
        mid = (lo + hi) // 2
        if feasible(mid):
            lo = mid
        else:
            hi = mid
    return lo


def where_used(
    bom: Bom, item: str, *, direct: bool = False, on: _dt.date | str | None = None
) -> dict[str, Fraction]:
    """Implosion (反查): every assembly that uses ``item``, with the exact quantity of ``item``
    (in its stock unit, scrap included, setups excluded) per one unit of the assembly.

    Computed bottom-up in reverse low-level order, summing over every path. ``direct=True`` keeps
    only the immediate parents.

    Examples
    --------
    >>> bom = Bom([{"parent": "car", "child": "wheel", "qty": 4},
    ...            {"parent": "wheel", "child": "nut", "qty": 5},
    ...            {"parent": "car", "child": "nut", "qty": 2}])
    >>> where_used(bom, "nut")
    {'wheel': Fraction(5, 1), 'car': Fraction(22, 1)}
    """
    day = _check_on(bom, on)
    bom._check_item(item)
    usage: dict[str, Fraction] = {item: Fraction(1)}
    parents = set(bom._nx_graph().predecessors(item)) if direct else None
    by_parent = bom._compiled()
    for node in reversed(bom._order[: bom._pos[item]]):
        if parents is not None and node not in parents:
            continue
        total = Fraction(0)
        for c in by_parent.get(node, ()):
            if day is not None and not c.line.effective(day):
                continue
            if direct:
                if c.child == item:
                    total += c.coef
            elif c.child in usage:
                total += c.coef * usage[c.child]
        if total:
            usage[node] = total
    del usage[item]
    return usage


def low_level_codes(bom: Bom) -> dict[str, int]:
    """Low-level code (低层码) of every item: the length of the longest path from a top item, so
    each item is exploded only after every parent. Items come level by level, by name within a
    level.

    Examples
    --------
    >>> bom = Bom([{"parent": "A", "child": "B", "qty": 1}, {"parent": "B", "child": "C", "qty": 1},
    ...            {"parent": "A", "child": "C", "qty": 1}])
    >>> low_level_codes(bom)
    {'A': 0, 'B': 1, 'C': 2}
    """
    return bom.low_level_codes()


CACHE_SIZE: Final = 64
"""How many built BOMs :meth:`Bom.cached` keeps (least recently used dropped first)."""
_CACHE: collections.OrderedDict[Hashable, Bom] = collections.OrderedDict()
_CACHE_LOCK = threading.Lock()
_PLAIN: Final = frozenset({str, int, float, bool, type(None), Decimal, Fraction, _dt.date,
                           _dt.datetime})


def _plain_content(value: object, depth: int = 0) -> bool:
    """Whether ``repr(value)`` names its content exactly (plain types, lists, dicts)."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if depth > 4:
        return False
    if kind is dict:
        assert isinstance(value, dict)
        return _plain_content(list(value), depth + 1) and _plain_content(
            list(value.values()), depth + 1)
    if kind in (list, tuple):
        assert isinstance(value, (list, tuple))
        kinds = set(map(type, value))
        if kinds <= _PLAIN:
            return True
        if kinds <= {dict}:  # lines: their values, column by column
            values = list(itertools.chain.from_iterable(map(dict.values, value)))
            keys = list(itertools.chain.from_iterable(value))
            return _plain_content(keys, depth + 1) and _plain_content(values, depth + 1)
        return all(_plain_content(v, depth + 1) for v in value)
    return kind is ItemSpec


def _content_key(lines: object, outputs: object, items: object) -> str | None:
    content = (lines, outputs, items)
    if not _plain_content(list(content)):
        return None
    return hashlib.blake2b(repr(content).encode("utf-8", "surrogatepass"),
                           digest_size=20).hexdigest()


def _build_line_by_line(lines: Iterable[Mapping[str, Any] | BomLine], *,
                        outputs: Mapping[str, Any] | None = None,
                        items: Mapping[str, Mapping[str, Any] | ItemSpec] | None = None) -> Bom:
    """The reference build, line by line, never vectorised: what the tests hold the vectorised
    build of :class:`Bom` to (same state, same errors)."""
    bom = Bom.__new__(Bom)
    bom._lines = bom._graph = bom._by_parent = bom._cols = None
    bom._build_by_line(list(lines), outputs, items)
    return bom
