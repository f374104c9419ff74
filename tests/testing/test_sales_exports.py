"""``sales_exports``: every draw is a file ``read_sales`` accepts and reads back exactly; bad
arguments are hypothesis's ``InvalidArgument``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from jxc_rules.calibrate.sales import read_sales
from jxc_rules.rules import load_pack
from jxc_rules.testing import SalesExport, sales_exports

pytest.importorskip("statsmodels")
PACK = load_pack("hotpot@2026.10")


@settings(max_examples=30)
@given(export=sales_exports(PACK))
def test_every_draw_reads_back_exactly(export: SalesExport,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    path = Path(tmp_path_factory.mktemp("x")) / "sales.csv"
    path.write_text(export.csv, encoding="utf-8")
    sales = read_sales(path, PACK)
    assert sales.quantity.sum() == export.total
    assert sales.days == len({row[0] for row in export.rows})
    for day, loc, item, ch, q, out, _weather in export.rows[:20]:
        d = sales.dates.index(dt.date.fromisoformat(day))
        cell = sales.quantity[d, sales.locations.index(loc), sales.items.index(item),
                              sales.channels.index(ch)]
        assert cell == q
        assert bool(sales.stockout[d, sales.locations.index(loc), sales.items.index(item)]) \
            == bool(out)
    assert np.isfinite(sales.quantity).all()


@pytest.mark.parametrize("kwargs", [{"max_days": 0}, {"max_items": -1}, {"max_quantity": 1.5},
                                    {"max_locations": True}])
def test_bad_arguments_are_invalid_argument(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument, match=next(iter(kwargs))):
        sales_exports(PACK, **kwargs)  # type: ignore[arg-type]
