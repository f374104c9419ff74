"""``jxc-rules simulate``: run a scenario, compare two rule packs, sweep a parameter, report.

Thin: parse, call :mod:`jxc_rules.simulate`, print. Without ``--rules``/``--compare`` the packs
named in the scenario's ``rules:`` section are used (``baseline`` and, when present,
``candidate``), so ``jxc-rules simulate simulator/scenarios/hotpot-spring-festival.yaml`` alone
runs the committee's compare.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``simulate`` subcommand to an ``argparse`` subparsers object."""
    p = subparsers.add_parser(
        "simulate",
        help="Monte Carlo stress test of rule packs on a scenario",
        description="Simulate a scenario under a rule pack (or compare two packs on identical "
                    "random draws), print KPI distributions, optionally sweep a parameter and "
                    "write JSON / a self-contained HTML report.",
    )
    p.add_argument("scenario", help="scenario file, or a bundled scenario's name "
                                    "(hotpot-spring-festival)")
    p.add_argument("--rules", metavar="PACK",
                   help="rule pack file or bundled name (hotpot@2026.10) to run (default: the "
                        "scenario's rules.baseline)")
    p.add_argument("--compare", metavar="PACK",
                   help="candidate pack compared with --rules on common random numbers "
                        "(default: the scenario's rules.candidate when --rules is not given)")
    p.add_argument("--trials", type=int, default=1000, metavar="N", help="trials (1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (0)")
    p.add_argument("--chunk-trials", type=int, default=None, metavar="N",
                   help="trials per chunk (default: chosen within --memory-mb); speed and "
                        "memory only, results depend on the seed alone")
    p.add_argument("--memory-mb", type=float, default=None, metavar="MB",
                   help="working-set budget per chunk when the engine chooses the chunking "
                        "(256, or JXC_RULES_SIM_MEMORY_MB)")
    p.add_argument("--detail", action="store_true",
                   help="also print the shortfall view: per item and day, the expected stockout "
                        "probability and waste (元)")
    p.add_argument("--json", metavar="FILE", help="write all results as JSON ('-': stdout)")
    p.add_argument("--report", metavar="FILE.html", help="write a self-contained HTML report")
    p.add_argument("--sweep", metavar="PATH=start:stop:step", action="append", default=[],
                   help="stress sweep (or PATH=v1,v2,...): a pack field as `diff` prints it "
                        "after candidate. / baseline. / packs. (e.g. "
                        "'candidate.replenishment.safety_days=0:3:0.5') or a true-world "
                        "parameter ('holiday.spring_festival.dine_in.uplift=0:0.8:0.1'); "
                        "repeat for a grid of every combination")
    p.add_argument("--materiality", metavar="KPI=VALUE", action="append", default=[],
                   help="smallest difference a compare calls better/worse, absolute in the "
                        "KPI's unit (a rate as a fraction: stockout_rate=0.002 is 0.2 "
                        "percentage point); repeatable; overrides the scenario's materiality: "
                        "and the defaults (0.1 pp for rates, 0.1 d, 0.1 %% of gross margin)")
    p.add_argument("--lang", choices=("zh", "en"), default="en", help="table language (en)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="parallel workers (with --executor threads/processes/dask)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="with --executor dask: an existing scheduler (tcp://HOST:8786; or "
                        "JXC_RULES_DASK_SCHEDULER) instead of a local cluster")
    p.add_argument("--executor", choices=("serial", "threads", "processes", "dask"),
                   default=None, help="where chunks run (serial; processes when --workers > 1)")
    p.add_argument("--horizon", metavar="START:END", default=None,
                   help="run the scenario's world over other dates (YYYY-MM-DD:YYYY-MM-DD), "
                        "e.g. two years of history for --export-history")
    p.add_argument("--export-history", metavar="FILE.csv", default=None,
                   help="also write what one trial's store would have recorded (sales censored "
                        "by stock-outs, the stock-out flag, weather, waste) under the baseline "
                        "pack: the ground truth for `jxc-rules calibrate` / `backtest`")
    p.add_argument("--history-trial", type=int, default=0, metavar="K",
                   help="which trial --export-history writes (0; trial K of this seed)")
    p.add_argument("--max-work", type=float, default=MAX_ITEM_TRIAL_DAYS, metavar="N",
                   help="refuse runs of more than N item-trial-days in all, sweep points "
                        f"included ({MAX_ITEM_TRIAL_DAYS:.0e}, about 40 min at 5 M/s)")
    p.set_defaults(func=_main)


MAX_ITEM_TRIAL_DAYS = 1e10
"""Default bound on trials × items × days × packs × sweep points of one command."""

