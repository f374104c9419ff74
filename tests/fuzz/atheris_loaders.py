"""Coverage-guided fuzz targets (atheris / libFuzzer) for the loaders and the command line.

    python tests/fuzz/atheris_loaders.py pack -max_total_time=600 CORPUS_DIR
    python tests/fuzz/atheris_loaders.py scenario -runs=100000 CORPUS_DIR
    python tests/fuzz/atheris_loaders.py cli -max_total_time=300

The targets are those of ``tests/fuzz/_targets.py`` (the hypothesis tests drive the same ones):
a result or a ``JxcRulesError`` (the CLI: an int exit code, or argparse's ``SystemExit``), no
warning, no byte of a file outside the pack tree in a message — anything else is a crash that
libFuzzer saves as ``crash-*`` with the input. A corpus of the bundled packs
(``industries/**/*.yaml``) or scenarios (``simulator/scenarios/*.yaml``) is a good start.
Defects already recorded in ``tests/fuzz/_defects.py`` are not crashes.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _cli_argv(data: bytes) -> list[str]:
    import atheris

    from tests.fuzz.test_fuzz_loaders import FLAGS, OUTPUTS, PACKS, SCENARIOS, VALUES, _free_text

    fdp = atheris.FuzzedDataProvider(data)
    command = ["validate", "diff", "simulate", "demo", "--help", "bogus"][
        fdp.ConsumeIntInRange(0, 5)]
    words = [*PACKS, *SCENARIOS, *OUTPUTS, *VALUES, *FLAGS.get(command, []), "--help"]
    argv = [command]
    for _ in range(fdp.ConsumeIntInRange(0, 8)):
        if fdp.ConsumeBool():
            argv.append(words[fdp.ConsumeIntInRange(0, len(words) - 1)])
        else:
            argv.append(_free_text(fdp.ConsumeUnicodeNoSurrogates(12)))
    if command == "simulate":  # the last value wins: every run is small and serial
        argv += ["--max-work", "3000", "--workers", "1", "--executor", "serial"]
    return argv


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # as a script: find tests.fuzz
    import atheris

    with atheris.instrument_imports(include=["jxc_rules"]):
        import jxc_rules.cli
        import jxc_rules.rules
        import jxc_rules.simulate
        import jxc_rules.simulate.scenario  # noqa: F401
    from tests.fuzz._targets import workspace

    ws = workspace()
    targets = {
        "pack": lambda data: (ws.pack(data), ws.pack_text(data)),
        "scenario": ws.scenario,
        "cli": lambda data: ws.cli(_cli_argv(data)),
    }
    target = targets[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
