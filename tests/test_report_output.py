"""Readable output (#17 items 3 and 5): the terminal tables fit 80 columns without cutting a
number, every number carries its unit, a KPI without a direction is shown but not judged, the
headline comes first, the calendar notes are shown; the HTML report has axes named in words, the
shortfall heat maps and the 2-D sweep heat maps. The browser check of the SVG boxes is in
tests/test_report_browser.py."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from jxc_rules.simulate.kpis import KPI_INFO, KPIS
from jxc_rules.simulate.report import (
    format_value,
    html_report,
    param_words,
    print_tables,
    text_width,
    verdict_label,
)

ROOT = Path(__file__).resolve().parents[1]
HOTPOT = ROOT / "simulator" / "scenarios" / "hotpot-spring-festival.yaml"
OLD = ROOT / "industries" / "hotpot" / "2026.10.yaml"
NEW = ROOT / "industries" / "hotpot" / "2026.11.yaml"
NOTE = "make-up workdays (调休) for 2027 are not published yet: weekends assumed"
SAFETY = "candidate.replenishment.safety_days"


class GridStub:
    """A two-parameter sweep in the shape the report reads (params, axes, points, kpis per
    point, differences), built from a one-parameter sweep: used only when the library's own
    sweep cannot make grids yet."""

    def __init__(self, one: Any, second: str, values: Sequence[float],
                 first: Sequence[float] | None = None) -> None:
        """The grid ``first`` (default: the sweep's values) × ``values``; the KPIs of the
        first axis's k-th value are those of the sweep's point k (cyclically)."""
        n = len(one.kpis[one.rules[0]])
        first_values = [float(v) for v in (first if first is not None else one.values)]
        self.params = (str(getattr(one, "params", (one.param,))[0]), second)
        self.axes = (tuple(first_values), tuple(float(v) for v in values))
        self.points = tuple((a, b) for a in first_values for b in values)
        self.rules = tuple(one.rules)
        self.kpis = {r: [one.kpis[r][i % n] for i in range(len(first_values)) for _ in values]
                     for r in self.rules}
        diffs = getattr(one, "differences", None)
        self.differences = ([diffs[i % n] for i in range(len(first_values)) for _ in values]
                            if diffs else None)
        self.thresholds = dict(one.thresholds)
        self.break_points = tuple(one.break_points)

    @property
    def param(self) -> str:
        return " × ".join(self.params)

    def series(self, rules: str, kpi: str, stat: str = "mean") -> list[float]:
        return [float(getattr(p[kpi], stat)) for p in self.kpis[rules]]


def build_grid(trials: int = 12) -> Any:
    """A 2 × 2 grid (candidate safety days × demand scale) from the library when it can make
    grids, else the stub."""
    from jxc_rules.simulate import sweep

    axes = [(SAFETY, [0.5, 1.5]), ("demand.scale", [0.9, 1.1])]
    try:
        return sweep(HOTPOT, axes, rules=[OLD, NEW], trials=trials, seed=0,  # type: ignore[arg-type]
                     thresholds={"stockout_rate": 0.02})
    except Exception:       # the library's sweep is one-parameter only (before #17.2 lands)
        one = sweep(HOTPOT, "demand.scale", [0.9, 1.1], rules=[OLD, NEW], trials=trials,
                    seed=0, thresholds={"stockout_rate": 0.02})
        return GridStub(one, "distribution.dispersion", [2.0, 4.0])


@pytest.fixture(scope="module")
def runs() -> dict[str, Any]:
    from jxc_rules.simulate import compare, sweep

    res = compare(HOTPOT, OLD, NEW, trials=12, seed=0)
    line = sweep(HOTPOT, "demand.scale", [0.9, 1.0, 1.1], rules=[OLD, NEW], trials=12, seed=0,
                 thresholds={"stockout_rate": 0.02})
    return {"compare": res, "sweep": line, "grid": build_grid()}


def render(width: int, *args: Any, **kwargs: Any) -> str:
    con = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    print_tables(*args, console=con, **kwargs)
    return con.export_text()


def compare_numbers(res: Any, lang: str) -> list[str]:
    out = []
    for info in KPIS:
        k = info.name
        d = res.differences[k]
        out += [format_value(k, res.baseline.kpis[k].mean, lang=lang),
                format_value(k, res.candidate.kpis[k].mean, lang=lang),
                format_value(k, d.mean, signed=True, lang=lang, diff=True),
                format_value(k, d.low, signed=True, lang=lang, diff=True).rpartition(" ")[0]
                or format_value(k, d.low, signed=True, lang=lang, diff=True),
                format_value(k, d.high, signed=True, lang=lang, diff=True).rpartition(" ")[0]
                or format_value(k, d.high, signed=True, lang=lang, diff=True),
                format_value(k, d.materiality, lang=lang, diff=True)]
    return out


def sweep_numbers(sw: Any, lang: str) -> list[str]:
    kpis = ["stockout_rate", "waste_rate", "gross_margin"]
    out = []
    for r in sw.rules:
        for point in sw.kpis[r]:
            out += [format_value(k, point[k].mean, lang=lang) for k in kpis]
    for d in getattr(sw, "differences", None) or ():
        out += [format_value(k, d[k].mean, signed=True, lang=lang, diff=True) for k in kpis]
    return out


@pytest.mark.parametrize("width", [80, 150])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_compare_fits_the_width_and_shows_every_number_whole(
        runs: dict[str, Any], width: int, lang: str) -> None:
    res = runs["compare"]
    text = render(width, [res.baseline, res.candidate], res, runs["sweep"], lang=lang,
                  notes=[NOTE], detail=True)
    assert "…" not in text
    assert max(cell_len(line) for line in text.splitlines()) <= width
    missing = [n for n in compare_numbers(res, lang) + sweep_numbers(runs["sweep"], lang)
               if n not in text]
    assert missing == []
    # today's failure: at 80 columns every number was cut to 0.…
    assert "0.…" not in text


def test_at_80_columns_rows_are_split_or_stacked_not_squeezed(runs: dict[str, Any]) -> None:
    res = runs["compare"]
    narrow = render(80, [res.baseline, res.candidate], res)
    wide = render(150, [res.baseline, res.candidate], res)
    # a KPI name is whole on one line (its words are never folded into letters)
    for info in KPIS:
        for word in info.en.split():
            assert word in narrow
    # the wide console shows one table (one header row with "95 % interval" and "verdict");
    # at 80 the interval moves to a second table
    assert wide.count("┃ KPI") == 1
    assert narrow.count("┃ KPI") >= 2


@settings(max_examples=8, deadline=None)
@given(width=st.integers(min_value=46, max_value=220))
def test_any_width_keeps_every_number_whole(runs: dict[str, Any], width: int) -> None:
    res = runs["compare"]
    text = render(width, [res.baseline, res.candidate], res)
    assert "…" not in text
    assert [n for n in compare_numbers(res, "en") if n not in text] == []


def test_a_single_run_fits_80_columns_with_units(runs: dict[str, Any]) -> None:
    r = runs["compare"].baseline
    text = render(80, [r, runs["compare"].candidate])
    assert "…" not in text
    for info in KPIS:
        s = r.kpis[info.name]
        for v in (s.mean, s.p05, s.p95):
            assert format_value(info.name, v) in text
    assert " 元" in text
    assert " d" in text
    assert "%" in text


@settings(max_examples=60, deadline=None)
@given(kpi=st.sampled_from([k.name for k in KPIS]),
       value=st.floats(min_value=-1e7, max_value=1e7, allow_nan=False),
       signed=st.booleans(), diff=st.booleans(), lang=st.sampled_from(["en", "zh"]))
def test_every_number_carries_its_unit(kpi: str, value: float, signed: bool, diff: bool,
                                       lang: str) -> None:
    text = format_value(kpi, value, signed=signed, lang=lang, diff=diff)
    unit = KPI_INFO[kpi].unit
    expected = {"share": " pp" if diff else "%", "yuan": " 元",
                "days": " 天" if lang == "zh" else " d"}[unit]
    assert text.endswith(expected)
    number = text[: -len(expected)]
    assert re.fullmatch(r"[+-]?[\d,]+(\.\d+)?", number), text
    assert not number.startswith("-0") or number.strip("-0.,") != ""   # never "-0.00"
    scale = 100 if unit == "share" else 1
    assert float(number.replace(",", "")) == pytest.approx(value * scale,
                                                           abs=0.51 if unit == "yuan" else 0.006)
    if signed and float(number.replace(",", "")) > 0:
        assert number.startswith("+")


def test_a_kpi_without_a_direction_is_shown_but_not_judged(runs: dict[str, Any]) -> None:
    res = runs["compare"]
    undirected = [k.name for k in KPIS if k.better == 0]
    assert undirected
    for lang, mark in (("en", "not judged"), ("zh", "不评判")):
        text = render(150, [res.baseline, res.candidate], res, lang=lang)
        page = html_report([res.baseline, res.candidate], res, lang=lang)
        for k in undirected:
            verdict = res.differences[k].verdict
            label = verdict_label(verdict, lang, k)
            assert verdict not in ("better", "worse") or mark in label
            if verdict in ("higher", "lower"):
                assert mark in label
            assert label in text
            row = page.split(f"<td>{KPI_INFO[k].zh if lang == 'zh' else KPI_INFO[k].en}</td>",
                             1)[1].split("</tr>", 1)[0]
            assert 'class="verdict neutral"' in row
            assert "better" not in row.split('class="verdict neutral">', 1)[1]
    assert verdict_label("higher", "en", "stock_age_1_3d") == "higher (not judged)"
    assert verdict_label("better", "en", "fill_rate") == "better"


def test_the_headline_comes_first_and_the_calendar_notes_are_shown(
        runs: dict[str, Any]) -> None:
    from jxc_rules.simulate.report import headline

    res = runs["compare"]
    for lang in ("en", "zh"):
        sentence = headline(res, lang)
        assert sentence
        assert any(u in sentence for u in ("元", "pp", "%", "百分点"))
        text = render(200, [res.baseline, res.candidate], res, lang=lang, notes=[NOTE])
        flat = " ".join(text.split())
        assert " ".join(sentence.split()) in flat
        table_title = "Compare on common random numbers" if lang == "en" else "共同随机数对比"
        assert flat.index(" ".join(sentence.split())) < flat.index(table_title)
        assert NOTE in flat
        page = html_report([res.baseline, res.candidate], res, lang=lang, notes=[NOTE])
        assert page.index('class="headline"') < page.index("<table>")
        assert f'{"note" if lang == "en" else "注"}: {NOTE}' in page.replace("&#x27;", "'")
    # without notes nothing is invented
    assert 'class="note"' not in html_report([res.baseline], None, lang="en", notes=[])


def test_the_detail_view_lists_every_item_with_its_shortfall(runs: dict[str, Any]) -> None:
    res = runs["compare"]
    text = render(80, [res.baseline, res.candidate], res, detail=True)
    for r in (res.baseline, res.candidate):
        if not getattr(r, "item_ids", ()):
            pytest.skip("the runner does not record daily shortfalls yet")
        for item in r.item_ids:
            assert item.rpartition("/")[2] in text
        days = r.daily["stockout"].sum(axis=0)
        for d in days:
            assert f"{d:.2f} d" in text


def svg_texts(page: str) -> list[str]:
    return re.findall(r"<text[^>]*>(.*?)</text>", page)


def test_the_report_names_sweep_axes_in_words_and_draws_heat_maps(
        runs: dict[str, Any]) -> None:
    import html as html_mod

    res = runs["compare"]
    for sw in (runs["sweep"], runs["grid"]):
        page = html_report([res.baseline, res.candidate], res, sw, lang="en")
        texts = [html_mod.unescape(t).removeprefix("↓ ") for t in svg_texts(page)]
        params = getattr(sw, "params", None) or (sw.param,)
        for p in params:
            assert p not in texts                    # the raw path is not an axis title
            words = param_words(p)
            assert words != p
            assert any(t in words for t in texts if len(t) > 3), (words, texts[-8:])
    grid_page = html_report([res.baseline, res.candidate], res, runs["grid"], lang="en")
    # 2-D: the difference heat map and one per pack, for each KPI shown
    has_diffs = bool(getattr(runs["grid"], "differences", None))
    assert grid_page.count('aria-label="stockout_rate difference"') == int(has_diffs)
    for r in runs["grid"].rules:
        assert f'aria-label="stockout_rate {r}"' in grid_page
    # 1-D: lines with bands, the threshold, and the difference with its interval
    line_page = html_report([res.baseline, res.candidate], res, runs["sweep"], lang="en")
    assert "<polygon" in line_page
    assert 'stroke-dasharray="5,3"' in line_page
    if getattr(runs["sweep"], "differences", None):
        assert "stockout rate · difference (new − old)</h4>" in line_page


def test_the_report_draws_the_shortfall_heat_maps_items_by_days(runs: dict[str, Any]) -> None:
    res = runs["compare"]
    r = res.baseline
    if not getattr(r, "item_ids", ()):
        pytest.skip("the runner does not record daily shortfalls yet")
    page = html_report([res.baseline, res.candidate], res, lang="zh")
    for run in (res.baseline, res.candidate):
        for kind in ("stockout", "waste"):
            start = page.index(f'aria-label="{run.rules} {kind}"')
            svg = page[start: page.index("</svg>", start)]
            cells = re.findall(r"<rect [^>]*><title>(.*?)</title></rect>", svg)
            assert len(cells) == len(run.item_ids) * len(run.dates)
        # the worst item-day is the darkest cell, and its title says its share of trials
        so = run.daily["stockout"]
        day, item = divmod(int(so.argmax()), so.shape[1])
        title = f"{run.item_ids[item].rpartition('/')[2]} · {run.dates[day]:%m-%d}: " \
                f"{100 * so[day, item]:.0f}%"
        assert title in page


def test_text_width_is_conservative_for_latin_and_cjk() -> None:
    assert text_width("stockout", 10) == pytest.approx(8 * 6.2)
    assert text_width("缺货率", 10) == pytest.approx(30.0)
    assert text_width("", 10) == 0


def test_html_legends_live_outside_the_charts(runs: dict[str, Any]) -> None:
    res = runs["compare"]
    page = html_report([res.baseline, res.candidate], res, lang="en")
    for r in (res.baseline, res.candidate):
        # a pack's label ("hotpot 2026.10 (2026.10.yaml)") is HTML, never squeezed into an SVG
        assert all(r.rules not in t for t in svg_texts(page))
        assert r.rules in page.split('<div class="legend">', 1)[1]


def test_units_appear_for_every_kpi_in_a_stacked_layout() -> None:
    """The narrowest layout (one block per KPI) still writes each value with its unit."""
    from jxc_rules.simulate.report import _stacked

    con = Console(width=46, file=io.StringIO(), record=True, color_system=None)
    blocks: list[tuple[str, Sequence[tuple[str, Any]]]] = [
        (k.en, [("mean", format_value(k.name, 1234.5678))]) for k in KPIS]
    con.print(_stacked("t", blocks))
    text = con.export_text()
    assert "…" not in text
    for k in KPIS:
        assert format_value(k.name, 1234.5678) in text


def test_the_packs_shortfall_maps_share_one_colour_scale_and_the_change_is_mapped(
        runs: dict[str, Any]) -> None:
    res = runs["compare"]
    if not getattr(res.baseline, "item_ids", ()):
        pytest.skip("the runner does not record daily shortfalls yet")
    page = html_report([res.baseline, res.candidate], res, lang="en")
    top = max(float(r.daily["stockout"].max()) for r in (res.baseline, res.candidate))
    for r in (res.baseline, res.candidate):
        start = page.index(f'aria-label="{r.rules} stockout"')
        svg = page[start: page.index("</svg>", start)]
        # the colour scale's right end is the larger of the two packs' maxima
        assert svg.rstrip().endswith(f'text-anchor="end">{100 * top:.0f}%</text>')
    start = page.index('aria-label="stockout difference"')
    svg = page[start: page.index("</svg>", start)]
    change = res.candidate.daily["stockout"] - res.baseline.daily["stockout"]
    day, item = divmod(int(abs(change).argmax()), change.shape[1])
    assert (f"{res.candidate.item_ids[item].rpartition('/')[2]} · "
            f"{res.candidate.dates[day]:%m-%d}: {100 * change[day, item]:+.0f} pp") in svg
