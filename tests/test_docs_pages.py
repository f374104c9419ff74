"""Every example in the README and in docs/ runs and gives what the page shows.

One runner for all pages: the ``python`` blocks of a page form one doctest (later blocks use names
earlier ones defined), run from the repository root (pages load ``industries/`` and ``simulator/``
by relative path). Each page has a floor on its example count, so a page cannot silently lose
its examples, and a page that gains examples must be listed here.
"""

from __future__ import annotations

import doctest
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MIN_EXAMPLES = {
    "README.md": 20,
    "docs/bom.md": 15,
    "docs/calibrate.md": 15,
    "docs/live_weight.md": 30,
    "docs/money.md": 1,
    "docs/reservation.md": 12,
    "docs/serialization.md": 10,
    "docs/units.md": 3,
    "docs/wastage.md": 10,
}
_BLOCK = re.compile(r"```python\n(.*?)```", flags=re.S)


def _pages_with_examples() -> set[str]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return {
        str(p.relative_to(ROOT)) for p in pages
        if any(">>>" in b for b in _BLOCK.findall(p.read_text(encoding="utf-8")))
    }


def test_every_page_with_examples_is_run() -> None:
    assert _pages_with_examples() == set(MIN_EXAMPLES)


@pytest.mark.parametrize("page", sorted(MIN_EXAMPLES))
def test_page_examples_run(page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    path = ROOT / page
    blocks = _BLOCK.findall(path.read_text(encoding="utf-8"))
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {}, page, str(path), 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= MIN_EXAMPLES[page]
    assert result.failed == 0


def test_readme_keeps_exactly_two_setup_commands_at_the_top() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("## ", 1)[0]
    assert head.count("```bash") == 2
    assert "jxc-rules simulate simulator/scenarios/" in head
    assert "bash .ci/run" in head
    assert os.access(ROOT / ".ci" / "run", os.R_OK)
