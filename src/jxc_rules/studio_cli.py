"""``jxc-rules studio``: thin — parse, call, print (placeholder until the command lands)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the command to the ``jxc-rules`` subparsers."""
    del sub


def _unused(_args: argparse.Namespace) -> int:  # pragma: no cover - placeholder
    return 0
