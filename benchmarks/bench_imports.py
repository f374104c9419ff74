"""Import cost in fresh processes, beside ``import pint, numpy`` (the floor a host already pays).

    python benchmarks/bench_imports.py            # the table for the README: median of 5
    python benchmarks/run.py -k imports           # the same rows in the common table

Rows: interpreter start-up (``python -c pass``, with whatever the environment's ``.pth`` files
import), ``import pint, numpy``, ``import jxc_rules.units``, ``import jxc_rules`` (lazy) and
``jxc-rules --help``. Ratios are taken within one run; the last column takes the start-up out of
both sides, which is the cost a host's own process sees. Not a unit test: the numbers go into
benchmarks/README.md, never into assertions.
"""

from __future__ import annotations

import functools
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _harness import Baseline, Case

_SCRIPT = shutil.which("jxc-rules", path=str(Path(sys.executable).parent))
HELP = [_SCRIPT, "--help"] if _SCRIPT else [sys.executable, "-m", "jxc_rules", "--help"]

STARTUP = "python -c pass"
FLOOR = "import pint, numpy"
ROWS: dict[str, list[str]] = {
    STARTUP: [sys.executable, "-c", "pass"],
    FLOOR: [sys.executable, "-c", "import pint, numpy"],
    "import jxc_rules.units": [sys.executable, "-c", "import jxc_rules.units"],
    "import jxc_rules": [sys.executable, "-c", "import jxc_rules"],
    "jxc-rules --help": HELP,
}


def fresh_process(cmd: list[str]) -> float:
    """Wall time of one fresh process running ``cmd`` to completion."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def _check() -> None:
    for cmd in ROWS.values():
        subprocess.run(cmd, check=True, capture_output=True)
    out = subprocess.run(HELP, check=True, capture_output=True, text=True).stdout
    assert "usage" in out.lower(), out


def cases(scale: float) -> list[Case]:
    """For benchmarks/run.py: one fresh process per call; the ratio is ``floor / ours``."""
    del scale  # an import has no size
    floor = ROWS[FLOOR]
    return [
        Case(operation=name, size=1, unit="processes",
             ours=functools.partial(fresh_process, cmd),
             baselines=[Baseline(FLOOR, lambda: fresh_process(floor))],
             check=_check if n == 0 else None)
        for n, (name, cmd) in enumerate(ROWS.items()) if name not in (STARTUP, FLOOR)
    ]


def main() -> int:
    fresh_process(ROWS["import jxc_rules.units"])  # warm the file cache
    times: dict[str, list[float]] = {name: [] for name in ROWS}
    for _ in range(5):  # rows interleaved, so a burst of load on the machine hits all alike
        for name, cmd in ROWS.items():
            times[name].append(fresh_process(cmd))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    startup, floor = medians[STARTUP], medians[FLOOR]
    print(f"{'what':<24} {'median s':>9} {'× ' + FLOOR:>22} {'× net of start-up':>18}")
    for name, t in medians.items():
        net = (t - startup) / (floor - startup) if name != STARTUP else float("nan")
        print(f"{name:<24} {t:>9.3f} {t / floor:>21.2f}× {net:>17.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
