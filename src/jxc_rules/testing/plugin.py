"""pytest plugin (entry point ``pytest11``): fixtures that expose jxc_rules to host test suites.

Installed automatically with the package; a host's ``pytest`` finds these fixtures without any
import. Strategies themselves are imported from :mod:`jxc_rules.testing`.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pint loads with the fixture, not with every pytest run of a host
    import pint


@pytest.fixture(scope="session")
def jxc_ureg() -> pint.UnitRegistry[Any]:
    """The application unit registry (斤, 两, pcs, dozen, ... included)."""
    from jxc_rules.units import ureg

    return ureg


@pytest.fixture(scope="session")
def jxc_strategies() -> ModuleType:
    """The :mod:`jxc_rules.testing` module, for ``jxc_strategies.weight_vectors()`` etc."""
    import jxc_rules.testing

    return jxc_rules.testing
