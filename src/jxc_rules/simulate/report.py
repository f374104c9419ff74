"""Committee reports: text tables (rich) that fit the terminal, and one self-contained HTML file.

Terminal (:func:`print_tables`): the headline sentence of the trade-off first, then the KPI
table. Every number carries its unit (``%`` for rates and shares, ``pp`` — percentage points —
for a difference of two rates, ``元`` for money, ``d``/``天`` for days). The table is laid out for
the console's width: the widest layout whose rendering keeps every number whole is chosen
(one table; the same table split in two; one block per KPI), so a number is never cut to
``0.…`` — rows are split or stacked instead. A KPI without a direction (``better == 0`` in
:data:`~jxc_rules.simulate.kpis.KPIS`) shows its change but is never called better or worse.
The scenario's calendar notes (e.g. make-up workdays not yet published) follow the table.

HTML (:func:`html_report`): no scripts, no external fonts or stylesheets, no network access;
every chart is an SVG drawn here, sized so that every label lies inside its box (text widths are
estimated conservatively: 0.62 em per Latin character, 1 em per CJK character; long labels are
wrapped or moved into the HTML around the chart). Charts: each KPI's distribution across trials
(histogram per pack, x-axis with ticks in the KPI's unit, legend below), the paired difference
and its 95 % interval per KPI on an axis with ticks and units, the shortfall heat maps (items ×
days: share of trials with a stockout that item-day, and mean yuan wasted), and the sweep — for
one swept parameter the KPI mean with its p05–p95 band per pack, the committee threshold and the
break point, plus the candidate − baseline difference with its interval; for a grid of two
parameters heat maps of the difference and of each pack's KPI. Axes are named in words
(``param_label``), never by the raw parameter path.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import math
import textwrap
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from jxc_rules.simulate.compare import CompareResult, PairedDifference
from jxc_rules.simulate.kpis import KPI_INFO, KPIS, KpiInfo, KpiSummary
from jxc_rules.simulate.runner import SimulationResult
from jxc_rules.simulate.sweep import SweepResult

__all__ = ["TEXT", "format_value", "headline", "html_report", "kpi_label", "param_words",
           "print_tables", "text_width", "verdict_label"]

FloatArray = npt.NDArray[np.float64]

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Rule simulation", "kpi": "KPI", "mean": "mean", "p05": "p05", "p50": "p50",
        "p95": "p95", "se": "s.e.", "diff": "difference (new − old)", "ci": "95 % interval",
        "verdict": "verdict", "better": "better", "worse": "worse",
        "no detectable change": "no detectable change", "no material change": "no material change",
        "higher": "higher", "lower": "lower", "materiality": "material ±",
        "scenario": "Scenario", "rules": "Rules", "trials": "trials", "seed": "seed",
        "horizon": "horizon", "compare": "Compare on common random numbers",
        "distributions": "KPI distributions across trials", "sweep": "Stress sweep",
        "threshold": "threshold", "break": "break point", "never": "not crossed",
        "at_start": "already crossed at the start", "param": "parameter",
        "generated": "generated", "baseline": "baseline", "candidate": "candidate",
        "how": "Both rule packs ran on identical random draws; an interval that excludes 0 "
               "is a detectable change, and it is material when the mean difference reaches "
               "the KPI's materiality threshold (±). Better/worse (by the KPI's direction) "
               "needs both; a detectable change below the threshold is 'no material change'.",
        "not judged": "not judged", "no direction": "no better direction: shown, not judged",
        "note": "note", "notes": "Calendar notes", "headline": "Headline",
        "shortfall": "Shortfall by item and day", "stockout_p": "share of trials with a "
        "stockout", "waste_yuan": "mean waste (元)", "item": "item", "day": "day",
        "stockout_days": "expected stockout days", "worst_day": "worst day",
        "waste_total": "waste", "difference": "difference", "point": "point",
        "share_of_trials": "share of trials", "interval_axis": "candidate − baseline",
        "at": "at", "p05_p95": "P05 – P95", "vs": "vs", "band": "band: p05–p95",
        "diff_band": "band: 95 % interval", "location": "location",
    },
    "zh": {
        "title": "规则仿真", "kpi": "指标", "mean": "均值", "p05": "P05", "p50": "P50",
        "p95": "P95", "se": "标准误", "diff": "差值(新−旧)", "ci": "95% 区间", "verdict": "结论",
        "better": "改善", "worse": "变差", "no detectable change": "无显著变化",
        "no material change": "无实质变化", "materiality": "重要性阈值 ±", "higher": "升高",
        "lower": "降低", "scenario": "场景", "rules": "规则包", "trials": "试验次数",
        "seed": "随机种子", "horizon": "周期", "compare": "共同随机数对比",
        "distributions": "各指标在试验间的分布", "sweep": "压力扫描", "threshold": "阈值",
        "break": "临界点", "never": "未越过", "at_start": "起点即已越过", "param": "参数",
        "generated": "生成时间", "baseline": "基准", "candidate": "候选",
        "how": "两个规则包使用完全相同的随机抽样；区间不含 0 即为可检测的变化，"
               "均值差达到该指标的重要性阈值(±)才算实质变化。改善/变差(按指标方向判断)"
               "须两者兼备；可检测但低于阈值的记为“无实质变化”。",
        "not judged": "不评判", "no direction": "无优劣方向：只显示，不评判",
        "note": "注", "notes": "日历说明", "headline": "结论摘要",
        "shortfall": "按品项和日期的缺货与损耗", "stockout_p": "缺货的试验占比",
        "waste_yuan": "平均损耗(元)", "item": "品项", "day": "日期",
        "stockout_days": "预期缺货天数", "worst_day": "最差日", "waste_total": "损耗",
        "difference": "差值", "point": "点", "share_of_trials": "试验占比",
        "interval_axis": "候选 − 基准", "at": "于", "p05_p95": "P05 – P95", "vs": "对比",
        "band": "色带：P05–P95", "diff_band": "色带：95% 区间", "location": "门店",
    },
}

DEFAULT_SWEEP_KPIS = ("stockout_rate", "waste_rate", "gross_margin")


def _t(lang: str, key: str) -> str:
    return TEXT.get(lang, TEXT["en"]).get(key, TEXT["en"].get(key, key))


def kpi_label(name: str, lang: str = "en") -> str:
    """Display name of a KPI (``缺货率`` / ``stockout rate``)."""
    info = KPI_INFO.get(name)
    if info is None:
        return name
    return info.zh if lang == "zh" else info.en


def verdict_label(verdict: str, lang: str = "en", kpi: str | None = None) -> str:
    """The verdict in words; for a KPI without a direction the change is marked 'not judged'.

    >>> verdict_label("lower", kpi="stock_age_1_3d"), verdict_label("better")
    ('lower (not judged)', 'better')
    """
    text = _t(lang, verdict)
    info = KPI_INFO.get(kpi) if kpi else None
    if info is not None and info.better == 0 and verdict not in ("no detectable change",):
        sep = "" if lang == "zh" else " "
        text = f"{text}{sep}({_t(lang, 'not judged')})"
    return text


def format_value(name: str, value: float | None, *, signed: bool = False, lang: str = "en",
                 diff: bool = False) -> str:
    """A KPI value for people, with its unit: shares in ``%`` (a difference of shares in
    percentage points, ``pp``), days with 2 decimals (``d`` / ``天``), yuan with thousands
    separators (``元``). ``signed`` puts ``+`` on positive values.

    Examples
    --------
    >>> format_value("stockout_rate", 0.0123), format_value("gross_margin", 1234.5)
    ('1.23%', '1,234 元')
    >>> format_value("stockout_rate", 0.012, signed=True, diff=True)
    '+1.20 pp'
    >>> format_value("turnover_days", 1.5, lang="zh")
    '1.50 天'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    info = KPI_INFO.get(name, KpiInfo(name, name, name, 0))
    if info.unit == "share":
        number, unit = f"{100 * value:,.2f}", (" pp" if diff else "%")
    elif info.unit == "days":
        number, unit = f"{value:,.2f}", (" 天" if lang == "zh" else " d")
    else:
        number, unit = f"{value:,.0f}", " 元"
    if number.lstrip("-").strip("0.,") == "":
        number = number.lstrip("-")       # no "-0.00": a value that rounds to zero is zero
    elif signed and not number.startswith("-"):
        number = "+" + number
    return number + unit


