"""Hypothesis strategies for the calibration's inputs (:mod:`jxc_rules.calibrate`).

A host whose POS or ERP writes the daily sales export that ``jxc-rules calibrate`` reads tests
its exporter against the reader::

    from hypothesis import given
    from jxc_rules.calibrate.sales import read_sales
    from jxc_rules.testing import sales_exports

    @given(export=sales_exports(pack))
    def test_our_export_reads_back(export, tmp_path):
        path = tmp_path / "sales.csv"
        path.write_text(my_exporter(export.rows))        # the host's own writer
        sales = read_sales(path, pack)
        assert sales.quantity.sum() == export.total

Rows are drawn as a store records them — contiguous days, every (day, location, item, channel)
once, whole quantities, the stock-out flag, the day's weather — so every draw is a file the
reader must accept; shrinking goes to one day, one item, one channel, quantity 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from hypothesis import strategies as st

from jxc_rules.testing import _args

__all__ = ["SalesExport", "sales_exports"]

HEADER = ("date", "location", "item", "channel", "quantity", "stockout", "weather")


@attrs.frozen
class SalesExport:
    """A drawn export: ``rows`` (tuples in :data:`HEADER` order, the date as ``YYYY-MM-DD``),
    ``total`` the sum of the quantities, ``csv`` the file's text (header first)."""

    rows: tuple[tuple[str, str, str, str, int, int, str], ...]
    total: int

    @property
    def csv(self) -> str:
        lines = [",".join(HEADER)]
        lines += [",".join(str(v) for v in row) for row in self.rows]
        return "\n".join(lines) + "\n"


def _check(pack: Any, max_days: int = 14, max_items: int = 3, max_locations: int = 2,
           max_quantity: int = 500) -> None:
    for name, value, low in (("max_days", max_days, 1), ("max_items", max_items, 1),
                             ("max_locations", max_locations, 1),
                             ("max_quantity", max_quantity, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise _args.fail("sales_exports", f"{name} must be a whole number >= {low}, got "
                             f"{value!r}")
    from jxc_rules.calibrate.sales import pack_sellables

    if not pack_sellables(pack):
        raise _args.fail("sales_exports", "the pack has no dishes or items to sell")


@_args.checked(_check)
@st.composite
def sales_exports(draw: Any, pack: Any, max_days: int = 14, max_items: int = 3,
                  max_locations: int = 2, max_quantity: int = 500) -> SalesExport:
    """:class:`SalesExport` values valid for ``pack``: up to ``max_days`` contiguous days from a
    date in 2025–2026, ``max_items`` of the pack's dishes or items, its channels, up to
    ``max_locations`` stores; weather ``clear`` or the pack's states."""
    from jxc_rules.calibrate.sales import pack_channels, pack_sellables

    sellable = list(pack_sellables(pack))
    channels = list(pack_channels(pack))
    states = ["clear", *sorted(getattr(pack, "weather", {}) or {})]
    start = draw(st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 1)))
    days = draw(st.integers(1, max_days))
    items = draw(st.lists(st.sampled_from(sellable), min_size=1,
                          max_size=min(max_items, len(sellable)), unique=True))
    chans = draw(st.lists(st.sampled_from(channels), min_size=1, max_size=len(channels),
                          unique=True))
    locations = [f"s{k}" for k in range(draw(st.integers(1, max_locations)))]
    rows: list[tuple[str, str, str, str, int, int, str]] = []
    for k in range(days):
        day = (start + dt.timedelta(days=k)).isoformat()
        for loc in locations:
            weather = draw(st.sampled_from(states))
            for item in items:
                out = draw(st.integers(0, 1))
                for ch in chans:
                    q = draw(st.integers(0, max_quantity))
                    rows.append((day, loc, item, ch, q, out, weather))
    return SalesExport(tuple(rows), sum(r[4] for r in rows))
