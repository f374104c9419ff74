"""The examples in docs/reservation.md run and give the numbers the page shows."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "reservation.md"


def test_docs_reservation_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 3
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    # one doctest for the whole page: later blocks use names the earlier ones defined
    test = parser.get_doctest("\n".join(blocks), {}, "reservation.md", str(DOC), 0)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 12
    assert result.failed == 0
