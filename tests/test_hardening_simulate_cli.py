"""The simulate command refuses what it cannot finish or write *before* it runs, and the
threaded executor never races on the BLAS thread state (issue 21)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from jxc_rules.cli import main
from jxc_rules.errors import ValidationError
from jxc_rules.simulate import executors
from jxc_rules.simulate.executors import make_executor, single_threaded_blas

SCENARIO = str(Path(__file__).parents[1] / "simulator/scenarios/hotpot-spring-festival.yaml")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["simulate", SCENARIO, *args])
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize("trials", ["1000000000", str(10**20)])
def test_absurd_trial_counts_are_refused_with_the_figure_and_the_fix(
    capsys: pytest.CaptureFixture[str], trials: str
) -> None:
    code, err = _run(capsys, "--trials", trials)
    assert code == 1
    assert "item-trial-days" in err
    assert "--max-work" in err
    assert "--trials" in err


def test_a_chunk_too_large_for_memory_is_refused_before_allocation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _run(capsys, "--trials", "100000000", "--chunk-trials", "100000000",
                     "--max-work", "1e30")
    assert code == 1
    assert "GiB" in err
    assert "--chunk-trials" in err


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_non_positive_workers_name_the_option(capsys: pytest.CaptureFixture[str],
                                              workers: str) -> None:
    code, err = _run(capsys, "--trials", "10", "--workers", workers, "--executor", "threads")
    assert code == 1
    assert "workers must be a whole number >= 1" in err


def test_zero_chunk_trials_is_refused_like_negative(capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("0", "-1"):
        code, err = _run(capsys, "--trials", "10", "--chunk-trials", value)
        assert code == 1
        assert "chunk_trials must be a whole number >= 1" in err


def test_make_executor_refuses_zero_workers() -> None:
    with pytest.raises(ValidationError, match="workers") as info, make_executor("threads", 0):
        pass
    assert info.value.field == "workers"


@pytest.mark.parametrize("option", ["--json", "--report"])
def test_output_in_a_missing_folder_is_refused_before_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    target = tmp_path / "no-such-dir" / "out.file"
    code, err = _run(capsys, "--trials", "10", option, str(target))
    assert code == 1
    assert "does not exist" in err
    assert "no-such-dir" in err


@pytest.mark.parametrize("option", ["--json", "--report"])
def test_output_that_is_a_folder_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            option: str) -> None:
    code, err = _run(capsys, "--trials", "10", option, str(tmp_path))
    assert code == 1
    assert "is a folder" in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_failing_write_is_a_clear_error_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _run(capsys, "--trials", "10", "--report", "/dev/full")
    assert code == 1
    assert "cannot write --report" in err


def test_json_is_written_atomically_and_completely(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    import json

    target = tmp_path / "out.json"
    code, _ = _run(capsys, "--trials", "10", "--json", str(target))
    assert code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["scenario"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary left behind


def test_single_threaded_blas_under_many_threads_never_races(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: the handle search ran outside the lock and the saved counts could belong to
    another thread's handles — ``zip() argument 2 is shorter`` in about 8 of 9 threaded runs."""
    import numpy as np

    errors: list[BaseException] = []
    for _round in range(20):
        # a fresh search each round: the race lived in the first entry of a process
        monkeypatch.setattr(executors, "_BLAS", [])
        monkeypatch.setattr(executors, "_BLAS_SEARCHED", [])
        barrier = threading.Barrier(8)

        def work(barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                for _ in range(5):
                    with single_threaded_blas():
                        np.ones((8, 8)) @ np.ones((8, 8))
            except BaseException as exc:  # pragma: no cover - the failure being tested
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert executors._BLAS_STATE["depth"] == 0
    assert errors == []


def test_threaded_cli_runs_give_the_serial_answer_every_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import json

    serial = tmp_path / "serial.json"
    assert main(["simulate", SCENARIO, "--trials", "200", "--chunk-trials", "25",
                 "--json", str(serial)]) == 0
    expected = json.loads(serial.read_text(encoding="utf-8"))["results"]
    for workers in (2, 4, 8):
        out = tmp_path / f"threads{workers}.json"
        assert main(["simulate", SCENARIO, "--trials", "200", "--chunk-trials", "25",
                     "--executor", "threads", "--workers", str(workers),
                     "--json", str(out)]) == 0
        assert json.loads(out.read_text(encoding="utf-8"))["results"] == expected
    capsys.readouterr()
