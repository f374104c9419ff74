"""The simulator's demand tables and confidence intervals without ``scipy.stats``.

``scipy.stats`` takes about half a second to import — a sixth of a ``jxc-rules simulate`` run
of the bundled scenario. The sampler's CDF tables and the compare's t quantile call the
``scipy.special`` functions ``scipy.stats`` itself calls; these tests hold them to
``scipy.stats`` bit for bit (on a grid and on random arguments), and check in a fresh
interpreter that a whole compare from a scenario file never imports ``scipy.stats``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from jxc_rules.simulate.compare import _t975
from jxc_rules.simulate.demand import _nbinom_cdf, _poisson_cdf

KS = np.arange(400)


@pytest.mark.parametrize("lam", [1e-9, 0.05, 0.3, 1.0, 7.3, 42.5, 120.0, 999.0])
def test_the_poisson_table_is_scipy_stats_bit_for_bit(lam: float) -> None:
    np.testing.assert_array_equal(_poisson_cdf(KS, lam), stats.poisson.cdf(KS, lam))
    lams = np.full(KS.size, lam)
    np.testing.assert_array_equal(_poisson_cdf(KS, lams), stats.poisson.cdf(KS, lams))


@pytest.mark.parametrize("n", [0.2, 0.7, 1.0, 2.5, 11.0, 30.0, 500.0])
@pytest.mark.parametrize("lam", [0.01, 0.3, 7.3, 120.0])
def test_the_negative_binomial_table_is_scipy_stats_bit_for_bit(n: float, lam: float) -> None:
    p = n / (n + lam)
    np.testing.assert_array_equal(_nbinom_cdf(KS, n, p), stats.nbinom.cdf(KS, n, p))
    ps = np.full(KS.size, p)
    np.testing.assert_array_equal(_nbinom_cdf(KS, n, ps), stats.nbinom.cdf(KS, n, ps))


@settings(max_examples=200, deadline=None)
@given(k=st.integers(0, 5_000), n=st.floats(0.01, 1e4), lam=st.floats(1e-6, 1e4))
def test_both_tables_agree_with_scipy_stats_on_random_arguments(k: int, n: float,
                                                                lam: float) -> None:
    ks = np.array([k])
    assert _poisson_cdf(ks, lam)[0] == stats.poisson.cdf(k, lam)
    assert _nbinom_cdf(ks, n, n / (n + lam))[0] == stats.nbinom.cdf(k, n, n / (n + lam))


@pytest.mark.parametrize("dof", [1, 2, 3, 9, 29, 99, 999, 19_999, 10**6])
def test_the_t_quantile_is_scipy_stats_bit_for_bit(dof: int) -> None:
    assert _t975(dof) == float(stats.t.ppf(0.975, dof))


def test_a_compare_from_a_scenario_file_never_imports_scipy_stats() -> None:
    code = ("import json, sys\n"
            "from jxc_rules.simulate import compare, load_scenario\n"
            "from jxc_rules.simulate.runner import load_rules\n"
            "sc = load_scenario('hotpot-spring-festival')\n"
            "packs = [load_rules(sc.rules.get(k)) for k in ('baseline', 'candidate')]\n"
            "result = compare(sc, packs[0], packs[1], trials=200, seed=1)\n"
            "print(json.dumps([sorted(m for m in sys.modules if m.startswith('scipy.stats')), "
            "len(result.differences)]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded, differences = json.loads(out.splitlines()[-1])
    assert loaded == []
    assert differences > 0  # the compare ran to its table of differences
