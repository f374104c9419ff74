"""Committee reports: a text table (rich) and one self-contained HTML file with inline SVG.

The HTML has no scripts, no external fonts or stylesheets and no network access: every chart is
an SVG drawn here — each KPI's distribution across trials (histogram, per pack), the compare
(paired difference and 95 % interval per KPI with its verdict) and the sweep (KPI mean and
p05–p95 band against the parameter, the committee threshold and the break point).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from jxc_rules.simulate.compare import CompareResult, PairedDifference
from jxc_rules.simulate.kpis import KPI_INFO, KPIS, KpiInfo, KpiSummary
from jxc_rules.simulate.runner import SimulationResult
from jxc_rules.simulate.sweep import SweepResult

__all__ = ["TEXT", "format_value", "html_report", "kpi_label", "print_tables", "verdict_label"]

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
    },
}


def _t(lang: str, key: str) -> str:
    return TEXT.get(lang, TEXT["en"]).get(key, key)


def kpi_label(name: str, lang: str = "en") -> str:
    """Display name of a KPI (``缺货率`` / ``stockout rate``)."""
    info = KPI_INFO.get(name)
    if info is None:
        return name
    return info.zh if lang == "zh" else info.en


def verdict_label(verdict: str, lang: str = "en") -> str:
    return _t(lang, verdict)


def format_value(name: str, value: float, *, signed: bool = False) -> str:
    """A KPI value for people: shares in %, days with 2 decimals, yuan with thousands.

    Examples
    --------
    >>> format_value("stockout_rate", 0.0123), format_value("gross_margin", 1234.5)
    ('1.23%', '1,234')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    info = KPI_INFO.get(name, KpiInfo(name, name, name, 0))
    sign = "+" if signed and value > 0 else ""
    if info.unit == "share":
        return f"{sign}{100 * value:.2f}%"
    if info.unit == "days":
        return f"{sign}{value:.2f}"
    return f"{sign}{value:,.0f}"


# --------------------------------------------------------------------------------------------
# text tables


def print_tables(
    results: Sequence[SimulationResult],
    comparison: CompareResult | None = None,
    sweep: SweepResult | None = None,
    *,
    lang: str = "en",
    console: Any = None,
) -> None:
    """Print the KPI table (one column block per pack), the compare and the sweep with rich."""
    import sys

    from rich.console import Console
    from rich.table import Table

    con = console or Console(width=None if sys.stdout.isatty() else 150)
    first = results[0]
    con.print(f"[bold]{_t(lang, 'scenario')}:[/bold] {first.scenario}   "
              f"{_t(lang, 'trials')}: {first.trials}   {_t(lang, 'seed')}: {first.seed}")
    table = Table(title=_t(lang, "title"))
    table.add_column(_t(lang, "kpi"), no_wrap=True)
    if comparison is None:
        for r in results:
            table.add_column(f"{r.rules}\n{_t(lang, 'mean')}", justify="right")
            table.add_column("P05", justify="right")
            table.add_column("P95", justify="right")
    else:
        table.add_column(f"{_t(lang, 'baseline')}\n{comparison.baseline.rules}", justify="right")
        table.add_column(f"{_t(lang, 'candidate')}\n{comparison.candidate.rules}",
                         justify="right")
        table.add_column(_t(lang, "diff"), justify="right")
        table.add_column(_t(lang, "ci"), justify="right")
        table.add_column(_t(lang, "materiality"), justify="right")
        table.add_column(_t(lang, "verdict"), no_wrap=True)
    for info in KPIS:
        row = [kpi_label(info.name, lang)]
        if comparison is None:
            for r in results:
                s = r.kpis[info.name]
                row += [format_value(info.name, s.mean), format_value(info.name, s.p05),
                        format_value(info.name, s.p95)]
        else:
            d = comparison.differences[info.name]
            style = {"better": "green", "worse": "red"}.get(d.verdict, "")
            text = verdict_label(d.verdict, lang)
            row += [format_value(info.name, comparison.baseline.kpis[info.name].mean),
                    format_value(info.name, comparison.candidate.kpis[info.name].mean),
                    format_value(info.name, d.mean, signed=True),
                    f"{format_value(info.name, d.low, signed=True)} … "
                    f"{format_value(info.name, d.high, signed=True)}",
                    format_value(info.name, d.materiality),
                    f"[{style}]{text}[/{style}]" if style else text]
        table.add_row(*row)
    con.print(table)
    if comparison is not None:
        con.print(f"[dim]{_t(lang, 'how')}[/dim]")
    if sweep is not None:
        st = Table(title=f"{_t(lang, 'sweep')}: {sweep.param}")
        st.add_column(_t(lang, "param"), justify="right")
        kpis = list(sweep.thresholds) or ["stockout_rate", "waste_rate", "fill_rate"]
        for rules in sweep.rules:
            for k in kpis:
                st.add_column(f"{kpi_label(k, lang)}\n{rules}", justify="right")
        for j, v in enumerate(sweep.values):
            cells = [f"{v:g}"]
            for rules in sweep.rules:
                for k in kpis:
                    cells.append(format_value(k, sweep.kpis[rules][j][k].mean))
            st.add_row(*cells)
        con.print(st)
        for b in sweep.break_points:
            where = (_t(lang, "never") if b.value is None else
                     f"{b.value:.4g}" + (f" ({_t(lang, 'at_start')})" if b.at_start else ""))
            con.print(f"{_t(lang, 'break')} · {kpi_label(b.kpi, lang)} "
                      f"{_t(lang, 'threshold')} {format_value(b.kpi, b.threshold)} · {b.rules}: "
                      f"{where}")


