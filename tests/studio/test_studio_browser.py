"""The studio page in headless Chromium (Debian's /usr/bin/chromium driven by Playwright) against
a real uvicorn on 127.0.0.1: the committee's path (edit the Spring Festival dine-in uplift, run a
compare, read the headline, save a pack that then loads and diffs to exactly that change), a bad
value blocked with the validator's own message, labels and keyboard use, sweeps and a grid with
hover values, the tablet width, and no request leaving 127.0.0.1.

Screenshots go to reports/screenshots/ (gitignored; CI keeps them as artefacts). With CI=true a
missing browser fails the run; elsewhere these tests skip with one line.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from jxc_rules.rules import diff, load_pack
from jxc_rules.studio.forms import check_edits

UPLIFT = "holidays.Spring Festival.dine_in.during[3]"
UPLIFT_LABEL = "Spring Festival · dine-in · during · day 4 of the break"


def field(page: Any, path: str) -> Any:
    return page.locator(f'#groups input[data-path="{path}"]')


def error_of(page: Any, path: str) -> Any:
    return page.locator(f'#groups .error[data-path="{path}"]')


def wait_run(page: Any, timeout: float = 60_000) -> None:
    page.wait_for_selector("body[data-run=done], body[data-run=failed]", state="attached",
                           timeout=timeout)
    assert page.get_attribute("body", "data-run") == "done", page.inner_text("#run-error")


def start_run(page: Any, button: str = "#run-compare") -> None:
    page.evaluate("() => { document.body.dataset.run = ''; }")
    page.click(button)


def test_committee_changes_the_uplift_runs_a_compare_and_saves_a_pack(
        browser: Any, live_studio: Any, open_page: Any, shot: Any) -> None:
    page, offsite = open_page(browser, live_studio)
    box = page.get_by_label(UPLIFT_LABEL, exact=True)
    assert box.get_attribute("data-path") == UPLIFT
    assert box.input_value() == "1.5"  # the candidate (2026.11) as bundled
    box.fill("1.65")
    page.wait_for_selector("#diff td", timeout=10_000)
    assert "during day 4" in page.inner_text("#diff")
    rows = page.locator("#diff tr").count() - 1
    assert rows == 1  # exactly the edited field
    shot(page, "edited")

    page.fill("#trials", "300")
    start_run(page)
    wait_run(page)
    headline = page.inner_text("#headline")
    assert re.match(r"^hotpot 2026\.11 vs hotpot 2026\.10: .+ gross margin .+元",
                    headline), headline
    assert page.locator("#kpi-table tr").count() > 5
    page.wait_for_selector("#shortfall svg rect title", state="attached", timeout=20_000)
    shot(page, "compare")

    en_cards = page.locator("#shortfall .card h4").all_inner_texts()
    assert any("share of trials with a stockout" in c for c in en_cards), en_cards
    page.click("#lang")
    zh_cards = page.locator("#shortfall .card h4").all_inner_texts()
    assert any("缺货的试验占比" in c for c in zh_cards), zh_cards
    zh = page.inner_text("#headline")
    assert "对比" in zh, zh
    assert "毛利" in zh, zh
    assert page.inner_text("#run-compare") == "运行对比"
    page.click("#lang")
    assert page.inner_text("#headline") == headline

    page.fill("#save-version", "2026.11.7")
    page.fill("#save-effective", "2026-12-15")
    page.fill("#save-approved", "store managers' committee, head chef")
    page.fill("#save-changelog", "Spring Festival day-4 dine-in uplift 1.50 → 1.65 (studio test)")
    page.click("#save-button")
    page.wait_for_selector("#saved-path", timeout=20_000)
    saved_path = page.inner_text("#saved-path")
    shot(page, "saved")
    assert not offsite.hosts, offsite.hosts
    assert offsite.seen > 10
    assert not page.js_errors, page.js_errors

    base = load_pack("hotpot@2026.11")
    saved = load_pack(saved_path)  # loads and validates
    assert saved_path.startswith(str(live_studio.save_dir))
    assert saved.version == "2026.11.7"
    changes = diff(base, saved)
    assert [(c.path, c.old, c.new) for c in changes] == [(UPLIFT, 1.5, 1.65)]
    meta = {c.path.split("[")[0] for c in diff(base, saved, include_metadata=True)
            if c.path != UPLIFT}
    assert meta == {"version", "effective_from", "approved_by", "changelog"}
    assert saved.approved_by == ("store managers' committee", "head chef")
    assert saved.changelog == ("Spring Festival day-4 dine-in uplift 1.50 → 1.65 (studio test)",)


@pytest.mark.parametrize("bad", ["-1", "abc"])
def test_a_bad_value_shows_the_validators_message_and_blocks_the_run(
        browser: Any, live_studio: Any, open_page: Any, shot: Any, bad: str) -> None:
    page, offsite = open_page(browser, live_studio)
    expected = check_edits(load_pack("hotpot@2026.11"), {UPLIFT: bad}).errors[0]["message"]
    assert UPLIFT in expected
    field(page, UPLIFT).fill(bad)
    page.wait_for_selector(f'#groups .error[data-path="{UPLIFT}"]:not(:empty)', timeout=10_000)
    assert error_of(page, UPLIFT).inner_text() == expected
    assert field(page, UPLIFT).get_attribute("aria-invalid") == "true"
    assert page.is_disabled("#run-compare")
    assert page.is_disabled("#run-sweep")
    assert page.is_disabled("#save-button")
    assert page.is_visible("#blocked")
    shot(page, f"bad-value-{'negative' if bad == '-1' else 'text'}")
    # the run is blocked even when the button is forced
    page.evaluate("() => document.getElementById('run-compare').click()")
    assert page.get_attribute("body", "data-run") is None
    field(page, UPLIFT).fill("1.5")
    page.wait_for_selector("#run-compare:not([disabled])", timeout=10_000)
    assert error_of(page, UPLIFT).inner_text() == ""
    assert not offsite.hosts


def test_every_control_has_a_label_and_the_keyboard_runs_1000_trials(
        browser: Any, live_studio: Any, open_page: Any, shot: Any) -> None:
    page, offsite = open_page(browser, live_studio)
    unnamed = page.evaluate("""() => [...document.querySelectorAll(
        'input, select, textarea, button, progress')].filter(el => {
          const label = [...(el.labels || [])].map(l => l.textContent.trim()).join(' ');
          const name = label || (el.getAttribute('aria-label') || '').trim()
            || (el.tagName === 'BUTTON' ? el.textContent.trim() : '');
          return !name;
        }).map(el => el.id || el.outerHTML.slice(0, 80))""")
    count = page.locator("input, select, textarea").count()
    assert count > 200  # every assumption is a field
    assert unnamed == []
    assert page.locator("#trials").input_value() == "1000"
    page.focus("#seed")
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "run-compare":
            break
    assert page.evaluate("() => document.activeElement.id") == "run-compare"
    page.keyboard.press("Enter")
    wait_run(page)
    assert " vs " in page.inner_text("#headline")
    assert page.evaluate("() => window.__studio.lastResult.results[0].trials") == 1000
    assert not offsite.hosts, offsite.hosts


def test_a_sweep_and_a_grid_show_hover_values(
        browser: Any, live_studio: Any, open_page: Any, shot: Any) -> None:
    page, offsite = open_page(browser, live_studio)
    page.fill("#trials", "100")
    page.click("#sweep-box summary")
    page.select_option("#sweep-param", "pack:replenishment.safety_days")
    page.fill("#sweep-values", "0.5,1.5")
    start_run(page, "#run-sweep")
    wait_run(page)
    titles = page.locator("#sweep-result svg circle title").all_text_contents()
    assert len(titles) == 4  # 2 packs × 2 values
    assert any(t.startswith("hotpot 2026.11") and " · 1.5: " in t for t in titles), titles
    circle = page.locator("#sweep-result svg circle").first
    circle.hover()
    assert page.is_visible("#tooltip")
    assert page.inner_text("#tooltip") == titles[0]

    assert "safety stock (days) = 0.5" in page.inner_text("#kpi-table")

    # a true-world parameter: the service's own sweep, one job
    page.select_option("#sweep-param", "world:demand.scale")
    page.fill("#sweep-values", "0.9,1.1")
    start_run(page, "#run-sweep")
    wait_run(page)
    world = page.locator("#sweep-result svg circle title").all_text_contents()
    assert len(world) == 4, world
    assert any(" · 1.1: " in t for t in world), world
    assert "true world: demand scale" in page.inner_text("#sweep-result")

    page.select_option("#sweep-param", "pack:replenishment.safety_days")
    page.fill("#sweep-values", "0.5,1.5")
    page.select_option("#grid-param", f"pack:{UPLIFT}")
    page.fill("#grid-values", "1.3,1.7")
    start_run(page, "#run-grid")
    wait_run(page, timeout=120_000)
    cells = page.locator("#sweep-result svg rect title").all_text_contents()
    assert len(cells) == 4, cells
    assert all("…" not in c for c in cells), cells
    shot(page, "grid")
    assert not offsite.hosts


def test_the_page_fits_a_tablet(
        browser: Any, live_studio: Any, open_page: Any, shot: Any) -> None:
    page, offsite = open_page(browser, live_studio, width=768, height=1024)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - "
                             "document.documentElement.clientWidth")
    assert overflow <= 1
    box = page.locator("#run-compare").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 768
    assert box["height"] >= 36  # a finger-sized target
    page.fill("#trials", "200")
    start_run(page)
    wait_run(page)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - "
                             "document.documentElement.clientWidth")
    assert overflow <= 1  # wide tables and heat maps scroll in their own boxes
    shot(page, "tablet")
    assert not offsite.hosts


def test_an_uploaded_pack_becomes_the_candidate(
        browser: Any, live_studio: Any, open_page: Any, shot: Any, tmp_path: Any) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    text = (root / "industries" / "hotpot" / "2026.11.yaml").read_text(encoding="utf-8")
    mine = tmp_path / "proposal.yaml"
    mine.write_text(text.replace('version: "2026.11"', 'version: "2026.11.9"').replace(
        "during: [1.15, 0.60, 0.70, 1.50,", "during: [1.15, 0.60, 0.70, 1.80,"),
        encoding="utf-8")
    page, offsite = open_page(browser, live_studio)
    page.set_input_files("#candidate-file", str(mine))
    for _ in range(100):
        if field(page, UPLIFT).input_value() == "1.8":
            break
        page.wait_for_timeout(100)
    assert field(page, UPLIFT).input_value() == "1.8"
    assert "proposal.yaml" in page.inner_text("#candidate option:checked")
    assert page.input_value("#save-version") == "2026.11.10"
    assert not offsite.hosts


def test_cancel_stops_a_running_job_and_the_page_says_so(
        browser: Any, live_studio: Any, open_page: Any, shot: Any) -> None:
    page, offsite = open_page(browser, live_studio)
    page.fill("#trials", "40000")
    start_run(page)
    page.wait_for_selector("#cancel:not([hidden])", timeout=20_000)
    page.click("#cancel")
    page.wait_for_selector("body[data-run=failed]", state="attached", timeout=30_000)
    assert page.inner_text("#run-error") == "cancelled"
    assert page.inner_text("#headline") == ""  # nothing of a cancelled job is shown
    jobs = live_studio.studio.app.state.jxc.jobs.jobs
    assert [j.status for j in jobs.values()] == ["cancelled"]
    assert page.is_enabled("#run-compare")
    assert not offsite.hosts


def test_an_uploaded_scenario_runs_with_the_packs_it_names(
        browser: Any, live_studio: Any, open_page: Any, shot: Any, tmp_path: Any) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    text = (root / "simulator" / "scenarios" / "hotpot-spring-festival-2027.yaml").read_text(
        encoding="utf-8")
    mine = tmp_path / "my-store.yaml"
    mine.write_text(text.replace("name: hotpot-spring-festival-2027", "name: my-store")
                    .replace("A 30-table hotpot store,", "Our 30-table store,"),
                    encoding="utf-8")
    page, offsite = open_page(browser, live_studio)
    page.set_input_files("#scenario-file", str(mine))
    for _ in range(100):
        if "Our 30-table store" in page.inner_text("#scenario-desc"):
            break
        page.wait_for_timeout(100)
    assert "Our 30-table store" in page.inner_text("#scenario-desc"), page.inner_text(
        "#scenario-error")
    assert page.input_value("#baseline") == "name:hotpot@2026.10"
    assert page.input_value("#candidate") == "name:hotpot@2026.11"
    page.fill("#trials", "200")
    start_run(page)
    wait_run(page)
    assert page.inner_text("#headline").startswith("hotpot 2026.11 vs hotpot 2026.10: ")
    assert not offsite.hosts


def test_another_baseline_keeps_the_candidates_edits(
        browser: Any, live_studio: Any, open_page: Any, shot: Any) -> None:
    page, offsite = open_page(browser, live_studio)
    field(page, UPLIFT).fill("1.6")
    page.wait_for_selector("#diff td", timeout=10_000)
    hint = page.locator(f'#{field(page, UPLIFT).get_attribute("id")}-hint')
    assert hint.inner_text() == "baseline: 1.3"
    page.select_option("#baseline", "name:hotpot@2026.11")
    page.wait_for_selector('#groups .hint:text-is("baseline: 1.5")', timeout=10_000)
    hint = page.locator(f'#{field(page, UPLIFT).get_attribute("id")}-hint')
    assert hint.inner_text() == "baseline: 1.5"
    assert field(page, UPLIFT).input_value() == "1.6"
    assert "edited" in (field(page, UPLIFT).get_attribute("class") or "")
    page.wait_for_selector("#run-compare:not([disabled])", timeout=10_000)
    assert page.locator("#diff tr").count() == 2  # the header and the one change
    assert not offsite.hosts
