"""Hypothesis strategies for the rule simulator.

- :func:`scenario_mappings` — small, valid scenario documents (plain dicts ready for
  ``yaml.safe_dump``): one or two items under a base-stock ``policy``, random demand levels,
  distributions, lead times and horizons inside the holiday calendar's years;
- :func:`sweep_specs` — valid ``PARAM=start:stop:step`` strings for ``--sweep``.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=5)
... @given(doc=scenario_mappings())
... def test_has_items(doc):
...     assert doc["items"] and doc["policy"]["order_up_to"]
>>> test_has_items()
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from jxc_rules.testing import _args

__all__ = ["scenario_mappings", "sweep_specs"]


def _check_scenarios(*, max_items: int = 2, max_days: int = 21) -> None:
    _args.check_int("scenario_mappings", "max_items", max_items, 1)
    _args.check_int("scenario_mappings", "max_days", max_days, 1)


@_args.checked(_check_scenarios)
@st.composite
def scenario_mappings(draw: st.DrawFn, *, max_items: int = 2, max_days: int = 21) -> dict[str, Any]:
    """A valid single-location scenario document with a base-stock policy."""
    start = draw(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 11, 30)))
    days = draw(st.integers(1, max_days))
    end = min(start + dt.timedelta(days=days - 1), dt.date(2026, 12, 31))
    n_items = draw(st.integers(1, max_items))
    items: dict[str, Any] = {}
    levels: dict[str, float] = {}
    for k in range(n_items):
        mean = draw(st.floats(0.0, 30.0, allow_nan=False).map(lambda x: round(x, 2)))
        cost = draw(st.integers(1, 50))
        items[f"item_{k}"] = {
            "unit": "kg",
            "cost_per_unit": cost,
            "price_per_unit": cost + draw(st.integers(0, 50)),
            "initial_stock": draw(st.integers(0, 40)),
            "demand": {"dine_in": mean},
        }
        levels[f"item_{k}"] = float(draw(st.integers(0, 60)))
    dist = draw(st.sampled_from([
        "poisson", "deterministic", {"type": "negative_binomial", "dispersion": 4.0}]))
    return {
        "name": "generated",
        "horizon": {"start": start.isoformat(), "end": end.isoformat()},
        "channels": ["dine_in"],
        "items": items,
        "distribution": dist,
        "policy": {"order_up_to": levels,
                   "review_period_days": draw(st.integers(1, 3)),
                   "lead_time_days": draw(st.integers(0, 3))},
    }


def sweep_specs() -> st.SearchStrategy[str]:
    """``PARAM=start:stop:step`` strings over parameters every scenario accepts."""
    params = st.sampled_from(["demand.scale", "holiday.spring_festival.dine_in.uplift",
                              "weather.rain.probability"])

    def build(param: str, start: int, n: int) -> str:
        lo = start / 10
        step = 0.1
        hi = min(lo + n * step, 1.0) if param.endswith("probability") else lo + n * step
        lo = min(lo, hi)
        return f"{param}={lo:g}:{hi:g}:{step:g}"

    return st.builds(build, params, st.integers(0, 5), st.integers(0, 4))
