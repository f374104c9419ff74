"""Random interleavings of reserve / release / consume / receive never break the invariant.

A hypothesis state machine drives the in-memory ``Ledger`` and a ``SqliteLedger`` in lockstep
against a plain model: both must agree with the model after every step, raise the same errors,
and leave state untouched when they raise.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from jxc_rules.errors import JxcRulesError
from jxc_rules.reservation import Ledger, SqliteLedger, replay

SKUS = ("bolt", "nut", "oil", "gasket")
ORDERS = ("SO-1", "SO-2", "SO-3", "SO-4", "SO-5")
QTY = st.one_of(st.integers(0, 6).map(Fraction), st.fractions(0, 6, max_denominator=8))


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stock: dict[str, Fraction] = {"bolt": Fraction(10), "nut": Fraction(10),
                                           "oil": Fraction(5, 2)}
        self.ledgers: list[Any] = [Ledger(self.stock), SqliteLedger(":memory:", self.stock)]
        self.open: dict[str, dict[str, Fraction]] = {}
        self.consumed: dict[str, dict[str, Fraction]] = {}

    def teardown(self) -> None:
        for ledger in self.ledgers:
            assert replay(ledger.journal()).snapshot() == ledger.snapshot()
        self.ledgers[1].close()

    def _all(self, method: str, *args: Any) -> tuple[list[Any], type[Exception] | None]:
        results: list[Any] = []
        errors: list[type[Exception] | None] = []
        for ledger in self.ledgers:
            before = ledger.snapshot()
            try:
                results.append(getattr(ledger, method)(*args))
                errors.append(None)
            except JxcRulesError as exc:
                errors.append(type(exc))
                assert ledger.snapshot() == before  # a refused call changes nothing
        assert len(set(errors)) == 1, errors
        return results, errors[0]

    def _available(self, sku: str) -> Fraction:
        held = sum((lines.get(sku, Fraction(0)) for lines in self.open.values()), Fraction(0))
        return self.stock.get(sku, Fraction(0)) - held

    @rule(order=st.sampled_from(ORDERS),
          lines=st.dictionaries(st.sampled_from(SKUS), QTY, min_size=1, max_size=3))
    def reserve(self, order: str, lines: dict[str, Fraction]) -> None:
        results, error = self._all("reserve", order, lines)
        wanted = {k: v for k, v in lines.items() if v}
        known = all(k in self.stock for k in wanted)
        previous = self.open.get(order) or self.consumed.get(order)
        if not wanted:
            assert error is not None
        elif previous is not None:
            assert (error is None) == (previous == wanted)
            assert results == ([False, False] if error is None else [])
        elif not known:
            assert error is not None
        elif all(v <= self._available(k) for k, v in wanted.items()):
            assert results == [True, True]
            self.open[order] = wanted
        else:
            assert error is not None

    @rule(order=st.sampled_from(ORDERS))
    def release(self, order: str) -> None:
        _results, error = self._all("release", order)
        if order in self.open:
            assert error is None
            del self.open[order]
        else:
            assert error is not None

    @rule(order=st.sampled_from(ORDERS))
    def consume(self, order: str) -> None:
        results, error = self._all("consume", order)
        if order in self.open:
            assert results == [True, True]
            lines = self.open.pop(order)
            for k, v in lines.items():
                self.stock[k] -= v
            self.consumed[order] = lines
        elif order in self.consumed:
            assert results == [False, False]
        else:
            assert error is not None

    @precondition(lambda self: len(self.stock) < 5)
    @rule(sku=st.sampled_from(SKUS), qty=QTY)
    def receive(self, sku: str, qty: Fraction) -> None:
        _results, error = self._all("receive", sku, qty)
        assert error is None
        self.stock[sku] = self.stock.get(sku, Fraction(0)) + qty

    @invariant()
    def on_hand_is_available_plus_reserved_and_nothing_is_negative(self) -> None:
        snaps = [ledger.snapshot() for ledger in self.ledgers]
        assert snaps[0] == snaps[1]
        for sku in snaps[0]["on_hand"]:
            on_hand = snaps[0]["on_hand"][sku]
            reserved = snaps[0]["reserved"][sku]
            available = snaps[0]["available"][sku]
            assert on_hand == available + reserved
            assert available >= 0
            assert reserved >= 0
            assert on_hand == self.stock[sku]
            assert available == self._available(sku)


LedgerMachine.TestCase.settings = settings(
    LedgerMachine.TestCase.settings, stateful_step_count=25
)
TestLedgerInterleavings = LedgerMachine.TestCase
