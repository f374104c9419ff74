"""``jxc-rules calibrate`` and ``jxc-rules backtest``: thin — parse, call, print.

Outside :mod:`jxc_rules.calibrate` so that ``jxc-rules --help`` imports neither statsmodels nor
pandas; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["register"]

_TEXT = {
    "en": {
        "fitted": "Fitted from {file} ({start} .. {end}, {days} days, {rows} item-days, "
                  "{cut} sold out)",
        "head": ("field", "now", "estimate", "95 % interval", "n", "action"),
        "changed": "change", "confirmed": "keep", "not_fitted": "Not fitted",
        "censored": "Censoring: {cut} item-days sold out. Read as exact (the naive fit), "
                    "{path} would be {naive:.2f} instead of {value:.2f} ({rel:+.0%}).",
        "diff": "Proposal {base} → {new}: what `jxc-rules diff` will show",
        "written": "written to {path}; check it: jxc-rules validate {path}",
        "not_written": "no -o FILE given: nothing written (the proposal above is not saved)",
        "nothing": "the data contradict none of the pack's values: no change proposed",
        "bt_head": ("factor", "month", "days", "MAPE", "bias", "verdict"),
        "verdicts": {"retire_or_recalibrate": "RETIRE OR RECALIBRATE", "watch": "watch",
                     "ok": "ok", "not_active": "not active"},
        "bt_title": "Backtest of {pack} on {month} (rule: error > {thr:.0%} two periods "
                    "running, error = {metric})",
        "bt_flag": "Named for retirement or recalibration: {names}",
        "bt_none": "No factor is over the threshold two periods running.",
    },
    "zh": {
        "fitted": "拟合数据 {file}（{start} 至 {end}，{days} 天，{rows} 个品项日，{cut} 个售罄）",
        "head": ("字段", "现值", "估计", "95% 区间", "n", "处理"),
        "changed": "修改", "confirmed": "保留", "not_fitted": "未拟合",
        "censored": "删失：{cut} 个品项日售罄。若当作真实需求（朴素拟合），{path} 会是 {naive:.2f}"
                    "而不是 {value:.2f}（{rel:+.0%}）。",
        "diff": "提案 {base} → {new}：`jxc-rules diff` 将显示的变化",
        "written": "已写入 {path}；请检查：jxc-rules validate {path}",
        "not_written": "未给出 -o 文件：未写入（上面的提案未保存）",
        "nothing": "数据与规则包的数值无矛盾：不建议修改",
        "bt_head": ("因子", "月份", "天数", "MAPE", "偏差", "结论"),
        "verdicts": {"retire_or_recalibrate": "停用或重新校准", "watch": "观察", "ok": "正常",
                     "not_active": "未出现"},
        "bt_title": "{pack} 在 {month} 的回测（规则：误差连续两期 > {thr:.0%}，误差 = {metric}）",
        "bt_flag": "建议停用或重新校准：{names}",
        "bt_none": "没有因子连续两期超过阈值。",
    },
}


def _t(lang: str, key: str) -> Any:
    return _TEXT[lang][key]


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    from jxc_rules.rules_cli import _pad, _width

    widths = [max(_width(h), *(_width(r[k]) for r in rows)) if rows else _width(h)
              for k, h in enumerate(head)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(head, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return "\n".join(lines)


def _short(path: str, pack: Any = None) -> str:
    """A pack path with profile days counted as people count them (``1 day before``)."""
    from jxc_rules.rules.diff import day_label

    parts = path.split(".")
    before = None
    if pack is not None and len(parts) == 4 and parts[0] == "holidays" \
            and parts[3].startswith("before[") and parts[1] in pack.holidays:
        before = len(pack.holidays[parts[1]].profile(parts[2]).before)
    return day_label(path, before)


def _num(value: float) -> str:
    """2 places for multipliers, 3 significant figures for small rates (as a pack writes)."""
    return f"{value:.2f}" if value == 0 or abs(value) >= 0.1 else f"{value:.3g}"


def _load_pack(text: str) -> Any:
    from jxc_rules.rules import load_pack

    return load_pack(text)


def _calibrate(args: argparse.Namespace) -> int:
    from jxc_rules.calibrate import calibrate
    from jxc_rules.errors import ValidationError
    from jxc_rules.rules_cli import format_changes
    from jxc_rules.simulate_cli import _check_output

    lang = args.lang
    json_target = _check_output(args.json, "--json")      # checked before the fit runs
    out = _check_output(args.output, "--output")
    if out is not None and out.exists():
        raise ValidationError(f"-o {args.output!r} exists: a proposal never overwrites a "
                              "pack; give a new file name (e.g. the new version)",
                              field="output", value=args.output)
    pack = _load_pack(args.pack)
    result = calibrate(pack, args.sales, weather=args.weather, accept_all=args.accept_all,
                       version=args.version, wastage=args.wastage, fish=args.fish,
                       shelf_life=args.shelf_life)
    proposal = result.proposal
    sales = result.sales
    cut = int(sales.stockout.sum() * len(sales.channels))
    print(_t(lang, "fitted").format(file=args.sales, start=sales.dates[0], end=sales.dates[-1],
                                    days=sales.days,
                                    rows=int(sales.present.sum()) * sales.days, cut=cut))
    changed = {e.path for e in proposal.changed}
    rows = []
    for est in result.estimates:
        now = "—" if est.current is None else f"{est.current:g}"
        action = _t(lang, "changed") if est.path in changed else _t(lang, "confirmed")
        rows.append((_short(est.path, pack), now, _num(est.value),
                     f"{_num(est.low)} – {_num(est.high)}", str(est.n), action))
    print(_table(_t(lang, "head"), rows))
    seen: dict[str, None] = {}
    for est in result.estimates:          # data sufficiency, one line per kind of evidence
        note = est.note_zh if lang == "zh" else est.note_en
        if note and est.path.split(".")[0] in ("holidays", "weather"):
            key = est.path.split(".")[1]
            seen.setdefault(f"{key}: {note}", None)
    if seen:
        print()
        for line in seen:
            print(f"  {line}")
    if proposal.refusals:
        print(f"\n{_t(lang, 'not_fitted')}:")
        for r in proposal.refusals:
            print(f"  - {r.what}: {r.reason_zh if lang == 'zh' else r.reason_en}")
    worst = result.censoring_effect()
    if worst is not None:
        path, naive, value = worst
        print("\n" + _t(lang, "censored").format(cut=cut, path=_short(path, pack), naive=naive,
                                                  value=value, rel=naive / value - 1))
    print()
    if proposal.changes:
        print(_t(lang, "diff").format(base=f"{pack.industry} {pack.version}",
                                      new=proposal.pack.version))
        print(format_changes(list(proposal.changes), lang=lang))
    else:
        print(_t(lang, "nothing"))
    if args.json:
        from jxc_rules import jsonable

        _emit(json.dumps(jsonable(result.to_mapping()), ensure_ascii=False, indent=2),
              json_target, "--json")
    if out is not None:
        proposal.write(out)
        print("\n" + _t(lang, "written").format(path=out))
    else:
        print("\n" + _t(lang, "not_written"), file=sys.stderr)
    return 0


def _emit(text: str, target: Path | None, option: str) -> None:
    """JSON to stdout (``-``) or written atomically to the checked ``target``."""
    if target is None:
        print(text)
        return
    from jxc_rules.simulate_cli import _write_atomically

    _write_atomically(target, text + "\n", option)


def _backtest(args: argparse.Namespace) -> int:
    from jxc_rules.calibrate.backtest import backtest
    from jxc_rules.calibrate.sales import read_sales
    from jxc_rules.simulate_cli import _check_output

    lang = args.lang
    json_target = _check_output(args.json, "--json")
    report_target = _check_output(args.report, "--report")
    pack = _load_pack(args.pack)
    sales = read_sales(args.sales, pack, weather=args.weather)
    log = None
    if args.wastage:
        from jxc_rules.calibrate.logs import read_wastage_log

        log = read_wastage_log(args.wastage, pack)
    result = backtest(pack, sales, args.month, threshold=args.threshold, metric=args.metric,
                      wastage=log)
    words = _t(lang, "verdicts")
    print(_t(lang, "bt_title").format(pack=result.pack, month=result.month, thr=result.threshold,
                                      metric="|bias|" if result.metric == "bias" else "MAPE"))
    rows = []
    for factor, verdict in result.verdicts.items():
        history = [e for e in result.errors.get(factor, ()) if e.month <= result.month][-2:]
        if not history:
            rows.append((factor, "—", "0", "—", "—", words[verdict]))
        for k, e in enumerate(history):
            rows.append((factor if k == 0 else "", e.month, str(e.days),
                         "—" if e.mape is None else f"{e.mape:.1%}",
                         "—" if e.bias is None else f"{e.bias:+.1%}",
                         words[verdict] if k == len(history) - 1 else ""))
    print(_table(_t(lang, "bt_head"), rows))
    for note in result.notes:
        print(f"note: {note}")
    print()
    print(_t(lang, "bt_flag").format(names=", ".join(result.flagged)) if result.flagged
          else _t(lang, "bt_none"))
    if args.json:
        _emit(json.dumps(result.to_mapping(), ensure_ascii=False, indent=2), json_target,
              "--json")
    if report_target is not None:
        from jxc_rules.calibrate.report import backtest_html
        from jxc_rules.simulate_cli import _write_atomically

        _write_atomically(report_target, backtest_html(result, lang=lang), "--report")
    return 0


def register(sub: Any) -> None:
    """Add ``calibrate`` and ``backtest`` to the ``jxc-rules`` subparsers."""
    p = sub.add_parser(
        "calibrate", help="propose a new pack version from the store's own sales",
        description="Fit the pack's holiday profiles, weather multipliers and takeaway shift "
                    "from daily sales (a censored negative-binomial regression; days that sold "
                    "out are censored), plus channel loss, transit shrink and shelf life from "
                    "their logs. Values whose 95 %% interval includes the current one are kept "
                    "(--accept-all takes every estimate). Writes a new version with -o; never "
                    "overwrites. File formats: docs/calibrate.md.")
    p.add_argument("pack", help="the current pack: a file or a bundled name (hotpot@2026.10)")
    p.add_argument("--sales", required=True, metavar="FILE",
                   help="daily sales (CSV or .xlsx): date,[location,]item,channel,quantity"
                        "[,stockout][,weather]")
    p.add_argument("--weather", metavar="FILE", help="date[,location],weather per day")
    p.add_argument("--wastage", metavar="FILE", help="wastage log (channel loss by cause)")
    p.add_argument("--fish", metavar="FILE", help="live-fish receipts (transit shrink, Q10)")
    p.add_argument("--shelf-life", metavar="FILE", help="shelf-life observations")
    p.add_argument("-o", "--output", metavar="NEW.yaml", help="write the proposed version here")
    p.add_argument("--version", help="the new version (default: <current>.1)")
    p.add_argument("--accept-all", action="store_true",
                   help="take every estimate, also where the interval includes the current value")
    p.add_argument("--json", metavar="FILE", help="estimates, refusals and the diff as JSON")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.set_defaults(func=_calibrate)

    b = sub.add_parser(
        "backtest", help="forecast error of a pack's assumptions on an actual month",
        description="Per factor (holidays, weather, weekday base, channel loss with "
                    "--wastage): MAPE and bias of the pack's "
                    "forecast on the month's actual sales; a factor over the threshold two "
                    "periods running is named for retirement or recalibration.")
    b.add_argument("pack", help="the pack: a file or a bundled name")
    b.add_argument("--sales", required=True, metavar="FILE",
                   help="daily sales covering the month and the weeks before it")
    b.add_argument("--month", required=True, metavar="YYYY-MM")
    b.add_argument("--weather", metavar="FILE", help="date[,location],weather per day")
    b.add_argument("--wastage", metavar="FILE",
                   help="wastage log (stock counts): also backtest the channel-loss rates")
    b.add_argument("--threshold", type=float, default=0.15,
                   help="error that counts as forecasting badly (0.15 = 15 %%)")
    b.add_argument("--metric", choices=("bias", "mape"), default="bias",
                   help="the rule's error: |bias| (default) or MAPE")
    b.add_argument("--json", metavar="FILE")
    b.add_argument("--report", metavar="FILE.html", help="a report with one chart per factor")
    b.add_argument("--lang", choices=("en", "zh"), default="en")
    b.set_defaults(func=_backtest)
