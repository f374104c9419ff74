"""Concurrency and crashes: threads, processes on one SQLite file, a process killed mid-way."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jxc_rules.errors import InsufficientStock
from jxc_rules.reservation import Ledger, ReservationLedger, SqliteLedger, replay

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _race(reserve: Callable[[int], None], threads: int = 20) -> int:
    barrier = threading.Barrier(threads)
    wins: list[int] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        barrier.wait()
        try:
            reserve(i)
        except InsufficientStock:
            return
        with lock:
            wins.append(i)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return len(wins)


def _check(ledger: ReservationLedger, reserved: int) -> None:
    assert ledger.reserved("bolt") == reserved
    assert ledger.available("bolt") == 10 - reserved
    assert len(ledger.orders()) == reserved
    assert replay(ledger.journal()).snapshot() == ledger.snapshot()


def test_twenty_threads_reserving_one_of_ten_in_memory_exactly_ten_win() -> None:
    ledger = Ledger({"bolt": 10})
    assert _race(lambda i: ledger.reserve(f"SO-{i}", {"bolt": 1})) == 10
    _check(ledger, 10)


class _SlowReads(dict):  # type: ignore[type-arg]
    """A stock table whose reads yield the GIL: every thread reaches the availability check
    before any can write, unless the ledger holds its lock from check to update."""

    def get(self, key: Any, default: Any = None) -> Any:
        value = super().get(key, default)
        time.sleep(0.001)  # another thread may run between this read and the caller's write
        return value


def test_check_and_update_are_one_critical_section_even_when_reads_are_slow() -> None:
    ledger = Ledger({"bolt": 10})
    ledger._available = _SlowReads(ledger._available)
    assert _race(lambda i: ledger.reserve(f"SO-{i}", {"bolt": 1})) == 10
    _check(ledger, 10)


def test_twenty_threads_sharing_one_sqlite_ledger_exactly_ten_win(tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "s.db", {"bolt": 10}) as ledger:
        assert _race(lambda i: ledger.reserve(f"SO-{i}", {"bolt": 1})) == 10
        _check(ledger, 10)


def test_threads_sharing_one_sqlite_connection_take_turns_even_when_commits_are_slow(
    tmp_path: Path,
) -> None:
    # a commit that yields the GIL lets another thread run while a transaction is open on the
    # shared connection; only the ledger's own lock keeps it from starting a second one there
    with SqliteLedger(tmp_path / "s.db", {"bolt": 10}) as ledger:
        ledger._before_commit = lambda: time.sleep(0.001)
        errors: list[BaseException] = []

        def reserve(i: int) -> None:
            try:
                ledger.reserve(f"SO-{i}", {"bolt": 1})
            except InsufficientStock:
                raise
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)
                raise

        assert _race(reserve) == 10
        assert errors == []
        ledger._before_commit = None
        _check(ledger, 10)


def test_twenty_threads_with_their_own_connections_exactly_ten_win(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SqliteLedger(path, {"bolt": 10}).close()

    def reserve(i: int) -> None:
        with SqliteLedger(path) as own:
            own.reserve(f"SO-{i}", {"bolt": 1})

    assert _race(reserve) == 10
    with SqliteLedger(path) as ledger:
        _check(ledger, 10)


def _can_fork() -> bool:
    """Fork (children start instantly, jxc_rules already imported) only where the platform has it
    and this process runs no other thread that could hold a lock across the fork; otherwise the
    children are fresh interpreters. Either way each child opens its own connection."""
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


def _join(procs: list[Any], seconds: float = 120) -> list[int | None]:
    for p in procs:
        p.join(seconds)
    for p in procs:
        if p.is_alive():  # never leave a stuck child behind
            p.kill()
            p.join()
    return [p.exitcode for p in procs]


def _reserve_worker(path: str, who: str, attempts: int, go: Any) -> None:
    ledger = SqliteLedger(path)
    go.wait(60)
    wins = 0
    for i in range(attempts):
        try:
            ledger.reserve(f"{who}-{i}", {"bolt": 1})
            wins += 1
        except InsufficientStock:
            pass
    os._exit(wins)  # the exit code carries the count


def _crash_worker(path: str, how: str, inside: Any) -> None:
    ledger = SqliteLedger(path)

    def die() -> None:
        if how == "exit":
            os._exit(7)
        inside.set()  # writes done, not committed: the parent kill -9s us now
        time.sleep(60)

    ledger._before_commit = die
    ledger.reserve("SO-crash", {"bolt": 4, "nut": 4})


WORKER = """
import os, sys, time
from jxc_rules.errors import InsufficientStock
from jxc_rules.reservation import SqliteLedger
path, who, attempts, go = sys.argv[1:5]
ledger = SqliteLedger(path)
while not os.path.exists(go):
    time.sleep(0.002)
