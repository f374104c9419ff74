"""Defects the fuzz harness found and nobody has fixed yet (issue #21).

Each entry is one defect: the fuzz target that meets it, a one-line reason, a one-line Python
reproducer (evaluated by ``test_fuzz_defects.py`` under the contract, marked
``xfail(strict=True)``), and the exception it raises today (type and a message pattern). While
an entry is here, the fuzz targets count inputs that hit it on a ``defect:<id>`` log row instead
of failing, so CI stays green and the defect stays recorded.

When a fix lands, its reproducer passes, the strict xfail turns into a failure, and the entry
is deleted — which also makes the fuzz targets fail again on any input still hitting it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[2]
ComplexWarning = getattr(getattr(np, "exceptions", np), "ComplexWarning", Warning)


class ChildFailed(Exception):
    """A reproducer run in a memory-capped child process failed (see :func:`capped`)."""

__all__ = ["DEFECTS", "Defect", "known_defect"]


@dataclass(frozen=True)
class Defect:
    """``target``: the fuzz target(s) meeting it (a regular expression, matched in full);
    ``raises`` / ``match``: what it raises today; ``silent``: it raises nothing but returns a
    wrong answer where a ``JxcRulesError`` belongs (the fuzz targets cannot see those — the
    reproducer holds them); ``pending``: a defect another change is fixing right now (its
    xfail is not strict, so that change does not turn CI red; delete the entry with it)."""

    id: str
    target: str
    reason: str
    reproducer: str
    raises: tuple[type[BaseException], ...] = ()
    match: str = ""
    silent: bool = False
    pending: bool = False


_ALL = r".*"
_LOADERS = r"rules\.load_pack|rules\.loads_pack|simulate\.load_scenario|cli\.main"
_PACKS = _LOADERS + r"|rules\.pack_from_mapping|rules\.loads_pack\(dump_pack\)"
"""Targets that read rule packs (whose numbers reach the kernels' converters)."""

DEFECTS: list[Defect] = [
    # ---------------------------------------------------------------- live weight
    # ---------------------------------------------------------------- shelf life
    # ---------------------------------------------------------------- wastage
    # ---------------------------------------------------------------- reservation (SQLite)
]


def known_defect(target: str, exc: BaseException) -> Defect | None:
    """The recorded defect of ``target`` that ``exc`` is an instance of, if any."""
    for defect in DEFECTS:
        if (not defect.silent and re.fullmatch(defect.target, target)
                and isinstance(exc, defect.raises)
                and re.search(defect.match, str(exc))):
            return defect
    return None


BASE_SCENARIO = """name: fuzz
horizon: {start: 2026-03-02, end: 2026-03-08}
channels: [dine_in]
items:
  rice: {unit: kg, cost_per_unit: 4, price_per_unit: 10, initial_stock: 12,
         demand: {dine_in: 10}}
distribution: poisson
"""
"""A small valid scenario; reproducers edit its ``dine_in: 10`` or append to it."""

CAP_MB = 1024


def capped(expression: str, *, timeout: float = 120) -> str:
    """Evaluate a reproducer in a child process whose address space is capped at ``CAP_MB``
    (so a runaway allocation fails there, not here). Returns what the child printed when it
    returned or raised a JxcRulesError; raises :class:`ChildFailed` otherwise."""
    code = (
        "import os, resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({CAP_MB << 20}, {CAP_MB << 20}))\n"
        f"sys.path.insert(0, {str(_ROOT)!r})\n"
        "from jxc_rules.errors import JxcRulesError\n"
        "from tests.fuzz._defects import namespace\n"
        "try:\n"
        f"    print('ok', repr(eval({expression!r}, namespace()))[:200])\n"
        "except JxcRulesError as exc:\n"
        "    print('refused', exc)\n"
        "except BaseException as exc:\n"
        "    print(type(exc).__name__, str(exc)[:200])\n"
        "    sys.exit(3)\n"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise ChildFailed(f"timeout after {timeout} s: {expression}") from None
    out = proc.stdout.strip() or proc.stderr.strip()[-300:]
    if proc.returncode < 0:
        raise ChildFailed(f"killed by signal {-proc.returncode}: {expression}")
    if proc.returncode != 0:
        raise ChildFailed(out)
    return out


def namespace() -> dict[str, object]:
    """What the reproducers may name (each one line, no imports of its own)."""
    import math
    from decimal import Decimal
    from fractions import Fraction

    import numpy as np

    import jxc_rules as jr
    from jxc_rules import (
        bom,
        closing,
        live_weight,
        money,
        packaging,
        reservation,
        rounding,
        rules,
        shelf_life,
        simulate,
        units,
        wastage,
    )
    from jxc_rules.serialize import jsonable
    from tests.fuzz._targets import workspace

    ws = workspace()

    def pack_file(text: str) -> object:
        """load_pack on a file of ``text`` inside the workspace's pack tree."""
        ws.pack_file.write_text(text, encoding="utf-8")
        return rules.load_pack(ws.pack_file)

    def scenario_file(text: str) -> object:
        """load_scenario on a file of ``text`` in the workspace's scenario folder (an error
        quoting a file outside the pack tree is a SecretLeak, as in the fuzz targets)."""
        ws.scenario_file.write_text(text, encoding="utf-8")
        return ws._no_leak(simulate.load_scenario)(ws.scenario_file)

    urea = packaging.ProductProfile(sku="urea", name="urea", price_unit="t",
                                    pack_content="40 kg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dict(math=math, Decimal=Decimal, Fraction=Fraction, np=np, jr=jr, bom=bom,
                    closing=closing, money=money, packaging=packaging, rounding=rounding,
                    units=units, live_weight=live_weight, reservation=reservation,
                    rules=rules, shelf_life=shelf_life, simulate=simulate, wastage=wastage,
                    jsonable=jsonable, UREA=urea, BASE_SCENARIO=BASE_SCENARIO,
                    pack_file=pack_file, scenario_file=scenario_file, capped=capped)
