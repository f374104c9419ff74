"""Loss conventions, gross-up, blending and the channel loss model (issue 7)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.errors import UnitError, UnknownItemError, ValidationError
from jxc_rules.units import Q_
from jxc_rules.wastage import (
    ChannelLoss,
    ChannelLossModel,
    blended_loss,
    convert_rate,
    gross_up,
    gross_up_exact,
    loss_to_markup,
    markup_to_loss,
    net_from_gross,
    net_from_gross_exact,
)

rates = st.floats(0.0, 0.95, allow_nan=False)
nets = st.floats(0.0, 1e6, allow_nan=False)


# ---------------------------------------------------------------- worked example


def test_worked_example_loss_and_markup_conventions() -> None:
    as_purchased = 30 * 3.8 * 3.2 * 0.35 * 0.15 / 0.85
    assert round(as_purchased, 3) == 22.532
    assert round(gross_up(as_purchased, 0.04), 3) == 23.471
    assert round(gross_up(as_purchased, 0.04, convention="markup"), 3) == 23.433


def test_gross_up_keeps_quantity_units() -> None:
    out = gross_up(Q_(np.array([96.0, 48.0]), "斤"), 0.04)
    assert str(out.units) == "jin"
    np.testing.assert_allclose(out.magnitude, [100.0, 50.0])
    assert gross_up("96 kg", 0.04).to("kg").magnitude == pytest.approx(100.0)


def test_gross_up_broadcasts_trials_by_items() -> None:
    net = np.ones((4, 3))
    loss = np.array([0.0, 0.5, 0.75])
    np.testing.assert_allclose(gross_up(net, loss), np.tile([1.0, 2.0, 4.0], (4, 1)))


def test_conversion_examples() -> None:
    assert loss_to_markup(0.2) == pytest.approx(0.25)
    assert markup_to_loss(0.25) == pytest.approx(0.2)
    assert convert_rate(0.25, "markup", "loss") == pytest.approx(0.2)


# ---------------------------------------------------------------- properties


@given(net=nets, a=rates, b=rates)
def test_gross_up_is_monotone_in_loss(net: float, a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    for conv in ("loss", "markup"):
        assert gross_up(net, lo, convention=conv) <= gross_up(net, hi, convention=conv)
    assert gross_up(net, lo) >= net


@given(net=nets, loss=rates)
def test_gross_up_inverts(net: float, loss: float) -> None:
    for conv in ("loss", "markup"):
        back = net_from_gross(gross_up(net, loss, convention=conv), loss, convention=conv)
        assert back == pytest.approx(net, rel=1e-12, abs=1e-12)


@given(net=st.fractions(0, 10**6), loss=st.fractions(0, Fraction(99, 100)))
def test_exact_gross_up_inverts_exactly(net: Fraction, loss: Fraction) -> None:
    for conv in ("loss", "markup"):
        assert net_from_gross_exact(gross_up_exact(net, loss, convention=conv), loss,
                                    convention=conv) == net


@given(loss=rates, net=nets)
def test_conventions_agree_after_conversion(loss: float, net: float) -> None:
    assert gross_up(net, loss_to_markup(loss), convention="markup") == pytest.approx(
        gross_up(net, loss), rel=1e-12, abs=1e-9)
    assert markup_to_loss(loss_to_markup(loss)) == pytest.approx(loss, abs=1e-12)


@given(weights=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5).filter(
    lambda w: sum(w) > 1e-3), data=st.data())
def test_blended_loss_lies_between_channel_extremes(weights: list[float], data: st.DataObject
                                                    ) -> None:
    shares = np.array(weights) / sum(weights)
    losses = np.array(data.draw(st.lists(rates, min_size=len(weights), max_size=len(weights))))
    out = blended_loss(shares, losses)
    assert losses.min() - 1e-12 <= out <= losses.max() + 1e-12


def test_blended_loss_with_gross_shares_is_exact() -> None:
    net = {"dine_in": 100.0, "takeaway": 50.0}
    loss = {"dine_in": 0.04, "takeaway": 0.1}
    gross = {c: gross_up(net[c], loss[c]) for c in net}
    total_gross = sum(gross.values())
    shares = {c: g / total_gross for c, g in gross.items()}
    assert gross_up(sum(net.values()), blended_loss(shares, loss)) == pytest.approx(total_gross)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("loss", [1.0, 1.5, -0.01, float("nan")])
def test_gross_up_refuses_loss_outside_zero_one(loss: float) -> None:
    with pytest.raises(ValidationError, match="loss"):
        gross_up(10.0, loss)


def test_gross_up_names_the_bad_row() -> None:
    with pytest.raises(ValidationError, match=r"row \(1, 2\)"):
        gross_up(np.ones((2, 3)), np.array([[0.1, 0.1, 0.1], [0.1, 0.1, 1.0]]))


def test_gross_up_refuses_negative_markup_net_and_unknown_convention() -> None:
    with pytest.raises(ValidationError, match="markup must be >= 0"):
        gross_up(10.0, -0.1, convention="markup")
    with pytest.raises(ValidationError, match="net must be >= 0"):
        gross_up(-1.0, 0.1)
    with pytest.raises(ValidationError, match="convention"):
        gross_up(1.0, 0.1, convention="margin")


def test_gross_up_refuses_unknown_unit() -> None:
    with pytest.raises(UnitError):
        gross_up("3 furlongs-ish", 0.1)


def test_blended_loss_refuses_shares_not_summing_to_one() -> None:
    with pytest.raises(ValidationError, match=r"sum to 1.*dine_in, takeaway"):
        blended_loss({"dine_in": 0.6, "takeaway": 0.3}, {"dine_in": 0.0, "takeaway": 0.0})
    with pytest.raises(ValidationError, match=r"row 1"):
        blended_loss([[0.5, 0.5], [0.5, 0.6]], [0.1, 0.2])
    assert blended_loss([0.5, 0.5 + 1e-9], [0.1, 0.2]) == pytest.approx(0.15)


def test_blended_loss_names_the_channel() -> None:
    with pytest.raises(ValidationError, match=r"losses\[takeaway\]"):
        blended_loss({"dine_in": 0.5, "外卖": 0.5}, {"dine_in": 0.1, "takeaway": 1.2})
    with pytest.raises(UnknownItemError, match="group_meal"):
        blended_loss({"dine_in": 0.5, "group_meal": 0.5}, {"dine_in": 0.1})
    with pytest.raises(ValidationError, match=r"shares\[dine_in\]"):
        blended_loss({"dine_in": -0.5, "group_meal": 1.5}, {"dine_in": 0.1, "group_meal": 0})


# ---------------------------------------------------------------- parameter classes

PACK = {
    "convention": "loss",
    "channels": {
        "dine_in": {"prep": 0.01, "spoilage": 0.01, "plate": 0.02},
        "外卖": {"prep": 0.01, "packaging": "3 %"},
        "group_meal": 0.05,
    },
    "items": {"leafy": {"dine_in": {"spoilage": 0.06}},
              "beef": {"takeaway": {"convention": "markup", "packaging": 0.02}}},
    "groups": {"spinach": "leafy"},
    "yields": {"spinach": 0.85, "leafy": 0.8},
    "sources": ["illustrative"],
}


def test_model_lookup_order_item_group_channel() -> None:
    m = ChannelLossModel.from_mapping(PACK)
    assert m.loss("dine_in") == pytest.approx(0.04)
    assert m.loss("dine_in", "spinach") == pytest.approx(0.06)
    assert m.loss("takeaway", "beef") == pytest.approx(0.02 / 1.02)
    assert m.loss("团餐") == pytest.approx(0.05)
    assert m.channel_loss("group_meal").other == pytest.approx(0.05)
    assert m.yield_of("spinach") == 0.85
    assert m.yield_of("lettuce") == 1.0
    with pytest.raises(UnknownItemError, match="delivery"):
        m.loss("delivery")


def test_cause_array_sums_to_loss_array() -> None:
    m = ChannelLossModel.from_mapping(PACK)
    items = ["beef", "spinach", "tofu"]
    for conv in ("loss", "markup"):
        np.testing.assert_allclose(m.cause_array(items, convention=conv).sum(axis=-1),
                                   m.loss_array(items, convention=conv))


def test_model_round_trips_through_mapping() -> None:
    m = ChannelLossModel.from_mapping(PACK)
    assert ChannelLossModel.from_mapping(m.to_mapping()) == m
    assert ChannelLossModel.from_mapping(m.to_convention("markup").to_mapping()).loss(
        "dine_in", "spinach") == pytest.approx(0.06)


def test_missing_convention_is_an_error() -> None:
    bad = {k: v for k, v in PACK.items() if k != "convention"}
    with pytest.raises(ValidationError, match="convention must be stated"):
        ChannelLossModel.from_mapping(bad)
    with pytest.raises(ValidationError, match=r"channels\.x\.convention"):
        ChannelLoss.from_mapping({"plate": 0.1}, field="channels.x")


@pytest.mark.parametrize(
    ("patch", "match"),
    [
        ({"channels": {"dine_in": {"plate": 0.7, "prep": 0.4}}}, r"channels\.dine_in must be"),
        ({"channels": {"dine_in": {"plate": -0.1}}}, r"channels\.dine_in\.plate"),
        ({"channels": {"dine_in": {"plates": 0.1}}}, r"channels\.dine_in\.plates"),
        ({"channels": {}}, "channels"),
        ({"items": {"beef": {"delivery": 0.1}}}, r"items\.beef\.delivery"),
        ({"yields": {"beef": 1.2}}, r"yields\.beef"),
        ({"yields": {"beef": 0}}, r"yields\.beef"),
        ({"colour": "red"}, "colour"),
        ({"convention": "margin"}, "convention"),
    ],
)
def test_from_mapping_errors_name_the_key(patch: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        ChannelLossModel.from_mapping({**PACK, **patch})


def test_channel_loss_refuses_total_of_one_or_more() -> None:
    with pytest.raises(ValidationError, match="< 1"):
        ChannelLoss("loss", plate=0.5, prep=0.5)
    assert ChannelLoss("markup", plate=0.5, prep=0.7).loss == pytest.approx(1.2 / 2.2)


def test_two_names_for_one_channel_are_a_duplicate() -> None:
    from jxc_rules.errors import DuplicateError

    with pytest.raises(DuplicateError, match="堂食"):
        ChannelLossModel.from_mapping({**PACK, "channels": {"dine_in": 0.1, "堂食": 0.2}})
    with pytest.raises(DuplicateError, match=r"items\.beef"):
        ChannelLossModel.from_mapping({**PACK, "items": {"beef": {"takeaway": 0.1, "外卖": 0.1}}})
    with pytest.raises(DuplicateError):
        blended_loss({"dine_in": 0.5, "堂食": 0.5}, {"dine_in": 0.1})


def test_shares_just_outside_the_tolerance_are_refused() -> None:
    with pytest.raises(ValidationError, match="sum to 1"):
        blended_loss([0.5, 0.5 + 2e-6], [0.1, 0.2])
    with pytest.raises(ValidationError, match="sum to 1"):
        blended_loss({"dine_in": 0.5, "takeaway": 0.5 + 2e-6}, {"dine_in": 0.1, "takeaway": 0.2})
    assert blended_loss([0.5, 0.5 + 2e-6], [0.1, 0.2], tolerance=1e-5) == pytest.approx(0.1500004)


def test_an_item_entry_beats_its_group_entry() -> None:
    m = ChannelLossModel.from_mapping({
        "convention": "loss", "channels": {"dine_in": 0.04},
        "items": {"leafy": {"dine_in": 0.06}, "spinach": {"dine_in": 0.09}},
        "groups": {"spinach": "leafy", "lettuce": "leafy"}})
    assert m.loss("dine_in", "spinach") == pytest.approx(0.09)
    assert m.loss("dine_in", "lettuce") == pytest.approx(0.06)
    assert m.loss("dine_in", "beef") == pytest.approx(0.04)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ChannelLoss("loss", plate="lots"), r"^plate must be a number"),
        (lambda: ChannelLoss("loss", spoilage=-0.01), r"^spoilage must be a finite rate >= 0"),
        (lambda: ChannelLoss("markup", packaging=float("nan")), r"^packaging must be"),
        (lambda: convert_rate(0.1, "loss", "margin"), r"^to_convention must be 'loss'"),
        (lambda: gross_up_exact("-1", "0.1"), r"^net must be >= 0"),
        (lambda: gross_up_exact("1", "1"), r"^loss must be >= 0 and < 1"),
        (lambda: net_from_gross([1.0, -1.0], 0.1), r"^gross must be >= 0, got -1.0 \(row 1\)"),
        (lambda: blended_loss({"dine_in": 1.0}, [0.1]), r"^losses must be a mapping"),
        (lambda: blended_loss({}, {}), r"^shares must be at least one channel"),
        (lambda: blended_loss(1.0, 0.1), r"^shares must be an array with a channel axis"),
        (lambda: blended_loss([0.5, 0.5], [0.1, 0.2, 0.3]), r"do not broadcast"),
        (lambda: ChannelLossModel.from_mapping([1]), r"^wastage must be a mapping"),  # type: ignore[arg-type]
        (lambda: ChannelLossModel.from_mapping({**PACK, "items": {"beef": 0.1}}),
         r"^items\.beef must be a mapping"),
        (lambda: ChannelLossModel.from_mapping({**PACK, "groups": [1]}), r"^groups must be"),
        (lambda: ChannelLossModel.from_mapping({**PACK, "sources": "audit"}), r"^sources must be"),
    ],
)
def test_more_bad_input_names_the_field(call: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()  # type: ignore[operator]
