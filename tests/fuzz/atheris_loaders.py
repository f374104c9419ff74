"""Coverage-guided fuzz targets (atheris / libFuzzer) for the loaders and the command line.

    python tests/fuzz/atheris_loaders.py pack -max_total_time=60 CORPUS_DIR
    python tests/fuzz/atheris_loaders.py scenario -runs=100000
    python tests/fuzz/atheris_loaders.py cli -max_total_time=30

The contract each target checks: the call returns, or raises a ``JxcRulesError`` (the CLI: an
exit code, or argparse's ``SystemExit``) — any other exception is a crash libFuzzer reports with
the input that caused it. ``tests/fuzz/test_fuzz_loaders.py`` runs each for a bounded time in CI.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import warnings

import atheris

with atheris.instrument_imports(include=["jxc_rules"]):
    from jxc_rules.cli import main as cli_main
    from jxc_rules.errors import JxcRulesError
    from jxc_rules.rules import load_pack
    from jxc_rules.simulate import load_scenario

TMP = tempfile.mkdtemp(prefix="jxc-fuzz-")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INDUSTRY = os.path.join(TMP, "industries", "fuzz")
os.makedirs(INDUSTRY, exist_ok=True)
SCENARIOS = os.path.join(TMP, "simulator", "scenarios")
os.makedirs(SCENARIOS, exist_ok=True)
warnings.simplefilter("error")  # a warning escaping the library is a defect too


def _write(folder: str, data: bytes) -> str:
    path = os.path.join(folder, "input.yaml")
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def pack(data: bytes) -> None:
    path = _write(INDUSTRY, data)
    with contextlib.suppress(JxcRulesError):
        load_pack(path)


def scenario(data: bytes) -> None:
    path = _write(SCENARIOS, data)
    with contextlib.suppress(JxcRulesError):
        load_scenario(path)


WORDS = ["validate", "diff", "simulate", "demo", "--json", "--help", "--trials", "--seed",
         "--rules", "--compare", "--chunk-trials", "--workers", "--executor", "--threshold",
         "--sweep", "--lang", "--report", "--max-work", "--metadata", "--cross-industry",
         "hotpot", "hotpot@2026.10", "bakery", "base-stock-poisson", "hotpot-spring-festival",
         "serial", "threads", "0", "-1", "1e9", "nan", "15%", "zh", "en", "/dev/null",
         os.path.join(ROOT, "industries", "hotpot", "2026.11.yaml"), "x=0:1:0.5", ""]


def cli(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    argv = [WORDS[fdp.ConsumeIntInRange(0, 3)]]
    for _ in range(fdp.ConsumeIntInRange(0, 8)):
        if fdp.ConsumeBool():
            argv.append(WORDS[fdp.ConsumeIntInRange(0, len(WORDS) - 1)])
        else:
            argv.append(fdp.ConsumeUnicodeNoSurrogates(12))
    if argv[0] == "simulate":  # keep each run short: the last --trials / --workers win
        argv += ["--trials", "3", "--workers", "1", "--executor", "serial"]
    if "--report" in argv or "--json" in argv:
        argv += ["--json", os.path.join(TMP, "out.json"), "--report",
                 os.path.join(TMP, "out.html")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = cli_main(argv)
        except SystemExit as exc:  # argparse: usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 2
    if not isinstance(code, int):
        raise AssertionError(f"exit code {code!r} for {argv!r}")


TARGETS = {"pack": pack, "scenario": scenario, "cli": cli}

if __name__ == "__main__":
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
