"""Loading, versioning and dumping rule packs.

``load_pack(path)`` reads one YAML pack with :mod:`jxc_rules._internal.yaml_source` (safe loader,
size limit, no aliases, UTF-8 only), resolves ``extends``, builds every section and raises *one*
:class:`~jxc_rules.errors.RulePackError` listing every problem found (``.errors``), each with
``file:line:column``, the field path and what was expected. Nothing is returned half-built.

``extends: ../hotpot/2026.11.yaml`` (a path relative to the file; ``.yaml`` may be left off)
makes a pack a deep-merged override of its base: mappings merge key by key, any other value
(a number, a list) replaces the base's, and ``null`` deletes the base's key. The child must give
its own ``version`` and ``effective_from``; ``approved_by``, ``changelog``, ``scope`` and the
dates are never inherited. A chain that comes back to a file is an error.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import yaml

from jxc_rules._internal.yaml_source import (
    MAX_BYTES,
    Marks,
    load_yaml,
    loads_yaml,
    locate,
    parse_path,
    relocate,
)
from jxc_rules.errors import (
    BomCycleError,
    JxcRulesError,
    RulePackError,
    SourceLocation,
    UnitError,
    ValidationError,
    bad_value,
)
from jxc_rules.rules.schema import (
    FieldErrors,
    HolidayRule,
    Labels,
    Price,
    ReplenishmentPolicy,
    ReservationPolicy,
    RulePack,
    WastageSection,
    WeatherRule,
    _bool,
    _date,
    _Fields,
    _ident,
    _int,
    _join,
    _labels,
    _mapping_of,
    _opt_text,
    _str_list,
    _sub,
    _text,
    at_key,
    kernel_class,
    prefix_error,
    unknown_key,
)
from jxc_rules.units import dimension_of

__all__ = [
    "HOLIDAY_MULTIPLIER_MAX",
    "METADATA_KEYS",
    "SECTION_KEYS",
    "WEATHER_MULTIPLIER_MAX",
    "check_pack",
    "dump_pack",
    "load_pack",
    "load_packs",
    "loads_pack",
    "pack_from_mapping",
    "select",
]

METADATA_KEYS: tuple[str, ...] = (
    "industry", "version", "effective_from", "effective_until", "scope", "labels",
    "approved_by", "changelog", "illustrative", "extends", "source", "items", "calibration",
)
SECTION_KEYS: tuple[str, ...] = (
    "packaging", "prices", "live_weight", "shelf_life", "wastage", "recipes", "holidays",
    "weather", "replenishment", "reservation",
)
_NOT_INHERITED = ("version", "effective_from", "effective_until", "approved_by", "changelog",
                  "extends", "scope", "calibration")
_ENTRY_SECTIONS = ("packaging", "live_weight", "shelf_life")

WEATHER_MULTIPLIER_MAX = 3.0
"""Largest plausible weather multiplier of a channel (×3 demand on a rainy day); ``jxc-rules
validate`` refuses a larger one as a typo (``8.2`` written for ``0.82``, see :func:`check_pack`).
Scenarios refuse it on loading."""
HOLIDAY_MULTIPLIER_MAX = 5.0
"""Largest plausible holiday multiplier of one day (×5 a normal day); ``15.5`` for ``1.55`` is
refused by ``jxc-rules validate`` and by scenarios."""


def implausible(value: float, field: str, limit: float, what: str) -> ValidationError | None:
    """The error for a multiplier above ``limit`` (with the value probably meant), or None.

    >>> err = implausible(8.2, "weather.rain.dine_in", 3.0, "dine_in demand on a rain day")
    >>> print(str(err).split("; ")[1])
    did you mean 0.82 (-18%)?
    """
    if value <= limit:
        return None
    guess = value / 10 if value / 10 <= limit else value / 100
    return ValidationError(
        f"{field} = {value:g} multiplies {what} by {value:g} ({value - 1:+.0%}), beyond the "
        f"plausible at most {limit:g}; did you mean {guess:g} ({guess - 1:+.0%})?",
        field=field, value=value)


def _plausibility(sections: Mapping[str, Any]) -> list[ValidationError]:
    errors: list[ValidationError] = []
    for key, rule in sections.get("weather", {}).items():
        for channel in ("dine_in", "takeaway", "group_meal"):
            value = getattr(rule, channel, None)
            if isinstance(value, (int, float)):
                err = implausible(float(value), f"weather.{key}.{channel}",
                                  WEATHER_MULTIPLIER_MAX, f"{channel} demand on a {key} day")
                if err is not None:
                    errors.append(err)
    for key, rule in sections.get("holidays", {}).items():
        for channel, profile in rule.channels.items():
            for part in ("before", "during", "after"):
                for k, value in enumerate(getattr(profile, part)):
                    err = implausible(float(value), f"holidays.{key}.{channel}.{part}[{k}]",
                                      HOLIDAY_MULTIPLIER_MAX, "the day's demand")
                    if err is not None:
                        errors.append(err)
    return errors


# --------------------------------------------------------------------------------------------
# building a pack from plain data


def _entry_source(value: Any, field: str, sources: dict[str, str],
                  errors: list[ValidationError], *, keep: bool = False) -> Any:
    """Record an entry's ``source`` in ``sources``; drop it from the mapping unless ``keep``
    (for kernel classes that hold their own ``source``)."""
    if isinstance(value, Mapping) and "source" in value:
        src = value["source"]
        rest = dict(value) if keep else {k: v for k, v in value.items() if k != "source"}
        if src is None or src == "":
            rest.pop("source", None)
            return rest
        try:
            sources[field] = _text(src, f"{field}.source")
        except ValidationError as exc:
            errors.append(exc)
            rest.pop("source", None)
        return rest
    return value


def _key_id(value: Any, field: str) -> str:
    try:
        return _ident(value, field)
    except ValidationError as exc:
        raise at_key(exc) from None


def _has_field(cls: Any, name: str) -> bool:
    return attrs.has(cls) and any(a.name == name for a in attrs.fields(cls))


def _items_of(meta: Mapping[str, Any]) -> Mapping[str, Labels]:
    """The pack's declared items, or none when ``items:`` itself was refused (already an
    error): a failed field must not break the checks of the others."""
    items = meta.get("items")
    return items if isinstance(items, Mapping) else {}


def _kernel_entry(section: str, key: str, value: Any, items: Mapping[str, Labels]) -> Any:
    cls = kernel_class(section)
    field = f"{section}.{key}"
    if not isinstance(value, Mapping):
        raise bad_value(field, value, "a mapping of parameters")
    data = dict(value)
    if section == "packaging":  # the key is the sku; names come from items
        labels = items.get(key)
        data.setdefault("sku", key)
        data.setdefault("name", labels.en if labels is not None else key)
        if labels is not None:
            data.setdefault("labels", labels.to_mapping())
    try:
        return cls.from_mapping(data)
    except ValidationError as exc:
        raise prefix_error(exc, field) from None


def _build_recipes(value: Any, sources: dict[str, str], errors: list[ValidationError]) -> Any:
    value = _entry_source(value, "recipes", sources, errors)
    r = _Fields(value, "recipes", ("lines", "outputs", "items"), required=("lines",))
    lines = r.take("lines", _recipe_lines)
    outputs = r.take("outputs", lambda v, f: _mapping_of(_any)(v, f), None)
    units = r.take("items", lambda v, f: _mapping_of(_any)(v, f), None)
    try:
        r.finish()
    except ValidationError as exc:
        errors.append(exc)
        return None
    cls = kernel_class("recipes")
    try:
        from_mapping = getattr(cls, "from_mapping", None)
        if from_mapping is not None:
            return from_mapping({k: v for k, v in value.items() if k != "source"})
        return cls(lines, outputs=outputs, items=units)
    except BomCycleError as exc:  # point at the last line that closes the cycle
        edges = set(itertools.pairwise([*exc.cycle, exc.cycle[0]])) if exc.cycle else set()
        rows = [i for i, ln in enumerate(lines or [])
                if (ln.get("parent"), ln.get("child")) in edges]
        field = f"lines[{max(rows)}]" if rows else "lines"
        errors.append(_bom_error(ValidationError(str(exc), field=field, value=exc.cycle)))
        return None
    except ValidationError as exc:
        errors.append(_bom_error(exc))
        return None
    except JxcRulesError as exc:  # e.g. UnknownItemError (a KeyError) from the BOM kernel
        text = str(exc)
        m = re.match(r"^(lines\[\d+\](?:\.\w+)?)", text)
        errors.append(_bom_error(ValidationError(text, field=m.group(1) if m else "lines")))
        return None


def _bom_error(exc: ValidationError) -> ValidationError:
    field = exc.field or "lines"
    if not field.startswith(("lines", "outputs", "units")):
        field = "lines"
    row = exc.row
    out = prefix_error(ValidationError(str(exc), field=field, value=exc.value, row=row),
                       "recipes")
    return out


def _any(value: Any, field: str) -> Any:
    return value


def _recipe_lines(value: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise bad_value(field, value, "a non-empty list of {parent, child, qty} lines")
    errors: list[ValidationError] = []
    out: list[dict[str, Any]] = []
    for i, line in enumerate(value):
        path = _join(field, i)
        r = _Fields(line, path, ("parent", "child", "qty", "unit", "scrap", "phantom",
                                 "setup", "valid_from", "valid_to", "alternates"),
                    required=("parent", "child", "qty"))
        r.take("parent", _ident)
        r.take("child", _ident)
        try:
            r.finish()
        except ValidationError as exc:
            errors.append(exc)
            continue
        out.append(dict(line))
    if errors:
        raise FieldErrors(errors)
    return out


def _version(value: Any, field: str, marks: Marks | None) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = marks.text(parse_path(field)) if marks is not None else None
        value = text if text is not None else str(value)
    if not isinstance(value, str):
        raise bad_value(field, value, "a version like '2026.11' (YYYY.MM[.N])")
    return value.strip()


def _price_entry(value: Any, field: str, sources: dict[str, str],
                 errors: list[ValidationError]) -> Price:
    value = _entry_source(value, field, sources, errors)
    return Price.parse(value, field)


def _collect(errors: list[ValidationError], fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        errors.append(exc)
        return None


_CALIBRATION_KEYS = ("field", "estimate", "interval", "previous", "n", "data", "method")


def _calibration_records(value: Any, field: str) -> tuple[dict[str, Any], ...]:
    """``calibration:`` — one record per value a calibration set: the pack field, the estimate,
    its 95 % interval ``[low, high]``, the value before, n and what it counted, the data's date
    range and the method (written by ``jxc-rules calibrate``; provenance, never inherited)."""
    if not isinstance(value, list):
        raise bad_value(field, value, "a list of records (field, estimate, interval, previous, "
                                      "n, data, method)")
    out: list[dict[str, Any]] = []
    for k, rec in enumerate(value):
        where = f"{field}[{k}]"
        if not isinstance(rec, Mapping):
            raise bad_value(where, rec, "a mapping with field, estimate, interval, n, data")
        unknown = [key for key in rec if key not in _CALIBRATION_KEYS]
        if unknown:
            raise unknown_key(where, str(unknown[0]), _CALIBRATION_KEYS)
        for key in ("field", "estimate", "interval"):
            if key not in rec:
                raise bad_value(f"{where}.{key}", None, "present (required)")
        _text(rec["field"], f"{where}.field")
        for key in ("estimate", "previous"):
            v = rec.get(key)
            if key == "previous" and v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise bad_value(f"{where}.{key}", v, "a finite number")
        iv = rec["interval"]
        if (not isinstance(iv, list) or len(iv) != 2
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                           and math.isfinite(x) for x in iv) or iv[0] > iv[1]):
            raise bad_value(f"{where}.interval", iv, "[low, high] with low <= high")
        if "n" in rec:
            _int(rec["n"], f"{where}.n")
        out.append(dict(rec))
    return tuple(out)


def _build(data: Any, marks: Marks | None) -> tuple[RulePack | None, list[ValidationError]]:
    errors: list[ValidationError] = []
    r = _Fields(data, "", (*METADATA_KEYS, *SECTION_KEYS),
                required=("industry", "version", "effective_from", "labels"))
    meta: dict[str, Any] = {
        "industry": r.take("industry", _ident),
        "version": r.take("version", lambda v, f: _version(v, f, marks)),
        "effective_from": r.take("effective_from", _date),
        "effective_until": r.take("effective_until",
                                  lambda v, f: None if v is None else _date(v, f)),
        "scope": r.take("scope", _ident, "chain"),
        "labels": r.take("labels", _labels),
        "approved_by": r.take("approved_by", _str_list, ()),
        "changelog": r.take("changelog", _str_list, ()),
        "illustrative": r.take("illustrative", _bool, False),
        "extends": r.take("extends", _opt_text),
        "source": r.take("source", _opt_text),
        "items": r.take("items", _mapping_of(_labels), {}),
        "calibration": r.take("calibration", _calibration_records, ()),
    }
    errors.extend(r.errors)
    data = r.data
    sources: dict[str, str] = {}
    sections: dict[str, Any] = {}

    for section in _ENTRY_SECTIONS:
        entries: dict[str, Any] = {}
        raw = data.get(section)
        if raw is None:
            sections[section] = entries
            continue
        if not isinstance(raw, Mapping):
            errors.append(bad_value(section, raw, "a mapping of item id → parameters"))
            continue
        for key, value in raw.items():
            field = f"{section}.{key}"
            if _collect(errors, _key_id, key, field) is None:
                continue
            keep = _has_field(kernel_class(section), "source")
            value = _entry_source(value, field, sources, errors, keep=keep)
            built = _collect(errors, _kernel_entry, section, str(key), value,
                             _items_of(meta))
            if built is not None:
                entries[str(key)] = built
        sections[section] = entries

    prices: dict[str, Price] = {}
    raw_prices = data.get("prices")
    if isinstance(raw_prices, Mapping):
        for key, value in raw_prices.items():
            field = f"prices.{key}"
            if _collect(errors, _key_id, key, field) is not None:
                price = _collect(errors, _price_entry, value, field, sources, errors)
                if price is not None:
                    prices[str(key)] = price
    elif raw_prices is not None:
        errors.append(bad_value("prices", raw_prices, "a mapping of sku → price ('2850 元/t')"))
    sections["prices"] = prices

    if "wastage" in data:
        sections["wastage"] = _collect(errors, _sub(WastageSection), data["wastage"], "wastage")
    if "recipes" in data and data["recipes"] is not None:
        sections["recipes"] = _build_recipes(data["recipes"], sources, errors)

    holidays: dict[str, HolidayRule] = {}
    raw_h = data.get("holidays")
    if isinstance(raw_h, Mapping):
        for key, value in raw_h.items():
            field = f"holidays.{key}"
            rule = _collect(errors, _holiday, value, field, str(key))
            if rule is not None:
                holidays[str(key)] = rule
    elif raw_h is not None:
        errors.append(bad_value("holidays", raw_h, "a mapping of holiday name → rule"))
    sections["holidays"] = holidays

    weather: dict[str, WeatherRule] = {}
    raw_w = data.get("weather")
    if isinstance(raw_w, Mapping):
        for key, value in raw_w.items():
            field = f"weather.{key}"
            rule = _collect(errors, _weather, value, field, str(key))
            if rule is not None:
                weather[str(key)] = rule
    elif raw_w is not None:
        errors.append(bad_value("weather", raw_w, "a mapping of weather state → rule"))
    sections["weather"] = weather

    if data.get("replenishment") is not None:
        sections["replenishment"] = _collect(errors, _sub(ReplenishmentPolicy),
                                             data["replenishment"], "replenishment")
    if data.get("reservation") is not None:
        sections["reservation"] = _collect(errors, _sub(ReservationPolicy),
                                           data["reservation"], "reservation")

    if not errors:
        errors.extend(_cross_checks(meta, sections, sources))
    if errors:
        return None, errors
    try:
        pack = RulePack(**meta, sources=sources, **sections)
    except ValidationError as exc:
        return None, [exc]
    return pack, []


def _keyed(exc: ValidationError, field: str, key: str, name_field: str) -> ValidationError:
    """Prefix ``exc`` with ``field``; an error about ``name_field`` (the key itself) is located
    at the key."""
    parts = exc.errors if isinstance(exc, FieldErrors) else [exc]
    out: list[ValidationError] = []
    for err in parts:
        if err.field == name_field:
            out.append(at_key(ValidationError(f"{field}: {err}", field=field, value=key)))
        else:
            out.append(prefix_error(err, field))
    return out[0] if len(out) == 1 else FieldErrors(out)


def _holiday(value: Any, field: str, key: str) -> HolidayRule:
    try:
        return HolidayRule.from_mapping(value, name=key)
    except ValidationError as exc:
        raise _keyed(exc, field, key, "name") from None


def _weather(value: Any, field: str, key: str) -> WeatherRule:
    try:
        return WeatherRule.from_mapping(value, state=key)
    except ValidationError as exc:
        raise _keyed(exc, field, key, "state") from None


def _recipe_items(recipes: Any) -> list[tuple[str, str]]:
    """(field path, item id) of every parent and child named in the recipe lines."""
    lines: Sequence[Any] = []
    if isinstance(recipes, Mapping):
        lines = recipes.get("lines", [])
    else:
        to_mapping = getattr(recipes, "to_mapping", None)
        if callable(to_mapping):
            lines = to_mapping().get("lines", [])
    out: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        if isinstance(line, Mapping):
            for role in ("parent", "child"):
                if isinstance(line.get(role), str):
                    out.append((f"recipes.lines[{i}].{role}", line[role]))
    return out


def _cross_checks(meta: Mapping[str, Any], sections: Mapping[str, Any],
                  sources: Mapping[str, str]) -> list[ValidationError]:
    errors: list[ValidationError] = []
    items: Mapping[str, Labels] = _items_of(meta)
    refs: list[tuple[str, str]] = []
    for section in (*_ENTRY_SECTIONS, "prices"):
        refs.extend((f"{section}.{k}", k) for k in sections.get(section, {}))
    wastage = sections.get("wastage")
    if isinstance(wastage, WastageSection):
        for name in ("take_rates", "portion_kg"):
            refs.extend((f"wastage.{name}.{k}", k) for k in getattr(wastage, name))
        model = wastage.loss_model
        for name in ("yields", "groups"):
            table = getattr(model, name, None) or {}
            groups = set(getattr(model, "groups", {}).values())
            refs.extend((f"wastage.loss_model.{name}.{k}", k) for k in table if k not in groups)
    if sections.get("recipes") is not None:
        refs.extend(_recipe_items(sections["recipes"]))
    if items:
        for field, item in refs:
            if item not in items:
                err = unknown_key(field, item, items)
                bad = ValidationError(
                    str(err).replace("unknown key", "item not declared in items:", 1),
                    field=field, value=item)
                errors.append(at_key(bad) if field.endswith(f".{item}") else bad)
    for sku, price in sections.get("prices", {}).items():
        profile = sections.get("packaging", {}).get(sku)
        price_unit = getattr(profile, "price_unit", None)
        if price_unit is None or not isinstance(price, Price):
            continue
        if dimension_of(price.per) != dimension_of(price_unit):
            errors.append(UnitError(
                f"prices.{sku} is per {price.per!r} ({dimension_of(price.per)}), but "
                f"packaging.{sku} is priced per {price_unit!r} ({dimension_of(price_unit)})",
                field=f"prices.{sku}", value=price.to_mapping()))
    if meta.get("illustrative") is not True and meta.get("source") is None:
        needed: list[str] = [f for f, _ in refs if f.split(".")[0] in (*_ENTRY_SECTIONS,
                                                                       "prices")]
        if sections.get("recipes") is not None:
            needed.append("recipes")
        for field in needed:
            if field not in sources:
                errors.append(ValidationError(
                    f"{field}.source is required: give where the figures come from (paper, "
                    "calibration run, committee decision) or mark the pack illustrative: true",
                    field=field))
        for name in ("holidays", "weather"):
            for key, rule in sections.get(name, {}).items():
                if rule.source is None:
                    errors.append(ValidationError(
                        f"{name}.{key}.source is required (or mark the pack illustrative)",
                        field=f"{name}.{key}"))
        for name in ("wastage", "replenishment", "reservation"):
            obj = sections.get(name)
            if obj is not None and obj.source is None:
                errors.append(ValidationError(
                    f"{name}.source is required (or mark the pack illustrative)", field=name))
    return errors


def _raise(errors: Sequence[ValidationError], marks: Marks | None, file: str,
           error: type[RulePackError] = RulePackError) -> None:
    located: list[RulePackError] = []
    for exc in errors:
        items: list[ValidationError] = (list(exc.errors) if isinstance(exc, FieldErrors)
                                        else [exc])
        for item in items:
            if isinstance(item, RulePackError) and item.location is not None:
                located.extend(item.errors)
            elif marks is not None:
                located.append(relocate(item, marks, (), error=error))
            else:
                located.append(error(str(item), location=SourceLocation(file),
                                     field=item.field, value=item.value))
    if len(located) == 1:
        raise located[0]
    lines = "\n".join(f"  {e}" for e in located)
    raise error(f"{len(located)} problems in rule pack:\n{lines}",
                location=SourceLocation(file), errors=located)


def pack_from_mapping(
    data: Mapping[str, Any],
    *,
    marks: Marks | None = None,
    file: str = "<mapping>",
) -> RulePack:
    """Build a :class:`RulePack` from plain data (what ``RulePack.to_mapping`` gives).

    Raises one :class:`~jxc_rules.errors.RulePackError` listing every problem; with ``marks``
    (from :func:`~jxc_rules._internal.yaml_source.load_yaml`) each names ``file:line:column``.
    """
    pack, errors = _build(data, marks)
    if errors or pack is None:
        _raise(errors, marks, marks.file if marks is not None else file)
        raise AssertionError("unreachable")  # pragma: no cover
    return attrs.evolve(pack, origin=marks.file if marks is not None else None)


# --------------------------------------------------------------------------------------------
# files, extends and versions


def _merge(base: Any, override: Any) -> Any:
    """Deep merge: mappings key by key (``None`` deletes), anything else replaces."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        out = dict(base)
        for key, value in override.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = _merge(out[key], value)
            else:
                out[key] = value
        return out
    return override


