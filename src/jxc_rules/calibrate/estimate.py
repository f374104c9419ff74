"""What every calibration returns: an estimate of one pack field with its evidence.

A calibration never writes a pack: it returns :class:`Estimate` rows (one per pack field it
could fit: value, 95 % interval, current value, how much data) and :class:`Refusal` rows (what it
could not fit and why). :mod:`jxc_rules.calibrate.proposal` turns them into a new pack version.
"""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["Estimate", "Refusal", "sufficiency"]


@attrs.frozen
class Estimate:
    """One fitted pack field.

    ``path`` is the field as ``jxc-rules diff`` prints it (``weather.rain.dine_in``,
    ``holidays.Spring Festival.dine_in.during[3]``, ``live_weight.tilapia_live.rate_per_hour``);
    ``value`` is in the pack's own unit (a multiplier, a fraction, per hour ...); ``low``/``high``
    the interval at ``level``; ``current`` the pack's value (None: the pack has none); ``n`` how
    many observations carried the estimate, ``n_label`` what they were (``"rainy days"``);
    ``data_from``/``data_to`` the dates the data span; ``method`` how it was fitted (one line).
    """

    path: str
    value: float
    low: float
    high: float
    current: float | None
    n: int
    n_label: str
    data_from: dt.date | None = None
    data_to: dt.date | None = None
    method: str = ""
    level: float = 0.95
    note_en: str = ""
    note_zh: str = ""
    data: str = ""
    """The data file the estimate came from (its name), when not the sales file."""

    @property
    def covers_current(self) -> bool:
        """The interval includes the current value: the data do not contradict the pack."""
        return self.current is not None and self.low <= self.current <= self.high

    @property
    def unit_note(self) -> str:
        """``n`` in words, e.g. ``"12 rainy days"``."""
        return f"{self.n} {self.n_label}"


@attrs.frozen
class Refusal:
    """Something a calibration did not fit, with the reason in English and Chinese.

    ``what`` is a pack path or a section (``holidays.Labour Day``, ``shelf_life``); a refusal is
    reported, never silently dropped.
    """

    what: str
    reason_en: str
    reason_zh: str


def sufficiency(n: int, what_en: str, what_zh: str, *, wide_below: int = 3
                ) -> tuple[str, str]:
    """A data-sufficiency sentence (en, zh), e.g. for one Spring Festival in the data.

    >>> sufficiency(1, "Spring Festival", "春节")[0]
    'one Spring Festival in the data: the interval is wide'
    >>> sufficiency(4, "rainy day", "雨天")[1]
    '数据中有 4 个雨天'
    """
    words = {1: "one", 2: "two", 3: "three"}
    count = words.get(n, str(n))
    plural = what_en if n == 1 or what_en.endswith("s") else what_en + "s"
    en = f"{count} {plural} in the data"
    zh = f"数据中有 {n} 个{what_zh}"
    if n < wide_below:
        en += ": the interval is wide"
        zh += "：区间很宽"
    return en, zh
