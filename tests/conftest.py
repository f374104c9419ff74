"""Hypothesis profiles: ``dev`` (default, 100 examples), ``ci`` (fewer, derandomised so CI is
repeatable), ``thorough`` (for a long local sweep). Select with HYPOTHESIS_PROFILE; CI=true picks
``ci``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from jxc_rules.reservation import Ledger, ReservationLedger, SqliteLedger

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture(params=["memory", "sqlite"])
def make(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[dict[str, Any]], ReservationLedger]]:
    """A ledger factory, once in memory and once on a fresh SQLite file (closed afterwards)."""
    opened: list[SqliteLedger] = []

    def factory(on_hand: dict[str, Any]) -> ReservationLedger:
        if request.param == "memory":
            return Ledger(on_hand)
        ledger = SqliteLedger(tmp_path / f"ledger{len(opened)}.db", on_hand)
        opened.append(ledger)
        return ledger

    yield factory
    for ledger in opened:
        ledger.close()