def _resolve_extends(ref: str, here: Path) -> Path:
    base = here.parent / ref
    if not base.exists() and base.suffix not in (".yaml", ".yml"):
        for suffix in (".yaml", ".yml"):
            if base.with_name(base.name + suffix).exists():
                return base.with_name(base.name + suffix)
    return base


def _default_root(path: Path) -> Path:
    """The pack tree a top-level pack may ``extends`` into: its folder's parent.

    ``industries/hotpot/stores/store.yaml`` may extend ``../2026.11.yaml`` (inside
    ``industries/hotpot``); ``industries/hotpot/2026.12.yaml`` may extend ``../bakery/…``.
    """
    return path.resolve().parent.parent


def _not_a_pack(file: str) -> RulePackError:
    return RulePackError(
        "not a rule pack: a pack must be a mapping of fields (industry:, version:, "
        "effective_from: and its sections); nothing of this file is shown",
        location=SourceLocation(file, 1, 1),
    )


def _looks_like_pack(data: Any) -> bool:
    """A mapping with at least one key a pack has (else no excerpt of the file is echoed)."""
    known = {*METADATA_KEYS, *SECTION_KEYS}
    return isinstance(data, Mapping) and any(isinstance(k, str) and k in known for k in data)


def _check_extends_target(ref: str, base_path: Path, root: Path,
                          where: SourceLocation) -> Path:
    """The resolved base file, refused unless it is a ``.yaml`` file inside ``root``."""
    rule = (f"extends must name a .yaml pack inside the pack tree {root} "
            "(a relative path; pass root= to load_pack to choose another tree)")
    if os.path.isabs(ref) or ref.startswith("~"):
        raise RulePackError(f"extends: {ref!r} is an absolute path; {rule}",
                            location=where, field="extends", value=ref)
    real = base_path.resolve()
    if not real.is_relative_to(root):
        raise RulePackError(f"extends: {ref!r} leads outside the pack tree; {rule}",
                            location=where, field="extends", value=ref)
    if real.suffix not in (".yaml", ".yml"):
        raise RulePackError(f"extends: {ref!r} is not a .yaml file; {rule}",
                            location=where, field="extends", value=ref)
    if not real.is_file():
        raise RulePackError(f"extends: base pack {ref!r} not found (looked for {base_path})",
                            location=where, field="extends", value=ref)
    return real


