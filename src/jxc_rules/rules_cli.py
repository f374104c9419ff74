"""``jxc-rules validate PACK|SCENARIO...`` and ``jxc-rules diff OLD NEW``: parse, call, print.

``validate`` checks every pack or scenario given (a file, a bundled name, or a directory checked
as a set of pack versions) and prints every problem, one per line, each starting
``file:line:column``; exit status 0 when all are valid, 1 otherwise. A *scenario* file (one with a
top-level ``horizon:`` and no ``industry:``, or a bundled scenario name) is checked as a scenario
— with the packs its ``rules:`` name — not as a pack, and what its calendar does not know (make-up
workdays not published for a year) is printed as a ``note:`` line. ``diff`` prints what a new
version changes as a table (or ``--json``); multipliers are judged by their effect (m − 1) and
profile days are counted from 1; ``--threshold`` sets the relative change above which a change is
marked for review, and ``--fail-on-review`` turns such changes into exit status 1 (for CI on the
packs' repository). ``--lang zh`` prints the framing in Chinese (the problems themselves are the
library's messages, in English).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jxc_rules.errors import RulePackError

if TYPE_CHECKING:
    from jxc_rules.rules.diff import Change

__all__ = ["format_changes", "is_scenario_file", "register"]

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "ok": "ok   ",
        "note": "note:",
        "problems": "{n} problem(s) found",
        "scenario": "scenario {name}, {start}..{end} ({days} days){rules}",
        "rules": "; rules {rules}",
        "no changes": "no changes",
        "field": "field",
        "old": "old",
        "new": "new",
        "change": "change",
        "effect": " (effect)",
        "summary": "{n} change(s), {k} marked for review (!: above {t} relative change, or not a "
                   "number; a multiplier is judged by its effect m − 1: 1.50 → 1.70 is +40 %)",
        "cross": "{old} is a {a!r} pack and {new} a {b!r} pack; a diff compares two versions of "
                 "one industry. Pass --cross-industry to compare them anyway.",
        "cross note": "note: different industries ({a} → {b}): the changes below are "
                      "differences between two trades, not a version's edits",
        "error": "jxc-rules: error:",
    },
    "zh": {
        "ok": "通过 ",
        "note": "提示：",
        "problems": "发现 {n} 个问题",
        "scenario": "情景 {name}，{start}..{end}（{days} 天）{rules}",
        "rules": "；规则包 {rules}",
        "no changes": "无变更",
        "field": "字段",
        "old": "原值",
        "new": "新值",
        "change": "变化",
        "effect": "（效应）",
        "summary": "共 {n} 处变更，{k} 处需复核（!：相对变化超过 {t}，或非数值变更；"
                   "倍数按效应 m − 1 判断：1.50 → 1.70 即 +40 %）",
        "cross": "{old} 是 {a!r} 行业的规则包，{new} 是 {b!r} 行业的；diff 比较同一行业的两个版本。"
                 "确需比较请加 --cross-industry。",
        "cross note": "提示：行业不同（{a} → {b}）：以下差异是两个行业之间的差别，不是版本修改",
        "error": "jxc-rules：错误：",
    },
}


def _t(lang: str, key: str, **kw: Any) -> str:
    return _TEXT.get(lang, _TEXT["en"])[key].format(**kw)


_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:", re.MULTILINE)


def is_scenario_file(target: str) -> bool:
    """Whether ``target`` names a simulator scenario rather than a rule pack: a bundled
    scenario name, or a YAML file with a top-level ``horizon:`` key and no ``industry:`` key.

    Read as text (not parsed), so a scenario with a YAML mistake is still recognised and its
    problems are reported as a scenario's.
    """
    from jxc_rules._internal.bundled import as_name, scenario_names

    named = as_name(target)
    if named is not None:
        return named[1] is None and named[0] in scenario_names()
    path = Path(target)
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(1 << 20)
    except (OSError, ValueError):
        return False
    keys = set(_TOP_KEY.findall(head))
    return "horizon" in keys and "industry" not in keys


def _validate_scenario(target: str, lang: str) -> tuple[list[str], list[RulePackError],
                                                         list[str]]:
    from jxc_rules.rules.load import check_pack
    from jxc_rules.simulate.scenario import load_scenario

    sc = load_scenario(target)
    problems: list[RulePackError] = []
    names: list[str] = []
    for role, ref in sc.rules.items():
        try:
            pack, implausible = check_pack(ref)
            problems.extend(implausible)
            names.append(f"{role}={pack.industry} {pack.version}")
        except RulePackError as exc:
            problems.extend(exc.errors)
    rules = _t(lang, "rules", rules=", ".join(names)) if names else ""
    ok = [f"{target}: " + _t(lang, "scenario", name=sc.name, start=sc.start, end=sc.end,
                             days=sc.days, rules=rules)]
    notes = [f"{target}: {note}" for note in sc.calendar_notes]
    return ([] if problems else ok), problems, notes


def _validate(args: argparse.Namespace) -> int:
    from jxc_rules.rules.load import check_pack, load_packs  # loaded by the command, not --help

    lang = args.lang
    problems: list[RulePackError] = []
    ok: list[str] = []
    notes: list[str] = []
    for target in args.packs:
        path = Path(target)
        try:
            scenarios = sorted(f for f in path.glob("*.y*ml") if is_scenario_file(str(f))
                               ) if path.is_dir() else []
            if scenarios:  # a folder of scenarios: each checked as one (packs are not mixed in)
                for f in scenarios:
                    try:
                        good, bad, said = _validate_scenario(str(f), lang)
                    except RulePackError as exc:
                        problems.extend(exc.errors)
                        continue
                    ok.extend(good)
                    problems.extend(bad)
                    notes.extend(said)
            elif path.is_dir():
                packs = load_packs(path)
                for p in packs:
                    implausible = check_pack(p.origin)[1] if p.origin else []
                    problems.extend(implausible)
                    if not implausible:
                        ok.append(f"{p.origin}: {p.industry} {p.version} ({p.scope})")
            elif is_scenario_file(target):
                good, bad, said = _validate_scenario(target, lang)
                ok.extend(good)
                problems.extend(bad)
                notes.extend(said)
            else:
                pack, implausible = check_pack(target)  # a file, or a bundled name
                problems.extend(implausible)
                if not implausible:
                    ok.append(f"{path}: {pack.industry} {pack.version} ({pack.scope})")
        except RulePackError as exc:  # a ScenarioError is one too
            problems.extend(exc.errors)
    out = sys.stdout
    if not args.quiet:
        for line in ok:
            print(f"{_t(lang, 'ok')} {line}", file=out)
    for line in notes:
        print(f"{_t(lang, 'note')} {line}", file=out)
    for err in problems:
        print(str(err), file=sys.stderr)
    if problems:
        print(_t(lang, "problems", n=len(problems)), file=sys.stderr)
        return 1
    return 0


def _cell(value: Any, width: int = 30) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


_ZH_DAYS = ((re.compile(r"\.during day (\d+)$"), r".假期第\1天"),
            (re.compile(r"\.day (\d+) after$"), r".节后第\1天"),
            (re.compile(r"\.(\d+) days? before$"), r".节前第\1天"))


def _label(change: Change, lang: str) -> str:
    label = change.label or change.path
    if lang == "zh":
        for pattern, repl in _ZH_DAYS:
            label = pattern.sub(repl, label)
    return label


def format_changes(changes: list[Change], threshold: float = 0.15, *, lang: str = "en") -> str:
    """A readable fixed-width table of ``changes`` (``!`` marks a change for review); profile
    days counted from 1, a multiplier's change shown as the change of its effect."""
    if not changes:
        return _t(lang, "no changes")
    rows = [("", _t(lang, "field"), _t(lang, "old"), _t(lang, "new"), _t(lang, "change"))]
    for c in changes:
        if c.relative is not None:
            rel = f"{c.relative:+.1%}" + (_t(lang, "effect") if c.basis == "effect" else "")
        else:
            rel = c.kind
        rows.append(("!" if c.review else "", _label(c, lang), _cell(c.old), _cell(c.new), rel))
    widths = [max(_width(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    flagged = sum(c.review for c in changes)
    lines.append("")
    lines.append(_t(lang, "summary", n=len(changes), k=flagged, t=f"{threshold:.0%}"))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _diff(args: argparse.Namespace) -> int:
    from jxc_rules.rules.diff import diff
    from jxc_rules.rules.load import load_pack

    lang = args.lang
    old = load_pack(args.old)
    new = load_pack(args.new)
    cross = old.industry != new.industry
    if cross and not args.cross_industry:
        print(f"{_t(lang, 'error')} " + _t(lang, "cross", old=args.old, new=args.new,
                                            a=old.industry, b=new.industry), file=sys.stderr)
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
            print(_t(lang, "cross note", a=old.industry, b=new.industry))
        print(format_changes(changes, args.threshold, lang=lang))
    if args.fail_on_review and any(c.review for c in changes):
        return 1
    return 0


def _threshold(text: str) -> float:
    try:
        value = float(text.rstrip("%").strip()) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def register(subparsers: Any) -> None:
    """Add ``validate`` and ``diff`` to the ``jxc-rules`` command line."""
    validate = subparsers.add_parser(
        "validate", help="check rule packs and scenarios; print every problem with file:line",
        description="Check rule packs (files, or directories of versions) and simulator "
                    "scenarios (a file with horizon:, or a bundled scenario name; checked with "
                    "the packs its rules: name). Prints every problem as file:line:column: "
                    "message. Exit status 0 if all are valid.")
    validate.add_argument("packs", nargs="+", metavar="PACK|SCENARIO",
                          help="pack file, directory, bundled name (hotpot, hotpot@2026.11), "
                               "scenario file or bundled scenario (hotpot-spring-festival-2027)")
    validate.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    validate.add_argument("--lang", choices=("en", "zh"), default="en",
                          help="language of the output (default en; zh: 中文)")
    validate.set_defaults(func=_validate)

    d = subparsers.add_parser(
        "diff", help="what a new pack version changes, field by field",
        description="Compare two rule packs field by field; changes above the threshold are "
                    "marked for review. A multiplier (holiday day, weather factor) is judged by "
                    "its effect m − 1 (1.50 → 1.70 is a 40 %% larger uplift); holiday days are "
                    "counted from 1.")
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
    d.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="language of the output (default en; zh: 中文)")
    d.set_defaults(func=_diff)
