"""The pytest11 plugin stays out of a host's way: nothing heavy at start, a host suite without
hypothesis runs green, start-up grows by at most 0.3 s, pint's application registry is never
touched, and ``-p no:jxc_rules`` turns it off.

Every check runs pytest in a fresh process on a small host suite written to ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN_MODULES = {"jxc_rules", "jxc_rules._internal", "jxc_rules._internal.lazy",
                  "jxc_rules._version", "jxc_rules.testing", "jxc_rules.testing.plugin"}

HOST_SUITE = {
    "test_host.py": '''
        import json, os, sys
        from decimal import Decimal

        def test_a_plain_host_test():
            assert Decimal("0.1") + Decimal("0.2") == Decimal("0.3")

        def test_record_modules_loaded_at_start():
            out = os.environ.get("HOST_MODULES_OUT")
            if out:
                with open(out, "w") as f:
                    json.dump(sorted(sys.modules), f)
    ''',
}


def write_suite(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # not our pyproject
    return root


def run_pytest(python: str, suite: Path, *args: str, env: dict[str, str] | None = None,
               prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{prelude}\nimport sys, pytest\nsys.exit(pytest.main(sys.argv[1:]))"
    return subprocess.run(
        [python, "-c", code, "-q", "-p", "no:cacheprovider", str(suite), *args],
        capture_output=True, text=True, cwd=suite, timeout=300,
        env={**os.environ, **(env or {})})


def test_a_host_run_loads_no_hypothesis_pint_numpy_or_kernel_because_of_the_plugin(
        tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "host", HOST_SUITE)
    loaded = {}
    for label, extra in (("with", ()), ("without", ("-p", "no:jxc_rules"))):
        out = tmp_path / f"{label}.json"
        proc = run_pytest(sys.executable, suite, *extra, env={"HOST_MODULES_OUT": str(out)})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        loaded[label] = set(json.loads(out.read_text()))
    added = loaded["with"] - loaded["without"]
    assert added <= PLUGIN_MODULES, sorted(added - PLUGIN_MODULES)
    for heavy in ("hypothesis", "pint", "numpy", "scipy", "networkx", "jxc_rules.units",
                  "jxc_rules.bom"):
        assert heavy not in loaded["with"], heavy


BLOCK_HYPOTHESIS = textwrap.dedent('''
    import importlib.abc, sys
    class _NoHypothesis(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "hypothesis" or name.startswith(("hypothesis.", "_hypothesis")):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None
    sys.meta_path.insert(0, _NoHypothesis())
    import importlib.util
    _find_spec = importlib.util.find_spec
    def find_spec(name, package=None):
        if name == "hypothesis" or name.startswith("hypothesis."):
            return None
        return _find_spec(name, package)
    importlib.util.find_spec = find_spec
''')


def test_without_hypothesis_a_host_suite_runs_and_only_the_fixture_that_needs_it_fails(
        tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "host", {**HOST_SUITE, "test_fixtures.py": '''
        def test_the_registry_fixture_needs_no_hypothesis(jxc_ureg):
            assert str(jxc_ureg.Unit("斤")) == "jin"

        def test_the_strategies_fixture_says_how_to_install_hypothesis(jxc_strategies):
            pass
    '''})
    proc = run_pytest(sys.executable, suite, "-p", "no:hypothesispytest",
                      prelude=BLOCK_HYPOTHESIS)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 1, text
    assert "3 passed, 1 error" in text, text  # the fixture fails in setup: an error
    assert "pip install 'jxc-rules[test]'" in text, text
    assert "-p no:jxc_rules" in text, text


def test_the_plugin_leaves_pint_and_hypothesis_settings_untouched(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "host", {"test_pint.py": '''
        import pint
        import pytest
        from hypothesis import settings

        BEFORE = pint.get_application_registry().get()

        def test_the_application_registry_stays_pints(jxc_ureg, jxc_strategies):
            jxc_strategies.bom_cases()  # strategies and type registration loaded
            app = pint.get_application_registry().get()
            assert app is BEFORE
            assert app is not jxc_ureg
            with pytest.raises(pint.UndefinedUnitError):
                app.Unit("jin")  # our market units never reach the host's registry
            # hypothesis's own choice ("default", or its "ci" profile under CI=true), never ours
            assert settings._current_profile in ("default", "ci")
            assert "jxc-ci" not in settings._profiles
    '''})
    proc = run_pytest(sys.executable, suite)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_profile_is_loaded_only_when_asked(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "host", {"test_profile.py": '''
        from hypothesis import settings

        def test_profile():
            assert settings._current_profile == "jxc-ci"
            assert settings.default.derandomize
    '''})
    proc = run_pytest(sys.executable, suite, "--jxc-hypothesis-profile", "jxc-ci")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = run_pytest(sys.executable, suite, "--jxc-hypothesis-profile", "fast")
    assert bad.returncode == 4
    assert "unknown profile 'fast'" in bad.stdout + bad.stderr


def test_the_plugin_can_be_turned_off(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "host", {"test_off.py": '''
        def test_needs_the_fixture(jxc_ureg):
            pass
    '''})
    proc = run_pytest(sys.executable, suite, "-p", "no:jxc_rules")
    assert proc.returncode == 1
    assert "fixture 'jxc_ureg' not found" in proc.stdout


def _start_time(suite: Path, *extra: str) -> float:
    """CPU seconds (user + system) of one ``pytest --co`` child: on a shared machine wall time
    measures the neighbours, CPU time measures the start-up."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--co", str(suite), *extra], capture_output=True, cwd=suite,
                          check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 0, proc.stdout
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_the_plugin_adds_at_most_0_3_s_to_pytest_start(tmp_path: Path) -> None:
    """Median of 7 interleaved runs each way (``pytest --co`` on a one-file suite), in CPU
    seconds of the pytest process."""
    suite = write_suite(tmp_path / "host", HOST_SUITE)
    with_plugin, without = [], []
    for _ in range(7):
        with_plugin.append(_start_time(suite))
        without.append(_start_time(suite, "-p", "no:jxc_rules"))
    added = statistics.median(with_plugin) - statistics.median(without)
    print(f"pytest start (CPU): {statistics.median(without):.3f} s without the plugin, "
          f"{statistics.median(with_plugin):.3f} s with it ({added:+.3f} s)")
    assert added <= 0.3