# --------------------------------------------------------------------------------------------
# SVG


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step) + 1)]


def histogram_svg(name: str, samples: Sequence[FloatArray], labels: Sequence[str],
                  *, width: int = 360, height: int = 150, bins: int = 30) -> str:
    """Overlaid histograms of one KPI's per-trial values (one colour per pack)."""
    clean = [np.asarray(s, dtype=np.float64)[np.isfinite(s)] for s in samples]
    allv = np.concatenate(clean) if clean else np.zeros(0)
    pad_l, pad_b, pad_t = 8, 28, 8
    w, h = width - 2 * pad_l, height - pad_b - pad_t
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(name)}">']
    if allv.size == 0:
        out.append('<text x="10" y="20">no data</text></svg>')
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
    for tick in _nice_ticks(lo, hi):
        out.append(f'<text x="{x(tick):.1f}" y="{pad_t + h + 14}" font-size="10" '
                   f'text-anchor="middle">{_esc(format_value(name, tick))}</text>')
    legend = " · ".join(f'<tspan fill="{COLORS[k % len(COLORS)]}">■ {_esc(lab)}</tspan>'
                        for k, lab in enumerate(labels))
    out.append(f'<text x="{pad_l}" y="{height - 2}" font-size="10">{legend}</text>')
    out.append("</svg>")
    return "".join(out)


def interval_svg(d: PairedDifference, *, width: int = 260, height: int = 26) -> str:
    """One paired difference: 95 % interval as a bar, the mean as a dot, zero as a line, the
    materiality band ±m shaded."""
    m = d.materiality if math.isfinite(d.materiality) else 0.0
    span = max(abs(d.low), abs(d.high), abs(d.mean), 1.25 * m)
    if not math.isfinite(span) or span == 0:
        span = 1.0
    pad = 10

    def x(v: float) -> float:
        return pad + (v + span) / (2 * span) * (width - 2 * pad)

    color = {"better": "#2ca02c", "worse": "#d62728"}.get(d.verdict, "#555")
    mid = height / 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">',
             f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="2" y2="{height - 2}" stroke="#999" '
             'stroke-dasharray="3,2"/>']
    if m > 0:
        parts.insert(1, f'<rect x="{x(-m):.1f}" y="2" width="{x(m) - x(-m):.1f}" '
                        f'height="{height - 4}" fill="#eee"/>')
    if math.isfinite(d.low) and math.isfinite(d.high):
        parts.append(f'<line x1="{x(d.low):.1f}" x2="{x(d.high):.1f}" y1="{mid}" y2="{mid}" '
                     f'stroke="{color}" stroke-width="4"/>')
    if math.isfinite(d.mean):
        parts.append(f'<circle cx="{x(d.mean):.1f}" cy="{mid}" r="4" fill="{color}"/>')
    parts.append("</svg>")
    return "".join(parts)


