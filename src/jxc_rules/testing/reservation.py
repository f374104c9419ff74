"""A conformance kit for reservation ledgers: ours on every backend, or a host's own adapter.

:func:`ledger_machine` builds a hypothesis ``RuleBasedStateMachine`` that drives a ledger with
random reserve / release / consume / receive — and, where the ledger has them, partial releases
and consumes, batches (``reserve_many``, ``release_many``), ``issue``, ``adjust`` and a
crash-and-reopen — in lockstep with a plain model, and
checks after every step:

- ``available = on_hand − reserved`` and ``reserved`` = what the open orders hold, per SKU;
- all or nothing: a refused call (any :class:`~jxc_rules.errors.JxcRulesError`) changes neither
  the state nor the journal; a reservation the model can cover succeeds, one it cannot is refused
  with ``InsufficientStock`` naming exactly the short SKUs;
- idempotent order ids: the same lines again are a no-op (``False``), other lines a
  ``DuplicateError``;
- the journal replays to the state (:func:`replay_model`).

A host runs it against its adapter in its own test suite::

    from jxc_rules.testing.reservation import ledger_machine

    TestMyLedger = ledger_machine(lambda stock: MyAdapter(test_db(), stock)).TestCase
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from jxc_rules.errors import DuplicateError, InsufficientStock, JxcRulesError
from jxc_rules.reservation.journal import Event

__all__ = ["check_invariants", "ledger_machine", "replay_model"]

SKUS = ("bolt", "nut", "oil", "gasket")
ORDERS = ("SO-1", "SO-2", "SO-3", "SO-4", "SO-5")
QUANTITIES = st.one_of(st.integers(0, 6).map(Fraction), st.fractions(0, 6, max_denominator=4))


def replay_model(events: Iterable[Event]) -> dict[str, Any]:
    """The state a journal describes, in the shape of ``ledger.snapshot()``.

    Understands every event kind (``receive``, ``reserve``, ``release``, ``consume``, ``issue``,
    ``adjust``, ``transfer``), partial releases and consumes included; locations are summed.
    """
    on_hand: dict[str, Fraction] = {}
    held: dict[str, dict[str, Fraction]] = {}
    shipped: dict[str, dict[str, Fraction]] = {}
    status: dict[str, str] = {}
    for e in events:
        lines = [(s, Fraction(q)) for s, q in e.lines]
        if e.kind in ("receive", "issue", "adjust", "transfer"):
            for s, q in lines:  # the signed change of on-hand
                on_hand[s] = on_hand.get(s, Fraction(0)) + q
        elif e.kind == "reserve":
            assert e.order_id is not None
            held[e.order_id] = dict(lines)
            shipped[e.order_id] = {s: Fraction(0) for s, _ in lines}
            status[e.order_id] = "reserved"
        else:
            assert e.order_id is not None
            oid = e.order_id
            for s, q in lines:
                held[oid][s] -= q
                if e.kind == "consume":
                    on_hand[s] = on_hand.get(s, Fraction(0)) - q
                    shipped[oid][s] += q
            if not any(held[oid].values()):
                if e.kind == "consume" or any(shipped[oid].values()):
                    status[oid] = "consumed"
                else:  # released in full, nothing shipped: forgotten
                    del held[oid], shipped[oid], status[oid]
    reserved = {s: Fraction(0) for s in on_hand}
    for oid, lines_held in held.items():
        if status[oid] == "reserved":
            for s, q in lines_held.items():
                reserved[s] = reserved.get(s, Fraction(0)) + q
    orders = {oid: (st_, dict(held[oid] if st_ == "reserved" else shipped[oid]))
              for oid, st_ in status.items()}
    return {"on_hand": dict(sorted(on_hand.items())),
            "reserved": dict(sorted(reserved.items())),
            "available": {s: on_hand.get(s, Fraction(0)) - reserved.get(s, Fraction(0))
                          for s in sorted(set(on_hand) | set(reserved))},
            "orders": dict(sorted(orders.items()))}


def _normal(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """Snapshots compared without order and without zero lines of reserved orders."""
    orders = {oid: (st_, {s: Fraction(q) for s, q in lines.items() if q or st_ != "reserved"})
              for oid, (st_, lines) in snapshot["orders"].items()}
    return {"on_hand": {k: Fraction(v) for k, v in snapshot["on_hand"].items()},
            "reserved": {k: Fraction(v) for k, v in snapshot["reserved"].items() if v
                         or k in snapshot["on_hand"]},
            "available": {k: Fraction(v) for k, v in snapshot["available"].items()},
            "orders": orders}


def check_invariants(ledger: Any) -> dict[str, Any]:
    """Assert the ledger's invariants on its current state; return the snapshot.

    ``on_hand = available + reserved``; ``reserved`` equals what open orders hold; nothing held
    is negative; the journal replays to the snapshot.
    """
    snap = ledger.snapshot()
    held: dict[str, Fraction] = {}
    for st_, lines in snap["orders"].values():
        if st_ == "reserved":
            for s, q in lines.items():
                assert q >= 0, (s, q)
                held[s] = held.get(s, Fraction(0)) + Fraction(q)
    for sku, on in snap["on_hand"].items():
        assert on == snap["available"][sku] + snap["reserved"][sku], sku
        assert snap["reserved"][sku] == held.get(sku, 0), (sku, snap["reserved"][sku], held)
        assert snap["reserved"][sku] >= 0
        assert on >= 0
    replayed, actual = _normal(replay_model(ledger.journal())), _normal(snap)
    if getattr(ledger, "stock", None) is not None:
        # the host owns on-hand (its own sales and counts are not in our journal): the journal
        # replays the reservations
        nonzero = [{k: v for k, v in x["reserved"].items() if v} for x in (replayed, actual)]
        assert nonzero[0] == nonzero[1]
        assert replayed["orders"] == actual["orders"]
    else:
        assert replayed == actual
    return snap  # type: ignore[no-any-return]


def _takes_lines(method: Callable[..., Any]) -> bool:
    return "lines" in inspect.signature(method).parameters


def ledger_machine(
    make_ledger: Callable[[dict[str, Fraction]], Any],
    *,
    reopen: Callable[[Any], Any] | None = None,
    close: Callable[[Any], None] | None = None,
) -> type[RuleBasedStateMachine]:
    """A state machine class testing ledgers made by ``make_ledger(opening_stock)``.

    ``reopen(ledger)`` (optional) returns a new ledger object on the same storage, as after a
    crash; ``close(ledger)`` is called at the end of each example.
    """

    class LedgerConformance(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.stock = {"bolt": Fraction(10), "nut": Fraction(10), "oil": Fraction(5, 2)}
            self.ledger = make_ledger(dict(self.stock))
            self.open: dict[str, dict[str, Fraction]] = {}
            # the lines each known order was reserved with (open reduces after partial calls;
            # idempotency compares with these)
            self.ordered: dict[str, dict[str, Fraction]] = {}
            self.shipped: dict[str, dict[str, Fraction]] = {}
            self.partial = _takes_lines(self.ledger.consume)

        def teardown(self) -> None:
            check_invariants(self.ledger)
            if close is not None:
                close(self.ledger)

        def _call(self, method: str, *args: Any, **kwargs: Any) -> tuple[Any, Exception | None]:
            before, journal = self.ledger.snapshot(), len(self.ledger.journal())
            try:
                return getattr(self.ledger, method)(*args, **kwargs), None
            except JxcRulesError as exc:
                assert self.ledger.snapshot() == before, f"refused {method} changed the state"
                assert len(self.ledger.journal()) == journal, f"refused {method} journaled"
                return None, exc

        def _available(self, sku: str) -> Fraction:
            held = sum((lines.get(sku, Fraction(0)) for lines in self.open.values()),
                       Fraction(0))
            return self.stock.get(sku, Fraction(0)) - held

        @rule(order=st.sampled_from(ORDERS),
              lines=st.dictionaries(st.sampled_from(SKUS), QUANTITIES, min_size=1, max_size=3))
        def reserve(self, order: str, lines: dict[str, Fraction]) -> None:
            result, error = self._call("reserve", order, lines)
            self._check_reserve(order, lines, result, error)

        @precondition(lambda self: hasattr(self.ledger, "reserve_many"))
        @rule(batch=st.lists(st.tuples(
            st.sampled_from(ORDERS),
            st.dictionaries(st.sampled_from(SKUS), QUANTITIES, min_size=1, max_size=3).filter(
                lambda d: any(d.values()))), min_size=1, max_size=4))
        def reserve_many(self, batch: list[tuple[str, dict[str, Fraction]]]) -> None:
            """A batch in one call: each order as if reserved alone, in turn."""
            if any(any(k not in self.stock for k in lines) for _o, lines in batch):
                return  # an unknown SKU is a per-order refusal; the single rule covers it
            outcomes, error = self._call("reserve_many", batch)
            assert error is None, error
            last = {order: i for i, (order, _lines) in enumerate(batch)}
            for i, (order, lines) in enumerate(batch):
                before = dict(self.open.get(order) or {})
                outcome = self._expect_reserve(order, lines)
                if last[order] == i:  # the later outcome of a repeated id is the one returned
                    got = outcomes[order]
                    if isinstance(outcome, type):
                        assert isinstance(got, outcome), (order, got)
                    elif isinstance(outcome, set):
                        assert isinstance(got, InsufficientStock), (order, got)
                        assert set(got.shortages) == outcome
                    else:
                        assert got is outcome, (order, got, outcome, before)

        def _expect_reserve(self, order: str, lines: dict[str, Fraction]) -> Any:
            """The model's outcome of reserving ``lines`` under ``order`` now (and its update):
            True / False, an error class, or the set of short SKUs."""
            wanted = {k: v for k, v in lines.items() if v}
            if order in self.open or order in self.shipped:  # known: open or consumed
                return False if self.ordered.get(order) == wanted else DuplicateError
            short = {k for k, v in wanted.items() if v > self._available(k)}
            if short:
                return short
            self.open[order] = wanted
            self.ordered[order] = dict(wanted)
            self.shipped[order] = {k: Fraction(0) for k in wanted}
            return True

        def _check_reserve(self, order: str, lines: dict[str, Fraction], result: Any,
                           error: Exception | None) -> None:
            wanted = {k: v for k, v in lines.items() if v}
            previous = self.open.get(order)
            if order in self.shipped and previous is None:
                assert error is not None or result is False
                return
            if not wanted or any(k not in self.stock for k in wanted):
                assert error is not None
            elif previous is not None:
                if self.ordered.get(order) == wanted:
                    assert (error, result) == (None, False)
                else:
                    assert isinstance(error, DuplicateError), error
            else:
                short = {k for k, v in wanted.items() if v > self._available(k)}
                if short:
                    assert isinstance(error, InsufficientStock), error
                    assert set(error.shortages) == short
                else:
                    assert (error, result) == (None, True), error
                    self.open[order] = wanted
                    self.ordered[order] = dict(wanted)
                    self.shipped[order] = {k: Fraction(0) for k in wanted}

        @rule(order=st.sampled_from(ORDERS), part=st.booleans())
        def release(self, order: str, part: bool) -> None:
            lines = self.open.get(order)
            if part and self.partial and lines and any(lines.values()):
                sku = sorted(k for k, v in lines.items() if v)[0]
                q = lines[sku] / 2
                _r, error = self._call("release", order, {sku: q})
                assert error is None
                lines[sku] -= q
                return
            _r, error = self._call("release", order)
            if lines is not None:
                assert error is None
                del self.open[order]
                if not any(self.shipped.get(order, {}).values()):
                    self.shipped.pop(order, None)
                    self.ordered.pop(order, None)
            else:
                assert error is not None

        @precondition(lambda self: hasattr(self.ledger, "release_many"))
        @rule(ids=st.lists(st.sampled_from(ORDERS), min_size=1, max_size=4))
        def release_many(self, ids: list[str]) -> None:
            """Whole releases in one call: each as ``release(order)`` one after another."""
            outcomes, error = self._call("release_many", ids)
            assert error is None, error
            assert list(outcomes) == list(dict.fromkeys(ids)), outcomes
            last = {order: i for i, order in enumerate(ids)}
            for i, order in enumerate(ids):
                released = order in self.open
                if released:
                    del self.open[order]
                    if not any(self.shipped.get(order, {}).values()):
                        self.shipped.pop(order, None)
                        self.ordered.pop(order, None)
                if last[order] == i:  # the later outcome of a repeated id is the one returned
                    got = outcomes[order]
                    assert (got is True) if released else isinstance(got, JxcRulesError), (
                        order, got)

        @rule(order=st.sampled_from(ORDERS), part=st.booleans())
        def consume(self, order: str, part: bool) -> None:
            lines = self.open.get(order)
            if part and self.partial and lines and any(lines.values()):
                sku = sorted(k for k, v in lines.items() if v)[0]
                q = lines[sku] / 2
                _r, error = self._call("consume", order, {sku: q})
                if q > self.stock[sku]:  # counted below what is held: cannot ship it
                    assert isinstance(error, InsufficientStock), error
                    return
                assert error is None
                lines[sku] -= q
                self.stock[sku] -= q
                self.shipped[order][sku] += q
                return
            result, error = self._call("consume", order)
            if lines is not None and any(v > self.stock[k] for k, v in lines.items()):
                assert isinstance(error, InsufficientStock), error
            elif lines is not None:
                assert (error, result) == (None, True), error
                for k, v in lines.items():
                    self.stock[k] -= v
                    self.shipped[order][k] += v
                del self.open[order]
            elif order in self.shipped:
                assert error is not None or result is False
            else:
                assert error is not None

        @precondition(lambda self: len(self.stock) < 5)
        @rule(sku=st.sampled_from(SKUS), qty=QUANTITIES)
        def receive(self, sku: str, qty: Fraction) -> None:
            _r, error = self._call("receive", sku, qty)
            assert error is None
            self.stock[sku] = self.stock.get(sku, Fraction(0)) + qty

        @precondition(lambda self: hasattr(self.ledger, "issue"))
        @rule(sku=st.sampled_from(SKUS[:3]), qty=QUANTITIES)
        def issue(self, sku: str, qty: Fraction) -> None:
            _r, error = self._call("issue", sku, qty, reason="till sale")
            if qty <= self._available(sku):
                assert error is None, error
                self.stock[sku] -= qty
            else:
                assert isinstance(error, InsufficientStock), error

        @precondition(lambda self: hasattr(self.ledger, "adjust"))
        @rule(sku=st.sampled_from(SKUS[:3]), counted=QUANTITIES)
        def adjust(self, sku: str, counted: Fraction) -> None:
            _r, error = self._call("adjust", sku, counted, reason="stock count")
            assert error is None, error
            self.stock[sku] = counted

        @precondition(lambda self: reopen is not None)
        @rule()
        def crash_and_reopen(self) -> None:
            assert reopen is not None
            before = self.ledger.snapshot()
            self.ledger = reopen(self.ledger)
            assert self.ledger.snapshot() == before

        @invariant()
        def state_matches_the_model(self) -> None:
            snap = self.ledger.snapshot()
            for sku, on in self.stock.items():
                assert snap["on_hand"][sku] == on, (sku, snap["on_hand"][sku], on)
                assert snap["available"][sku] == self._available(sku), sku
                assert snap["on_hand"][sku] == snap["available"][sku] + snap["reserved"][sku]

    return LedgerConformance
