"""``jxc-rules simulate``: tables, JSON, the self-contained HTML report, the sweep."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from jxc_rules.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "simulator" / "scenarios"
HOTPOT = SCENARIOS / "hotpot-spring-festival.yaml"


def test_hotpot_scenario_alone_runs_the_compare_of_its_two_packs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "r.json"
    out_html = tmp_path / "r.html"
    code = main(["simulate", str(HOTPOT), "--trials", "60", "--json", str(out_json),
                 "--report", str(out_html), "--lang", "zh",
                 "--sweep", "holiday.spring_festival.dine_in.uplift=0:0.8:0.4"])
    assert code == 0
    text = capsys.readouterr().out
    assert "缺货率" in text
    assert "结论" in text
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert [r["rules"] for r in data["results"]] == ["hotpot 2026.10", "hotpot 2026.11"]
    assert set(data["compare"]["stockout_rate"]) >= {"mean", "low", "high", "verdict"}
    assert data["sweep"]["values"] == [[0.0], [0.4], [0.8]]   # points, one value per axis
    page = out_html.read_text(encoding="utf-8")
    assert page.count("<svg") >= 15 + 3
    # self-contained: no scripts, no external resources
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=""", page)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)


def test_single_pack_run_with_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", str(SCENARIOS / "base-stock-poisson.yaml"), "--trials", "50",
                 "--seed", "3", "--json", "-"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    (result,) = data["results"]
    assert result["trials"] == 50
    assert result["seed"] == 3
    assert 0 <= result["kpis"]["stockout_rate"]["mean"] <= 1


def test_workers_use_a_process_pool_and_agree_with_serial(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    args = ["simulate", str(SCENARIOS / "base-stock-poisson.yaml"), "--trials", "100",
            "--chunk-trials", "25"]
    assert main([*args, "--json", str(a)]) == 0
    assert main([*args, "--json", str(b), "--workers", "2"]) == 0
    capsys.readouterr()
    assert json.loads(a.read_text())["results"] == json.loads(b.read_text())["results"]


def test_a_bad_scenario_is_one_clear_error_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon: {start: 2026-03-01, end: 2026-02-01}\nitems: {}\n",
                   encoding="utf-8")
    assert main(["simulate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1" in err
    assert "no days" in err


NETWORK = re.compile(
    r"""(<script|<link|<iframe|<img|<object|<embed|@import|url\(|\b(?:src|href|srcset|action)\s*=|"""
    r"""(?:https?:|ftp:)?//[\w.-]+\.\w+)""", re.IGNORECASE)
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'   # a namespace name, an identifier never fetched


def test_the_html_report_is_one_self_contained_file_without_network_references() -> None:
    from jxc_rules.simulate import compare, sweep
    from jxc_rules.simulate.report import html_report

    pack = ROOT / "industries" / "hotpot" / "2026.10.yaml"
    res = compare(HOTPOT, pack, pack, trials=12, seed=0, chunk_trials=12)
    swept = sweep(HOTPOT, "demand.scale", [0.9, 1.1], rules=[pack], trials=12, seed=0,
                  chunk_trials=12, thresholds={"stockout_rate": 0.05})
    for lang in ("en", "zh"):
        page = html_report([res.baseline, res.candidate], res, swept, lang=lang,
                           meta={"horizon": "2026-02-02 – 2026-03-08"})
        assert page.startswith("<!DOCTYPE html>")
        assert page.rstrip().endswith("</html>")
        assert page.count("<svg") >= 15 + 15 + 1           # histograms, intervals, sweep
        clean = page.replace(SVG_NS, "")
        assert NETWORK.search(clean) is None, NETWORK.search(clean)
        assert "://" not in clean
    # the pattern does catch what it must
    for leak in ('<link rel="stylesheet" href="x.css">', "@import 'a.css';",
                 "font: url(https://fonts.example/x.woff)", '<script src="//cdn.x.org/a.js">',
                 "<img src=data:x>"):
        assert NETWORK.search(leak), leak


def test_materiality_shows_in_the_table_json_and_report_in_both_languages(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = str(ROOT / "industries" / "hotpot" / "2026.10.yaml")
    for lang, header, verdict in (("en", "material ±", "no detectable change"),
                                  ("zh", "重要性阈值 ±", "无显著变化")):
        out_json, out_html = tmp_path / f"{lang}.json", tmp_path / f"{lang}.html"
        code = main(["simulate", str(HOTPOT), "--rules", pack, "--compare", pack,
                     "--trials", "12", "--chunk-trials", "12", "--lang", lang,
                     "--json", str(out_json), "--report", str(out_html),
                     "--materiality", "stockout_rate=0.02", "--materiality", "gross_margin=500"])
        assert code == 0
        text = capsys.readouterr().out
        assert header in text
        assert verdict in text
        assert ("identical random draws" if lang == "en" else "完全相同的随机抽样") in text
        assert "2.00 pp" in text                                # stockout_rate's threshold
        data = json.loads(out_json.read_text(encoding="utf-8"))
        assert data["compare"]["stockout_rate"]["materiality"] == 0.02
        assert data["compare"]["gross_margin"]["materiality"] == 500
        assert data["compare"]["fill_rate"]["materiality"] == 0.001
        assert {d["verdict"] for d in data["compare"].values()} == {"no detectable change"}
        page = out_html.read_text(encoding="utf-8")
        assert header in page
        assert verdict in page
        assert "<td>2.00 pp</td>" in page


def test_a_bad_materiality_option_is_one_clear_error_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    for bad, words in (("stockout=0.1", "did you mean 'stockout_rate'"),
                       ("stockout_rate=-1", "stockout_rate must be a finite number >= 0"),
                       ("stockout_rate", "KPI=VALUE")):
        assert main(["simulate", str(SCENARIOS / "base-stock-poisson.yaml"),
                     "--materiality", bad]) == 1
        assert words in capsys.readouterr().err
