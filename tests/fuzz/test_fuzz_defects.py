"""The defects the fuzzers found and nobody has fixed yet, each as its one-line reproducer under
the contract, marked ``xfail(strict=True)``: CI stays green while they are open, and goes red
the moment one is fixed, so its entry in ``tests/fuzz/_defects.py`` gets deleted (by whoever
fixes it). Entries marked ``pending`` — defects another change is fixing right now — are not
strict, so the suite is green both before and after that change lands.

Each reproducer runs once per session (:func:`outcome` caches it): ``test_recorded_defect``
and ``test_every_defect_raises_what_it_records`` read the same result.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from jxc_rules.errors import JxcRulesError
from tests.fuzz._defects import DEFECTS, Defect, namespace
from tests.fuzz._hostile import ContractViolation, check

_BY_ID = {d.id: d for d in DEFECTS}


@pytest.mark.parametrize("defect", [
    pytest.param(d, id=d.id, marks=pytest.mark.xfail(
        strict=not d.pending, raises=ContractViolation,
        reason=f"#21{' (being fixed)' if d.pending else ''}: {d.reason} — once it passes, "
               f"delete its entry {d.id!r} in tests/fuzz/_defects.py"))
    for d in DEFECTS
])
def test_recorded_defect(defect: Defect) -> None:
    failure = outcome(defect.id)
    if failure is not None:
        raise failure


@cache
def outcome(defect_id: str) -> ContractViolation | None:
    """The contract violation the defect's reproducer raises today, or None (fixed)."""
    try:
        reproduce(_BY_ID[defect_id])
    except ContractViolation as exc:
        return exc
    return None


def reproduce(defect: Defect) -> None:
    """The reproducer under the contract; a silent defect must raise a JxcRulesError too."""
    names = namespace()
    result = check(f"defect:{defect.id}", lambda: eval(defect.reproducer, names), known=False)
    if defect.silent and not isinstance(result, JxcRulesError):
        raise ContractViolation(f"{defect.id}: {defect.reproducer} returned {result!r}, "
                                "not a JxcRulesError")


def test_every_defect_raises_what_it_records() -> None:
    """A recorded defect's reproducer fails with the exception its entry names (else the
    fuzz targets would not recognise it, or the entry is stale)."""
    stale = []
    for d in DEFECTS:
        failure = outcome(d.id)
        if failure is None:
            if not d.pending:
                stale.append(f"{d.id}: no longer fails — delete its entry in "
                             "tests/fuzz/_defects.py")
            continue
        cause = failure.__cause__
        if d.silent:
            continue
        if not (isinstance(cause, d.raises) and re.search(d.match, str(cause))):
            stale.append(f"{d.id}: raises {type(cause).__name__}: {cause}, which its "
                         f"entry ({d.raises}, {d.match!r}) does not recognise")
    assert not stale, "\n".join(stale)
