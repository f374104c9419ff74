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
    expected = "an iterable of (sku, quantity) pairs"
    if isinstance(value, (str, bytes, Mapping)):
        raise bad_value("event.lines", value, expected)
    try:
        pairs = list(value)
    except TypeError:
        raise bad_value("event.lines", value, expected) from None
    out = []
    for k, pair in enumerate(pairs):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise bad_value("event.lines", pair, "a (sku, quantity) pair", row=k)
        sku, q = pair
        if not isinstance(sku, str) or not sku:
            raise bad_value("event.lines", sku, "a non-empty SKU string", row=k)
        out.append((sku, q if type(q) in (int, Fraction) else to_fraction(q, "event.lines")))
    return tuple(out)


def _check_kind(_event: object, _attribute: object, kind: Any) -> None:
    if not isinstance(kind, str) or kind not in EVENT_KINDS:
        raise bad_value("event.kind", kind, "one of " + ", ".join(EVENT_KINDS))


def _locations(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


@attrs.frozen
class Event:
    """One journal entry: sequence number, kind, order id (``None`` for ``receive``) and the
    quantities it moved, exact, as ``(sku, quantity)`` pairs (``int`` or ``Fraction``)."""

    seq: int
    kind: str = attrs.field(validator=_check_kind)
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
        _check_kind(None, None, mapping["kind"])
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
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
        raise bad_value("events", events, "an iterable of reservation Events (a ledger's "
                        "journal())")
    for k, event in enumerate(events):
        if not isinstance(event, Event):
            raise bad_value("events", event, "reservation Events (a ledger's journal())", row=k)
        if event.kind in ("reserve", "release", "consume") and not isinstance(event.order_id,
                                                                               str):
            raise bad_value("event.order_id", event.order_id,
                            f"an order id: a {event.kind} event names its order (event seq "
                            f"{event.seq})", row=k)
        if event.kind == "receive":
            for sku, q in event.lines:
                ledger.receive(sku, q)
        elif event.kind == "reserve":
            assert event.order_id is not None  # checked above
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