def _fmt_interval(name: str, low: float, high: float, lang: str) -> str:
    a = format_value(name, low, signed=True, lang=lang, diff=True)
    b = format_value(name, high, signed=True, lang=lang, diff=True)
    unit_a, unit_b = a.rpartition(" ")[2], b.rpartition(" ")[2]
    if " " in a and unit_a == unit_b and not a.endswith("%"):
        return f"[{a.rpartition(' ')[0]}, {b.rpartition(' ')[0]}] {unit_a}"
    return f"[{a}, {b}]"


def param_words(path: str, lang: str = "en") -> str:
    """A swept parameter path in words: the lead's ``sweep.param_label`` when it exists, else
    the path with its dots and underscores turned into spaces."""
    try:
        import importlib

        label = getattr(importlib.import_module("jxc_rules.simulate.sweep"), "param_label", None)
        if callable(label):
            return str(label(path, lang))
    except Exception:   # a label is cosmetic: never fail a report over it
        pass
    head, _, rest = path.partition(".")
    if head in ("candidate", "baseline", "packs") and rest:
        return f"{head}: {rest.replace('_', ' ').replace('.', ' · ')}"
    return path.replace("_", " ").replace(".", " · ")


def headline(comparison: CompareResult, lang: str = "en") -> str:
    """``comparison.headline(lang)`` when the compare provides it; else a sentence built from
    the verdicts (better / worse KPIs, the margin difference in yuan)."""
    method = getattr(comparison, "headline", None)
    if callable(method):
        try:
            return str(method(lang))
        except TypeError:
            return str(method())
    diffs = comparison.differences
    better = [kpi_label(k, lang) for k, d in diffs.items()
              if d.verdict == "better" and KPI_INFO.get(k, KPIS[0]).better]
    worse = [kpi_label(k, lang) for k, d in diffs.items()
             if d.verdict == "worse" and KPI_INFO.get(k, KPIS[0]).better]
    cand, base = comparison.candidate.rules, comparison.baseline.rules
    margin = diffs.get("gross_margin")
    if lang == "zh":
        text = (f"{cand} 对比 {base}：改善 {'、'.join(better) or '无'}；"
                f"变差 {'、'.join(worse) or '无'}")
        if margin is not None:
            text += f"；毛利 {format_value('gross_margin', margin.mean, signed=True)}"
        return text + "。"
    text = (f"{cand} vs {base}: better on {', '.join(better) or 'nothing'}; "
            f"worse on {', '.join(worse) or 'nothing'}")
    if margin is not None:
        text += (f"; margin {format_value('gross_margin', margin.mean, signed=True)} "
                 f"({verdict_label(margin.verdict, lang)})")
    return text + "."


def _run_headline(results: Sequence[SimulationResult], lang: str) -> str | None:
    """The one-run sentence (``compare.run_headline``) when there is one run and the library
    provides it."""
    if len(results) != 1:
        return None
    import importlib

    fn = getattr(importlib.import_module("jxc_rules.simulate.compare"), "run_headline", None)
    return str(fn(results[0], lang)) if callable(fn) else None


def _notes(results: Sequence[SimulationResult], notes: Sequence[str] | None) -> list[str]:
    if notes is not None:
        return [str(n) for n in notes]
    found = getattr(results[0], "calendar_notes", None) if results else None
    return [str(n) for n in found] if found else []


# --------------------------------------------------------------------------------------------
# text tables


def _fits(width: int, renderables: Sequence[Any], cells: Sequence[str]) -> bool:
    """Whether ``renderables`` printed at ``width`` columns show every cell text whole (and no
    ellipsis anywhere)."""
    from rich.console import Console

    probe = Console(width=width, file=io.StringIO(), record=True, color_system=None,
                    force_terminal=False, legacy_windows=False)
    for r in renderables:
        probe.print(r)
    text = probe.export_text()
    return "…" not in text and all(c in text for c in cells)


def _words(texts: Sequence[str]) -> list[str]:
    """The words of label cells: a layout fits only if none of them has to be folded."""
    return [w for text in texts for w in text.split()]


def _pick(con: Any, layouts: Sequence[tuple[Sequence[Any], Sequence[str]]]) -> Sequence[Any]:
    """The first layout that fits the console (the last one otherwise)."""
    width = int(getattr(con, "width", 80) or 80)
    for renderables, cells in layouts[:-1]:
        if _fits(width, renderables, cells):
            return renderables
    return layouts[-1][0]


def _table(title: str | None, heads: Sequence[tuple[str, bool]]) -> Any:
    """A rich table whose columns are (header, numeric): numeric columns never wrap (the
    layout choice guarantees they fit), word columns wrap and fold."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for head, numeric in heads:
        if numeric:
            table.add_column(head, justify="right", no_wrap=True, overflow="fold")
        else:
            table.add_column(head, overflow="fold")
    return table


def _head(text: str, width: int = 12) -> str:
    """A header broken into lines of about ``width`` characters (headers of numeric columns
    do not wrap by themselves)."""
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _stacked(title: str, blocks: Sequence[tuple[str, Sequence[tuple[str, Any]]]]) -> Any:
    """One block per KPI (or point): its name, then ``field  value`` lines — fits ~45 columns."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("field", overflow="fold")
    table.add_column("value", justify="right", no_wrap=True, overflow="fold")
    for k, (name, rows) in enumerate(blocks):
        table.add_row(f"[bold]{_markup_escape(name)}[/bold]", "")
        for j, (field, value) in enumerate(rows):
            table.add_row(f"  {_markup_escape(field)}", value,
                          end_section=j == len(rows) - 1 and k < len(blocks) - 1)
    return table


def _markup_escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _verdict_text(kpi: str, verdict: str, lang: str) -> Any:
    from rich.text import Text

    info = KPI_INFO.get(kpi)
    style = ({"better": "green", "worse": "red"}.get(verdict, "")
             if info is None or info.better != 0 else "")
    return Text(verdict_label(verdict, lang, kpi), style=style)


def _compare_layouts(comparison: CompareResult, lang: str
                     ) -> list[tuple[list[Any], list[str]]]:
    from rich.text import Text

    rows = []
    for info in KPIS:
        name = info.name
        d = comparison.differences[name]
        rows.append((name, kpi_label(name, lang),
                     format_value(name, comparison.baseline.kpis[name].mean, lang=lang),
                     format_value(name, comparison.candidate.kpis[name].mean, lang=lang),
                     format_value(name, d.mean, signed=True, lang=lang, diff=True),
                     _fmt_interval(name, d.low, d.high, lang),
                     format_value(name, d.materiality, lang=lang, diff=True), d.verdict))
    cells = [c for r in rows for c in r[2:7]]
    cells += _words([r[1] for r in rows] + [verdict_label(r[7], lang, r[0]) for r in rows])
    title = _t(lang, "compare")
    base, cand, dif = _t(lang, "baseline"), _t(lang, "candidate"), _t(lang, "diff")
    ci, mat, ver = _t(lang, "ci"), _t(lang, "materiality"), _t(lang, "verdict")

    wide = _table(title, [(_t(lang, "kpi"), False), (_head(base, 9), True),
                          (_head(cand, 9), True), (_head(dif, 10), True), (_head(ci, 8), True),
                          (_head(mat, 10), True), (ver, False)])
    for name, label, b, c, m, interval, mt, v in rows:
        wide.add_row(Text(label), b, c, m, interval, mt, _verdict_text(name, v, lang))

    split_a = _table(title, [(_t(lang, "kpi"), False), (_head(base, 9), True),
                             (_head(cand, 9), True), (_head(dif, 10), True), (ver, False)])
    split_b = _table(None, [(_t(lang, "kpi"), False), (_head(dif, 10), True), (ci, True),
                            (_head(mat, 10), True)])
    for name, label, b, c, m, interval, mt, v in rows:
        split_a.add_row(Text(label), b, c, m, _verdict_text(name, v, lang))
        split_b.add_row(Text(label), m, interval, mt)

    stacked = _stacked(title, [
        (label, [(base, b), (cand, c), (dif, m), (ci, interval), (mat, mt),
                 (ver, _verdict_text(name, v, lang))])
        for name, label, b, c, m, interval, mt, v in rows])
    return [([wide], cells), ([split_a, split_b], cells), ([stacked], cells)]


