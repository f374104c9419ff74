"""What importing jxc_rules costs a host: which modules load (never how long — timings live in
benchmarks/bench_imports.py).

Each check runs in a fresh interpreter that imports only the statement under test, so a heavy
module loaded by pint's own import (scipy, which pint imports eagerly when it is first) counts
against us too.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import jxc_rules

HEAVY = ("scipy", "networkx", "rich", "jxc_rules.simulate")
LIGHT = ["units", "rounding", "money", "packaging", "closing", "live_weight", "shelf_life",
         "wastage"]


def _run(code: str) -> object:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.splitlines()[-1])


def _heavy_after(statement: str) -> object:
    return _run(f"import json, sys; {statement}; print(json.dumps(sorted(m for m in sys.modules "
                f"if m in {HEAVY!r} or m.startswith(tuple(h + '.' for h in {HEAVY!r})))))")


@pytest.mark.parametrize("module", [f"jxc_rules.{m}" for m in LIGHT] + ["jxc_rules"])
def test_a_light_module_loads_no_scipy_networkx_rich_or_simulator(module: str) -> None:
    assert _heavy_after(f"import {module}") == []


def test_from_units_import_convert_loads_nothing_heavy_and_converts() -> None:
    assert _heavy_after("from jxc_rules.units import convert; convert('1', 't', 'kg')") == []


def test_scipy_still_serves_pint_and_our_fits_after_a_light_import() -> None:
    # pint's to_preferred needs scipy.optimize: it loads then, not at import
    assert _run(
        "import json, sys; from jxc_rules.units import ureg; "
        "before = 'scipy' in sys.modules; "
        "q = ureg.Quantity(1, 'kg*m**2/s**3').to_preferred([ureg.W, ureg.m, ureg.s, ureg.lbf]); "
        "print(json.dumps([before, str(q.units), 'scipy' in sys.modules]))"
    ) == [False, "watt", True]


def test_a_host_that_imported_pint_first_keeps_its_pint_untouched() -> None:
    assert _run(
        "import json, sys, pint; loader = pint.__spec__.loader; had = 'scipy' in sys.modules; "
        "import jxc_rules.units; "
        "print(json.dumps([pint.__spec__.loader is loader, ('scipy' in sys.modules) == had]))"
    ) == [True, True]


def test_importing_the_package_leaves_no_import_hook_once_pint_is_loaded() -> None:
    assert _run(
        "import json, sys, jxc_rules.units; "
        "print(json.dumps([type(f).__name__ for f in sys.meta_path if 'Pint' in type(f).__name__]))"
    ) == []


def test_every_public_name_resolves_lazily_in_a_fresh_process() -> None:
    # resolves each name only on access: before any, none of their modules is loaded
    result = _run(
        "import json, sys, jxc_rules; "
        "before = sorted(m for m in sys.modules if m.startswith('jxc_rules.') "
        "and m != 'jxc_rules._version'); "
        "missing = [n for n in jxc_rules.__all__ if getattr(jxc_rules, n, None) is None]; "
        "print(json.dumps([before, missing]))"
    )
    assert result == [[], []]


def test_every_public_name_resolves_and_dir_lists_them() -> None:
    for name in jxc_rules.__all__:
        assert getattr(jxc_rules, name) is not None, name
    assert set(jxc_rules.__all__) <= set(dir(jxc_rules))
    assert jxc_rules.jsonable.__module__ == "jxc_rules.serialize"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        jxc_rules.nope  # noqa: B018


def test_all_has_no_duplicates_and_every_lazy_name_is_public() -> None:
    assert len(jxc_rules.__all__) == len(set(jxc_rules.__all__))
    assert set(jxc_rules._LAZY) | {"__version__"} == set(jxc_rules.__all__)


def test_the_pytest_plugin_loads_no_strategy_kernel_or_pint_into_a_hosts_pytest_run() -> None:
    # the plugin lives in jxc_rules.testing: an eager package would load all of it everywhere
    assert _run(
        "import json, sys, jxc_rules.testing.plugin; "
        "print(json.dumps(sorted(m for m in ('hypothesis', 'numpy', 'pint', 'scipy') "
        "if m in sys.modules)))"
    ) == []


def test_every_testing_strategy_resolves_lazily_and_dir_lists_it() -> None:
    import jxc_rules.testing as testing

    for name in testing.__all__:
        assert callable(getattr(testing, name)), name
    assert set(testing.__all__) <= set(dir(testing))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        testing.nope  # noqa: B018