def _read_base(base_path: Path, ref: str, where: SourceLocation, *,
               max_bytes: int) -> tuple[Any, Marks]:
    """Parse a base pack; its YAML errors say where, never what the file holds."""
    try:
        data, marks = load_yaml(base_path, max_bytes=max_bytes)
    except RulePackError as exc:
        at = exc.location if exc.location is not None else SourceLocation(str(base_path))
        raise RulePackError(
            f"extends: base pack {ref!r} is not valid YAML (at {at}); check it on its own "
            f"with `jxc-rules validate {base_path}`",
            location=where, field="extends", value=ref,
        ) from None
    if not _looks_like_pack(data):
        raise RulePackError(
            f"extends: {ref!r} is not a rule pack (no industry:, version: or pack section); "
            "nothing of that file is shown",
            location=where, field="extends", value=ref,
        )
    return data, marks


def _read_chain(
    path: Path,
    chain: tuple[Path, ...],
    *,
    root: Path,
    max_bytes: int,
    parsed: tuple[Any, Marks] | None = None,
) -> tuple[Any, Marks]:
    """Raw merged data and merged marks of ``path`` and everything it extends.

    Every file along the chain must resolve inside ``root`` (symlinks followed first).
    """
    data, marks = parsed if parsed is not None else load_yaml(path, max_bytes=max_bytes)
    if not isinstance(data, Mapping) or data.get("extends") is None:
        return data, marks
    ref = data["extends"]
    where = locate(marks, ("extends",))
    if not isinstance(ref, str) or not ref.strip():
        raise RulePackError(f"extends must be a path to the base pack, got {ref!r}",
                            location=where, field="extends", value=ref)
    ref = ref.strip()
    if "\0" in ref or not ref.isprintable():  # a NUL would reach the OS as a raw ValueError
        raise RulePackError(f"extends must be a path without control characters, got {ref!r}",
                            location=where, field="extends", value=ref)
    base_path = _resolve_extends(ref, path) if not os.path.isabs(ref) else Path(ref)
    resolved = base_path.resolve()
    if resolved in chain or resolved == path.resolve():
        names = " -> ".join(str(p) for p in (*chain, path.resolve(), resolved))
        raise RulePackError(f"extends cycle: {names}", location=where, field="extends",
                            value=ref)
    real = _check_extends_target(ref, base_path, root, where)
    base = _read_base(real, ref, where, max_bytes=max_bytes)
    base_data, base_marks = _read_chain(real, (*chain, path.resolve()), root=root,
                                        max_bytes=max_bytes, parsed=base)
    if not isinstance(base_data, Mapping):  # pragma: no cover - _read_base checked it
        raise RulePackError("extends: base pack is not a mapping", location=where,
                            field="extends")
    inherited = {k: v for k, v in base_data.items() if k not in _NOT_INHERITED}
    merged = _merge(inherited, data)
    out_marks = Marks(str(path))
    out_marks.update(base_marks)
    out_marks.update(marks)
    return merged, out_marks


