"""``export_history``: what one trial's store would have recorded, by the engine itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from jxc_rules.errors import ValidationError
from jxc_rules.rules import load_pack
from jxc_rules.rules.edit import set_field
from jxc_rules.simulate import load_scenario, run
from jxc_rules.simulate.history import HISTORY_COLUMNS, export_history, history_csv

HORIZON = (dt.date(2026, 2, 1), dt.date(2026, 3, 15))   # the 2026 Spring Festival inside


@pytest.fixture(scope="module")
def world() -> Any:
    return load_scenario("hotpot-spring-festival-2027", horizon=HORIZON)


@pytest.fixture(scope="module")
def lean(world: Any) -> Any:
    pack = load_pack("hotpot@2026.10")
    return set_field(pack, "replenishment.safety_days", 0.0)


def test_sales_are_demand_cut_by_the_stock_out(world: Any, lean: Any) -> None:
    h = export_history(world, rules=lean, seed=4)
    assert h.sold.shape == h.counts.shape == (world.days, 5, 3)
    assert (h.sold <= h.counts).all()
    assert (h.sold == np.floor(h.sold)).all()
    cut = (h.sold < h.counts).any(axis=2)
    assert h.stockout.any()                                   # a lean store sells out
    assert not (cut & ~h.stockout).any()                      # a cut day is always flagged
    assert (h.sold[~h.stockout] == h.counts[~h.stockout]).all()   # else sales are demand


def test_the_waste_is_the_engines_and_a_trial_is_reproducible(world: Any) -> None:
    h = export_history(world, seed=9, trial=0)
    one = run(world, trials=1, seed=9)
    np.testing.assert_allclose(h.waste.sum(axis=(1, 2)), one.daily["waste_yuan"].sum(axis=1),
                               rtol=1e-9, atol=1e-9)
    # another trial draws other demand; the same trial the same (random numbers by address)
    h2 = export_history(world, seed=9, trial=2)
    assert not np.array_equal(h2.counts, h.counts)
    assert np.array_equal(export_history(world, seed=9, trial=2).counts, h2.counts)


def test_the_csv_has_the_contract_columns_and_one_row_per_cell(world: Any) -> None:
    h = export_history(world, seed=1)
    lines = history_csv(h).splitlines()
    assert lines[0].split(",") == list(HISTORY_COLUMNS)
    assert len(lines) - 1 == world.days * 5 * 3
    weather = {line.split(",")[6] for line in lines[1:]}
    assert weather <= {"clear", "rain", "snow", "rain+snow"}


def test_a_bad_trial_is_named(world: Any) -> None:
    for bad in (-1, 1.5, True):
        with pytest.raises(ValidationError, match="trial"):
            export_history(world, trial=bad)  # type: ignore[arg-type]
