"""A private, atomically published cache of pint's parsed definitions, so the registry builds fast.

pint parses its definitions file on every registry construction (≈ 60 % of ``import
jxc_rules.units`` above ``import pint, numpy``). Its disk cache (``cache_folder``) cuts that by
≈ 90 %, but writes pickles into the folder non-atomically and reads them back as found: two
workers starting at once could read a half-written file. So pint never writes into the folder we
hand it. The folder is built once per user and pint version in a fresh temporary folder beside it
(a throwaway registry fills it), marked complete, made read-only and moved into place with one
``os.replace`` — a reader sees either no cache or a complete one. Anything unexpected (a folder
that cannot be made, a pickle that does not load, a write pint attempts later) falls back to the
uncached build, which is what every import did before.

``JXC_RULES_UNIT_CACHE=0`` turns it off; ``JXC_RULES_CACHE_DIR`` moves it (default
``$XDG_CACHE_HOME/jxc_rules`` or ``~/.cache/jxc_rules``, created ``0700``). The pickles are
trusted like the interpreter's own ``__pycache__``: whoever can write the user's cache folder
can already change the user's code.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from typing import Any

__all__ = ["cache_folder", "cached_build"]

_COMPLETE = "COMPLETE"


def _base() -> str:
    configured = os.environ.get("JXC_RULES_CACHE_DIR")
    if configured:
        return configured
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(xdg, "jxc_rules")


def cache_folder(pint_version: str) -> str | None:
    """The folder for this pint version, or None when caching is off."""
    if os.environ.get("JXC_RULES_UNIT_CACHE", "1").strip().lower() in ("0", "off", "no",
                                                                       "false"):
        return None
    return os.path.join(_base(), f"pint-{pint_version}")


def _read_only(folder: str) -> None:
    for name in os.listdir(folder):
        os.chmod(os.path.join(folder, name), stat.S_IRUSR)
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)


def _publish(folder: str, fill: Callable[[str], Any]) -> None:
    """Build the cache in a temporary folder beside ``folder`` and move it into place."""
    parent = os.path.dirname(folder)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".building-", dir=parent)
    try:
        fill(tmp)
        with open(os.path.join(tmp, _COMPLETE), "w", encoding="utf-8") as fh:
            fh.write("pint definitions cache of jxc_rules\n")
        _read_only(tmp)
        with contextlib.suppress(OSError):  # fails if another process published first
            os.replace(tmp, folder)  # atomic
    finally:
        if os.path.exists(tmp):
            with contextlib.suppress(OSError):
                os.chmod(tmp, stat.S_IRWXU)
            shutil.rmtree(tmp, ignore_errors=True)


def cached_build(pint_version: str, build: Callable[[str | None], Any]) -> Any:
    """``build(folder)`` with a complete read-only cache folder when one is (or can be) had;
    ``build(None)`` — pint's uncached build — whenever anything about the cache goes wrong."""
    folder = cache_folder(pint_version)
    if folder is None:
        return build(None)
    try:
        if not os.path.isfile(os.path.join(folder, _COMPLETE)):
            _publish(folder, build)
        if os.path.isfile(os.path.join(folder, _COMPLETE)):
            return build(folder)
    except Exception:  # a cache that cannot be made or read: the uncached build, as before
        pass
    return build(None)
