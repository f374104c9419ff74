"""Every ``python`` block of docs/testing.md runs (in order, one namespace), and the page says
how to turn the plugin off and which profile CI should use."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "testing.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def test_every_python_block_of_the_page_runs() -> None:
    assert len(BLOCKS) >= 12
    namespace: dict[str, object] = {"__name__": "docs_testing"}
    for i, block in enumerate(BLOCKS):
        try:
            exec(compile(block, f"docs/testing.md block {i + 1}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message says which block
            raise AssertionError(f"docs/testing.md block {i + 1} failed: {exc!r}") from exc


def test_the_page_documents_the_opt_out_and_the_ci_profile() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert "-p no:jxc_rules" in text
    assert "PYTEST_DISABLE_PLUGIN_AUTOLOAD" in text
    assert "--jxc-hypothesis-profile jxc-ci" in text


def test_every_public_strategy_is_on_the_page() -> None:
    import jxc_rules.testing as jt

    text = PAGE.read_text(encoding="utf-8")
    internal = {"BomCase", "Lot", "LotCase", "ReservationWorkload", "PricedLine",
                "MonthEndCase", "register_type_strategies", "load_profile",
                "register_profiles"}
    missing = [n for n in jt.__all__ if n not in internal and f"`{n}" not in text]
    assert missing == []
