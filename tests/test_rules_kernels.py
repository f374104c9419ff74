"""Each kernel runs from its bundled pack's parameters (worked numbers checked by hand)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import chinese_calendar
import numpy as np
import pytest

from jxc_rules.bom import explode, max_buildable
from jxc_rules.errors import InsufficientStock
from jxc_rules.live_weight import expected_weight
from jxc_rules.packaging import line_amount
from jxc_rules.reservation import Ledger, reserve_order
from jxc_rules.rules import load_pack
from jxc_rules.shelf_life import remaining_life
from jxc_rules.wastage import gross_up, prep_chain

INDUSTRIES = Path(__file__).resolve().parents[1] / "industries"


def _pack(name: str):  # type: ignore[no-untyped-def]
    return load_pack(INDUSTRIES / name)


def test_packaging_runs_from_the_agri_inputs_pack() -> None:
    pack = _pack("agri-inputs/2026.11.yaml")
    urea = pack.packaging["urea"]
    plan = urea.ship_plan("12.35 t")  # rounding "up" comes from the pack
    assert plan.packs == 309
    assert str(plan.residual) == "-0.01 metric_ton"
    price = pack.prices["urea"]
    assert (price.amount, price.per) == (Decimal(2850), "t")
    assert line_amount("12.35 t", price.amount, price.per) == Decimal("35197.50")
    assert line_amount(plan.shipped, price.amount, price.per) == Decimal("35226.00")
    assert pack.packaging["compound_fertilizer"].content == Fraction(1, 20)  # 50 kg in t
    assert pack.packaging["maize_seed"].content == 25


def test_live_weight_runs_from_the_hotpot_and_aquatic_packs() -> None:
    fish = _pack("hotpot/2026.11.yaml").live_weight["tilapia_live"]
    # 1000 kg for 8 h at 0.3 %/h, compound: 1000 × 0.997^8 = 976.250
    assert expected_weight(1000, 8, rate_per_hour=fish.rate_per_hour,
                           form=fish.form) == pytest.approx(976.250, abs=5e-4)
    two_phase = _pack("aquatic/2026.11.yaml").live_weight["tilapia_live"]
    # 3 h at 0.8 %/h then 5 h at 0.3 %/h at the reference temperature
    expected = 1000 * 0.992**3 * 0.997**5
    assert float(two_phase.expected_weight(1000, 8, 22)) == pytest.approx(expected, rel=1e-12)
    assert float(two_phase.expected_weight(1000, 8, 22, fasted=True)) == pytest.approx(
        1000 * 0.997**8, rel=1e-12)
    assert float(two_phase.expected_dead_fraction(12)) == pytest.approx(0.03)


def test_shelf_life_runs_from_the_bakery_pack() -> None:
    cream = _pack("bakery/2026.11.yaml").shelf_life["whipping_cream"]
    # 10 d at 4 °C, Q10 = 3; 2 d at 12 °C consume 2 × 3^0.8 d → 10 − 4.816 = 5.184 d left
    left_h = remaining_life([0, 48], [12, 12], cream.model, cream.shelf_life_ref_h)
    assert float(left_h) / 24 == pytest.approx(10 - 2 * 3**0.8, abs=1e-9)
    assert cream.alert_offset_h == 48
    assert cream.removal_offset_h == 24
    assert {lim.max_hours for lim in cream.hard_limits} == {4.0, 2.0}


def test_wastage_runs_from_the_hotpot_pack() -> None:
    pack = _pack("hotpot/2026.11.yaml")
    w = pack.wastage
    assert w is not None
    assert w.turnover is not None
    assert w.turnover.covers_per_day() == pytest.approx(364.8)
    loss = w.loss("dine_in", "beef_slices")  # 1.5 % + 1 % + 2 %
    assert loss == pytest.approx(0.045)
    assert w.loss("dine_in", "napa_cabbage") == pytest.approx(0.09)  # leafy group override
    portion_kg = float(explode(pack.recipes, "dish_beef", 1)["beef_slices"])
    chain = prep_chain(w.turnover.tables, w.turnover.turns_per_day,
                       w.turnover.guests_per_table, w.take_rates["dish_beef"], portion_kg,
                       turnover_definition=w.turnover.definition,
                       yield_fraction=w.loss_model.yield_of("beef_slices"), loss=loss,
                       convention=w.loss_model.convention)
    # 364.8 covers × 0.35 × 0.2 kg = 25.536 kg; / (1 − 0.045) = 26.739 kg
    assert float(chain.edible) == pytest.approx(25.536)
    assert float(chain.prep) == pytest.approx(25.536 / 0.955)
    assert float(gross_up(25.536, loss, convention="loss")) == pytest.approx(float(chain.prep))


def test_replenishment_and_purchase_packs_run_from_the_hotpot_pack() -> None:
    old, new = _pack("hotpot/2026.10.yaml"), _pack("hotpot/2026.11.yaml")
    usage_kg = 26.74
    beef = new.packaging["beef_slices"]
    for pack, boxes in ((old, 22), (new, 17)):  # (1 + 1) d × 26.74 = 53.5 kg; 1.5 d = 40.1
        policy = pack.replenishment
        assert policy is not None
        need_kg = usage_kg * policy.target_days()
        assert beef.ship_plan(f"{need_kg} kg", mode=policy.order_rounding).packs == boxes


def test_holiday_and_weather_coefficients_apply_on_real_calendar_days() -> None:
    pack = _pack("hotpot/2026.11.yaml")
    days = [dt.date(2026, 2, 1) + dt.timedelta(i) for i in range(40)]
    off = [d for d in days if chinese_calendar.get_holiday_detail(d) == (True, "Spring Festival")]
    assert (off[0], len(off)) == (dt.date(2026, 2, 15), 9)
    rule = pack.holidays["Spring Festival"]
    window = rule.dine_in.window(len(off))
    assert len(window) == len(rule.dine_in.before) + 9 + len(rule.dine_in.after)
    assert window.max() == pytest.approx(1.55)
    rain = pack.weather["rain"]
    dine, take, group = rain.apply(np.array([100.0]), np.array([40.0]), np.array([10.0]))
    assert float(dine[0]) == pytest.approx(82.0)
    assert float(take[0]) == pytest.approx(40.0 + 0.35 * 18.0)
    assert float(group[0]) == pytest.approx(10.0)


def test_bom_and_reservation_run_from_the_auto_parts_pack() -> None:
    pack = _pack("auto-parts/2026.11.yaml")
    bom = pack.recipes
    need = explode(bom, "gearbox_assy", 200)
    assert need["bolt_m8x25"] == 2448        # 200 × 12 × 1.02
    assert need["circlip_25"] == 880         # 200 × (2 + 2) × 1.1
    assert need["casting_blank"] == 206      # machining scrap 3 %
    assert need["gear_1"] == 200             # through the phantom gear set
    assert need["oil_atf"] == 500            # litres
    assert pack.reservation is not None
    assert pack.reservation.mode == "all_or_nothing"
    stock = {k: int(v) * 2 for k, v in need.items()}
    stock["bolt_m8x25"] = 2000               # bolts short for 200 sets
    assert max_buildable(bom, "gearbox_assy", stock) == 163  # 2000 / 12.24
    ledger = Ledger(stock)
    with pytest.raises(InsufficientStock) as info:
        reserve_order(ledger, bom, "SO-1", "gearbox_assy", 200)
    assert set(info.value.shortages) == {"bolt_m8x25"}
    assert all(ledger.reserved(sku) == 0 for sku in stock)  # nothing reserved
    reserve_order(ledger, bom, "SO-2", "gearbox_assy", 100)
    assert ledger.reserved("washer_m8") == 1224