def _load_with_marks(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES,
                     root: str | os.PathLike[str] | None = None,
                     ) -> tuple[RulePack, Marks]:
    p = Path(path)
    parsed = load_yaml(p, max_bytes=max_bytes)
    if parsed[0] is None:
        raise RulePackError("rule pack is empty", location=SourceLocation(str(p)))
    if not _looks_like_pack(parsed[0]):
        raise _not_a_pack(str(p))
    tree = Path(root).resolve() if root is not None else _default_root(p)
    data, marks = _read_chain(p, (), root=tree, max_bytes=max_bytes, parsed=parsed)
    pack = pack_from_mapping(data, marks=marks)
    return pack, marks


def load_pack(path: str | os.PathLike[str], *, version: str | None = None,
              max_bytes: int = MAX_BYTES,
              root: str | os.PathLike[str] | None = None) -> RulePack:
    """Load one rule pack (resolving ``extends``); raise one ``RulePackError`` listing all errors.

    ``path`` is a pack file, or the name of a bundled pack (shipped in the wheel):
    ``load_pack("hotpot")`` is the newest bundled version, ``load_pack("hotpot",
    version="2026.11")`` or ``load_pack("hotpot@2026.11")`` a given one. ``version`` with a file
    path checks that the file holds that version.

    ``extends`` may only name a relative ``.yaml`` path that resolves (symlinks followed) inside
    ``root``: by default the parent of the pack's folder (``industries/`` for
    ``industries/hotpot/2026.11.yaml``). Absolute paths and ``..`` out of the tree are refused,
    and a file that is not a rule pack is refused without echoing any of its content
    (docs/security.md).

    Examples
    --------
    >>> pack = load_pack("hotpot", version="2026.11")
    >>> pack.industry, pack.version, str(pack.effective_from)
    ('hotpot', '2026.11', '2026-11-01')
    >>> pack.holidays["Spring Festival"].labels.zh
    '春节'
    >>> load_pack("hotpot@2026.10").version
    '2026.10'
    """
    from jxc_rules._internal.bundled import as_name, pack_path

    named = as_name(os.fspath(path)) if isinstance(path, str) else None
    if named is not None:
        name, at_version = named
        if at_version is not None and version is not None and at_version != version:
            raise RulePackError(f"two versions asked for: {path!r} and version={version!r}",
                                location=SourceLocation(str(path)), field="version",
                                value=version)
        path = pack_path(name, at_version or version)
    pack = _load_with_marks(path, max_bytes=max_bytes, root=root)[0]
    if version is not None and pack.version != version:
        raise RulePackError(f"{os.fspath(path)} holds version {pack.version!r}, not "
                            f"{version!r}", location=SourceLocation(os.fspath(path)),
                            field="version", value=pack.version)
    return pack


