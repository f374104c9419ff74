"""``jxc-rules`` command line: thin — parse, call the library, print.

Each command family registers its own subparsers: ``demo`` here, ``validate`` / ``diff`` in
:mod:`jxc_rules.rules_cli`, ``simulate`` in :mod:`jxc_rules.simulate_cli` — outside their
packages, so that ``--help`` loads neither (no numpy, no pint).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def _demo(_args: argparse.Namespace) -> int:
    from jxc_rules.demo import run_demo

    run_demo()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jxc-rules",
        description="Vertical-industry inventory rules and the rule simulator.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="print worked examples of the kernels")
    demo.set_defaults(func=_demo)
    # --- register: rules (validate, diff) ---
    from jxc_rules.rules_cli import register as register_rules

    register_rules(sub)
    # --- register: simulate ---
    from jxc_rules.simulate_cli import register as register_simulate

    register_simulate(sub)
    # --- register: service (serve, token) ---
    from jxc_rules.service_cli import register as register_service

    register_service(sub)
    # --- register: calibrate, backtest ---
    from jxc_rules.calibrate_cli import register as register_calibrate

    register_calibrate(sub)
    # --- register: studio ---
    from jxc_rules.studio_cli import register as register_studio

    register_studio(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jxc-rules`` script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from jxc_rules.errors import JxcRulesError

    try:
        code: int = args.func(args)
    except JxcRulesError as exc:
        print(f"jxc-rules: error: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
