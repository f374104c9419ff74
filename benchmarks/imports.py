"""Import cost in fresh processes, median of 5, beside ``import pint, numpy`` — in one run.

    python benchmarks/imports.py

Rows: ``import pint, numpy`` (the floor every host already pays), ``import jxc_rules.units``,
``import jxc_rules`` (lazy), ``jxc_rules.convert`` first use, and ``jxc-rules --help``.
Not a unit test: the numbers go into the table, never into assertions.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

ROWS = {
    "import pint, numpy": [sys.executable, "-c", "import pint, numpy"],
    "import jxc_rules.units": [sys.executable, "-c", "import jxc_rules.units"],
    "import jxc_rules": [sys.executable, "-c", "import jxc_rules"],
    "jxc_rules.convert('1', 't', 'kg')": [
        sys.executable, "-c", "import jxc_rules; jxc_rules.convert('1', 't', 'kg')"],
    "jxc-rules --help": [sys.executable, "-m", "jxc_rules", "--help"],
}


def median_seconds(cmd: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    subprocess.run(ROWS["import jxc_rules.units"], check=True)  # warm the file cache
    floor = median_seconds(ROWS["import pint, numpy"])
    print(f"{'what':<36} {'median s':>9} {'× pint+numpy':>13}")
    for name, cmd in ROWS.items():
        t = floor if name == "import pint, numpy" else median_seconds(cmd)
        print(f"{name:<36} {t:>9.3f} {t / floor:>12.2f}×", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
