"""Industry rule packs (规则包): versioned YAML parameter sets, loaded with file:line errors.

``load_pack`` reads one pack (resolving ``extends``), ``load_packs`` a directory of them,
``select`` picks the version in force on a date, ``diff`` compares two versions field by field
and ``dump_pack`` writes a pack back to YAML. The schema classes live in
:mod:`jxc_rules.rules.schema`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jxc_rules._internal.lazy import lazy_exports

if TYPE_CHECKING:
    from jxc_rules.rules.diff import Change, diff
    from jxc_rules.rules.load import (
        dump_pack,
        load_pack,
        load_packs,
        loads_pack,
        pack_from_mapping,
        select,
    )
    from jxc_rules.rules.schema import (
        CHANNELS,
        HOLIDAY_NAMES,
        HolidayProfile,
        HolidayRule,
        Labels,
        Price,
        ReplenishmentPolicy,
        ReservationPolicy,
        RulePack,
        Turnover,
        WastageSection,
        WeatherRule,
    )

_LAZY = {
    "Change": "jxc_rules.rules.diff",
    "diff": "jxc_rules.rules.diff",
    "dump_pack": "jxc_rules.rules.load",
    "load_pack": "jxc_rules.rules.load",
    "load_packs": "jxc_rules.rules.load",
    "loads_pack": "jxc_rules.rules.load",
    "pack_from_mapping": "jxc_rules.rules.load",
    "select": "jxc_rules.rules.load",
    "CHANNELS": "jxc_rules.rules.schema",
    "HOLIDAY_NAMES": "jxc_rules.rules.schema",
    "HolidayProfile": "jxc_rules.rules.schema",
    "HolidayRule": "jxc_rules.rules.schema",
    "Labels": "jxc_rules.rules.schema",
    "Price": "jxc_rules.rules.schema",
    "ReplenishmentPolicy": "jxc_rules.rules.schema",
    "ReservationPolicy": "jxc_rules.rules.schema",
    "RulePack": "jxc_rules.rules.schema",
    "Turnover": "jxc_rules.rules.schema",
    "WastageSection": "jxc_rules.rules.schema",
    "WeatherRule": "jxc_rules.rules.schema",
}
__getattr__, __dir__ = lazy_exports("jxc_rules.rules", _LAZY)

__all__ = [
    "CHANNELS",
    "HOLIDAY_NAMES",
    "Change",
    "HolidayProfile",
    "HolidayRule",
    "Labels",
    "Price",
    "ReplenishmentPolicy",
    "ReservationPolicy",
    "RulePack",
    "Turnover",
    "WastageSection",
    "WeatherRule",
    "diff",
    "dump_pack",
    "load_pack",
    "load_packs",
    "loads_pack",
    "pack_from_mapping",
    "select",
]
