"""Hypothesis settings profiles for hosts — registered only when asked.

Nothing here runs at ``import jxc_rules.testing`` or at pytest start: a host calls
:func:`register_profiles` (or :func:`load_profile`) in its ``conftest.py``, or runs pytest with
``--jxc-hypothesis-profile NAME``.

``jxc-dev``
    hypothesis's defaults (100 examples) without the deadline — kernels on first call build
    caches, and a per-example deadline turns that into flaky failures.
``jxc-ci``
    200 examples, derandomised (the same examples every run, so a red CI is reproducible),
    ``print_blob=True`` (the failure prints a ``@reproduce_failure`` line), no example database.
    Our strategies' boundary bias finds the planted bugs of ``tests/testing`` well inside 100.
``jxc-thorough``
    2,000 examples, for a nightly or a local sweep before a release.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PROFILES", "load_profile", "register_profiles"]

PROFILES: dict[str, dict[str, Any]] = {
    "jxc-dev": {"max_examples": 100, "deadline": None},
    "jxc-ci": {"max_examples": 200, "deadline": None, "derandomize": True, "print_blob": True,
               "database": None},
    "jxc-thorough": {"max_examples": 2000, "deadline": None},
}
"""Profile name → the keyword arguments of ``hypothesis.settings``."""


def register_profiles() -> None:
    """Register the three profiles with hypothesis (loads none of them)."""
    from hypothesis import settings

    for name, kwargs in PROFILES.items():
        settings.register_profile(name, **kwargs)


def load_profile(name: str) -> None:
    """Register the profiles and load ``name`` (``jxc-dev``, ``jxc-ci`` or ``jxc-thorough``)."""
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    if name not in PROFILES:
        raise InvalidArgument(f"unknown jxc_rules profile {name!r}; expected one of "
                              f"{', '.join(PROFILES)}")
    register_profiles()
    settings.load_profile(name)