def _results_layouts(results: Sequence[SimulationResult], lang: str
                     ) -> list[tuple[list[Any], list[str]]]:
    from rich.text import Text

    title = _t(lang, "title")
    cells: list[str] = []
    per: list[list[tuple[str, str, str, str]]] = []
    for r in results:
        rows = []
        for info in KPIS:
            s = r.kpis[info.name]
            vals = (format_value(info.name, s.mean, lang=lang),
                    format_value(info.name, s.p05, lang=lang),
                    format_value(info.name, s.p95, lang=lang))
            cells += vals
            cells += _words([kpi_label(info.name, lang)])
            rows.append((kpi_label(info.name, lang), *vals))
        per.append(rows)
    heads: list[tuple[str, bool]] = [(_t(lang, "kpi"), False)]
    for k, _r in enumerate(results):
        tag = f"#{k + 1} " if len(results) > 1 else ""
        heads += [(f"{tag}{_t(lang, 'mean')}", True), ("P05", True), ("P95", True)]
    wide = _table(title, heads)
    for j in range(len(KPIS)):
        row: list[Any] = [Text(per[0][j][0])]
        for rows in per:
            row += list(rows[j][1:])
        wide.add_row(*row)
    one_each = []
    for k, r in enumerate(results):
        t = _table(f"{title} · #{k + 1} {r.rules}" if len(results) > 1 else title,
                   [(_t(lang, "kpi"), False), (_t(lang, "mean"), True), ("P05", True),
                    ("P95", True)])
        for label, m, lo, hi in per[k]:
            t.add_row(Text(label), m, lo, hi)
        one_each.append(t)
    stacked = [_stacked(f"{title} · {r.rules}",
                        [(label, [(_t(lang, "mean"), m), ("P05", lo), ("P95", hi)])
                         for label, m, lo, hi in per[k]])
               for k, r in enumerate(results)]
    return [([wide], cells), (one_each, cells), (stacked, cells)]


def _sweep_shape(sweep: Any) -> tuple[tuple[str, ...], list[tuple[float, ...]],
                                      tuple[tuple[float, ...], ...]]:
    """(params, points, axes) of a sweep, for one-parameter sweeps of the older shape too."""
    params = getattr(sweep, "params", None)
    if not params:
        params = (str(sweep.param),)
    points = getattr(sweep, "points", None)
    if points is None:
        points = [(float(v),) if not isinstance(v, (tuple, list)) else tuple(v)
                  for v in sweep.values]
    axes = getattr(sweep, "axes", None)
    if not axes:
        axes = tuple(tuple(sorted({float(p[k]) for p in points})) for k in range(len(params)))
    return tuple(params), [tuple(float(x) for x in p) for p in points], tuple(axes)


def _sweep_kpis(sweep: Any) -> list[str]:
    names = list(getattr(sweep, "thresholds", {}) or {})
    for k in DEFAULT_SWEEP_KPIS:
        if k not in names:
            names.append(k)
    return [k for k in names if k in KPI_INFO]


def _sweep_differences(sweep: Any) -> Sequence[Mapping[str, PairedDifference]] | None:
    diffs = getattr(sweep, "differences", None)
    return diffs if diffs else None


def _sweep_layouts(sweep: Any, lang: str) -> list[tuple[list[Any], list[str]]]:
    params, points, _axes = _sweep_shape(sweep)
    names = _sweep_kpis(sweep)
    diffs = _sweep_differences(sweep)
    rules = list(sweep.rules)
    title = f"{_t(lang, 'sweep')}: " + " × ".join(param_words(p, lang) for p in params)
    pcells = [[f"{x:g}" for x in p] for p in points]
    means = {r: [[format_value(k, float(sweep.kpis[r][i][k].mean), lang=lang) for k in names]
                 for i in range(len(points))] for r in rules}
    dcells = ([[f"{format_value(k, d[k].mean, signed=True, lang=lang, diff=True)} "
                f"{_fmt_interval(k, d[k].low, d[k].high, lang)}" if k in d else "–"
                for k in names] for d in diffs] if diffs else None)
    cells = [c for row in pcells for c in row]
    cells += [c for r in rules for row in means[r] for c in row]
    if dcells:
        cells += [c for row in dcells for c in row]
    pheads = [(_head(param_words(p, lang), 14), True) for p in params]
    tags = {r: (f"#{k + 1}" if len(rules) > 1 else "") for k, r in enumerate(rules)}

    wide = _table(title, pheads + [(_head(f"{kpi_label(k, lang)} {tags[r]}".strip(), 10), True)
                                   for r in rules for k in names]
                  + ([(_head(f"Δ {kpi_label(k, lang)}", 12), True) for k in names]
                     if dcells else []))
    for i in range(len(points)):
        row = list(pcells[i])
        for r in rules:
            row += means[r][i]
        if dcells:
            row += dcells[i]
        wide.add_row(*row)
    split: list[Any] = []
    for r in rules:
        t = _table(f"{title} · {tags[r]} {r}".replace("  ", " "),
                   pheads + [(_head(kpi_label(k, lang), 10), True) for k in names])
        for i in range(len(points)):
            t.add_row(*pcells[i], *means[r][i])
        split.append(t)
    if diffs:
        t = _table(f"{title} · {_t(lang, 'diff')}",
                   [*pheads, (_t(lang, "kpi"), False), (_head(_t(lang, "diff"), 10), True),
                    (_t(lang, "ci"), True)])
        for i, d in enumerate(diffs):
            for k in names:
                if k in d:
                    t.add_row(*pcells[i], kpi_label(k, lang),
                              format_value(k, d[k].mean, signed=True, lang=lang, diff=True),
                              _fmt_interval(k, d[k].low, d[k].high, lang))
        split.append(t)
    blocks = []
    for i in range(len(points)):
        rows: list[tuple[str, Any]] = []
        for r in rules:
            rows += [(f"{kpi_label(k, lang)} {tags[r]}".strip(), means[r][i][j])
                     for j, k in enumerate(names)]
        if dcells:
            rows += [(f"Δ {kpi_label(k, lang)}", dcells[i][j]) for j, k in enumerate(names)]
        blocks.append((", ".join(f"{param_words(p, lang)} = {c}"
                                 for p, c in zip(params, pcells[i], strict=True)), rows))
    legend = [f"#{k + 1} = {r}" for k, r in enumerate(rules)] if len(rules) > 1 else []
    from rich.text import Text

    lines = [Text(line) for line in legend]
    split_cells = [c for row in pcells for c in row]
    split_cells += [c for r in rules for row in means[r] for c in row]
    if diffs:
        split_cells += [c for d in diffs for k in names if k in d
                        for c in (format_value(k, d[k].mean, signed=True, lang=lang, diff=True),
                                  _fmt_interval(k, d[k].low, d[k].high, lang))]
    return [([wide, *lines], cells), ([*split, *lines], split_cells),
            ([_stacked(title, blocks), *lines], cells)]


def _break_lines(sweep: Any, lang: str) -> list[str]:
    out = []
    params, _points, _axes = _sweep_shape(sweep)
    for b in sweep.break_points:
        param = getattr(b, "param", None) or params[0]
        where = (_t(lang, "never") if b.value is None else
                 f"{param_words(param, lang)} = {b.value:.4g}"
                 + (f" ({_t(lang, 'at_start')})" if b.at_start else ""))
        at = getattr(b, "at", None) or {}
        if at:
            where += " · " + _t(lang, "at") + " " + ", ".join(
                f"{param_words(k, lang)} = {float(v):g}" for k, v in at.items())
        out.append(f"{_t(lang, 'break')} · {kpi_label(b.kpi, lang)} {_t(lang, 'threshold')} "
                   f"{format_value(b.kpi, b.threshold, lang=lang)} · {b.rules}: {where}")
    return out


