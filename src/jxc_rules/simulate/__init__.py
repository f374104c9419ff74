"""Monte Carlo rule simulator (规则仿真): stress tests of holiday, weather and loss coefficients,
old rule pack against new on common random numbers.

- :func:`load_scenario` — the simulated world (``simulator/scenarios/*.yaml``);
- :func:`run` — one pack over many trials → KPI distributions;
- :func:`compare` — two packs on identical draws → paired differences with 95 % intervals;
- :func:`sweep` — KPIs against a scenario parameter, and where they cross a threshold.

See ``docs/simulator.md`` for the model, the scenario schema and the KPI definitions.
"""

from jxc_rules.simulate.compare import CompareResult, PairedDifference, compare
from jxc_rules.simulate.kpis import KPIS, KpiInfo, KpiSummary
from jxc_rules.simulate.runner import SimulationResult, run
from jxc_rules.simulate.scenario import Scenario, load_scenario
from jxc_rules.simulate.sweep import SweepResult, parse_sweep, sweep

__all__ = [
    "KPIS",
    "CompareResult",
    "KpiInfo",
    "KpiSummary",
    "PairedDifference",
    "Scenario",
    "SimulationResult",
    "SweepResult",
    "compare",
    "load_scenario",
    "parse_sweep",
    "run",
    "sweep",
]
