"""Whole-order stock reservation (整单锁料): all or nothing, idempotent, exact, journaled.

:class:`Ledger` keeps the state in memory (thread-safe); :class:`SqliteLedger` in one SQLite file
(safe across processes); :class:`SqlLedger` in any SQLAlchemy database — SQLite, PostgreSQL,
MariaDB — inside the host's own transaction, against the host's own stock table. All follow
:class:`ReservationLedger`; :func:`reserve_order` explodes a
BOM and reserves every leaf in one atomic step; :func:`replay` rebuilds a ledger from its journal.
"""

from jxc_rules.reservation.base import (
    ReservationLedger,
    normalize_requirements,
    reserve_order,
)
from jxc_rules.reservation.journal import Event, replay
from jxc_rules.reservation.memory import Ledger
from jxc_rules.reservation.sql import Oversold, SqlLedger, StockTable
from jxc_rules.reservation.sqlite import SqliteLedger

__all__ = [
    "Event",
    "Ledger",
    "Oversold",
    "ReservationLedger",
    "SqlLedger",
    "SqliteLedger",
    "StockTable",
    "normalize_requirements",
    "replay",
    "reserve_order",
]
