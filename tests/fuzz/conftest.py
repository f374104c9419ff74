"""The fuzz harness's run log: one ``target,inputs,failures`` line per target, appended to the
file named by ``JXC_FUZZ_LOG`` (no log when it is unset) when the session ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz._hostile import TALLY


@pytest.fixture(scope="session", autouse=True)
def _fuzz_run_log() -> Iterator[None]:
    yield
    TALLY.write()
