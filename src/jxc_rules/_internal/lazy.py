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


def lazy_exports(package: str, names: dict[str, str]) -> tuple[Any, Any]:
    """``(__getattr__, __dir__)`` for a package whose public names load on first use (PEP 562).

    ``names`` maps each public name to the module that defines it.
    """
    import sys

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
