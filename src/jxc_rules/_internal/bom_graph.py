"""Cycle check and low-level codes of a BOM graph over integer ids, in one vectorised pass.

The graph is given as edge arrays ``src → dst`` over node ids ``0 .. n-1`` (duplicate edges
allowed). :func:`layers` runs Kahn's topological sort *a whole layer at a time*: layer 0 is every
node without a parent; removing a layer's out-edges (one ``numpy`` gather and one ``bincount`` per
layer) makes the next layer the nodes whose last parent just went. A node's layer is therefore
``1 + max(layer of its parents)`` — the length of the longest path from a top item to it, i.e.
its low-level code (低层码, Orlicky) — and nodes that never become free lie on or below a cycle.

Cost: ``O(E + n)`` in numpy per layer (a gather and a ``bincount``), so a 10⁴-item, 8-level BOM
takes about a millisecond. Past :data:`NUMPY_LAYERS` layers (a deep, narrow BOM, such as a chain)
the rest runs as a plain-Python Kahn over lists, ≈ 1 µs per edge, instead of paying the numpy
constant for every layer of a few nodes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["layers"]

IntArray = npt.NDArray[np.intp]
NUMPY_LAYERS = 64
"""Layers done with numpy before the plain-Python loop takes over."""


def layers(n: int, src: IntArray, dst: IntArray) -> IntArray | None:
    """Layer (longest-path depth from a source) of every node, or ``None`` when the graph has a
    cycle (a self-loop included).

    >>> layers(4, np.array([0, 1, 0]), np.array([1, 2, 2])).tolist()
    [0, 1, 2, 0]
    >>> layers(2, np.array([0, 1]), np.array([1, 0])) is None
    True
    """
    layer = np.zeros(n, dtype=np.intp)
    if src.size == 0:
        return layer
    by_src = np.argsort(src, kind="stable")
    targets = dst[by_src]
    indptr = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    indegree = np.bincount(dst, minlength=n)
    frontier = np.flatnonzero(indegree == 0)
    freed = 0
    level = 0
    while frontier.size:
        if level >= NUMPY_LAYERS:
            return _rest_in_python(n, layer, indptr, targets, indegree, frontier, level, freed)
        layer[frontier] = level
        freed += frontier.size
        starts = indptr[frontier]
        counts = indptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            break
        ends = np.cumsum(counts)
        gather = np.repeat(starts - ends + counts, counts) + np.arange(total)
        removed = np.bincount(targets[gather], minlength=n)
        indegree -= removed
        frontier = np.flatnonzero((indegree == 0) & (removed > 0))
        level += 1
    return layer if freed == n else None


def _rest_in_python(n: int, layer: IntArray, indptr: IntArray, targets: IntArray,
                    indegree: IntArray, frontier: IntArray, level: int,
                    freed: int) -> IntArray | None:
    ptr: list[int] = indptr.tolist()
    tgt: list[int] = targets.tolist()
    deg: list[int] = indegree.tolist()
    out: list[int] = layer.tolist()
    current: list[int] = frontier.tolist()
    while current:
        freed += len(current)
        nxt: list[int] = []
        for node in current:
            out[node] = level
            for child in tgt[ptr[node]:ptr[node + 1]]:
                deg[child] -= 1
                if deg[child] == 0:
                    nxt.append(child)
        current = nxt
        level += 1
    return np.array(out, dtype=np.intp) if freed == n else None
