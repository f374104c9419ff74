"""A rule pack as the committee's form, edits checked by the pack's own validator, and saving.

The model: a pack is flattened into leaf paths exactly as :func:`jxc_rules.rules.diff` prints
them (``holidays.Spring Festival.dine_in.during[3]``, ``replenishment.safety_days``); each leaf
that is an assumption (not metadata, a label or a source text) becomes one form field, placed in
the group the committee argues about — holidays by day, weather, channel loss, prep and
turnover, reorder — with every other parameter (prices, packs, shelf life...) under "other".

Edits are ``{path: text}`` as typed. They are written into the pack's mapping
(``RulePack.to_mapping``) and the pack is built again with
:func:`jxc_rules.rules.load.pack_from_mapping`, so a value typed in the page is checked by the
very validator that checks a value written in the YAML file; each error carries the field path
of the validator, which *is* the form field's path. The multipliers that ``jxc-rules validate``
refuses as implausible (a holiday day above ×5, a weather factor above ×3) are refused here too.

Saving writes the edited pack as a new version: a new version string, an ``effective_from``, who
approved it and one changelog entry, never over an existing file (``open(..., "x")``), and read
back with :func:`jxc_rules.rules.load_pack` before it is reported as saved.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jxc_rules.errors import JxcRulesError, RulePackError, ValidationError
from jxc_rules.rules.diff import METADATA_FIELDS, diff, flatten, is_multiplier
from jxc_rules.rules.load import (
    HOLIDAY_MULTIPLIER_MAX,
    WEATHER_MULTIPLIER_MAX,
    dump_pack,
    implausible,
    pack_from_mapping,
)
from jxc_rules.rules.schema import RulePack, is_version

__all__ = ["GROUPS", "Checked", "StudioError", "apply_edits", "check_edits", "form_fields",
           "save_pack", "suggest_version"]

#: form groups in the order the page shows them: id -> (en, zh)
GROUPS: dict[str, tuple[str, str]] = {
    "holidays": ("Holidays, day by day", "节假日（逐日）"),
    "weather": ("Weather", "天气"),
    "loss": ("Channel loss", "渠道损耗"),
    "prep": ("Prep and turnover", "备料与翻台"),
    "reorder": ("Reorder and replenishment", "订货与补货"),
    "other": ("Other parameters", "其他参数"),
}

CHANNELS: dict[str, tuple[str, str]] = {
    "dine_in": ("dine-in", "堂食"), "takeaway": ("takeaway", "外卖"),
    "group_meal": ("group meal", "团餐"),
}

_LEAF: dict[str, tuple[str, str]] = {
    "prep": ("prep loss", "备料损耗"), "spoilage": ("spoilage", "变质损耗"),
    "plate": ("plate waste", "餐盘剩余"), "packaging": ("packaging loss", "包装损耗"),
    "shift_to_takeaway": ("share of lost dine-in moving to takeaway", "堂食流失转外卖比例"),
    "tables": ("tables", "桌数"), "turns_per_day": ("turns per day", "日翻台次数"),
    "guests_per_table": ("guests per table", "每桌人数"), "definition": ("definition", "口径"),
    "review_period_days": ("review period (days)", "盘点周期（天）"),
    "lead_time_days": ("lead time (days)", "到货周期（天）"),
    "days_of_cover": ("days of cover", "覆盖天数"),
    "safety_days": ("safety stock (days)", "安全库存（天）"),
    "forecast_method": ("forecast method", "预测方法"),
    "forecast_window_days": ("forecast window (days)", "预测窗口（天）"),
    "order_rounding": ("order rounding", "订货取整"), "convention": ("convention", "口径"),
}

_SECTION: dict[str, tuple[str, str]] = {
    "packaging": ("purchase packs", "进货包装"), "shelf_life": ("shelf life", "保质期"),
    "prices": ("prices", "进价"), "recipes": ("recipes", "配方"),
    "live_weight": ("live-weight transit", "活体运输"), "take_rates": ("take rates", "点单率"),
    "turnover": ("turnover", "翻台"), "channel_shares": ("channel shares", "渠道占比"),
    "items": ("item groups", "品类"), "yields": ("yields", "出成率"), "groups": ("groups", "分组"),
    "replenishment": ("replenishment", "补货"), "reservation": ("reservation", "预留"),
}

_SKIP_TOP = {*METADATA_FIELDS, "industry", "labels", "illustrative", "source", "items",
             "sources", "scope"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INDEX = re.compile(r"\[(\d+)\]")
_HOLIDAY = re.compile(r"^holidays\.([^.]+)\.([^.]+)\.(before|during|after)\[(\d+)\]$")


class StudioError(ValidationError):
    """A studio request that cannot be served as asked (names the field and the fix)."""


def _quiet(path: str) -> bool:
    top = path.split(".", 1)[0].split("[", 1)[0]
    last = path.rsplit(".", 1)[-1]
    return (top in _SKIP_TOP or ".labels." in f".{path}." or last in ("source", "sources")
            or last.startswith("sources["))


def _group(path: str) -> str:
    if path.startswith("holidays."):
        return "holidays"
    if path.startswith("weather."):
        return "weather"
    if path.startswith(("wastage.loss_model.", "wastage.channel_shares.")):
        return "loss"
    if path.startswith("wastage."):
        return "prep"
    if path.startswith(("replenishment.", "reservation.")):
        return "reorder"
    return "other"


def _words(part: str, pack: RulePack) -> tuple[str, str]:
    if part in CHANNELS:
        return CHANNELS[part]
    if part in _LEAF:
        return _LEAF[part]
    if part in pack.items:
        labels = pack.items[part]
        return labels.en, labels.zh
    if part in pack.holidays:
        labels = pack.holidays[part].labels
        return (labels.en, labels.zh) if labels is not None else (part, part)
    if part in pack.weather:
        labels = pack.weather[part].labels
        return (labels.en, labels.zh) if labels is not None else (part, part)
    text = part.replace("_", " ")
    return text, text


def _holiday_day(part: str, index: int, length: int) -> tuple[str, str]:
    if part == "during":
        return f"day {index + 1} of the break", f"假期第 {index + 1} 天"
    if part == "after":
        return f"day {index + 1} after", f"节后第 {index + 1} 天"
    back = length - index
    return f"{back} day{'s' if back != 1 else ''} before", f"节前第 {back} 天"


def _describe(path: str, flat: Mapping[str, Any], pack: RulePack
              ) -> tuple[tuple[str, str], tuple[str, str]]:
    """((section en, zh), (label en, zh)) of a leaf."""
    m = _HOLIDAY.match(path)
    if m is not None:
        holiday, channel, part, index = m.group(1), m.group(2), m.group(3), int(m.group(4))
        length = sum(1 for p in flat if p.startswith(f"holidays.{holiday}.{channel}.{part}["))
        h, c = _words(holiday, pack), _words(channel, pack)
        part_zh = {"before": "节前", "during": "假期中", "after": "节后"}[part]
        return ((f"{h[0]} · {c[0]} · {part}", f"{h[1]} · {c[1]} · {part_zh}"),
                _holiday_day(part, index, length))
    tokens = [t for t in _INDEX.sub(r".\1", path).split(".") if t]
    head = tokens[:-1]
    if head and head[0] in ("wastage", "weather", "holidays", "replenishment"):
        head = head[1:]
    head = [t for t in head if t not in ("loss_model", "channels")]
    if not head:
        head = [tokens[0]] if len(tokens) > 1 else []
    section_words = [_SECTION.get(t) or _words(t, pack) for t in head[:2]]
    rest = head[2:]
    leaf = [_words(t, pack) for t in [*rest, tokens[-1]]]
    section = (" · ".join(w[0] for w in section_words) or GROUPS[_group(path)][0],
               " · ".join(w[1] for w in section_words) or GROUPS[_group(path)][1])
    return section, (" · ".join(w[0] for w in leaf), " · ".join(w[1] for w in leaf))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def form_fields(pack: RulePack, baseline: RulePack | None = None) -> list[dict[str, Any]]:
    """Every assumption of ``pack`` as a form field, in the order of :data:`GROUPS`.

    Each field: ``path`` (the ``diff`` path), ``group``, ``section`` and ``label`` (``{en, zh}``),
    ``value`` (as the pack writes it), ``kind`` (``number``, ``text``, ``bool``), ``multiplier``
    (judged by its effect ``m − 1``), ``baseline`` (the other pack's value at the path, or None).

    >>> from jxc_rules.rules import load_pack
    >>> fields = form_fields(load_pack("hotpot@2026.11"), load_pack("hotpot@2026.10"))
    >>> f = next(f for f in fields if f["path"] == "holidays.Spring Festival.dine_in.during[3]")
    >>> f["group"], f["label"]["en"], f["value"], f["baseline"]
    ('holidays', 'day 4 of the break', 1.5, 1.3)
    >>> sorted({f["group"] for f in fields}) == sorted(GROUPS)
    True
    """
    flat = flatten(pack.to_mapping())
    other = flatten(baseline.to_mapping()) if baseline is not None else {}
    fields: list[dict[str, Any]] = []
    for path, value in flat.items():
        if _quiet(path) or isinstance(value, (dict, list)):
            continue
        section, label = _describe(path, flat, pack)
        kind = ("bool" if isinstance(value, bool) else
                "number" if isinstance(value, (int, float)) else "text")
        fields.append({
            "path": path, "group": _group(path),
            "section": {"en": section[0], "zh": section[1]},
            "label": {"en": label[0], "zh": label[1]},
            "value": _plain(value), "kind": kind, "multiplier": is_multiplier(path),
            "baseline": _plain(other.get(path)),
        })
    order = list(GROUPS)
    fields.sort(key=lambda f: order.index(f["group"]))
    return fields


def _tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        pieces = _INDEX.split(part)
        if pieces[0]:
            out.append(pieces[0])
        out.extend(int(i) for i in pieces[1::2])
    return out


def _typed(text: Any, old: Any) -> Any:
    """The value a typed text stands for, as YAML would read it written in the file: an int
    for ``2``, a float for ``1.55``, ``true``/``false`` for a flag, else the text itself — which
    the validator then judges (``'abc'`` for a multiplier is its error to report)."""
    if not isinstance(text, str):
        return text
    s = text.strip()
    if isinstance(old, bool) and s.lower() in ("true", "false"):
        return s.lower() == "true"
    if _NUMBER.match(s):
        if "." not in s and "e" not in s.lower():
            return int(s)  # as YAML reads "2": the validator then names the value as typed
        return float(s)
    return s


def apply_edits(pack: RulePack, edits: Mapping[str, Any]) -> dict[str, Any]:
    """The pack's mapping with each edited leaf replaced by its typed value.

    A path that is not a form field of ``pack`` is a :class:`StudioError` naming it.
    """
    data: Any = pack.to_mapping()
    known = {f["path"]: f["value"] for f in form_fields(pack)}
    for path, text in edits.items():
        if path not in known:
            raise StudioError(f"edits: the pack has no field {path!r}; edit the fields the "
                              "form shows", field=f"edits.{path}", value=path)
        node = data
        tokens = _tokens(path)
        for token in tokens[:-1]:
            node = node[token]
        node[tokens[-1]] = _typed(text, known[path])
    out: dict[str, Any] = data
    return out


def _strip_file(message: str, file: str) -> str:
    return message[len(file) + 2:] if message.startswith(f"{file}: ") else message


class Checked:
    """The outcome of :func:`check_edits`: the built pack (``None`` when invalid), the errors
    as ``[{field, message}]`` (the validator's own words, without the file prefix) and the diff
    against the unedited pack."""

    def __init__(self, pack: RulePack | None, errors: list[dict[str, str]],
                 changes: list[dict[str, Any]]) -> None:
        self.pack = pack
        self.errors = errors
        self.changes = changes

    def to_mapping(self) -> dict[str, Any]:
        return {"ok": self.pack is not None and not self.errors, "errors": self.errors,
                "diff": self.changes,
                "yaml": dump_pack(self.pack) if self.pack is not None and not self.errors
                else None}


def _implausible(data: Mapping[str, Any], edits: Mapping[str, Any]) -> list[dict[str, str]]:
    flat = flatten(data)
    out: list[dict[str, str]] = []
    for path in edits:
        value = flat.get(path)
        if not is_multiplier(path) or isinstance(value, bool) or not isinstance(
                value, (int, float)) or not math.isfinite(value):
            continue
        if path.startswith("weather."):
            channel = path.rsplit(".", 1)[1]
            err = implausible(float(value), path, WEATHER_MULTIPLIER_MAX,
                              f"{channel} demand on a {path.split('.')[1]} day")
        else:
            err = implausible(float(value), path, HOLIDAY_MULTIPLIER_MAX, "the day's demand")
        if err is not None:
            out.append({"field": path, "message": str(err)})
    return out


def check_edits(pack: RulePack, edits: Mapping[str, Any]) -> Checked:
    """Apply ``edits`` to ``pack`` and validate the result with the pack loader.

    >>> from jxc_rules.rules import load_pack
    >>> base = load_pack("hotpot@2026.11")
    >>> bad = check_edits(base, {"holidays.Spring Festival.dine_in.during[3]": "-1"})
    >>> bad.pack is None, bad.errors[0]["field"]
    (True, 'holidays.Spring Festival.dine_in.during[3]')
    >>> bad.errors[0]["message"]
    'holidays.Spring Festival.dine_in.during[3] must be >= 0, got -1'
    >>> good = check_edits(base, {"holidays.Spring Festival.dine_in.during[3]": "1.6"})
    >>> [(c["path"], c["old"], c["new"]) for c in good.changes]
    [('holidays.Spring Festival.dine_in.during[3]', 1.5, 1.6)]
    """
    data = apply_edits(pack, edits)
    file = f"{pack.industry}@{pack.version} (edited)"
    try:
        built = pack_from_mapping(data, file=file)
    except RulePackError as exc:
        items = list(exc.errors) or [exc]
        errors = [{"field": e.field or "", "message": _strip_file(str(e), file)} for e in items]
        return Checked(None, errors, [])
    errors = _implausible(data, edits)
    changes = [c.to_mapping() for c in diff(pack, built)]
    return Checked(built, errors, changes)


def suggest_version(pack: RulePack, taken: Sequence[str] = ()) -> str:
    """The next free ``YYYY.MM.N`` after ``pack.version`` (``2026.11`` → ``2026.11.1``).

    >>> from jxc_rules.rules import load_pack
    >>> suggest_version(load_pack("hotpot@2026.11"), ["2026.11.1"])
    '2026.11.2'
    """
    parts = pack.version.split(".")
    stem = ".".join(parts[:2])
    n = int(parts[2]) + 1 if len(parts) > 2 and parts[2].isdigit() else 1
    while f"{stem}.{n}" in taken or f"{stem}.{n}" == pack.version:
        n += 1
    return f"{stem}.{n}"


def _names(approved_by: Sequence[str] | str) -> list[str]:
    items = approved_by.split(",") if isinstance(approved_by, str) else list(approved_by)
    return [str(x).strip() for x in items if str(x).strip()]


def save_pack(
    pack: RulePack,
    edits: Mapping[str, Any],
    *,
    folder: str | os.PathLike[str],
    version: str,
    approved_by: Sequence[str] | str,
    changelog: str,
    effective_from: str | dt.date | None = None,
    taken: Sequence[str] = (),
) -> tuple[Path, RulePack, list[dict[str, Any]]]:
    """Write ``pack`` with ``edits`` as a new version ``folder/<industry>/<version>.yaml``.

    The new version must read ``YYYY.MM[.N]``, differ from ``pack.version`` and from every
    version in ``taken`` (the bundled and saved ones), and its file must not exist: nothing is
    ever overwritten. ``approved_by`` (names, or one comma-separated text) and ``changelog``
    (what changed and why) are required. Returns the file, the pack read back from it with
    :func:`jxc_rules.rules.load_pack`, and its diff against ``pack`` including the metadata.
    """
    from jxc_rules.rules.load import load_pack

    checked = check_edits(pack, edits)
    if checked.pack is None or checked.errors:
        first = checked.errors[0]
        raise StudioError(f"the edited pack is not valid: {first['message']}; fix the field "
                          "before saving", field=first["field"] or "edits")
    version = str(version).strip()
    if not is_version(version):
        raise StudioError(f"version must read YYYY.MM or YYYY.MM.N (e.g. "
                          f"{suggest_version(pack, taken)}), got {version!r}", field="version",
                          value=version)
    if version == pack.version or version in taken:
        raise StudioError(f"version {version!r} exists already; a saved pack never replaces "
                          f"one: use {suggest_version(pack, [*taken, version])}",
                          field="version", value=version)
    names = _names(approved_by)
    if not names:
        raise StudioError("approved_by: name who approved this version (e.g. store managers' "
                          "committee)", field="approved_by")
    note = str(changelog).strip()
    if not note:
        raise StudioError("changelog: say what this version changes and why", field="changelog")
    if effective_from in (None, ""):
        effective_from = dt.date.today()
    try:
        start = (effective_from if isinstance(effective_from, dt.date)
                 else dt.date.fromisoformat(str(effective_from).strip()))
    except ValueError:
        raise StudioError(f"effective_from must be a date YYYY-MM-DD, got {effective_from!r}",
                          field="effective_from", value=effective_from) from None
    data = dict(checked.pack.to_mapping())
    data.pop("effective_until", None)
    data.update(version=version, effective_from=start, approved_by=names, changelog=[note])
    try:
        new = pack_from_mapping(data, file=f"{pack.industry}@{version}")
    except JxcRulesError as exc:
        raise StudioError(f"the new version is not valid: {exc}", field="version") from exc
    target = Path(folder) / new.industry / f"{version}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    body = dump_pack(new).split("\n", 1)[1]
    header = (f"# {new.industry} {version} — saved by jxc-rules studio from "
              f"{pack.industry}@{pack.version}\n# approved by: {', '.join(names)}\n")
    try:
        with open(target, "x", encoding="utf-8") as fh:
            fh.write(header + body)
    except FileExistsError:
        raise StudioError(f"{target} exists already; a saved pack never overwrites a file: "
                          f"choose another version (e.g. {suggest_version(pack, [*taken, version])}"
                          ")", field="version", value=version) from None
    saved = load_pack(target)
    changes = [c.to_mapping() for c in diff(pack, saved, include_metadata=True)]
    return target, saved, changes
