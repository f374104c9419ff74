"""One error hierarchy for the whole library.

Every error derives from :class:`JxcRulesError` *and* from the matching builtin, so a host can
catch either ``JxcRulesError`` (everything we raise) or ``ValueError`` / ``KeyError`` (what it
already catches). Messages say what was wrong, where (field, row, ``file:line``) and what was
expected::

    bag size for urea-46 must be a mass, got '40 L' (industries/agri-inputs.yaml:12)

Use :func:`bad_value` to build such messages so they read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

__all__ = [
    "BomCycleError",
    "DataFileError",
    "DuplicateError",
    "ExecutorError",
    "InsufficientStock",
    "JxcRulesError",
    "LedgerBusy",
    "LedgerError",
    "RulePackError",
    "ScenarioError",
    "SourceLocation",
    "TimeSeriesError",
    "UnitError",
    "UnknownItemError",
    "ValidationError",
    "bad_value",
]


class JxcRulesError(Exception):
    """Base class of every error this library raises."""


class ValidationError(JxcRulesError, ValueError):
    """A value is outside what the rule accepts: NaN, negative, out of range, wrong mode, ...

    Attributes ``field``, ``value`` and ``row`` (each possibly ``None``) say where.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        row: int | tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.row = row


class UnitError(ValidationError):
    """An unknown unit, or a unit of the wrong dimension (litres where kilograms belong)."""


class TimeSeriesError(ValidationError):
    """Timestamps that are unsorted, duplicated or otherwise unusable."""


class DuplicateError(ValidationError):
    """The same document, order or lot id used twice with different content."""


class BomCycleError(ValidationError):
    """A bill of materials contains a cycle; ``.cycle`` lists the items along it."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = list(cycle)
        path = " -> ".join([*self.cycle, self.cycle[0]]) if self.cycle else "?"
        super().__init__(f"BOM contains a cycle: {path}", field="lines", value=self.cycle)


class UnknownItemError(JxcRulesError, KeyError):
    """An unknown SKU, item, product, order or lot id."""

    def __init__(self, message: str, *, key: object = None) -> None:
        super().__init__(message)
        self.key = key

    def __str__(self) -> str:  # KeyError would repr() the message; keep it readable
        return str(self.args[0]) if self.args else ""


class InsufficientStock(JxcRulesError, RuntimeError):
    """Stock does not cover a request; nothing was reserved or booked.

    ``shortages`` maps each short SKU to the missing quantity (request − available).
    """

    def __init__(
        self,
        shortages: Mapping[str, Fraction | int | Any],
        *,
        context: str = "",
    ) -> None:
        self.shortages: dict[str, Any] = dict(shortages)
        parts = ", ".join(f"{sku}: short {qty}" for sku, qty in self.shortages.items())
        prefix = f"{context}: " if context else ""
        super().__init__(f"{prefix}insufficient stock ({parts})")


class LedgerError(JxcRulesError, RuntimeError):
    """A reservation ledger's database cannot do what was asked: a missing or foreign table or
    column, an unreadable value, a database that cannot be opened. The message names the
    database, table, column or SKU and what to do; the driver's exception is chained."""


class ExecutorError(JxcRulesError, RuntimeError):
    """The executor could not finish a simulation: a Dask cluster that has lost all its workers
    or cannot be reached, a chunk that failed on the workers after its retries. The message names
    the scheduler or the chunk and what to do; the worker's exception is chained."""


class LedgerBusy(LedgerError):
    """The database stayed busy: a lock wait beyond the ledger's ``lock_timeout``, or
    deadlocks / serialization failures that went on after the ledger's bounded retries.
    Nothing was changed; the call may be retried."""


class SourceLocation:
    """Where in a file a value came from (1-based line and column)."""

    __slots__ = ("column", "file", "line")

    def __init__(self, file: str, line: int | None = None, column: int | None = None) -> None:
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        out = self.file
        if self.line is not None:
            out += f":{self.line}"
            if self.column is not None:
                out += f":{self.column}"
        return out

    def __repr__(self) -> str:
        return f"SourceLocation({self.file!r}, {self.line!r}, {self.column!r})"


class RulePackError(ValidationError):
    """A rule pack is invalid; ``location`` (file:line:column) and ``field`` (a dotted path) say
    where. ``errors`` holds every problem found when several were collected at once."""

    def __init__(
        self,
        message: str,
        *,
        location: SourceLocation | None = None,
        field: str | None = None,
        value: object = None,
        errors: Sequence[RulePackError] = (),
    ) -> None:
        text = f"{location}: {message}" if location is not None else message
        super().__init__(text, field=field, value=value)
        self.location = location
        self.errors: list[RulePackError] = list(errors) or [self]


class ScenarioError(RulePackError):
    """A simulator scenario file is invalid (same location details as :class:`RulePackError`)."""


class DataFileError(RulePackError):
    """A data file a store exports (sales, weather, wastage, fish receipts, temperature logs) is
    unreadable or holds a bad value; ``location`` is ``file:line:column`` of the cell (line 1 is
    the header of a CSV; for a spreadsheet, the sheet's row and column), ``field`` the column."""


def bad_value(
    field: str,
    value: object,
    expected: str,
    *,
    row: int | tuple[int, ...] | None = None,
    error: type[ValidationError] = ValidationError,
) -> ValidationError:
    """Build (not raise) an error whose message names the field, the value and the expectation.

    Examples
    --------
    >>> str(bad_value("rate_per_hour", 1.5, "a fraction in [0, 1)", row=3))
    'rate_per_hour must be a fraction in [0, 1), got 1.5 (row 3)'
    """
    where = ""
    if row is not None:
        where = f" (row {row})" if isinstance(row, int) else f" (row {tuple(int(r) for r in row)})"
    return error(f"{field} must be {expected}, got {value!r}{where}", field=field, value=value,
                 row=row)
