"""``jxc-rules validate PACK...`` and ``jxc-rules diff OLD NEW``: thin — parse, call, print.

``validate`` checks every pack given (a file, or a directory checked as a set of versions) and
prints every problem, one per line, each starting ``file:line:column``; exit status 0 when all
are valid, 1 otherwise. ``diff`` prints what a new version changes as a table (or ``--json``);
``--threshold`` sets the relative change above which a change is marked for review, and
``--fail-on-review`` turns such changes into exit status 1 (for CI on the packs' repository).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jxc_rules.errors import RulePackError

if TYPE_CHECKING:
    from jxc_rules.rules.diff import Change

__all__ = ["format_changes", "register"]


def _validate(args: argparse.Namespace) -> int:
    from jxc_rules.rules.load import load_pack, load_packs  # loaded by the command, not --help

    problems: list[RulePackError] = []
    ok: list[str] = []
    for target in args.packs:
        path = Path(target)
        try:
            if path.is_dir():
                packs = load_packs(path)
                ok.extend(f"{p.origin}: {p.industry} {p.version} ({p.scope})" for p in packs)
            else:
                pack = load_pack(target)  # a file, or a bundled name (hotpot@2026.11)
                ok.append(f"{path}: {pack.industry} {pack.version} ({pack.scope})")
        except RulePackError as exc:
            problems.extend(exc.errors)
    out = sys.stdout
    if not args.quiet:
        for line in ok:
            print(f"ok    {line}", file=out)
    for err in problems:
        print(str(err), file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    return 0


def _cell(value: Any, width: int = 30) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def format_changes(changes: list[Change], threshold: float = 0.15) -> str:
    """A readable fixed-width table of ``changes`` (``!`` marks a change for review)."""
    if not changes:
        return "no changes"
    rows = [("", "field", "old", "new", "change")]
    for c in changes:
        rel = f"{c.relative:+.1%}" if c.relative is not None else c.kind
        rows.append(("!" if c.review else "", c.path, _cell(c.old), _cell(c.new), rel))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    flagged = sum(c.review for c in changes)
    lines.append("")
    lines.append(f"{len(changes)} change(s), {flagged} marked for review (!: above "
                 f"{threshold:.0%} relative change, or not a number)")
    return "\n".join(lines)


def _diff(args: argparse.Namespace) -> int:
    from jxc_rules.rules.diff import diff
    from jxc_rules.rules.load import load_pack

    old = load_pack(args.old)
    new = load_pack(args.new)
    cross = old.industry != new.industry
    if cross and not args.cross_industry:
        print(f"jxc-rules: error: {args.old} is a {old.industry!r} pack and {args.new} a "
              f"{new.industry!r} pack; a diff compares two versions of one industry. "
              "Pass --cross-industry to compare them anyway.", file=sys.stderr)
        return 1
    changes = diff(old, new, threshold=args.threshold, include_metadata=args.metadata,
                   cross_industry=cross)
    if args.json:
        payload = {
            "old": {"file": str(args.old), "industry": old.industry, "version": old.version},
            "new": {"file": str(args.new), "industry": new.industry, "version": new.version},
            "threshold": args.threshold,
            "cross_industry": cross,
            "changes": [c.to_mapping() for c in changes],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(f"{old.industry} {old.version} ({args.old}) → {new.industry} {new.version} "
              f"({args.new})")
        if cross:
            print(f"note: different industries ({old.industry} → {new.industry}): the changes "
                  "below are differences between two trades, not a version's edits")
        print(format_changes(changes, args.threshold))
    if args.fail_on_review and any(c.review for c in changes):
        return 1
    return 0


def _threshold(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def register(subparsers: Any) -> None:
    """Add ``validate`` and ``diff`` to the ``jxc-rules`` command line."""
    validate = subparsers.add_parser(
        "validate", help="check rule packs; print every problem with file:line",
        description="Check rule packs (files, or directories of versions). Prints every "
                    "problem as file:line:column: message. Exit status 0 if all are valid.")
    validate.add_argument("packs", nargs="+", metavar="PACK",
                          help="pack file, directory, or bundled name (hotpot, hotpot@2026.11)")
    validate.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    validate.set_defaults(func=_validate)

    d = subparsers.add_parser(
        "diff", help="what a new pack version changes, field by field",
        description="Compare two rule packs field by field; changes above the threshold are "
                    "marked for review.")
    d.add_argument("old", metavar="OLD", help="pack file or bundled name (hotpot@2026.10)")
    d.add_argument("new", metavar="NEW", help="pack file or bundled name (hotpot@2026.11)")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.add_argument("--threshold", type=_threshold, default=0.15,
                   help="relative change marked for review (0.15 or 15%%; default 15%%)")
    d.add_argument("--metadata", action="store_true",
                   help="include version, dates, approvals and changelog")
    d.add_argument("--cross-industry", action="store_true",
                   help="allow OLD and NEW to be packs of different industries")
    d.add_argument("--fail-on-review", action="store_true",
                   help="exit 1 when a change is marked for review")
    d.set_defaults(func=_diff)