def test_a_fresh_venv_without_the_test_extra_runs_a_host_suite_green(tmp_path: Path) -> None:
    """``pip install jxc-rules pytest`` (no ``[test]`` extra, so no hypothesis) into a new
    virtualenv, then the host suite — plain tests and the registry fixture — passes."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(REPO),
         "pytest"], capture_output=True, text=True, timeout=900)
    if install.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"pip install failed in CI: {install.stderr[-2000:]}")
        pytest.skip(f"no package index reachable: {install.stderr.strip().splitlines()[-1:]}")
    probe = subprocess.run([python, "-c", "import hypothesis"], capture_output=True)
    assert probe.returncode != 0, "hypothesis must not come with the plain install"
    suite = write_suite(tmp_path / "host", {**HOST_SUITE, "test_units.py": '''
        def test_the_registry_fixture(jxc_ureg):
            assert jxc_ureg.Quantity(2, "斤").to("kg").magnitude == 1
    '''})
    proc = run_pytest(python, suite)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


def test_from_type_resolves_in_a_host_suite_that_never_names_jxc_rules_testing(
        tmp_path: Path) -> None:
    """Under pytest the plugin imported the package early, so registration waits for the end
    of collection; a host test that only imports a kernel and hypothesis still resolves."""
    suite = write_suite(tmp_path / "host", {"test_types.py": '''
        import warnings
        from hypothesis import given, settings, strategies as st
        from jxc_rules.bom import Bom
        from jxc_rules.packaging import ProductProfile

        @settings(max_examples=5, deadline=None)
        @given(bom=st.from_type(Bom), profile=...)
        def test_inferred(bom: Bom, profile: ProductProfile):
            assert isinstance(bom, Bom)
            assert isinstance(profile, ProductProfile)
    '''})
    proc = run_pytest(sys.executable, suite)
    assert proc.returncode == 0, proc.stdout + proc.stderr