def sweep_svg(sweep: SweepResult, kpi: str, *, width: int = 420, height: int = 220) -> str:
    """KPI mean (line) and p05–p95 band per pack against the swept parameter."""
    xs = list(sweep.values)
    pad_l, pad_r, pad_t, pad_b = 58, 12, 12, 40
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    series = {r: (sweep.series(r, kpi), sweep.series(r, kpi, "p05"), sweep.series(r, kpi, "p95"))
              for r in sweep.rules}
    vals = [v for m, lo, hi in series.values() for v in (*m, *lo, *hi) if math.isfinite(v)]
    limit = sweep.thresholds.get(kpi)
    if limit is not None:
        vals.append(float(limit))
    lo_y, hi_y = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if hi_y - lo_y < 1e-12:
        lo_y, hi_y = lo_y - 0.5, hi_y + 0.5
    x0, x1 = (xs[0], xs[-1]) if len(xs) > 1 and xs[-1] > xs[0] else (xs[0] - 0.5, xs[0] + 0.5)

    def px(v: float) -> float:
        return pad_l + (v - x0) / (x1 - x0) * w

    def py(v: float) -> float:
        return pad_t + h - (v - lo_y) / (hi_y - lo_y) * h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(kpi)}">',
           f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>']
    for tick in _nice_ticks(lo_y, hi_y):
        out.append(f'<text x="{pad_l - 4}" y="{py(tick) + 3:.1f}" font-size="10" '
                   f'text-anchor="end">{_esc(format_value(kpi, tick))}</text>')
    for tick in _nice_ticks(x0, x1):
        out.append(f'<text x="{px(tick):.1f}" y="{pad_t + h + 14}" font-size="10" '
                   f'text-anchor="middle">{tick:g}</text>')
    out.append(f'<text x="{pad_l + w / 2}" y="{height - 8}" font-size="11" '
               f'text-anchor="middle">{_esc(sweep.param)}</text>')
    for k, (rules, (mean, p05, p95)) in enumerate(series.items()):
        color = COLORS[k % len(COLORS)]
        band = [(px(x), py(v)) for x, v in zip(xs, p95, strict=True) if math.isfinite(v)]
        band += [(px(x), py(v)) for x, v in reversed(list(zip(xs, p05, strict=True)))
                 if math.isfinite(v)]
        if band:
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in band)
            out.append(f'<polygon points="{pts}" fill="{color}" fill-opacity="0.15"/>')
        line = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(xs, mean, strict=True)
                        if math.isfinite(v))
        out.append(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{pad_l + 4}" y="{pad_t + 12 + 12 * k}" font-size="10" '
                   f'fill="{color}">{_esc(rules)}</text>')
    if limit is not None:
        out.append(f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{py(limit):.1f}" '
                   f'y2="{py(limit):.1f}" stroke="#000" stroke-dasharray="5,3"/>')
    for b in sweep.break_points:
        if b.kpi == kpi and b.value is not None and limit is not None:
            k = list(sweep.rules).index(b.rules)
            out.append(f'<circle cx="{px(b.value):.1f}" cy="{py(limit):.1f}" r="5" fill="none" '
                       f'stroke="{COLORS[k % len(COLORS)]}" stroke-width="2"/>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# HTML


_CSS = """
body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:12px 0}th,td{padding:4px 8px;border-bottom:1px solid #ddd;
text-align:right;font-size:13px}th:first-child,td:first-child{text-align:left}
.better{color:#1a7f1a;font-weight:600}.worse{color:#b01c1c;font-weight:600}
.grid{display:flex;flex-wrap:wrap;gap:16px}.card{border:1px solid #e3e3e3;padding:8px;
border-radius:6px}.card h4{margin:2px 0 6px 0;font-size:13px}.muted{color:#777;font-size:12px}
"""


def _summary_cells(name: str, s: KpiSummary) -> str:
    return (f"<td>{_esc(format_value(name, s.mean))}</td>"
            f"<td>{_esc(format_value(name, s.p05))} – {_esc(format_value(name, s.p95))}</td>")


def html_report(
    results: Sequence[SimulationResult],
    comparison: CompareResult | None = None,
    sweep: SweepResult | None = None,
    *,
    lang: str = "en",
    meta: Mapping[str, str] | None = None,
) -> str:
    """One self-contained HTML page (inline CSS and SVG, no scripts, no network)."""
    first = results[0]
    def t(key: str) -> str:
        return _esc(_t(lang, key))
    parts = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
             f'<meta charset="utf-8"><title>{t("title")} · {_esc(first.scenario)}</title>'
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{t('title')} · {_esc(first.scenario)}</h1>"]
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
        head += (f"<th>{t('diff')}</th><th>{t('ci')}</th><th>{t('materiality')}</th><th></th>"
                 f"<th>{t('verdict')}</th>")
    parts.append("<table>" + head + "</tr>")
    for kinfo in KPIS:
        row = f"<tr><td>{_esc(kpi_label(kinfo.name, lang))}</td>"
        for r in results:
            row += _summary_cells(kinfo.name, r.kpis[kinfo.name])
        if comparison is not None:
            d = comparison.differences[kinfo.name]
            row += (f"<td>{_esc(format_value(kinfo.name, d.mean, signed=True))}</td>"
                    f"<td>[{_esc(format_value(kinfo.name, d.low, signed=True))}, "
                    f"{_esc(format_value(kinfo.name, d.high, signed=True))}]</td>"
                    f"<td>{_esc(format_value(kinfo.name, d.materiality))}</td>"
                    f"<td>{interval_svg(d)}</td>"
                    f'<td class="{d.verdict.split()[0]}">{_esc(verdict_label(d.verdict, lang))}'
                    "</td>")
        parts.append(row + "</tr>")
    parts.append("</table>")

    # distributions
    parts.append(f"<h2>{t('distributions')}</h2><div class='grid'>")
    for kinfo in KPIS:
        samples = [r.samples[kinfo.name] for r in results]
        parts.append(f"<div class='card'><h4>{_esc(kpi_label(kinfo.name, lang))}</h4>"
                     + histogram_svg(kinfo.name, samples, [r.rules for r in results])
                     + "</div>")
    parts.append("</div>")

    # sweep
    if sweep is not None:
        parts.append(f"<h2>{t('sweep')}: {_esc(sweep.param)}</h2><div class='grid'>")
        kpis = list(sweep.thresholds) or ["stockout_rate", "waste_rate", "fill_rate"]
        for k in kpis:
            parts.append(f"<div class='card'><h4>{_esc(kpi_label(k, lang))}</h4>"
                         + sweep_svg(sweep, k) + "</div>")
        parts.append("</div><table><tr>"
                     f"<th>{t('kpi')}</th><th>{t('rules')}</th><th>{t('threshold')}</th>"
                     f"<th>{t('break')}</th></tr>")
        for b in sweep.break_points:
            where = (t("never") if b.value is None else
                     f"{b.value:.4g}" + (f" ({t('at_start')})" if b.at_start else ""))
            parts.append(f"<tr><td>{_esc(kpi_label(b.kpi, lang))}</td><td>{_esc(b.rules)}</td>"
                         f"<td>{_esc(format_value(b.kpi, b.threshold))}</td><td>{where}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
