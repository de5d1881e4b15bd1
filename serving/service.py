"""A long-lived scorer for the API and the pages: ledger and models loaded once, snapshots cached."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Sequence

import pandas as pd

from features.ledger import Ledger
from serving.limits import LimitPolicy
from serving.scoring import (
    ScoringModels,
    index_by_customer,
    score_features,
    select_customers,
    snapshot,
)

SNAPSHOTS_KEPT = 4
MAX_DAYS_AFTER_LEDGER = 366


class AsOfOutOfRange(ValueError):
    """The as-of date lies too far beyond what the ledger has observed."""


class ScoringService:
    """Scores customers of one ledger with one pair of models; safe to call from several threads."""

    def __init__(self, ledger: Ledger, models: ScoringModels, policy: LimitPolicy):
        self.ledger, self.models, self.policy = ledger, models, policy
        self.last_date = ledger.last_date()
        self._snapshots: OrderedDict[dt.date, pd.DataFrame] = OrderedDict()
        self._lock = threading.Lock()

    def features_at(self, as_of: dt.date) -> pd.DataFrame:
        """Return every customer's feature row at `as_of`, computed once per date and kept for the next calls."""
        if self.last_date and as_of > self.last_date + dt.timedelta(days=MAX_DAYS_AFTER_LEDGER):
            raise AsOfOutOfRange(
                f"as_of {as_of} is more than {MAX_DAYS_AFTER_LEDGER} days after the ledger's last date {self.last_date}"
            )
        with self._lock:
            if as_of in self._snapshots:
                self._snapshots.move_to_end(as_of)
                return self._snapshots[as_of]
            frame = index_by_customer(snapshot(self.ledger, as_of))
            self._snapshots[as_of] = frame
            while len(self._snapshots) > SNAPSHOTS_KEPT:
                self._snapshots.popitem(last=False)
            return frame

    def score(self, customer_ids: Sequence[str], as_of: dt.date) -> tuple[pd.DataFrame, list[str]]:
        """Return the scores of `customer_ids` at `as_of` and the ids that could not be scored."""
        rows, missing = select_customers(self.features_at(as_of), customer_ids)
        if rows.empty:
            return pd.DataFrame(), missing
        return score_features(rows, self.models, self.policy), missing
