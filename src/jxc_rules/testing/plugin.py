"""pytest plugin (entry point ``pytest11``): fixtures that expose jxc_rules to host test suites.

Installed with the package, so a host's ``pytest`` finds these fixtures without any import.
It is built to cost nothing until used:

- at pytest start it imports only :mod:`pytest` and this module (no hypothesis, no pint, no
  kernel): ``pytest_addoption`` declares one option and one ini key, nothing else runs;
- fixtures load what they need on first use; a fixture that needs hypothesis fails *that test*
  with a message naming ``pip install 'jxc-rules[test]'`` when hypothesis is not installed, and
  every other test of the host runs as before;
- it never installs our unit registry as pint's application registry and never registers or
  loads a hypothesis settings profile, unless asked with ``--jxc-hypothesis-profile NAME`` (or
  the ini key ``jxc_hypothesis_profile``), which loads one of
  :data:`jxc_rules.testing.profiles.PROFILES`.

Opt out entirely with ``pytest -p no:jxc_rules`` (or ``addopts = -p no:jxc_rules`` in the
host's ini file); ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` disables every entry-point plugin.
Strategies themselves are imported from :mod:`jxc_rules.testing`.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pint loads with the fixture, not with every pytest run of a host
    import pint

_OPTION = "--jxc-hypothesis-profile"
_INI = "jxc_hypothesis_profile"
INSTALL_HINT = "pip install 'jxc-rules[test]'"
"""The line a missing-hypothesis message names."""


def hypothesis_missing_message(what: str) -> str:
    """The message of a fixture or option that needs hypothesis when it is not installed."""
    return (f"{what} needs hypothesis, which is not installed in this environment; "
            f"install it with {INSTALL_HINT} (or pip install hypothesis), or stop using {what}. "
            "The rest of the suite does not need it; `pytest -p no:jxc_rules` turns the "
            "jxc_rules plugin off.")


def _require_hypothesis(what: str) -> None:
    if importlib.util.find_spec("hypothesis") is None:
        pytest.fail(hypothesis_missing_message(what), pytrace=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jxc_rules", "jxc_rules fixtures and strategies")
    group.addoption(
        _OPTION, dest="jxc_hypothesis_profile", default=None, metavar="NAME",
        help="load the jxc_rules hypothesis settings profile NAME (jxc-dev, jxc-ci, "
             "jxc-thorough) for this run; by default the plugin touches no hypothesis setting",
    )
    parser.addini(_INI, "jxc_rules hypothesis profile to load (as --jxc-hypothesis-profile)",
                  default="")


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("jxc_hypothesis_profile") or config.getini(_INI)
    if not name:
        return  # the default: nothing imported, nothing registered
    if importlib.util.find_spec("hypothesis") is None:
        raise pytest.UsageError(hypothesis_missing_message(f"{_OPTION} {name}"))
    from jxc_rules.testing.profiles import PROFILES, load_profile

    if name not in PROFILES:
        raise pytest.UsageError(
            f"{_OPTION}: unknown profile {name!r}; expected one of {', '.join(PROFILES)}")
    load_profile(name)


@pytest.fixture(scope="session")
def jxc_ureg() -> pint.UnitRegistry[Any]:
    """Our unit registry (斤, 两, pcs, dozen, ... included) — *not* pint's application
    registry, which stays the host's."""
    from jxc_rules.units import ureg

    return ureg


@pytest.fixture(scope="session")
def jxc_strategies() -> ModuleType:
    """The :mod:`jxc_rules.testing` module, for ``jxc_strategies.weight_vectors()`` etc.

    Needs hypothesis: without it the test using this fixture fails with the install line."""
    _require_hypothesis("the jxc_strategies fixture")
    import jxc_rules.testing

    # importing jxc_rules.testing registers our value types with st.register_type_strategy
    jxc_rules.testing.register_type_strategies()
    return jxc_rules.testing


_registered = False


def _register_quietly() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    try:
        from jxc_rules.testing.types import register_type_strategies

        register_type_strategies()
    except Exception as exc:  # never break a host's run for a convenience
        import warnings

        warnings.warn(f"jxc_rules could not register its hypothesis type strategies "
                      f"({exc!r}); st.from_type on jxc_rules types will not resolve. "
                      "Call jxc_rules.testing.register_type_strategies() to see why.",
                      pytest.PytestWarning, stacklevel=1)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Any, parent: Any) -> None:
    """Before a test module that names both ``hypothesis`` and ``jxc_rules`` is imported,
    register our type strategies (hypothesis resolves ``@given(x=...)`` when the test is
    decorated, so registering later is too late). Other modules cost one file read."""
    if _registered:
        return
    try:
        text = module_path.read_text(encoding="utf-8", errors="ignore")
    except OSError:
        return
    if "jxc_rules" in text and "hypothesis" in text and (
            importlib.util.find_spec("hypothesis") is not None):
        _register_quietly()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Register our type strategies once collection is done — only in a run whose tests have
    already loaded hypothesis *and* a jxc_rules kernel (else nothing is imported)."""
    import sys

    if "hypothesis" in sys.modules and any(
            m.startswith("jxc_rules.") and not m.startswith(("jxc_rules.testing", "jxc_rules._"))
            for m in list(sys.modules)):
        _register_quietly()
