"""The ledger's calendar: days as integers since 1970, and the grid of the ledger's months.

Days are int64 counts since 1970-01-01, so that dates are integer arrays the generator can add
to and compare; `NEVER`, a day that never comes, stands for a default, recovery or resolution
that does not happen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from features.sample.parameters import SampleConfig

_EPOCH = np.datetime64("1970-01-01", "D")
NEVER = 1 << 40  # a day that never comes: no default, no resolution


def _day(date: dt.date) -> int:
    return int((np.datetime64(date, "D") - _EPOCH).astype(np.int64))


def weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday: Monday is 0


@dataclass
class Months:
    """The ledger's calendar months, and its first day and the first day after it."""

    start_day: int
    end_day: int
    first: np.ndarray  # first day of each month (days since 1970), one more than the months
    moy: np.ndarray  # month of year 0-11

    @property
    def count(self) -> int:
        return self.moy.size

    @property
    def length(self) -> np.ndarray:
        return np.diff(self.first)

    def index(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.first, days, side="right") - 1


def month_grid(config: SampleConfig) -> Months:
    """Return the months the ledger touches, from the month of its start to the month of its last day."""
    start_day, end_day = _day(config.start), _day(config.end)
    first_month = np.datetime64(config.start, "M")
    last_month = np.datetime64(config.end - dt.timedelta(days=1), "M")
    count = int((last_month - first_month).astype(np.int64)) + 1
    months = first_month + np.arange(count + 1)
    first = (months.astype("datetime64[D]") - _EPOCH).astype(np.int64)
    moy = (months[:-1].astype(np.int64) % 12).astype(np.int64)
    return Months(start_day, end_day, first, moy)
