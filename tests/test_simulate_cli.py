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
    assert data["sweep"]["values"] == [0.0, 0.4, 0.8]
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
