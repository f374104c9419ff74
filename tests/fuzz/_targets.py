"""The loader and command-line fuzz targets, shared by the hypothesis tests
(``test_fuzz_loaders.py``) and the coverage-guided atheris script (``atheris_loaders.py``).

Each target takes one input (YAML bytes, or an argv list) and holds the contract of
:func:`tests.fuzz._hostile.check` plus one more rule for the loaders: **no error message and no
CLI output ever contains a byte of a file outside the pack tree** — the workspace plants a
secret token in such files (a pack-like YAML, a CSV, a plain text file) and in a symlink
leading out, and the mutations point ``extends:``, scenario ``rules:`` and ``csv:`` paths at them.

Everything is written inside a temporary workspace (a copy of ``industries/`` and
``simulator/scenarios/``); the command line runs with that workspace as its working folder,
and free-text path arguments cannot leave it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from tests.fuzz._hostile import check

__all__ = ["ROOT", "SECRET", "BadExit", "SecretLeak", "Workspace", "workspace"]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "JXC-FUZZ-SECRET-7f3a9c"
"""Planted in files outside the pack tree; it must never appear in a message or output."""


class SecretLeak(Exception):
    """An error message or the CLI's output quoted a file outside the pack tree."""


class BadExit(Exception):
    """The CLI returned something other than an int exit code."""


class Workspace:
    """A temporary copy of the bundled packs and scenarios, with planted outside files."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="jxc-fuzz-"))
        shutil.copytree(ROOT / "industries", self.root / "industries")
        shutil.copytree(ROOT / "simulator" / "scenarios", self.root / "simulator" / "scenarios")
        (self.root / "industries" / "fuzz").mkdir()
        out = self.root / "outside"
        out.mkdir()
        (out / "secret.yaml").write_text(
            f"industry: {SECRET}\nversion: '2026.11'\nsecret: {SECRET}\n", encoding="utf-8")
        (out / "notpack.yaml").write_text(f"password: {SECRET}\n", encoding="utf-8")
        (out / "secret.txt").write_text(f"{SECRET}:x:0:0:root:/root:/bin/sh\n", "utf-8")
        (out / "secret.csv").write_text(f"{SECRET},{SECRET}\n{SECRET},1\n", encoding="utf-8")
        (out / "binary.csv").write_bytes(b"date,quantity\n2026-03-02,\xff\xfe\x00\n")
        (out / "broken.yaml").write_text(f"industry: [{SECRET}\n", encoding="utf-8")
        link = self.root / "industries" / "fuzz" / "link.yaml"
        with contextlib.suppress(OSError):
            link.symlink_to(out / "secret.yaml")
        self.pack_file = self.root / "industries" / "fuzz" / "input.yaml"
        self.scenario_file = self.root / "simulator" / "scenarios" / "input.yaml"
        self.seeds = {
            "pack": [p.read_bytes() for p in sorted((ROOT / "industries").glob("**/*.yaml"))],
            "scenario": [p.read_bytes()
                         for p in sorted((ROOT / "simulator" / "scenarios").glob("*.yaml"))],
        }
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the targets

    def pack(self, data: bytes) -> Any:
        """``load_pack`` on a file holding ``data`` (inside ``industries/fuzz/``)."""
        return check("rules.load_pack", self._no_leak(self.load_pack_file), data)

    def load_pack_file(self, data: bytes) -> Any:
        from jxc_rules.rules import load_pack

        self.pack_file.write_bytes(data)
        return load_pack(self.pack_file)

    def pack_text(self, data: bytes) -> Any:
        """``loads_pack`` on the same bytes as text (no file, no ``extends``)."""
        from jxc_rules.rules import loads_pack

        text = data.decode("utf-8", errors="replace")
        return check("rules.loads_pack", self._no_leak(loads_pack), text, filename="fuzz.yaml")

    def scenario(self, data: bytes) -> Any:
        """``load_scenario`` on a file holding ``data`` (inside ``simulator/scenarios/``)."""
        return check("simulate.load_scenario", self._no_leak(self.load_scenario_file), data)

    def load_scenario_file(self, data: bytes) -> Any:
        from jxc_rules.simulate import load_scenario

        self.scenario_file.write_bytes(data)
        return load_scenario(self.scenario_file)

    def cli(self, argv: list[str]) -> Any:
        """``jxc_rules.cli.main(argv)`` in the workspace: an int exit code (argparse's
        ``SystemExit`` counts), no traceback, no outside byte in its output."""
        return check("cli.main", self._run_cli, argv)

    # ------------------------------------------------------------------ helpers

    def _no_leak(self, fn: Any) -> Any:
        from jxc_rules.errors import JxcRulesError

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except JxcRulesError as exc:
                if SECRET in str(exc):
                    raise SecretLeak(f"the error quotes an outside file: {exc}") from exc
                raise
        call.__qualname__ = getattr(fn, "__qualname__", "call")
        return call

    def _run_cli(self, argv: list[str]) -> int:
        from jxc_rules.cli import main

        out = io.StringIO()
        with self._lock:  # chdir is process-wide
            here = os.getcwd()
            os.chdir(self.root)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                    try:
                        code: Any = main(argv)
                    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
                        code = exc.code
            finally:
                os.chdir(here)
        if not isinstance(code, int) or isinstance(code, bool):
            raise BadExit(f"exit code {code!r}")
        if SECRET in out.getvalue():
            raise SecretLeak("the output quotes an outside file: "
                             + out.getvalue()[out.getvalue().index(SECRET) - 80:][:200])
        return code

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


_WORKSPACE: Workspace | None = None


def workspace() -> Workspace:
    """The process's workspace (made on first use, removed at exit)."""
    global _WORKSPACE
    if _WORKSPACE is None:
        import atexit

        _WORKSPACE = Workspace()
        atexit.register(_WORKSPACE.close)
    return _WORKSPACE