CHUNK_BYTES_PER_CELL = 256
"""Rough peak bytes per item-trial-day of one chunk (state, draws, KPIs, age buckets); used only
to refuse a chunk that cannot fit in memory before it is allocated."""

MAX_CHUNK_BYTES = 8 * 2**30


def _check_size(trials: int, chunk: int, cells_per_trial: int, runs: int,
                max_work: float) -> None:
    """Refuse, before anything is allocated, a run too large to finish or to fit in memory."""
    from jxc_rules.errors import ValidationError

    if not (max_work > 0):
        raise ValidationError(f"--max-work must be > 0, got {max_work!r}", field="max_work",
                              value=max_work)
    work = float(trials) * cells_per_trial * runs
    if work > max_work:
        raise ValidationError(
            f"--trials {trials} would simulate {work:.3g} item-trial-days "
            f"(about {work / 5e6 / 60:.3g} min at 5 M/s), more than the bound of "
            f"{max_work:.3g}; lower --trials, or raise the bound with --max-work",
            field="trials", value=trials)
    chunk_bytes = float(min(chunk, trials)) * cells_per_trial * CHUNK_BYTES_PER_CELL
    if chunk_bytes > MAX_CHUNK_BYTES:
        raise ValidationError(
            f"--chunk-trials {chunk} needs about {chunk_bytes / 2**30:.3g} GiB per chunk, more "
            f"than {MAX_CHUNK_BYTES / 2**30:.0f} GiB; lower --chunk-trials",
            field="chunk_trials", value=chunk)


