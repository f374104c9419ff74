"""The append-only journal of reservation events (预留流水) and its replay.

Every state change of a ledger appends one :class:`Event` — ``receive`` (stock in, including the
opening stock), ``reserve``, ``release``, ``consume`` — numbered from 1 without gaps. Failed and
no-op calls append nothing. Replaying the events in order on an empty ledger rebuilds the same
state (:func:`replay`), which is how a host audits a ledger or rebuilds a cache after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final

import attrs

from jxc_rules._internal.exact import to_fraction
from jxc_rules.errors import bad_value

if TYPE_CHECKING:
    from jxc_rules.reservation.memory import Ledger

__all__ = ["EVENT_KINDS", "Event", "replay"]

EVENT_KINDS: Final[tuple[str, ...]] = ("receive", "reserve", "release", "consume", "issue",
                                       "adjust", "transfer")
"""``issue``, ``adjust`` and ``transfer`` come from :class:`~jxc_rules.reservation.SqlLedger`
with signed lines, the change of on-hand: an issue's is negative, an adjustment's is
``counted − on_hand``, a transfer has a negative line at the source and a positive one at the
destination."""


def _lines(value: Iterable[tuple[str, Any]]) -> tuple[tuple[str, int | Fraction], ...]:
    if type(value) is tuple:  # the ledgers pass ready tuples of exact (int | Fraction) pairs
        return value
    return tuple((str(sku), q if type(q) in (int, Fraction) else to_fraction(q, "lines"))
                 for sku, q in value)


def _locations(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


@attrs.frozen
class Event:
    """One journal entry: sequence number, kind, order id (``None`` for ``receive``) and the
    quantities it moved, exact, as ``(sku, quantity)`` pairs (``int`` or ``Fraction``)."""

    seq: int
    kind: str = attrs.field(validator=attrs.validators.in_(EVENT_KINDS))
    order_id: str | None
    lines: tuple[tuple[str, int | Fraction], ...] = attrs.field(converter=_lines)
    locations: tuple[str, ...] = attrs.field(default=(), converter=_locations)
    """The location of each line (SqlLedger; empty for the in-memory ledgers)."""
    reason: str | None = None
    """Why (an adjustment's or an issue's reason), where given."""

    def to_mapping(self) -> dict[str, Any]:
        """A JSON/YAML-safe dict; quantities as exact strings (``"7/4"``, ``"12"``)."""
        out: dict[str, Any] = {"seq": self.seq, "kind": self.kind, "order_id": self.order_id,
                               "lines": [[sku, str(q)] for sku, q in self.lines]}
        if self.locations:
            out["locations"] = list(self.locations)
        if self.reason is not None:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Event:
        """Inverse of :meth:`to_mapping`; unknown keys are errors."""
        allowed = {"seq", "kind", "order_id", "lines", "locations", "reason"}
        for key in mapping:
            if key not in allowed:
                raise bad_value(f"event.{key}", mapping[key], "absent: unknown key")
        for key in ("seq", "kind", "lines"):
            if key not in mapping:
                raise bad_value(f"event.{key}", None, "present: a required key")
        if mapping["kind"] not in EVENT_KINDS:
            raise bad_value("event.kind", mapping["kind"], "one of " + ", ".join(EVENT_KINDS))
        seq = mapping["seq"]
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise bad_value("event.seq", seq, "a sequence number: an int >= 0")
        raw_lines = mapping["lines"]
        if not isinstance(raw_lines, (list, tuple)) or not all(
            isinstance(line, (list, tuple)) and len(line) == 2 for line in raw_lines
        ):
            raise bad_value("event.lines", raw_lines, "a list of [sku, quantity] pairs")
        lines = [(sku, to_fraction(q, f"event.lines[{sku!r}]")) for sku, q in raw_lines]
        return cls(seq, mapping["kind"], mapping.get("order_id"), lines,
                   locations=tuple(mapping.get("locations", ())), reason=mapping.get("reason"))


def replay(events: Iterable[Event]) -> Ledger:
    """A fresh in-memory :class:`~jxc_rules.reservation.Ledger` with ``events`` applied in order.

    Examples
    --------
    >>> from jxc_rules.reservation import Ledger
    >>> ledger = Ledger({"bolt": 10})
    >>> ledger.reserve("SO-1", {"bolt": 4})
    True
    >>> replay(ledger.journal()).snapshot() == ledger.snapshot()
    True
    """
    from jxc_rules.reservation.memory import Ledger

    ledger = Ledger()
    for event in events:
        if event.kind == "receive":
            for sku, q in event.lines:
                ledger.receive(sku, q)
        elif event.kind == "reserve":
            assert event.order_id is not None
            ledger.reserve(event.order_id, dict(event.lines))
        elif event.kind == "release":
            assert event.order_id is not None
            ledger.release(event.order_id)
        elif event.kind == "consume":
            assert event.order_id is not None
            ledger.consume(event.order_id)
        else:
            raise bad_value("event.kind", event.kind, "receive, reserve, release or consume: "
                            "the in-memory Ledger has no issue, adjust or transfer (replay a "
                            "SqlLedger's journal with jxc_rules.testing.reservation.replay_model)")
    return ledger
