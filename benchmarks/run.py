"""Run every benchmark module and print one table (operation, size, ours, baseline, ratio).

    python benchmarks/run.py                 # all, full size
    python benchmarks/run.py --scale 0.01    # quick smoke run on 1 % of the sizes
    python benchmarks/run.py -k convert --json bench-results.json

Timings are wall time, best of N, one process, one core for our code.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import Row, run_case  # noqa: E402


def discover() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, factor in (("s", 1.0), ("ms", 1e3), ("µs", 1e6)):
        if seconds * factor >= 1:
            return f"{seconds * factor:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def print_table(rows: list[Row]) -> None:
    header = ("operation", "size", "ours", "rate", "baseline", "baseline time", "ratio", "note")
    table = [header]
    for r in rows:
        table.append((
            r.operation, f"{r.size:,}", fmt_time(r.ours_s),
            f"{r.rate:,.3g} {r.unit}/s" + (f" (target {r.target})" if r.target else ""),
            r.baseline, fmt_time(r.baseline_s),
            "-" if r.ratio is None else f"{r.ratio:,.1f}×", r.note,
        ))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    parser.add_argument("-k", dest="keyword", default="", help="only modules/cases matching")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", dest="json_path", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for path in discover():
        module = load(path)
        for case in module.cases(args.scale):  # type: ignore[attr-defined]
            if args.keyword and args.keyword not in path.stem + " " + case.operation:
                continue
            rows.extend(run_case(case, repeat=args.repeat))
    print(f"jxc_rules benchmarks — Python {platform.python_version()}, {platform.machine()}, "
          f"scale {args.scale:g}")
    print_table(rows)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
