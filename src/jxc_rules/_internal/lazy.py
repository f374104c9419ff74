"""A module imported on first attribute access: heavy dependencies (scipy, networkx) load only
when a function that needs them runs, so ``import jxc_rules.wastage`` stays light.

Use with ``if TYPE_CHECKING: import scipy.stats as stats`` / ``else: stats = lazy_module(...)``
so type checkers see the real module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule:
    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it when first used."""
    return _LazyModule(name)
