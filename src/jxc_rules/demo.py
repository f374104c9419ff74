"""Worked examples printed by ``jxc-rules demo`` (each one is also checked in the tests)."""

from __future__ import annotations

from jxc_rules.money import allocate, amount
from jxc_rules.rounding import round_to
from jxc_rules.units import convert

__all__ = ["run_demo"]


def run_demo() -> None:
    """Print the foundation's worked examples; later kernels add theirs."""
    print("jxc_rules — worked examples")
    print(f"  3 斤 = {convert(3, '斤', 'kg')} kg;  1 020 000 g = {convert(1020000, 'g', 't')} t")
    bags = convert("12.35", "t", "kg", step=40, mode="up") / 40
    print(f"  12.35 t of urea in 40 kg bags (mode up) = {bags} bags")
    print(f"  309 bags × 40 kg at 2850 元/吨 = {amount('12.36', 2850)} 元")
    print(f"  2.675 → 0.01 四舍五入 = {round_to('2.675', '0.01')}")
    print(f"  8.00 split three ways = {', '.join(map(str, allocate('8.00', [1, 1, 1])))}")