def _item_names(ids: Sequence[str]) -> tuple[list[str], str | None]:
    """Item labels without a location prefix shared by all of them (returned separately)."""
    prefixes = {i.partition("/")[0] for i in ids if "/" in i}
    if len(prefixes) == 1 and all("/" in i for i in ids):
        return [i.partition("/")[2] for i in ids], next(iter(prefixes))
    return list(ids), None


def _shortfall(r: SimulationResult) -> tuple[FloatArray, FloatArray, list[str], list[dt.date]
                                             ] | None:
    daily = getattr(r, "daily", None) or {}
    ids = tuple(getattr(r, "item_ids", ()) or ())
    dates = tuple(getattr(r, "dates", ()) or ())
    if "stockout" not in daily or not ids:
        return None
    so = np.asarray(daily["stockout"], dtype=np.float64)
    waste = np.asarray(daily.get("waste_yuan", np.zeros_like(so)), dtype=np.float64)
    if so.ndim != 2 or so.shape[1] != len(ids):
        return None
    if len(dates) != so.shape[0]:
        dates = tuple(dt.date(2000, 1, 1) + dt.timedelta(days=k) for k in range(so.shape[0]))
    return so, waste, list(ids), list(dates)


def _detail_layouts(results: Sequence[SimulationResult], lang: str
                    ) -> list[tuple[list[Any], list[str]]]:
    from rich.text import Text

    wide: list[Any] = []
    stacked: list[Any] = []
    cells: list[str] = []
    for r in results:
        data = _shortfall(r)
        if data is None:
            continue
        so, waste, ids, dates = data
        names, loc = _item_names(ids)
        title = f"{_t(lang, 'shortfall')} · {r.rules}" + (f" · {loc}" if loc else "")
        t = _table(title, [(_t(lang, "item"), False),
                           (_head(_t(lang, "stockout_days"), 10), True),
                           (_head(_t(lang, "worst_day"), 12), True),
                           (_head(_t(lang, "waste_total"), 10), True)])
        blocks = []
        for j, name in enumerate(names):
            days = f"{float(so[:, j].sum()):.2f} {'天' if lang == 'zh' else 'd'}"
            k = int(np.argmax(so[:, j]))
            worst = (f"{dates[k]:%m-%d} {100 * float(so[k, j]):.0f}%" if so[k, j] > 0 else "–")
            w = f"{float(waste[:, j].sum()):,.0f} 元"
            cells += [days, worst, w, *_words([name])]
            t.add_row(Text(name), days, worst, w)
            blocks.append((name, [(_t(lang, "stockout_days"), days),
                                  (_t(lang, "worst_day"), worst), (_t(lang, "waste_total"), w)]))
        wide.append(t)
        stacked.append(_stacked(title, blocks))
    return [(wide, cells), (stacked, cells)]


def print_tables(
    results: Sequence[SimulationResult],
    comparison: CompareResult | None = None,
    sweep: SweepResult | None = None,
    *,
    lang: str = "en",
    console: Any = None,
    notes: Sequence[str] | None = None,
    detail: bool = False,
) -> None:
    """Print the headline, the KPI table (or the compare), the sweep and the calendar notes
    with rich, laid out for the console's width (see the module docstring).

    ``notes`` are the scenario's calendar notes (``Scenario.calendar_notes``); ``detail`` adds
    the shortfall per item (expected stockout days, the worst day, waste in yuan).
    """
    from rich.console import Console

    con = console or Console()
    first = results[0]
    con.print(f"[bold]{_t(lang, 'scenario')}:[/bold] {_markup_escape(str(first.scenario))}   "
              f"{_t(lang, 'trials')}: {first.trials}   {_t(lang, 'seed')}: {first.seed}")
    if comparison is not None:
        con.print(f"[bold]{_markup_escape(headline(comparison, lang))}[/bold]")
        con.print(f"{_t(lang, 'baseline')} = {_markup_escape(str(comparison.baseline.rules))}"
                  f" · {_t(lang, 'candidate')} = "
                  f"{_markup_escape(str(comparison.candidate.rules))}")
        layouts = _compare_layouts(comparison, lang)
    else:
        single = _run_headline(results, lang)
        if single:
            con.print(f"[bold]{_markup_escape(single)}[/bold]")
        if len(results) > 1:
            con.print(" · ".join(f"#{k + 1} = {_markup_escape(str(r.rules))}"
                                 for k, r in enumerate(results)))
        else:
            con.print(f"{_t(lang, 'rules')}: {_markup_escape(str(first.rules))}")
        layouts = _results_layouts(results, lang)
    for renderable in _pick(con, layouts):
        con.print(renderable)
    if any(KPI_INFO[k.name].better == 0 for k in KPIS):
        flat = ("、" if lang == "zh" else ", ").join(kpi_label(k.name, lang) for k in KPIS
                                                     if k.better == 0)
        con.print(f"[dim]{_markup_escape(flat)} — {_t(lang, 'no direction')}[/dim]")
    if comparison is not None:
        con.print(f"[dim]{_t(lang, 'how')}[/dim]")
    if detail:
        for renderable in _pick(con, _detail_layouts(results, lang)):
            con.print(renderable)
    if sweep is not None:
        for renderable in _pick(con, _sweep_layouts(sweep, lang)):
            con.print(renderable)
        for line in _break_lines(sweep, lang):
            con.print(_markup_escape(line))
    for note in _notes(results, notes):
        con.print(f"[yellow]{_t(lang, 'note')}:[/yellow] {_markup_escape(note)}")


# --------------------------------------------------------------------------------------------
# SVG


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def text_width(text: str, size: float) -> float:
    """A conservative estimate of a text's rendered width in px at ``size`` px (sans-serif):
    0.62 em per Latin character, 1 em per wide (CJK) character.

    >>> text_width("10%", 10), text_width("毛利", 10)
    (18.6, 20.0)
    """
    return round(sum((1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.62)
                     for ch in text) * size, 6)


