"""The README's tour runs as a doctest, so the front page cannot drift from the library."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_tour_runs() -> None:
    cwd = os.getcwd()
    os.chdir(ROOT)  # the tour loads industries/ and simulator/ by relative path
    try:
        result = doctest.testfile(
            str(ROOT / "README.md"), module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        )
    finally:
        os.chdir(cwd)
    assert result.attempted >= 20
    assert result.failed == 0


def test_readme_keeps_exactly_two_setup_commands_at_the_top() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text.split("## ", 1)[0]
    assert head.count("```bash") == 2
    assert "jxc-rules simulate simulator/scenarios/" in head
    assert "bash .ci/run" in head