wins = 0
for i in range(int(attempts)):
    try:
        ledger.reserve(f"{who}-{i}", {"bolt": 1})
        wins += 1
    except InsufficientStock:
        pass
sys.exit(wins)
"""

CRASH = """
import os, sys, time
from jxc_rules.reservation import SqliteLedger
path, how, inside = sys.argv[1:4]
ledger = SqliteLedger(path)
def die():
    if how == "exit":
        os._exit(7)
    open(inside, "w").close()
    time.sleep(60)
ledger._before_commit = die
ledger.reserve("SO-crash", {"bolt": 4, "nut": 4})
"""


def _python(code: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env)


def _wait_for(check: Callable[[], bool], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "child never got there"
        time.sleep(0.005)


def test_four_processes_on_one_sqlite_file_reserve_exactly_the_stock(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    SqliteLedger(path, {"bolt": 10}).close()
    if _can_fork():
        ctx = mp.get_context("fork")
        go = ctx.Event()
        procs = [ctx.Process(target=_reserve_worker, args=(path, f"P{k}", 5, go))
                 for k in range(4)]
        for p in procs:
            p.start()
        go.set()
        codes = _join(procs)
    else:
        flag = str(tmp_path / "go")
        popens = [_python(WORKER, path, f"P{k}", "5", flag) for k in range(4)]
        Path(flag).touch()
        codes = [p.wait(300) for p in popens]
    assert all(c is not None and 0 <= c <= 5 for c in codes), codes
    assert sum(c for c in codes if c is not None) == 10  # 20 attempts, 10 in stock
    with SqliteLedger(path) as ledger:
        _check(ledger, 10)


@pytest.mark.parametrize("how", ["exit", "kill9"])
def test_a_process_killed_mid_reservation_leaves_no_partial_reservation(
    tmp_path: Path, how: str
) -> None:
    if how == "kill9" and not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL on this platform")
    path = str(tmp_path / "crash.db")
    with SqliteLedger(path, {"bolt": 10, "nut": 10}) as ledger:
        ledger.reserve("SO-1", {"bolt": 1})
        before = ledger.snapshot()
        journal = ledger.journal()
    fork = _can_fork()
    if fork:
        ctx = mp.get_context("fork")
        inside = ctx.Event()
        proc = ctx.Process(target=_crash_worker, args=(path, how, inside))
        proc.start()
        pid, is_inside = proc.pid, inside.is_set
    else:
        marker = tmp_path / "inside"
        popen = _python(CRASH, path, how, str(marker))
        pid, is_inside = popen.pid, marker.exists
    if how == "kill9":
        _wait_for(is_inside)
        with SqliteLedger(path, timeout=0.05) as other, pytest.raises(Exception, match="locked"):
            other.reserve("SO-2", {"bolt": 1})  # the dying process holds the write lock
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
    code = _join([proc], 60)[0] if fork else popen.wait(300)
    assert code in (7, -signal.SIGKILL)
    with SqliteLedger(path) as after:
        assert after.snapshot() == before
        assert after.journal() == journal
        assert after.reserve("SO-2", {"bolt": 9, "nut": 10}) is True  # the lock is free again
