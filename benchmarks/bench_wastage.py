"""Channel wastage: prep quantities over items × days × channels, and recipe explosion, against
nested Python loops (the way a host system written row by row computes them)."""

from __future__ import annotations

import numpy as np
from _harness import Baseline, Case

from jxc_rules.wastage import (
    dish_portions,
    ingredient_demand,
    prep_quantities,
    recipe_matrix,
)


def cases(scale: float) -> list[Case]:
    rng = np.random.default_rng(0)
    # -- prep quantities: 10^4 items × 365 days × 3 channels
    items = max(20, int(10_000 * scale))
    days, channels = 365, 3
    edible = rng.uniform(0, 50, (items, days, channels))
    yields = rng.uniform(0.5, 1.0, items)
    losses = rng.uniform(0.0, 0.15, (items, channels))
    sample = min(items, 200)
    size = items * days * channels

    def ours() -> np.ndarray:
        return prep_quantities(edible, yields=yields, losses=losses)

    def numpy_floor() -> np.ndarray:
        return edible / yields[:, None, None] / (1.0 - losses[:, None, :])

    def nested_loop() -> list[list[list[float]]]:
        out = []
        for i in range(sample):
            per_day = []
            for t in range(days):
                row = []
                for c in range(channels):
                    row.append(float(edible[i, t, c]) / float(yields[i])
                               / (1.0 - float(losses[i, c])))
                per_day.append(row)
            out.append(per_day)
        return out

    def check_prep() -> None:
        got = ours()
        np.testing.assert_allclose(got[:sample], np.array(nested_loop()), rtol=1e-12)
        np.testing.assert_allclose(got, numpy_floor(), rtol=1e-12)

    # -- recipe explosion: dishes → ingredients over days × channels
    n_dishes, n_ingredients = 150, 300
    explode_days = max(5, int(365 * scale))
    recipe = {f"dish{d}": {f"ing{j}": float(rng.uniform(0.01, 0.3))
                           for j in rng.choice(n_ingredients, 6, replace=False)}
              for d in range(n_dishes)}
    matrix = recipe_matrix(recipe)
    drivers = rng.uniform(50, 400, (explode_days, channels))
    take_rates = rng.uniform(0, 0.4, (n_dishes, channels))
    explode_size = n_dishes * explode_days * channels
    explode_sample = min(explode_days, 20)
    col = {name: j for j, name in enumerate(matrix.ingredients)}

    def ours_explode() -> np.ndarray:
        return ingredient_demand(dish_portions(drivers, take_rates), matrix)

    def loop_explode() -> dict[tuple[str, int, int], float]:
        out: dict[tuple[str, int, int], float] = {}
        for d, (_dish, lines) in enumerate(recipe.items()):
            for t in range(explode_sample):
                for c in range(channels):
                    portions = float(drivers[t, c]) * float(take_rates[d, c])
                    for ing, qty in lines.items():
                        key = (ing, t, c)
                        out[key] = out.get(key, 0.0) + portions * qty
        return out

    def check_explode() -> None:
        got = ours_explode()
        for (ing, t, c), value in loop_explode().items():
            assert abs(got[col[ing], t, c] - value) <= 1e-9 * max(1.0, value)

    return [
        Case(
            "prep quantities (items × 365 days × 3 channels)", size, ours,
            [Baseline("plain numpy, no checks", numpy_floor),
             Baseline("nested Python loop", nested_loop, sample=sample * days * channels)],
            unit="cells", check=check_prep,
        ),
        Case(
            f"recipe explosion ({n_dishes} dishes → {n_ingredients} ingredients, days × 3)",
            explode_size, ours_explode,
            [Baseline("nested Python loop over recipe lines", loop_explode,
                      sample=n_dishes * explode_sample * channels)],
            unit="dish-days", check=check_explode,
        ),
    ]
