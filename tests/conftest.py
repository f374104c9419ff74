"""Hypothesis profiles: ``dev`` (default, 100 examples), ``ci`` (fewer, derandomised so CI is
repeatable), ``thorough`` (for a long local sweep). Select with HYPOTHESIS_PROFILE; CI=true picks
``ci``."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)