def check_pack(path: str | os.PathLike[str], *, version: str | None = None
               ) -> tuple[RulePack, list[RulePackError]]:
    """Load a pack as :func:`load_pack` does and also return its *implausible* values — a
    weather multiplier above :data:`WEATHER_MULTIPLIER_MAX`, a holiday day above
    :data:`HOLIDAY_MULTIPLIER_MAX` — each located at ``file:line:column`` with the value
    probably meant. ``jxc-rules validate`` refuses them; the loader itself still accepts them
    (a pack is a valid model at any multiplier, so hosts' generated packs keep loading).

    Examples
    --------
    >>> pack, problems = check_pack("hotpot@2026.11")
    >>> pack.version, problems
    ('2026.11', [])
    """
    from jxc_rules._internal.bundled import as_name, pack_path

    named = as_name(os.fspath(path)) if isinstance(path, str) else None
    if named is not None:
        path = pack_path(named[0], named[1] or version)
    pack, marks = _load_with_marks(path)
    if version is not None and pack.version != version:
        raise RulePackError(f"{os.fspath(path)} holds version {pack.version!r}, not "
                            f"{version!r}", location=SourceLocation(os.fspath(path)),
                            field="version", value=pack.version)
    found = _plausibility({"weather": pack.weather, "holidays": pack.holidays})
    return pack, [relocate(err, marks, (), error=RulePackError) for err in found]