def _check_output(path: str | None, option: str) -> Path | None:
    """An output file's folder must exist and the path must not be a folder — checked before
    the simulation runs, so its results are never lost to a typo."""
    from jxc_rules.errors import ValidationError

    if path is None or path == "-":
        return None
    target = Path(path)
    if target.is_dir():
        raise ValidationError(f"{option} {path!r} is a folder; give a file name inside it",
                              field=option.lstrip("-"), value=path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ValidationError(f"{option} {path!r}: folder {str(parent)!r} does not exist; "
                              "create it first", field=option.lstrip("-"), value=path)
    return target


def _write_atomically(target: Path, text: str, option: str) -> None:
    """Write through a temporary file in the same folder and rename it into place."""
    import os
    import tempfile

    from jxc_rules.errors import ValidationError

    if target.exists() and not target.is_file():
        # a device or pipe (/dev/stdout, /dev/full): write to it, never rename over it
        try:
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise ValidationError(f"cannot write {option} {str(target)!r}: "
                                  f"{exc.strerror or exc}", field=option.lstrip("-"),
                                  value=str(target)) from exc
        return
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ValidationError(f"cannot write {option} {str(target)!r}: {exc.strerror or exc}",
                              field=option.lstrip("-"), value=str(target)) from exc


class _Tick:
    """One chunk done; ``set_total`` is called by the engine once it has chosen the chunks."""

    def __init__(self, bar: Any, task: Any, runs: int) -> None:
        self.bar, self.task, self.runs = bar, task, runs

    def set_total(self, chunks: int) -> None:
        self.bar.update(self.task, total=chunks * self.runs)

    def __call__(self) -> None:
        self.bar.advance(self.task)


@contextlib.contextmanager
def _progress(runs: int, label: str) -> Iterator[Callable[[], None] | None]:
    """A rich progress bar of finished chunks on a terminal (``runs`` runs of the same
    chunking); nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TimeElapsedColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  "{task.completed}/{task.total}", TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield _Tick(bar, task, runs)


def _main(args: argparse.Namespace) -> int:
    from jxc_rules.simulate.compare import compare, run_headline
    from jxc_rules.simulate.executors import chunk_sizes, make_executor
    from jxc_rules.simulate.report import html_report, print_tables
    from jxc_rules.simulate.runner import SimulationResult, load_rules, run_many
    from jxc_rules.simulate.scenario import load_scenario
    from jxc_rules.simulate.sweep import parse_sweep, sweep

    json_target = _check_output(args.json, "--json")
    report_target = _check_output(args.report, "--report")
    history_target = _check_output(args.export_history, "--export-history")
    scenario = load_scenario(args.scenario, horizon=_horizon(args.horizon))
    materiality = _materiality(args.materiality)
    baseline = args.rules or scenario.rules.get("baseline")
    candidate = args.compare
    if candidate is None and args.rules is None:
        candidate = scenario.rules.get("candidate")
    packs = [load_rules(baseline)] + ([load_rules(candidate)] if candidate else [])
    chunk = args.chunk_trials  # None: the engine chooses (within its memory budget)
    kind = args.executor or ("processes" if (args.workers or 1) > 1 else "serial")
    if args.scheduler and args.executor in (None, "dask"):
        kind = "dask"
    sweep_axes = [parse_sweep(text) for text in args.sweep]
    cells_per_trial = max(1, len(scenario.items) * max(1, len(scenario.locations))
                          * scenario.days)
    n_points = math.prod(len(vs) for _, vs in sweep_axes) if sweep_axes else 0
    if n_points > 2_000:
        from jxc_rules.errors import ValidationError

        raise ValidationError(f"the sweep grid has {n_points} points; at most 2000 (fewer "
                              "values per --sweep)", field="sweep", value=n_points)
    runs = len(packs) * (1 + n_points)
    if chunk is not None:
        chunk_sizes(1, chunk)  # the chunk size's own check, before any size arithmetic
    _check_size(args.trials, chunk if chunk is not None else 1, cells_per_trial, runs,
                args.max_work)

    results: list[SimulationResult]
    comparison = None
    swept = None
    with make_executor(kind, args.workers, scheduler=args.scheduler) as executor:
        with _progress(1, scenario.name) as tick:
            if len(packs) == 2:
                comparison = compare(scenario, packs[0], packs[1], trials=args.trials,
                                     seed=args.seed, executor=executor, chunk_trials=chunk,
                                     progress=tick, materiality=materiality,
                                     memory_mb=args.memory_mb)
                results = [comparison.baseline, comparison.candidate]
            else:
                results = run_many(scenario, packs, trials=args.trials, seed=args.seed,
                                   executor=executor, chunk_trials=chunk, progress=tick,
                                   memory_mb=args.memory_mb)
        if sweep_axes:
            title = " × ".join(p for p, _ in sweep_axes)
            with _progress(n_points, f"sweep {title}") as tick:
                swept = sweep(scenario, sweep_axes, rules=packs, trials=args.trials,
                              seed=args.seed, executor=executor, chunk_trials=chunk,
                              progress=tick, memory_mb=args.memory_mb)

    if args.json != "-":
        print_tables(results, comparison, swept, lang=args.lang,
                     notes=tuple(getattr(scenario, "calendar_notes", ())), detail=args.detail)
    if args.json:
        payload: dict[str, Any] = {
            "scenario": scenario.name,
            "horizon": [scenario.start.isoformat(), scenario.end.isoformat()],
            "results": [r.to_mapping() for r in results],
        }
        payload["headline"] = (comparison.headline(args.lang) if comparison is not None
                               else run_headline(results[0], args.lang))
        notes = getattr(scenario, "calendar_notes", ())
        if notes:
            payload["notes"] = list(notes)
        if comparison is not None:
            payload["compare"] = {k: v.to_mapping() for k, v in comparison.differences.items()}
        if swept is not None:
            payload["sweep"] = swept.to_mapping()
        text = json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False,
                          default=_jsonable)
        if json_target is None:
            print(text)
        else:
            _write_atomically(json_target, text + "\n", "--json")
    if history_target is not None:
        from jxc_rules.simulate.history import export_history, history_csv

        history = export_history(scenario, rules=packs[0], seed=args.seed,
                                 trial=args.history_trial)
        _write_atomically(history_target, history_csv(history), "--export-history")
        print(f"history of trial {args.history_trial} (seed {args.seed}, "
              f"{len(history.dates)} days) written to {history_target}", file=sys.stderr)
    if report_target is not None:
        meta = {"horizon": f"{scenario.start} – {scenario.end}"}
        _write_atomically(report_target, html_report(
            results, comparison, swept, lang=args.lang, meta=meta,
            notes=tuple(getattr(scenario, "calendar_notes", ()))), "--report")
    return 0


def _horizon(text: str | None) -> tuple[dt.date, dt.date] | None:
    """``--horizon 2025-01-01:2026-12-31`` → the two dates (ValidationError naming the fix)."""
    if text is None:
        return None
    from jxc_rules.errors import ValidationError

    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        start, end = (dt.date.fromisoformat(p.strip()) for p in parts)
    except ValueError:
        raise ValidationError(f"--horizon must be START:END as YYYY-MM-DD:YYYY-MM-DD, got "
                              f"{text!r}", field="horizon", value=text) from None
    return start, end


def _materiality(specs: list[str]) -> dict[str, float]:
    """``["stockout_rate=0.002", ...]`` → checked overrides (ValidationError naming the KPI)."""
    from jxc_rules.errors import ValidationError
    from jxc_rules.simulate.kpis import materiality_overrides

    raw: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name.strip():
            raise ValidationError(f"--materiality must be KPI=VALUE, got {spec!r}",
                                  field="materiality", value=spec)
        raw[name.strip()] = value.strip()
    return materiality_overrides(raw)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