def _wrap_px(text: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` px (by :func:`text_width`), breaking at spaces
    and, for CJK text, between characters."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        trial = line + token
        if line and text_width(trial.rstrip(), size) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = trial
    if line.strip():
        lines.append(line.rstrip())
    return lines or [text]


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    word = ""
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        elif ch == " ":
            out.append(word + " ")
            word = ""
        else:
            word += ch
    if word:
        out.append(word)
    return out


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    first = math.ceil(lo / step - 1e-9) * step
    ticks = [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]
    return [0.0 if abs(v) < step * 1e-9 else v for v in ticks]


def _fit_ticks(lo: float, hi: float, span_px: float, label: Callable[[float], str],
               size: float, n: int = 6) -> list[float]:
    """Nice ticks in [lo, hi] whose labels (at ``size`` px) do not overlap over ``span_px``."""
    for k in range(n, 0, -1):
        ticks = _nice_ticks(lo, hi, k)
        if len(ticks) <= 1:
            return ticks
        gap = span_px * (ticks[1] - ticks[0]) / (hi - lo)
        texts = [label(v) for v in ticks]
        widest = max(text_width(t, size) for t in texts)
        if widest + 6 <= gap and len(set(texts)) == len(texts):
            return ticks
    return _nice_ticks(lo, hi, 1)[:1]


def _label(x: float, y: float, text: str, size: float, width: float, *,
           anchor: str = "middle", extra: str = "") -> str:
    """A text element at ``(x, y)`` moved (by its anchor) so that it stays inside [1, width−1]."""
    w = text_width(text, size)
    left = {"middle": x - w / 2, "start": x, "end": x - w}[anchor]
    if left < 1:
        x, anchor = 1.0, "start"
    elif left + w > width - 1:
        x, anchor = width - 1.0, "end"
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}"'
            f'{extra}>{_esc(text)}</text>')


def _svg_open(width: float, height: float, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
            f'viewBox="0 0 {width:g} {height:g}" role="img" aria-label="{_esc(label)}" '
            'font-family="sans-serif">')


def _legend(labels: Sequence[str], extra: Sequence[str] = ()) -> str:
    """An HTML legend (wraps with the page, never overflows a chart)."""
    items = [f'<span style="color:{COLORS[k % len(COLORS)]}">■</span> {_esc(lab)}'
             for k, lab in enumerate(labels)]
    items += [_esc(e) for e in extra]
    return f'<div class="legend">{" · ".join(items)}</div>'


def histogram_svg(name: str, samples: Sequence[FloatArray], labels: Sequence[str] = (),
                  *, width: int = 360, height: int = 150, bins: int = 30,
                  lang: str = "en") -> str:
    """Overlaid histograms of one KPI's per-trial values (one colour per pack, the mean as a
    line); x-axis ticks in the KPI's unit. The legend is HTML (:func:`_legend`)."""
    clean = [np.asarray(s, dtype=np.float64)[np.isfinite(s)] for s in samples]
    allv = np.concatenate(clean) if clean else np.zeros(0)
    pad_l, pad_r, pad_b, pad_t = 10, 10, 22, 8
    w, h = width - pad_l - pad_r, height - pad_b - pad_t
    out = [_svg_open(width, height, kpi_label(name, lang))]
    if allv.size == 0:
        out.append('<text x="10" y="20" font-size="11">no data</text></svg>')
        return "".join(out)
    lo, hi = float(allv.min()), float(allv.max())
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        lo, hi = lo - 0.5 * max(abs(lo) * 0.01, 1e-6), hi + 0.5 * max(abs(hi) * 0.01, 1e-6)
    edges = np.linspace(lo, hi, bins + 1)
    counts = [np.histogram(c, bins=edges)[0] / max(c.size, 1) for c in clean]
    top = max(float(c.max()) for c in counts) or 1.0

    def x(v: float) -> float:
        return pad_l + (v - lo) / (hi - lo) * w

    for k, c in enumerate(counts):
        color = COLORS[k % len(COLORS)]
        for j, frac in enumerate(c):
            if frac <= 0:
                continue
            bh = frac / top * h
            out.append(f'<rect x="{x(edges[j]):.1f}" y="{pad_t + h - bh:.1f}" '
                       f'width="{max(x(edges[j + 1]) - x(edges[j]) - 0.5, 0.5):.1f}" '
                       f'height="{bh:.1f}" fill="{color}" fill-opacity="0.45"/>')
        mean = float(clean[k].mean()) if clean[k].size else lo
        out.append(f'<line x1="{x(mean):.1f}" x2="{x(mean):.1f}" y1="{pad_t}" '
                   f'y2="{pad_t + h}" stroke="{color}" stroke-width="1.5"/>')
    out.append(f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{pad_t + h}" y2="{pad_t + h}" '
               'stroke="#444"/>')

    def fmt(v: float) -> str:
        return format_value(name, v, lang=lang)

    for tick in _fit_ticks(lo, hi, w, fmt, 10):
        out.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{pad_t + h}" '
                   f'y2="{pad_t + h + 4}" stroke="#444"/>')
        out.append(_label(x(tick), pad_t + h + 15, fmt(tick), 10, width))
    out.append("</svg>")
    return "".join(out)


def interval_svg(d: PairedDifference, *, width: int = 260, height: int = 40,
                 lang: str = "en") -> str:
    """One paired difference on an axis of candidate − baseline in the KPI's unit: the 95 %
    interval as a bar, the mean as a dot, zero as a dashed line, the materiality band ±m
    shaded; ticks with units below."""
    m = d.materiality if math.isfinite(d.materiality) else 0.0
    span = max(abs(d.low), abs(d.high), abs(d.mean), 1.25 * m)
    if not math.isfinite(span) or span == 0:
        span = 1.0
    span *= 1.05
    pad = 8
    bar_y, axis_y = 11.0, 22.0

    def x(v: float) -> float:
        return pad + (v + span) / (2 * span) * (width - 2 * pad)

    info = KPI_INFO.get(d.kpi)
    color = ({"better": "#2ca02c", "worse": "#d62728"}.get(d.verdict, "#555")
             if info is None or info.better != 0 else "#555")
    parts = [_svg_open(width, height, f"{d.kpi} interval")]
    if m > 0:
        parts.append(f'<rect x="{x(-m):.1f}" y="2" width="{x(m) - x(-m):.1f}" '
                     f'height="{axis_y - 2}" fill="#eee"/>')
    parts.append(f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="2" y2="{axis_y}" stroke="#999" '
                 'stroke-dasharray="3,2"/>')
    if math.isfinite(d.low) and math.isfinite(d.high):
        parts.append(f'<line x1="{x(d.low):.1f}" x2="{x(d.high):.1f}" y1="{bar_y}" '
                     f'y2="{bar_y}" stroke="{color}" stroke-width="4"/>')
    if math.isfinite(d.mean):
        parts.append(f'<circle cx="{x(d.mean):.1f}" cy="{bar_y}" r="4" fill="{color}"/>')
    parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{axis_y}" y2="{axis_y}" '
                 'stroke="#444"/>')

    def fmt(v: float) -> str:
        return format_value(d.kpi, v, signed=True, lang=lang, diff=True)

    for tick in _fit_ticks(-span, span, width - 2 * pad, fmt, 9, n=4):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{axis_y}" '
                     f'y2="{axis_y + 3}" stroke="#444"/>')
        parts.append(_label(x(tick), axis_y + 13, fmt(tick), 9, width))
    parts.append("</svg>")
    return "".join(parts)


def _line_chart(xs: Sequence[float], series: Sequence[tuple[str, Sequence[float],
                                                              Sequence[float], Sequence[float]]],
                kpi: str, x_title: str, *, lang: str, diff: bool = False,
                limit: float | None = None, marks: Sequence[tuple[int, float]] = (),
                width: int = 420, height: int = 230) -> str:
    """Mean lines with bands (per series: colour index from the order) against ``xs``; y ticks
    in the KPI's unit, x ticks, the x-axis named ``x_title`` (wrapped to fit), a dashed line at
    ``limit`` (or at 0 for a difference), circles at ``marks`` (series, x) on the limit."""
    def fmt(v: float) -> str:
        return format_value(kpi, v, signed=diff, lang=lang, diff=diff)

    vals = [v for _, m, lo, hi in series for v in (*m, *lo, *hi) if math.isfinite(v)]
    ref = 0.0 if diff else limit
    if ref is not None:
        vals.append(float(ref))
    lo_y, hi_y = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if hi_y - lo_y < 1e-12 * max(1.0, abs(hi_y)):
        lo_y, hi_y = lo_y - max(abs(lo_y) * 0.05, 1e-3), hi_y + max(abs(hi_y) * 0.05, 1e-3)
    pad_y = 0.05 * (hi_y - lo_y)
    lo_y, hi_y = lo_y - pad_y, hi_y + pad_y
    pad_t, pad_r = 10, 14
    title_lines = _wrap_px(x_title, 11, width - 8)
    pad_b = 24 + 14 * len(title_lines)
    h = height - pad_t - pad_b
    yticks = _nice_ticks(lo_y, hi_y, max(2, min(6, int(h // 30))))
    pad_l = int(max(text_width(fmt(v), 10) for v in yticks) + 10)
    w = width - pad_l - pad_r
    x0, x1 = ((min(xs), max(xs)) if len(xs) > 1 and max(xs) > min(xs)
              else (xs[0] - 0.5, xs[0] + 0.5))

    def px(v: float) -> float:
        return pad_l + (v - x0) / (x1 - x0) * w

    def py(v: float) -> float:
        return pad_t + h - (v - lo_y) / (hi_y - lo_y) * h

    out = [_svg_open(width, height, f"{kpi} · {x_title}"),
           f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>']
    for tick in yticks:
        out.append(f'<line x1="{pad_l - 3}" x2="{pad_l}" y1="{py(tick):.1f}" '
                   f'y2="{py(tick):.1f}" stroke="#444"/>')
        out.append(_label(pad_l - 5, py(tick) + 3.5, fmt(tick), 10, width, anchor="end"))
    for tick in _fit_ticks(x0, x1, w, lambda v: f"{v:g}", 10, n=min(8, max(len(xs), 2))):
        out.append(f'<line x1="{px(tick):.1f}" x2="{px(tick):.1f}" y1="{pad_t + h}" '
                   f'y2="{pad_t + h + 3}" stroke="#444"/>')
        out.append(_label(px(tick), pad_t + h + 14, f"{tick:g}", 10, width))
    for k, line in enumerate(title_lines):
        out.append(_label(pad_l + w / 2, pad_t + h + 30 + 14 * k, line, 11, width))
    for k, (_name, mean, p05, p95) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        band = [(px(a), py(v)) for a, v in zip(xs, p95, strict=True) if math.isfinite(v)]
        band += [(px(a), py(v)) for a, v in reversed(list(zip(xs, p05, strict=True)))
                 if math.isfinite(v)]
        if band:
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in band)
            out.append(f'<polygon points="{pts}" fill="{color}" fill-opacity="0.15"/>')
        line_pts = " ".join(f"{px(a):.1f},{py(v):.1f}" for a, v in zip(xs, mean, strict=True)
                            if math.isfinite(v))
        out.append(f'<polyline points="{line_pts}" fill="none" stroke="{color}" '
                   'stroke-width="2"/>')
        for a, v in zip(xs, mean, strict=True):
            if math.isfinite(v):
                out.append(f'<circle cx="{px(a):.1f}" cy="{py(v):.1f}" r="2" fill="{color}"/>')
    if ref is not None:
        out.append(f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{py(ref):.1f}" '
                   f'y2="{py(ref):.1f}" stroke="#000" stroke-dasharray="5,3"/>')
    if limit is not None and not diff:
        for k, xv in marks:
            out.append(f'<circle cx="{px(xv):.1f}" cy="{py(limit):.1f}" r="5" fill="none" '
                       f'stroke="{COLORS[k % len(COLORS)]}" stroke-width="2"/>')
    out.append("</svg>")
    return "".join(out)


def sweep_svg(sweep: SweepResult, kpi: str, *, width: int = 420, height: int = 230,
              lang: str = "en") -> str:
    """One-parameter sweep: KPI mean (line) and p05–p95 band per pack against the parameter
    (named in words), the committee threshold (dashed) and the break points (circles)."""
    params, points, _axes = _sweep_shape(sweep)
    xs = [p[0] for p in points]
    rules = list(sweep.rules)
    series = [(r, sweep.series(r, kpi), sweep.series(r, kpi, "p05"),
               sweep.series(r, kpi, "p95")) for r in rules]
    limit = sweep.thresholds.get(kpi)
    marks = [(rules.index(b.rules), float(b.value)) for b in sweep.break_points
             if b.kpi == kpi and b.value is not None and b.rules in rules]
    return _line_chart(xs, series, kpi, param_words(params[0], lang), lang=lang,
                       limit=None if limit is None else float(limit), marks=marks,
                       width=width, height=height)


def sweep_difference_svg(sweep: Any, kpi: str, *, width: int = 420, height: int = 230,
                         lang: str = "en") -> str | None:
    """One-parameter sweep: candidate − baseline mean of ``kpi`` with its 95 % interval."""
    diffs = _sweep_differences(sweep)
    if diffs is None or any(kpi not in d for d in diffs):
        return None
    params, points, _axes = _sweep_shape(sweep)
    xs = [p[0] for p in points]
    series = [("diff", [float(d[kpi].mean) for d in diffs], [float(d[kpi].low) for d in diffs],
               [float(d[kpi].high) for d in diffs])]
    return _line_chart(xs, series, kpi, param_words(params[0], lang), lang=lang, diff=True,
                       width=width, height=height)


def _mix(c0: str, c1: str, t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    a = [int(c0[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(c1[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(u + (v - u) * t):02x}" for u, v in zip(a, b, strict=True))


def _dark(color: str) -> bool:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b < 140


def heatmap_svg(values: FloatArray, rows: Sequence[str], cols: Sequence[str], *,
                fmt: Callable[[float], str], x_title: str, y_title: str, label: str,
                low: str = "#ffffff", high: str = "#a50f15", diverging: str | None = None,
                width: int = 560, cell_h: float | None = None, show_values: bool = True,
                from_zero: bool = True, vmax: float | None = None) -> str:
    """A heat map of ``values[row, col]`` with row labels on the left, column labels below
    (thinned to fit), axis titles in words and a colour scale with its ends labelled.

    Sequential (``low`` → ``high``, from 0 — or the minimum, ``from_zero=False`` — to the
    maximum) or, with ``diverging`` = a colour
    for negative values, symmetric around 0 (``diverging`` ← 0 → ``high``). Every cell has a
    ``<title>`` (hover) with its row, column and value; values are also written in the cells
    when they fit."""
    vals = np.asarray(values, dtype=np.float64)
    n_rows, n_cols = vals.shape
    finite = vals[np.isfinite(vals)]
    shared = vmax
    if diverging is not None:
        top = float(np.abs(finite).max()) if finite.size else 1.0
        vmin, vmax = -(top or 1.0), (top or 1.0)
    else:
        vmax = float(finite.max()) if finite.size else 1.0
        if shared is not None and math.isfinite(shared):
            vmax = max(vmax, float(shared))
        vmin = 0.0 if from_zero or not finite.size else float(finite.min())
        if vmax - vmin <= 1e-12 * max(1.0, abs(vmax)):
            vmin, vmax = (vmin, vmin + 1.0) if from_zero and vmax == 0 else (vmin - 1e-9,
                                                                              vmax + 1e-9)
    size = 10.0
    pad_t = 6 + 14 * len(_wrap_px(y_title, 11, width - 8))
    pad_l = int(min(max((text_width(r, size) for r in rows), default=10) + 8, width * 0.45))
    row_labels = [_fit_text(r, size, pad_l - 6) for r in rows]
    pad_r = 8
    w = width - pad_l - pad_r
    cw = w / max(n_cols, 1)
    ch = cell_h if cell_h is not None else max(12.0, min(28.0, 320.0 / max(n_rows, 1)))
    h = ch * n_rows
    title_lines = _wrap_px(x_title, 11, width - 8)
    legend_y = pad_t + h + 20 + 14 * len(title_lines) + 6
    height = legend_y + 30
    out = [_svg_open(width, height, label)]
    for k, line in enumerate(_wrap_px(y_title, 11, width - 8)):
        out.append(_label(4, 14 + 14 * k, line, 11, width, anchor="start"))

    def color(v: float) -> str:
        if not math.isfinite(v):
            return "#dddddd"
        if diverging is not None:
            return (_mix("#ffffff", high, v / vmax) if v >= 0
                    else _mix("#ffffff", diverging, v / vmin))
        return _mix(low, high, (v - vmin) / (vmax - vmin))

    cell_size = min(9.0, ch * 0.6)
    for i in range(n_rows):
        y = pad_t + i * ch
        out.append(_label(pad_l - 4, y + ch / 2 + 3.5, row_labels[i], size, width,
                          anchor="end"))
        for j in range(n_cols):
            v = float(vals[i, j])
            c = color(v)
            out.append(f'<rect x="{pad_l + j * cw:.2f}" y="{y:.2f}" width="{cw:.2f}" '
                       f'height="{ch:.2f}" fill="{c}" stroke="#fff" stroke-width="0.5">'
                       f'<title>{_esc(rows[i])} · {_esc(cols[j])}: {_esc(fmt(v))}</title></rect>')
            text = fmt(v)
            if show_values and text_width(text, cell_size) <= cw - 2 and ch >= 11:
                fill = "#fff" if _dark(c) else "#222"
                out.append(f'<text x="{pad_l + (j + 0.5) * cw:.1f}" y="{y + ch / 2 + 3:.1f}" '
                           f'font-size="{cell_size:g}" text-anchor="middle" fill="{fill}">'
                           f'{_esc(text)}</text>')
    step = 1
    widest = max((text_width(c, size) for c in cols), default=0.0)
    while step < n_cols and widest + 4 > cw * step:
        step += 1
    for j in range(0, n_cols, step):
        out.append(_label(pad_l + (j + 0.5) * cw, pad_t + h + 13, cols[j], size, width))
    for k, line in enumerate(title_lines):
        out.append(_label(pad_l + w / 2, pad_t + h + 28 + 14 * k, line, 11, width))
    # colour scale
    bar_x, bar_w = pad_l, min(220.0, w)
    stops = 24
    for s in range(stops):
        v = vmin + (vmax - vmin) * (s + 0.5) / stops
        out.append(f'<rect x="{bar_x + s * bar_w / stops:.2f}" y="{legend_y}" '
                   f'width="{bar_w / stops + 0.3:.2f}" height="8" fill="{color(v)}"/>')
    out.append(_label(bar_x, legend_y + 20, fmt(vmin), size, width, anchor="start"))
    out.append(_label(bar_x + bar_w, legend_y + 20, fmt(vmax), size, width, anchor="end"))
    if diverging is not None:
        out.append(_label(bar_x + bar_w / 2, legend_y + 20, fmt(0.0), size, width))
    out.append("</svg>")
    return "".join(out)


def _fit_text(text: str, size: float, width: float) -> str:
    """``text`` shortened with a trailing '.' marker only when it cannot fit ``width`` px (item
    names are kept whole up to 45 % of the chart; the full name is in the cell titles)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + ".", size) > width:
        text = text[:-1]
    return text + "."


def shortfall_svgs(r: SimulationResult, *, lang: str = "en", width: int = 560,
                   scale: tuple[float, float] | None = None) -> list[tuple[str, str]]:
    """The two shortfall heat maps of one run (items × days): the share of trials with a
    stockout that item-day, and the mean yuan wasted. ``scale`` = the colour scales' tops
    (stockout share, yuan), shared by the packs of a report so that equal colours mean equal
    values. [] when the run has no daily data."""
    data = _shortfall(r)
    if data is None:
        return []
    so, waste, ids, dates = data
    names, _loc = _item_names(ids)
    cols = [f"{d:%m-%d}" for d in dates]
    day = _t(lang, "day")
    item = _t(lang, "item")
    so_map = heatmap_svg(so.T, names, cols, fmt=lambda v: f"{100 * v:.0f}%", x_title=day,
                         y_title=f"{item} · {_t(lang, 'stockout_p')}",
                         label=f"{r.rules} stockout", width=width, show_values=False,
                         vmax=scale[0] if scale else None)
    waste_map = heatmap_svg(waste.T, names, cols, fmt=lambda v: f"{v:,.0f} 元", x_title=day,
                            y_title=f"{item} · {_t(lang, 'waste_yuan')}",
                            label=f"{r.rules} waste", high="#54278f", width=width,
                            show_values=False, vmax=scale[1] if scale else None)
    return [(_t(lang, "stockout_p"), so_map), (_t(lang, "waste_yuan"), waste_map)]


def shortfall_difference_svg(baseline: SimulationResult, candidate: SimulationResult, *,
                             lang: str = "en", width: int = 560) -> str | None:
    """Candidate − baseline share of trials with a stockout per item-day (red: the candidate
    runs short more often, green: less), on common random numbers; None without daily data or
    when the two runs' items or days differ."""
    a, b = _shortfall(baseline), _shortfall(candidate)
    if a is None or b is None or a[2] != b[2] or a[0].shape != b[0].shape:
        return None
    names, _loc = _item_names(a[2])
    cols = [f"{d:%m-%d}" for d in a[3]]
    return heatmap_svg((b[0] - a[0]).T, names, cols,
                       fmt=lambda v: f"{100 * v:+.0f} pp".replace("+0 pp", "0 pp"),
                       x_title=_t(lang, "day"),
                       y_title=f"{_t(lang, 'item')} · {_t(lang, 'interval_axis')}",
                       label="stockout difference", high="#d73027", diverging="#1a9850",
                       width=width, show_values=False)


def _grid(values: Sequence[float], axes: Sequence[Sequence[float]],
          points: Sequence[tuple[float, ...]]) -> FloatArray:
    """Point values laid out as ``[axis0 value, axis1 value]`` (NaN where a point is absent)."""
    grid = np.full((len(axes[0]), len(axes[1])), np.nan)
    index0 = {float(v): k for k, v in enumerate(axes[0])}
    index1 = {float(v): k for k, v in enumerate(axes[1])}
    for v, p in zip(values, points, strict=True):
        grid[index0[float(p[0])], index1[float(p[1])]] = v
    return grid


def sweep_grid_svgs(sweep: Any, kpi: str, *, lang: str = "en", width: int | None = None
                    ) -> list[tuple[str, str]]:
    """Two-parameter sweep: heat maps (rows = first parameter, columns = second) of the
    candidate − baseline difference of ``kpi`` (green = better by the KPI's direction) and of
    each pack's mean. The default width gives each column ~62 px (values like ``+12.57 pp``
    fit in the cells) between 460 and 900 px."""
    params, points, axes = _sweep_shape(sweep)
    if width is None:
        width = int(min(900, max(460, 70 + 62 * len(axes[1]))))
    rows = [f"{v:g}" for v in axes[0]]
    cols = [f"{v:g}" for v in axes[1]]
    y_title, x_title = (f"↓ {param_words(params[0], lang)}", param_words(params[1], lang))
    better = KPI_INFO[kpi].better if kpi in KPI_INFO else 0
    out: list[tuple[str, str]] = []
    diffs = _sweep_differences(sweep)
    if diffs is not None and all(kpi in d for d in diffs):
        grid = _grid([float(d[kpi].mean) for d in diffs], axes, points)
        good, bad = "#1a9850", "#d73027"
        hi, neg = ((good, bad) if better > 0 else (bad, good) if better < 0
                   else ("#e66101", "#5e3c99"))
        svg = heatmap_svg(grid, rows, cols,
                          fmt=lambda v: format_value(kpi, v, signed=True, lang=lang, diff=True),
                          x_title=x_title, y_title=y_title, label=f"{kpi} difference",
                          high=hi, diverging=neg, width=width, cell_h=26)
        out.append((f"{kpi_label(kpi, lang)} · {_t(lang, 'diff')}", svg))
    for k, r in enumerate(sweep.rules):
        grid = _grid(sweep.series(r, kpi), axes, points)
        svg = heatmap_svg(grid, rows, cols, fmt=lambda v: format_value(kpi, v, lang=lang),
                          x_title=x_title, y_title=y_title, label=f"{kpi} {r}",
                          low="#f7fbff", high=("#08306b", "#67000d", "#00441b", "#3f007d")[k % 4],
                          width=width, cell_h=26, from_zero=False)
        out.append((f"{kpi_label(kpi, lang)} · {r}", svg))
    return out


# --------------------------------------------------------------------------------------------
# HTML


_CSS = """
body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:12px 0}th,td{padding:4px 8px;border-bottom:1px solid #ddd;
text-align:right;font-size:13px;white-space:nowrap}th{white-space:normal}
th:first-child,td:first-child{text-align:left;white-space:normal}td.verdict{white-space:normal}
td.text{white-space:normal;text-align:left;min-width:16em}
.wide{overflow-x:auto}
.better{color:#1a7f1a;font-weight:600}.worse{color:#b01c1c;font-weight:600}
.grid{display:flex;flex-wrap:wrap;gap:16px}.card{border:1px solid #e3e3e3;padding:8px;
border-radius:6px}.card h4{margin:2px 0 6px 0;font-size:13px;max-width:560px}
.muted{color:#777;font-size:12px}.legend{font-size:12px;max-width:560px;margin-top:4px}
.headline{font-size:18px;font-weight:600;margin:8px 0 12px 0}
.note{background:#fff8e1;border-left:4px solid #f0ad00;padding:6px 10px;font-size:13px}
svg{display:block}
"""


def _summary_cells(name: str, s: KpiSummary, lang: str = "en") -> str:
    return (f"<td>{_esc(format_value(name, s.mean, lang=lang))}</td>"
            f"<td>{_esc(format_value(name, s.p05, lang=lang))} – "
            f"{_esc(format_value(name, s.p95, lang=lang))}</td>")


def _verdict_class(kpi: str, verdict: str) -> str:
    info = KPI_INFO.get(kpi)
    if info is not None and info.better == 0:
        return "neutral"
    return verdict.split()[0]


def html_report(
    results: Sequence[SimulationResult],
    comparison: CompareResult | None = None,
    sweep: SweepResult | None = None,
    *,
    lang: str = "en",
    meta: Mapping[str, str] | None = None,
    notes: Sequence[str] | None = None,
) -> str:
    """One self-contained HTML page (inline CSS and SVG, no scripts, no network): headline,
    calendar notes, the KPI table (with the compare), distributions, shortfall heat maps and
    the sweep. ``notes`` are the scenario's calendar notes (``Scenario.calendar_notes``)."""
    first = results[0]

    def t(key: str) -> str:
        return _esc(_t(lang, key))

    parts = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
             f'<meta charset="utf-8"><title>{t("title")} · {_esc(first.scenario)}</title>'
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{t('title')} · {_esc(first.scenario)}</h1>"]
    top = headline(comparison, lang) if comparison is not None else _run_headline(results, lang)
    if top:
        parts.append(f'<p class="headline">{_esc(top)}</p>')
    for note in _notes(results, notes):
        parts.append(f'<p class="note">{t("note")}: {_esc(note)}</p>')
    info = [f"{t('rules')}: " + " / ".join(_esc(r.rules) for r in results),
            f"{t('trials')}: {first.trials}", f"{t('seed')}: {first.seed}"]
    for k, v in (meta or {}).items():
        info.append(f"{_esc(k)}: {_esc(v)}")
    info.append(f"{t('generated')}: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    parts.append(f'<p class="muted">{" · ".join(info)}</p>')

    # KPI table (+ compare)
    parts.append(f"<h2>{t('compare') if comparison else t('title')}</h2>")
    if comparison is not None:
        parts.append(f'<p class="muted">{t("how")}</p>')
    head = f"<tr><th>{t('kpi')}</th>"
    for r in results:
        head += f"<th>{_esc(r.rules)} {t('mean')}</th><th>P05 – P95</th>"
    if comparison is not None:
        head += (f"<th>{t('diff')}</th><th>{t('ci')}</th><th>{t('materiality')}</th>"
                 f"<th>{t('interval_axis')}</th><th>{t('verdict')}</th>")
    parts.append("<div class='wide'><table>" + head + "</tr>")
    for kinfo in KPIS:
        row = f"<tr><td>{_esc(kpi_label(kinfo.name, lang))}</td>"
        for r in results:
            row += _summary_cells(kinfo.name, r.kpis[kinfo.name], lang)
        if comparison is not None:
            d = comparison.differences[kinfo.name]
            dm = format_value(kinfo.name, d.mean, signed=True, lang=lang, diff=True)
            ci = _fmt_interval(kinfo.name, d.low, d.high, lang)
            row += (f"<td>{_esc(dm)}</td><td>{_esc(ci)}</td>"
                    f"<td>{_esc(format_value(kinfo.name, d.materiality, lang=lang, diff=True))}"
                    f"</td><td>{interval_svg(d, lang=lang)}</td>"
                    f'<td class="verdict {_verdict_class(kinfo.name, d.verdict)}">'
                    f"{_esc(verdict_label(d.verdict, lang, kinfo.name))}</td>")
        parts.append(row + "</tr>")
    parts.append("</table></div>")
    undirected = [kpi_label(k.name, lang) for k in KPIS if k.better == 0]
    if undirected:
        flat = ("、" if lang == "zh" else ", ").join(undirected)
        parts.append(f'<p class="muted">{_esc(flat)} — {t("no direction")}</p>')

    # distributions
    labels = [str(r.rules) for r in results]
    parts.append(f"<h2>{t('distributions')}</h2><div class='grid'>")
    for kinfo in KPIS:
        samples = [r.samples[kinfo.name] for r in results]
        parts.append(f"<div class='card'><h4>{_esc(kpi_label(kinfo.name, lang))}</h4>"
                     + histogram_svg(kinfo.name, samples, labels, lang=lang)
                     + _legend(labels) + "</div>")
    parts.append("</div>")

    # shortfall
    data = [d for d in (_shortfall(r) for r in results) if d is not None]
    scale = ((max(float(np.nanmax(d[0], initial=0.0)) for d in data),
              max(float(np.nanmax(d[1], initial=0.0)) for d in data)) if data else None)
    maps = [(r, shortfall_svgs(r, lang=lang, scale=scale)) for r in results]
    if any(m for _, m in maps):
        parts.append(f"<h2>{t('shortfall')}</h2><div class='grid'>")
        for r, pair in maps:
            loc = _item_names(list(getattr(r, "item_ids", ()) or ()))[1]
            for title, svg in pair:
                where = f" · {_esc(loc)}" if loc else ""
                parts.append(f"<div class='card'><h4>{_esc(r.rules)}{where} · {_esc(title)}"
                             f"</h4>{svg}</div>")
        if comparison is not None:
            change = shortfall_difference_svg(comparison.baseline, comparison.candidate,
                                              lang=lang)
            if change is not None:
                parts.append(f"<div class='card'><h4>{t('interval_axis')} · "
                             f"{t('stockout_p')}</h4>{change}</div>")
        parts.append("</div>")

    if sweep is not None:
        parts.append(_sweep_html(sweep, lang))
    parts.append("</body></html>")
    return "\n".join(parts)


def _sweep_html(sweep: Any, lang: str) -> str:
    params, points, _axes = _sweep_shape(sweep)
    names = _sweep_kpis(sweep)
    rules = [str(r) for r in sweep.rules]
    diffs = _sweep_differences(sweep)
    words = [param_words(p, lang) for p in params]
    parts = [f"<h2>{_esc(_t(lang, 'sweep'))}: {_esc(' × '.join(words))}</h2>"
             "<div class='grid'>"]
    for k in names:
        if len(params) == 1:
            limit = sweep.thresholds.get(k)
            extra = [_t(lang, "band")] + ([f"{_t(lang, 'threshold')} "
                                           f"{format_value(k, float(limit), lang=lang)}"]
                                          if limit is not None else [])
            parts.append(f"<div class='card'><h4>{_esc(kpi_label(k, lang))}</h4>"
                         + sweep_svg(sweep, k, lang=lang) + _legend(rules, extra) + "</div>")
            dsvg = sweep_difference_svg(sweep, k, lang=lang)
            if dsvg is not None:
                parts.append(f"<div class='card'><h4>{_esc(kpi_label(k, lang))} · "
                             f"{_esc(_t(lang, 'diff'))}</h4>{dsvg}"
                             f"{_legend([], [_t(lang, 'diff_band')])}</div>")
        elif len(params) == 2:
            for title, svg in sweep_grid_svgs(sweep, k, lang=lang):
                parts.append(f"<div class='card'><h4>{_esc(title)}</h4>{svg}</div>")
    parts.append("</div>")
    # every point as a table
    head = "".join(f"<th>{_esc(w)}</th>" for w in words)
    head += "".join(f"<th>{_esc(kpi_label(k, lang))} · {_esc(r)}</th>" for r in rules
                    for k in names)
    if diffs is not None:
        head += "".join(f"<th>Δ {_esc(kpi_label(k, lang))}</th>" for k in names)
    rows = [f"<div class='wide'><table><tr>{head}</tr>"]
    for i, p in enumerate(points):
        row = "".join(f"<td>{x:g}</td>" for x in p)
        row += "".join(f"<td>{_esc(format_value(k, float(sweep.kpis[r][i][k].mean), lang=lang))}"
                       "</td>" for r in rules for k in names)
        if diffs is not None:
            for k in names:
                d = diffs[i].get(k)
                row += ("<td>–</td>" if d is None else
                        f"<td>{_esc(format_value(k, d.mean, signed=True, lang=lang, diff=True))}"
                        f" {_esc(_fmt_interval(k, d.low, d.high, lang))}</td>")
        rows.append(f"<tr>{row}</tr>")
    rows.append("</table></div>")
    parts += rows
    if sweep.break_points:
        parts.append("<div class='wide'><table><tr>"
                     f"<th>{_esc(_t(lang, 'kpi'))}</th><th>{_esc(_t(lang, 'rules'))}</th>"
                     f"<th>{_esc(_t(lang, 'threshold'))}</th><th>{_esc(_t(lang, 'break'))}</th>"
                     "</tr>")
        for b, line in zip(sweep.break_points, _break_lines(sweep, lang), strict=True):
            where = line.rpartition(f"{b.rules}: ")[2]
            parts.append(f"<tr><td>{_esc(kpi_label(b.kpi, lang))}</td><td>{_esc(b.rules)}</td>"
                         f"<td>{_esc(format_value(b.kpi, b.threshold, lang=lang))}</td>"
                         f"<td class='text'>{_esc(where)}</td></tr>")
        parts.append("</table></div>")
    return "\n".join(parts)