def loads_pack(text: str, *, filename: str = "<string>") -> RulePack:
    """Load a pack from YAML text (no ``extends``); errors name ``filename:line``."""
    data, marks = loads_yaml(text, filename=filename)
    if data is None:
        raise RulePackError("rule pack is empty", location=SourceLocation(filename))
    if isinstance(data, Mapping) and data.get("extends") is not None:
        raise RulePackError("extends needs a file: use load_pack(path)",
                            location=locate(marks, ("extends",)), field="extends")
    return pack_from_mapping(data, marks=marks)


def load_packs(
    directory: str | os.PathLike[str],
    *,
    pattern: str = "**/*.yaml",
    max_bytes: int = MAX_BYTES,
) -> list[RulePack]:
    """Load every pack under ``directory``, sorted by industry, scope and date.

    All files are checked before anything is returned: a bad file, the same industry, scope and
    version in two files, two versions of one industry and scope taking effect on the same day,
    an ``effective_until`` that runs past the next version's start, or versions whose order
    disagrees with their dates — each is an error naming ``file:line``, all raised together.
    """
    root = Path(directory)
    if not root.is_dir():
        raise RulePackError("not a directory", location=SourceLocation(str(root)))
    problems: list[RulePackError] = []
    loaded: list[tuple[RulePack, Marks]] = []
    for path in sorted(root.glob(pattern)):
        try:
            loaded.append(_load_with_marks(path, max_bytes=max_bytes, root=root))
        except RulePackError as exc:
            problems.extend(exc.errors)
    problems.extend(_version_problems(loaded))
    if problems:
        if len(problems) == 1:
            raise problems[0]
        lines = "\n".join(f"  {e}" for e in problems)
        raise RulePackError(f"{len(problems)} problems in rule packs:\n{lines}",
                            location=SourceLocation(str(root)), errors=problems)
    packs = [p for p, _ in loaded]
    return sorted(packs, key=lambda p: (p.industry, p.scope, p.effective_from, p.version_key))


