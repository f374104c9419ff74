"""The backtest as a report section: one chart per factor (bias by month, the threshold band).

Self-contained HTML (inline CSS and SVG, no scripts), in the simulator report's style
(:mod:`jxc_rules.simulate.report`): every bar carries a ``<title>`` with its month, bias and
MAPE, so a browser shows the values on hover.
"""

from __future__ import annotations

from typing import Any

__all__ = ["backtest_html", "factor_svg"]

_WORDS = {
    "en": {"title": "Backtest", "rule": "a factor whose |bias| exceeds {thr:.0%} two periods "
           "running is named for retirement or recalibration", "bias": "bias",
           "flagged": "Retire or recalibrate", "none": "No factor over the threshold two "
           "periods running", "note": "Note"},
    "zh": {"title": "回测", "rule": "偏差绝对值连续两期超过 {thr:.0%} 的因子建议停用或重新校准",
           "bias": "偏差", "flagged": "建议停用或重新校准", "none": "没有因子连续两期超过阈值",
           "note": "说明"},
}


def factor_svg(factor: str, rows: Any, threshold: float, *, width: int = 420,
               height: int = 170) -> str:
    """Bars of the factor's bias per month, dashed lines at ± ``threshold``."""
    from jxc_rules.simulate.report import _esc, _label, _svg_open

    rows = [r for r in rows if r.bias is not None]
    vals = [r.bias for r in rows] + [threshold, -threshold]
    top = max(abs(v) for v in vals) * 1.15
    pad_l, pad_r, pad_t, pad_b = 44, 10, 10, 34
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def py(v: float) -> float:
        return float(pad_t + h / 2 - v / top * (h / 2))

    out = [_svg_open(width, height, factor),
           f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>',
           f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{py(0):.1f}" y2="{py(0):.1f}" '
           'stroke="#444"/>']
    for v in (threshold, -threshold):
        out.append(f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{py(v):.1f}" y2="{py(v):.1f}" '
                   'stroke="#c00" stroke-dasharray="5,3"/>')
        out.append(_label(pad_l - 4, py(v) + 3.5, f"{v:+.0%}", 10, width, anchor="end"))
    n = max(len(rows), 1)
    slot = w / n
    for k, r in enumerate(rows):
        x = pad_l + k * slot + slot * 0.15
        y0, y1 = sorted((py(0), py(r.bias)))
        over = abs(r.bias) > threshold
        color = "#c0392b" if over else "#2e86c1"
        tip = (f"{r.month}: bias {r.bias:+.1%}, MAPE {r.mape:.1%}, {r.days} days"
               if r.mape is not None else f"{r.month}: bias {r.bias:+.1%}")
        out.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{slot * 0.7:.1f}" '
                   f'height="{max(y1 - y0, 0.5):.1f}" fill="{color}"><title>{_esc(tip)}</title>'
                   "</rect>")
        if n <= 12 or k % max(1, n // 8) == 0:
            out.append(_label(x + slot * 0.35, pad_t + h + 14, r.month[2:], 10, width))
    out.append("</svg>")
    return "".join(out)


def backtest_html(result: Any, *, lang: str = "en") -> str:
    """A page with the verdicts and one chart per factor that was active."""
    from jxc_rules.simulate.report import _CSS, _esc

    words = _WORDS[lang]
    parts = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
             f'<meta charset="utf-8"><title>{words["title"]} · {_esc(result.pack)} · '
             f'{_esc(result.month)}</title><style>{_CSS}</style></head><body>',
             f"<h1>{words['title']} · {_esc(result.pack)} · {_esc(result.month)}</h1>",
             f"<p>{_esc(words['rule'].format(thr=result.threshold))}</p>"]
    if result.flagged:
        parts.append(f'<p class="headline">{words["flagged"]}: '
                     f"{_esc(', '.join(result.flagged))}</p>")
    else:
        parts.append(f'<p class="headline">{words["none"]}</p>')
    for note in result.notes:
        parts.append(f'<p class="note">{words["note"]}: {_esc(note)}</p>')
    for factor, verdict in result.verdicts.items():
        rows = result.errors.get(factor, ())
        if not rows:
            continue
        parts.append(f"<h2>{_esc(factor)} — {_esc(verdict.replace('_', ' '))}</h2>")
        parts.append(factor_svg(factor, rows, result.threshold))
    parts.append("</body></html>")
    return "".join(parts)
