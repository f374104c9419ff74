"""The HTML report rendered in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright): no <text> of any SVG lies outside its SVG's box (getBBox() against the viewBox),
on a compare report (en and zh), a one-parameter sweep report and a two-parameter grid report.

With CI=true a missing browser fails the run (``.ci/run`` installs it); elsewhere these tests
skip with one line.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jxc_rules.simulate.report import html_report

ROOT = Path(__file__).resolve().parents[1]
HOTPOT = ROOT / "simulator" / "scenarios" / "hotpot-spring-festival.yaml"
OLD = ROOT / "industries" / "hotpot" / "2026.10.yaml"
NEW = ROOT / "industries" / "hotpot" / "2026.11.yaml"
CHROMIUM = os.environ.get("JXC_CHROMIUM", "/usr/bin/chromium")
NOTE = "make-up workdays (调休) for 2027 are not published yet: weekends assumed"

OVERFLOW_JS = """() => {
  const bad = [];
  let count = 0;
  for (const svg of document.querySelectorAll('svg')) {
    const vb = svg.viewBox.baseVal;
    const w = (vb && vb.width) ? vb.width : svg.width.baseVal.value;
    const h = (vb && vb.height) ? vb.height : svg.height.baseVal.value;
    if (svg.width.baseVal.value !== w) bad.push(['scaled svg', svg.getAttribute('aria-label')]);
    for (const t of svg.querySelectorAll('text')) {
      count += 1;
      const b = t.getBBox();
      if (b.x < -0.5 || b.y < -0.5 || b.x + b.width > w + 0.5 || b.y + b.height > h + 0.5)
        bad.push([svg.getAttribute('aria-label'), t.textContent,
                  [b.x, b.y, b.width, b.height].map(v => Math.round(v * 10) / 10), [w, h]]);
    }
  }
  return {count: count, svgs: document.querySelectorAll('svg').length, bad: bad};
}"""


def _browser_or_skip() -> Any:
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed"
    if missing is None and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing = f"chromium not found at {CHROMIUM}"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing} (CI=true: .ci/run installs Debian's chromium)")
        pytest.skip(f"browser test skipped: {missing}")
    return sync_playwright


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    sync_playwright = _browser_or_skip()
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        yield tab
        browser.close()


@pytest.fixture(scope="module")
def runs() -> dict[str, Any]:
    import importlib.util

    from jxc_rules.simulate import compare, sweep

    # the same 2-D grid as tests/test_report_output.py (the library's, or its stub)
    spec = importlib.util.spec_from_file_location(
        "_report_output_helpers", Path(__file__).with_name("test_report_output.py"))
    assert spec is not None
    assert spec.loader is not None
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    build_grid = helpers.build_grid

    res = compare(HOTPOT, OLD, NEW, trials=12, seed=0)
    line = sweep(HOTPOT, "demand.scale", [0.8, 0.9, 1.0, 1.1, 1.2], rules=[OLD, NEW],
                 trials=12, seed=0, thresholds={"stockout_rate": 0.02})
    nine = [0.5 + 0.25 * k for k in range(9)]
    big = helpers.GridStub(line, "distribution.dispersion", [1.0 + k for k in range(9)], nine)
    return {"compare": res, "sweep": line, "grid": build_grid(), "big": big}


def overflow(page: Any, html: str, tmp_path: Path, name: str) -> dict[str, Any]:
    target = tmp_path / f"{name}.html"
    target.write_text(html, encoding="utf-8")
    page.goto(target.as_uri())
    result: dict[str, Any] = page.evaluate(OVERFLOW_JS)
    return result


def test_the_check_catches_text_outside_its_svg(page: Any, tmp_path: Path) -> None:
    planted = ('<!DOCTYPE html><html><body>'
               '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="30" '
               'viewBox="0 0 100 30" aria-label="planted"><text x="60" y="20" font-size="12">'
               'a label far too long for this box</text><text x="2" y="20">ok</text></svg>'
               '</body></html>')
    found = overflow(page, planted, tmp_path, "planted")
    assert found["count"] == 2
    assert [b[1] for b in found["bad"]] == ["a label far too long for this box"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_text_overflows_its_svg_in_a_compare_report(page: Any, runs: dict[str, Any],
                                                       tmp_path: Path, lang: str) -> None:
    res = runs["compare"]
    html = html_report([res.baseline, res.candidate], res, lang=lang, notes=[NOTE])
    found = overflow(page, html, tmp_path, f"compare-{lang}")
    # 15 histograms + 15 intervals + 2 × 2 shortfall maps, each with its tick labels
    assert found["svgs"] >= 30
    assert found["count"] >= 80
    assert found["bad"] == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_text_overflows_its_svg_in_a_sweep_report(page: Any, runs: dict[str, Any],
                                                     tmp_path: Path, lang: str) -> None:
    res = runs["compare"]
    html = html_report([res.baseline, res.candidate], res, runs["sweep"], lang=lang)
    found = overflow(page, html, tmp_path, f"sweep-{lang}")
    assert found["svgs"] >= 30 + 3
    assert found["bad"] == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_text_overflows_its_svg_in_a_grid_report(page: Any, runs: dict[str, Any],
                                                    tmp_path: Path, lang: str) -> None:
    res = runs["compare"]
    grid = runs["grid"]
    html = html_report([res.baseline, res.candidate], res, grid, lang=lang)
    found = overflow(page, html, tmp_path, f"grid-{lang}")
    # per KPI shown: the difference map and one map per pack
    maps = len(grid.rules) + (1 if getattr(grid, "differences", None) else 0)
    assert found["svgs"] >= 30 + 3 * maps
    assert found["bad"] == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_text_overflows_in_a_9_by_9_grid_and_the_values_are_written(
        page: Any, runs: dict[str, Any], tmp_path: Path, lang: str) -> None:
    res = runs["compare"]
    html = html_report([res.baseline, res.candidate], res, runs["big"], lang=lang)
    found = overflow(page, html, tmp_path, f"big-{lang}")
    assert found["bad"] == []
    # the 81 cells of a map carry their values as text (they fit), not only as hover titles
    start = html.index(f'aria-label="stockout_rate {runs["big"].rules[0]}"')
    svg = html[start: html.index("</svg>", start)]
    assert svg.count('text-anchor="middle" fill=') == 81


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_text_overflows_its_svg_in_a_single_run_report(page: Any, runs: dict[str, Any],
                                                          tmp_path: Path, lang: str) -> None:
    res = runs["compare"]
    found = overflow(page, html_report([res.candidate], lang=lang, notes=[NOTE]), tmp_path,
                     f"single-{lang}")
    assert found["svgs"] >= 15
    assert found["bad"] == []


def test_no_text_overflows_with_long_pack_labels_and_degenerate_data(
        page: Any, runs: dict[str, Any], tmp_path: Path) -> None:
    """Constant KPIs (a zero-width histogram), long labels and big yuan values stay inside."""
    import attrs

    res = runs["compare"]
    long = "hotpot 2026.11 — candidate for the Spring Festival committee (2026.11-final.yaml)"
    # a long horizon with many items at two stores, some names long
    import datetime as dt

    import numpy as np

    days, items = 120, 40
    rng = np.random.default_rng(0)
    ids = tuple(f"{'chengdu-01' if k % 2 else 'chongqing-jiefangbei-flagship'}/"
                f"{'premium_beef_slices_grade_a_fresh' if k % 5 == 0 else f'item_{k}'}"
                for k in range(items))
    daily = {"stockout": rng.uniform(0, 1, (days, items)) ** 4,
             "waste_yuan": rng.uniform(0, 25_000, (days, items))}
    dates = tuple(dt.date(2026, 12, 1) + dt.timedelta(days=k) for k in range(days))
    has_daily = "daily" in attrs.fields_dict(type(res.candidate))
    cand = (attrs.evolve(res.candidate, rules=long, daily=daily, item_ids=ids, dates=dates)
            if has_daily else attrs.evolve(res.candidate, rules=long))
    html = html_report([res.baseline, cand], attrs.evolve(res, candidate=cand), lang="zh")
    found = overflow(page, html, tmp_path, "long")
    assert found["bad"] == []
    if has_daily:
        assert html.count("<title>") >= 2 * days * items


def test_the_page_fits_an_800_px_window_wide_tables_scroll_in_their_box(
        page: Any, runs: dict[str, Any], tmp_path: Path) -> None:
    res = runs["compare"]
    page.set_viewport_size({"width": 800, "height": 900})
    try:
        for name, sw in (("plain", None), ("sweep", runs["sweep"]), ("grid", runs["grid"])):
            target = tmp_path / f"narrow-{name}.html"
            target.write_text(html_report([res.baseline, res.candidate], res, sw, lang="en"),
                              encoding="utf-8")
            page.goto(target.as_uri())
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 800, name
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