def _version_problems(loaded: Iterable[tuple[RulePack, Marks]]) -> list[RulePackError]:
    groups: dict[tuple[str, str], list[tuple[RulePack, Marks]]] = {}
    for pack, marks in loaded:
        groups.setdefault((pack.industry, pack.scope), []).append((pack, marks))
    problems: list[RulePackError] = []
    for (industry, scope), members in groups.items():
        seen: dict[str, RulePack] = {}
        for pack, marks in members:
            other = seen.get(pack.version)
            if other is not None:
                problems.append(RulePackError(
                    f"duplicate {industry} ({scope}) version {pack.version}: also in "
                    f"{other.origin}", location=locate(marks, ("version",)), field="version",
                    value=pack.version))
            seen[pack.version] = pack
        ordered = sorted(members, key=lambda pm: (pm[0].effective_from, pm[0].version_key))
        for (a, _am), (b, bm) in itertools.pairwise(ordered):
            if a.version == b.version:
                continue
            if a.effective_from == b.effective_from:
                problems.append(RulePackError(
                    f"overlapping effective dates: {industry} ({scope}) {b.version} and "
                    f"{a.version} ({a.origin}) both take effect on {b.effective_from}",
                    location=locate(bm, ("effective_from",)), field="effective_from",
                    value=b.effective_from))
            elif a.effective_until is not None and a.effective_until > b.effective_from:
                problems.append(RulePackError(
                    f"overlapping effective dates: {industry} ({scope}) {a.version} "
                    f"({a.origin}) runs until {a.effective_until}, after {b.version} takes "
                    f"effect on {b.effective_from}",
                    location=locate(bm, ("effective_from",)), field="effective_from",
                    value=b.effective_from))
            elif a.version_key > b.version_key:
                problems.append(RulePackError(
                    f"version {b.version} takes effect on {b.effective_from}, after the later "
                    f"version {a.version} ({a.origin}) took effect on {a.effective_from}",
                    location=locate(bm, ("version",)), field="version", value=b.version))
    return problems


