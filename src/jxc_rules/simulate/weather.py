"""The weather process: independent daily states (rain, snow, ...) and their channel effects.

Each state *w* occurs on day *d* of a trial with probability ``p[d, w]`` (constant, monthly
climatology or a CSV, see :mod:`jxc_rules.simulate.scenario`), independently across days,
states and trials. On a day where *w* occurs, channel *c*'s demand is multiplied by
``γ[w, c]``; a share ``s[w]`` of the dine-in demand the state removes reappears as takeaway:

    takeaway += s[w] · (1 − γ[w, dine_in]) · dine_in_base

Several states on one day multiply their γ and add their shifts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["EffectTable", "channel_factors", "draw_states", "effect_table", "expected_effect"]

EffectTable = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
"""``(gamma[W, C], shift[W])`` of W weather states over C channels."""


def effect_table(
    multipliers: Sequence[Mapping[str, float]],
    shifts: Sequence[float],
    channels: Sequence[str],
) -> EffectTable:
    """Dense ``(gamma[W, C], shift[W])`` from per-state channel mappings (missing channel: 1).

    Examples
    --------
    >>> g, s = effect_table([{"dine_in": 0.8}], [0.5], ["dine_in", "takeaway"])
    >>> g.tolist(), s.tolist()
    ([[0.8, 1.0]], [0.5])
    """
    gamma = np.ones((len(multipliers), len(channels)))
    for w, mult in enumerate(multipliers):
        for c, ch in enumerate(channels):
            gamma[w, c] = float(mult.get(ch, 1.0))
    return gamma, np.asarray(shifts, dtype=np.float64).reshape(len(multipliers))


def draw_states(
    probability: npt.NDArray[np.float64], uniforms: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """States of one day for a block of trials: ``uniforms[T, W] < probability[W]``."""
    return uniforms < probability


def channel_factors(
    states: npt.NDArray[np.bool_],
    table: EffectTable,
    dine: int | None,
    take: int | None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per-trial channel multipliers ``F[T, C]`` and takeaway shift share ``A[T]`` (fraction
    of the dine-in base added to takeaway)."""
    gamma, shift = table
    trials = states.shape[0]
    if gamma.shape[0] == 0:
        return np.ones((trials, gamma.shape[1])), np.zeros(trials)
    # product over active states: exp(sum(log gamma)) would lose exactness; use where + prod
    factors = np.where(states[:, :, None], gamma[None, :, :], 1.0).prod(axis=1)
    add = np.zeros(trials)
    if dine is not None and take is not None:
        add = (states * (shift * (1.0 - gamma[:, dine]))[None, :]).sum(axis=1)
    return factors, add


def expected_effect(
    probability: npt.NDArray[np.float64],
    table: EffectTable,
    dine: int | None,
    take: int | None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Expected channel factor ``E[F][D, C]`` and takeaway shift ``E[A][D]`` for per-day state
    probabilities ``probability[D, W]`` (independent states: E[Π] = Π E)."""
    gamma, shift = table
    days = probability.shape[0]
    if gamma.shape[0] == 0:
        return np.ones((days, gamma.shape[1])), np.zeros(days)
    factors = (1.0 + probability[:, :, None] * (gamma[None, :, :] - 1.0)).prod(axis=1)
    add = np.zeros(days)
    if dine is not None and take is not None:
        add = (probability * (shift * (1.0 - gamma[:, dine]))[None, :]).sum(axis=1)
    return factors, add
