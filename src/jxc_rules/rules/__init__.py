"""Industry rule packs (规则包): versioned YAML parameter sets, loaded with file:line errors.

``load_pack`` reads one pack (resolving ``extends``), ``load_packs`` a directory of them,
``select`` picks the version in force on a date, ``diff`` compares two versions field by field
and ``dump_pack`` writes a pack back to YAML. The schema classes live in
:mod:`jxc_rules.rules.schema`.
"""

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
