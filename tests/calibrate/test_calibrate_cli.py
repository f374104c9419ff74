"""The committee's loop on the command line: export history → calibrate → new pack → validate →
simulate --compare current vs calibrated; backtest's table, JSON and report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jxc_rules.cli import main
from jxc_rules.rules import load_pack


def test_round_trip_history_calibrate_validate_compare(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "history.csv"
    assert main(["simulate", "hotpot-spring-festival-2027", "--trials", "20",
                 "--horizon", "2025-01-01:2026-12-31", "--export-history", str(history),
                 "--history-trial", "3", "--json", str(tmp_path / "run.json")]) == 0
    head = history.read_text(encoding="utf-8").splitlines()[0]
    assert head.split(",")[:6] == ["date", "location", "item", "channel", "quantity",
                                   "stockout"]
    new = tmp_path / "hotpot-2026.10.1.yaml"
    capsys.readouterr()
    assert main(["calibrate", "hotpot@2026.10", "--sales", str(history), "-o", str(new),
                 "--json", str(tmp_path / "cal.json")]) == 0
    out = capsys.readouterr().out
    assert "weather.rain.dine_in" in out
    assert "change" in out
    assert "2026.10 → 2026.10.1" in out
    assert main(["validate", str(new)]) == 0
    calibrated = load_pack(new)
    assert calibrated.version == "2026.10.1"
    assert calibrated.calibration
    payload = json.loads((tmp_path / "cal.json").read_text(encoding="utf-8"))
    assert payload["proposal"]["version"] == "2026.10.1"
    assert {e["path"] for e in payload["estimates"] if e["action"] == "change"} == {
        r["field"] for r in calibrated.calibration}
    capsys.readouterr()
    assert main(["simulate", "hotpot-spring-festival-2027", "--rules", "hotpot@2026.10",
                 "--compare", str(new), "--trials", "40", "--json", "-"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["results"]) == 2
    assert result["compare"]
    assert "2026.10.1" in result["results"][1]["rules"] or str(new.name) in \
        result["results"][1]["rules"]
    # a second calibrate onto the same file is refused: nothing overwritten
    before = new.read_text(encoding="utf-8")
    assert main(["calibrate", "hotpot@2026.10", "--sales", str(history), "-o", str(new)]) == 1
    assert new.read_text(encoding="utf-8") == before
    assert "never overwrites" in capsys.readouterr().err


def test_backtest_command_table_json_and_report(tmp_path: Path, histories: dict[int, Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "bt.html"
    data = tmp_path / "bt.json"
    assert main(["backtest", "hotpot@2026.10", "--sales", str(histories[0]), "--month",
                 "2026-03", "--json", str(data), "--report", str(report), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "回测" in out
    assert "weather.rain.dine_in" in out
    payload = json.loads(data.read_text(encoding="utf-8"))
    assert payload["month"] == "2026-03"
    assert "weather.rain.dine_in" in payload["factors"]
    html = report.read_text(encoding="utf-8")
    assert html.count("<svg") >= 3
    assert "<title>" in html
    assert "<script" not in html


def test_bad_arguments_are_one_line_errors(tmp_path: Path, histories: dict[int, Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "hotpot@2026.10", "--sales", str(histories[0]),
                 "--month", "2026/03"]) == 1
    assert "YYYY-MM" in capsys.readouterr().err
    missing = tmp_path / "none.csv"
    assert main(["calibrate", "hotpot@2026.10", "--sales", str(missing)]) == 1
    err = capsys.readouterr().err
    assert "none.csv" in err
    assert "Traceback" not in err
    assert main(["simulate", "hotpot-spring-festival-2027", "--horizon", "2026-12-31:2026-01-01",
                 "--trials", "5"]) == 1
    assert "START <= END" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--json", "--report", "-o"])
def test_an_output_in_a_missing_folder_is_refused_before_any_work(
        tmp_path: Path, histories: dict[int, Path], option: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = str(tmp_path / "no-such-folder" / "out.x")
    if option == "--report":
        argv = ["backtest", "hotpot@2026.10", "--sales", str(histories[0]), "--month",
                "2026-03", option, target]
    else:
        argv = ["calibrate", "hotpot@2026.10", "--sales", str(histories[0]), option, target]
    assert main(argv) == 1
    err = capsys.readouterr()
    assert "does not exist" in err.err
    assert "Traceback" not in err.err
    assert "Fitted from" not in err.out                      # refused before the fit


def test_a_proposal_that_cannot_be_written_is_named(tmp_path: Path, pack: object) -> None:
    from jxc_rules.calibrate.proposal import propose
    from jxc_rules.errors import ValidationError

    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError, match="cannot write") as info:
        propose(pack, []).write(blocker / "new.yaml")
    assert info.value.field == "output"