def select(
    packs: Iterable[RulePack],
    on: dt.date,
    *,
    industry: str | None = None,
    scope: str = "chain",
) -> RulePack:
    """The version in force on ``on``: the latest ``effective_from`` not after ``on`` (and not
    past its ``effective_until``). A store ``scope`` falls back to the chain's pack when the
    store has none in force.

    Examples
    --------
    >>> from pathlib import Path
    >>> import jxc_rules
    >>> packs = load_packs(Path(jxc_rules.__file__).parents[2] / "industries" / "hotpot")
    >>> select(packs, dt.date(2026, 10, 20)).version
    '2026.10'
    >>> select(packs, dt.date(2027, 2, 1)).version
    '2026.11'
    """
    if isinstance(on, dt.datetime):
        on = on.date()
    if not isinstance(on, dt.date):
        raise bad_value("on", on, "a date")
    if industry is not None and not isinstance(industry, str):
        raise bad_value("industry", industry, "an industry name (a string) or None")
    if not isinstance(scope, str):
        raise bad_value("scope", scope, "a scope name (a string, e.g. 'chain')")
    if isinstance(packs, (str, bytes, RulePack)):
        raise bad_value("packs", type(packs).__name__, "an iterable of RulePack")
    pool = list(packs)
    for k, p in enumerate(pool):
        if not isinstance(p, RulePack):
            raise bad_value(f"packs[{k}]", type(p).__name__, "a RulePack")
    industries = sorted({p.industry for p in pool})
    if industry is None:
        if len(industries) > 1:
            raise RulePackError(f"packs of several industries ({', '.join(industries)}): "
                                "pass industry=")
        industry = industries[0] if industries else None
    candidates = [p for p in pool if p.industry == industry]
    for wanted in dict.fromkeys((scope, "chain")):
        in_force = [p for p in candidates if p.scope == wanted and p.in_force(on)]
        if in_force:
            return max(in_force, key=lambda p: (p.effective_from, p.version_key))
    starts = sorted(p.effective_from for p in candidates)
    hint = f" (earliest takes effect {starts[0]})" if starts else " (no packs given)"
    raise RulePackError(f"no {industry} rule pack in force on {on}{hint}", field="on", value=on)


# --------------------------------------------------------------------------------------------
# dumping


def _yaml_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _yaml_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_yaml_safe(v) for v in value]
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if hasattr(value, "to_mapping"):
        return _yaml_safe(value.to_mapping())
    return value


def dump_pack(pack: RulePack) -> str:
    """YAML text of ``pack``; :func:`loads_pack` / :func:`load_pack` read back an equal pack.

    A pack built with ``extends`` is dumped flattened and self-contained (without ``extends``).
    """
    data = _yaml_safe(pack.to_mapping())
    header = f"# {pack.industry} {pack.version} — written by jxc_rules.rules.dump_pack\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100,
                                   default_flow_style=None)

