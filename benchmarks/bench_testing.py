"""Host test suites (#23): generation speed of the heaviest strategies — seconds per example as
a host's ``@given`` test sees them (hypothesis's engine included, generate phase only, no
shrinking, no database) — and what the pytest plugin adds to a host's pytest start-up (a fresh
``pytest --collect-only`` of an empty suite, beside the same with ``-p no:jxc_rules``; goal
≤ 0.3 s)::

    .venv/bin/python benchmarks/bench_testing.py            # the table, 100 examples each
    .venv/bin/python benchmarks/run.py -k testing           # the rows in the common table
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import jxc_rules.testing as jt
from jxc_rules.bom import Bom
from jxc_rules.packaging import ProductProfile
from jxc_rules.rules.schema import RulePack

HEAVIEST: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "priced_lines()": jt.priced_lines,
    "bom_cases()": jt.bom_cases,
    "bom_cases(alternates, phantoms, dated)": lambda: jt.bom_cases(
        alternates=True, phantoms=True, dated=True),
    "lot_cases()": jt.lot_cases,
    "reservation_workloads()": jt.reservation_workloads,
    "month_end_cases()": jt.month_end_cases,
    "reading_arrays() (2,016 readings)": jt.reading_arrays,
    "shipment_arrays() (10,000 lines)": jt.shipment_arrays,
    "rule_packs()": jt.rule_packs,
    "st.from_type(Bom)": lambda: st.from_type(Bom),
    "st.from_type(ProductProfile)": lambda: st.from_type(ProductProfile),
    "st.from_type(RulePack)": lambda: st.from_type(RulePack),
}


def seconds_per_example(strategy: st.SearchStrategy[Any], n: int = 100) -> float:
    """Wall time of an ``n``-example generate-only run, divided by ``n``."""
    count = [0]

    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: Any) -> None:
        count[0] += 1

    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) / max(1, count[0])


def measure(n: int = 100, repeat: int = 3) -> list[tuple[str, float]]:
    """``(strategy, median seconds per example over repeat runs)`` for each heavy strategy."""
    jt.register_type_strategies()
    return [(name, statistics.median(seconds_per_example(build(), n) for _ in range(repeat)))
            for name, build in HEAVIEST.items()]


def cases(scale: float) -> list[Any]:
    """For benchmarks/run.py (when copied to benchmarks/): one case per strategy, 100 examples
    at scale 1."""
    from _harness import Baseline, Case

    n = max(5, int(100 * scale))
    jt.register_type_strategies()
    out = [Case(f"generate {name}", n, (lambda b=build: seconds_per_example(b(), n)),
                unit="examples") for name, build in HEAVIEST.items()]
    empty = tempfile.mkdtemp(prefix="jxc-host-suite-")

    def pytest_start(*extra: str) -> None:
        subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                        "-p", "no:cacheprovider", *extra, empty],
                       capture_output=True, check=False, cwd=empty)

    out.append(Case("host pytest start-up with the jxc_rules plugin (goal: +0.3 s at most)", 1,
                    pytest_start, [Baseline("same, -p no:jxc_rules",
                                            lambda: pytest_start("-p", "no:jxc_rules"))],
                    unit="runs"))
    return out


if __name__ == "__main__":
    print("| strategy | per example |\n| --- | --- |")
    for name, s in measure():
        print(f"| `{name}` | {s * 1000:.2f} ms |")
