"""Benchmarks must not rot: every case's agreement check runs on a tiny size (no timing here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _modules() -> list[Path]:
    return sorted(BENCH.glob("bench_*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.stem)
def test_benchmark_cases_agree_with_their_baselines(path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cases = module.cases(0.001)
        assert cases, f"{path.name} defines no cases"
        for case in cases:
            assert case.size > 0
            if case.check is not None:
                case.check()
    finally:
        sys.path.remove(str(BENCH))
