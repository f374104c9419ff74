"""Packaging kernel: batch ship plans + line amounts vs a per-line Decimal loop; month-end close.

* ``ship_plan_batch`` + ``line_amounts_batch`` on 10⁶ order lines (tonnes with 3 decimals, packs
  of 25/40/50 kg, prices per tonne) against the straightforward loop a host would write with
  ``decimal`` (and against our own scalar ``ship_plan`` + ``line_amount``), both timed on a sample
  and scaled. Target: ≥ 1 M lines/s.
* ``close_month`` over 10⁵ movements of 20 products (about one receipt in ten).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
from _harness import Baseline, Case

from jxc_rules.closing import close_month, journal
from jxc_rules.money import from_fen
from jxc_rules.packaging import (
    ProductProfile,
    line_amount,
    line_amounts_batch,
    ship_plan,
    ship_plan_batch,
)
from jxc_rules.rounding import round_to
from jxc_rules.units import exact_factor


def _lines(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ordered_t = rng.integers(0, 50_000, n) / 1000.0  # up to 50 t, 3 decimals
    pack_t = rng.choice([0.025, 0.04, 0.05], n)
    price_per_t = rng.integers(150_000, 400_000, n) / 100.0  # 1500.00 .. 4000.00 yuan/t
    return ordered_t, pack_t, price_per_t


def _decimal_loop(ordered_t: np.ndarray, pack_t: np.ndarray, price: np.ndarray,
                  count: int) -> list[tuple[int, Decimal]]:
    """What a host writes without this library: one Decimal computation per line."""
    out = []
    cent = Decimal("0.01")
    for o, p, pr in zip(ordered_t[:count].tolist(), pack_t[:count].tolist(),
                        price[:count].tolist(), strict=True):
        od, pd = Decimal(repr(o)), Decimal(repr(p))
        packs = int((od / pd).to_integral_value(rounding=ROUND_CEILING))
        shipped = packs * pd
        out.append((packs, (shipped * Decimal(repr(pr))).quantize(cent, ROUND_HALF_UP)))
    return out


def _close_inputs(n: int, seed: int = 1) -> tuple[list[ProductProfile], object, dict]:
    rng = np.random.default_rng(seed)
    n_products = 20
    profiles = [ProductProfile(sku=f"p{i:02d}", name=f"fertilizer {i}", price_unit="t",
                               pack_content=f"{[25, 40, 50][i % 3]} kg",
                               invoice_basis="actual" if i % 2 else "nominal")
                for i in range(n_products)]
    sku_idx = rng.integers(0, n_products, n)
    is_receipt = rng.random(n) < 0.1
    bags = np.where(is_receipt, rng.integers(200, 1000, n), rng.integers(1, 40, n))
    price = np.where(is_receipt, rng.integers(200_000, 300_000, n),
                     rng.integers(250_000, 350_000, n)) / 100.0
    content_kg = np.array([[25, 40, 50][i % 3] for i in range(n_products)])[sku_idx]
    nominal_kg = bags * content_kg
    weighed = (~is_receipt) & (rng.random(n) < 0.5)
    # whole grams divided once: floats whose shortest repr has 3 decimals (no float dust, which
    # the batch path refuses just as the scalar path does)
    actual_kg = np.where(weighed, (nominal_kg * 1000 + rng.integers(-200, 200, n)) / 1000.0,
                         np.nan)
    ordered = (~is_receipt) & (rng.random(n) < 0.5)
    ordered_kg = np.where(
        ordered, np.maximum(nominal_kg * 1000 - rng.integers(0, 20_000, n), 0) / 1000.0, np.nan)
    # opening stock large enough that no shipment runs dry
    opening = {p.sku: (50 * n // n_products + 1000, "1000000.00") for p in profiles}
    jr = journal(np.array([f"D{i}" for i in range(n)]), np.array([f"p{i:02d}" for i in sku_idx]),
                 np.where(is_receipt, 1, -1), bags, price, ordered_kg=ordered_kg,
                 actual_kg=actual_kg)
    return profiles, jr, opening


def _close_loop(profiles: list[ProductProfile], jr: object, opening: dict,
                count: int) -> list[int]:
    """Per-movement moving average in plain Python ints (the same rule, one row at a time)."""
    grams = {p.sku: int(p.content * exact_factor(p.price_unit, "g")) for p in profiles}
    units = {p.sku: exact_factor("g", p.price_unit) for p in profiles}
    value = {s: int(Decimal(v) * 100) for s, (_, v) in opening.items()}
    bags = {s: b for s, (b, _) in opening.items()}
    run: dict[str, tuple[int, int, int]] = {}
    out = []
    rows = zip(jr.sku[:count].tolist(), jr.kind[:count].tolist(), jr.bags[:count].tolist(),
               jr.price_e4[:count].tolist(), strict=True)
    for sku, kind, n, price_e4 in rows:
        if kind == 1:
            fen = Fraction(n * grams[sku] * price_e4, 100) * units[sku]
            value[sku] += int(round_to(fen, 1, "half_up"))
            bags[sku] += n
            run.pop(sku, None)
            out.append(0)
            continue
        v, b, done = run.get(sku, (value[sku], bags[sku], 0))
        cogs = (int(round_to(Fraction(v * (done + n), b), 1, "half_up"))
                - int(round_to(Fraction(v * done, b), 1, "half_up")))
        run[sku] = (v, b, done + n)
        value[sku] -= cogs
        bags[sku] -= n
        out.append(cogs)
    return out


def cases(scale: float) -> list[Case]:
    n = max(2000, int(1_000_000 * scale))
    ordered_t, pack_t, price = _lines(n)
    sample = min(n, 20_000)

    def ours() -> np.ndarray:
        plan = ship_plan_batch(ordered_t, pack_t, unit="t", mode="up")
        return line_amounts_batch(plan, price, "t", price_decimals=2)

    def scalar_api() -> list[Decimal]:
        out = []
        for o, p, pr in zip(ordered_t[:sample // 4].tolist(), pack_t[:sample // 4].tolist(),
                            price[:sample // 4].tolist(), strict=True):
            plan = ship_plan(f"{o!r} t", f"{p!r} t", mode="up")
            out.append(line_amount(plan.shipped, repr(pr), "t"))
        return out

    def check() -> None:
        fen = ours()
        plan = ship_plan_batch(ordered_t[:200], pack_t[:200], unit="t", mode="up")
        loop = _decimal_loop(ordered_t, pack_t, price, 200)
        assert plan.packs.tolist() == [p for p, _ in loop]
        assert [from_fen(int(f)) for f in fen[:200]] == [a for _, a in loop]
        for i in range(50):
            sp = ship_plan(f"{float(ordered_t[i])!r} t", f"{float(pack_t[i])!r} t", mode="up")
            assert line_amount(sp.shipped, repr(float(price[i])), "t") == from_fen(int(fen[i]))

    m = max(2000, int(100_000 * scale))
    profiles, jr, opening = _close_inputs(m)

    def close() -> object:
        return close_month(profiles, jr, opening=opening)

    close_sample = min(m, 20_000)

    def check_close() -> None:
        result = close_month(profiles, jr, opening=opening)
        assert all(p.identity_holds() for p in result.products.values())
        k = min(m, 2000)
        assert result.cogs_fen[:k].tolist() == _close_loop(profiles, jr, opening, k)

    return [
        Case(
            "ship plan + amount (batch)", n, ours,
            [Baseline("per-line Decimal loop", lambda: _decimal_loop(ordered_t, pack_t, price,
                                                                     sample), sample=sample),
             Baseline("scalar ship_plan + line_amount", scalar_api, sample=sample // 4)],
            unit="lines", target=">= 1e6 lines/s", check=check,
        ),
        Case("month-end close", m, close,
             [Baseline("per-movement Python loop (COGS only)",
                       lambda: _close_loop(profiles, jr, opening, close_sample),
                       sample=close_sample)],
             unit="movements", check=check_close),
    ]
