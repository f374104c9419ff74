"""The atheris targets (tests/fuzz/atheris_loaders.py) run for a bounded time each and find
nothing: the YAML pack loader, the scenario loader and the command line.

``JXC_FUZZ_SECONDS`` sets the time per target (default 15); ``JXC_FUZZ_LOG`` names a file that
gets one line ``target,inputs,failures`` per target (the closing note's run log).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {
    "pack": sorted((ROOT / "industries").glob("**/*.yaml")),
    "scenario": sorted((ROOT / "simulator" / "scenarios").glob("*.yaml")),
    "cli": [],
}


def _atheris() -> None:
    try:
        import atheris  # noqa: F401
    except ImportError:
        message = "atheris is not installed: pip install 'jxc-rules[fuzz]' to run the fuzzers"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_fuzz_target_finds_nothing(target: str, tmp_path: Path) -> None:
    _atheris()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(TARGETS[target]):
        shutil.copy(seed, corpus / f"seed{i}.yaml")
    seconds = int(os.environ.get("JXC_FUZZ_SECONDS", "15"))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fuzz" / "atheris_loaders.py"), target,
         f"-max_total_time={seconds}", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1",
         str(corpus)],
        capture_output=True, text=True, timeout=seconds * 4 + 60, cwd=tmp_path, check=False)
    runs = re.search(r"Done (\d+) runs", proc.stderr)
    inputs = int(runs.group(1)) if runs else 0
    crashes = list(tmp_path.glob("crash-*"))
    log = os.environ.get("JXC_FUZZ_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{target},{inputs},{len(crashes) + (proc.returncode != 0)}\n")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert not crashes
    assert inputs > 0, proc.stderr[-2000:]
