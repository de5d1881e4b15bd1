"""A long-lived scorer for the API and the pages: ledger and models loaded once, scores cached per as-of date.

The ledger and the models are fixed for the life of the service, so a customer's explained score at an
as-of date is too. The first call for a date builds that date's snapshot and scores the whole portfolio
with the scoring core (seconds at 100k customers); every later call for the date is a lookup, which is
what keeps one customer's request in the low milliseconds under concurrent load. The ledger's own facts
(every document's settlement) are built with the first date and kept, so a later new date pays only for its
dated facts and its scores. Batch and API give the same answers because both come from `score_in_chunks`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
import pyarrow as pa

from features.as_of import ledger_span
from features.ledger import Ledger
from features.pipeline import LedgerFacts
from serving.kept import Kept
from serving.limits import LimitPolicy
from serving.score_row import SCORE_COLUMNS
from serving.scoring import ScoringModels, check_models_fit, score_in_chunks, snapshot

SNAPSHOTS_KEPT = 4
T = TypeVar("T")


@dataclass(frozen=True)
class ScoredDate:
    """One as-of date: every customer's explained score, and where each customer's row is."""

    scores: pa.Table  # columns SCORE_COLUMNS, one row per customer
    position: dict[str, int]  # customer_id -> row in `scores`

    def records(self, customer_ids: Sequence[str]) -> tuple[list[dict], list[str]]:
        """Return the score records of `customer_ids` (duplicates once, in the order asked) and the ids without one."""
        wanted = list(dict.fromkeys(customer_ids))
        rows = [self.position[c] for c in wanted if c in self.position]
        missing = [c for c in wanted if c not in self.position]
        # A one-row slice is a zero-copy view; `take` would copy every column of the table.
        return [self.scores.slice(row, 1).to_pylist()[0] for row in rows], missing


class ScoringService:
    """Scores customers of one ledger with one pair of models; safe to call from several threads."""

    def __init__(self, ledger: Ledger, models: ScoringModels, policy: LimitPolicy):
        check_models_fit(models, ledger)
        self.ledger, self.models, self.policy = ledger, models, policy
        self.span = ledger_span(ledger)  # the default as-of date is its last transaction
        self._facts: LedgerFacts | None = None  # the ledger's own facts, built with the first date scored
        # One date is scored at a time (each takes seconds and gigabytes at 100k customers); requests for
        # dates already scored never wait for it. The ledger facts take the same lock (`with_facts`).
        self._scoring = threading.Lock()
        self._dates: Kept[dt.date, ScoredDate] = Kept(SNAPSHOTS_KEPT, self._scoring)

    def score(self, customer_ids: Sequence[str], as_of: dt.date) -> tuple[list[dict], list[str]]:
        """Return the score records (`SCORE_COLUMNS`) of `customer_ids` at `as_of` and the ids that have none."""
        return self.scored(as_of).records(customer_ids)

    def scored(self, as_of: dt.date) -> ScoredDate:
        """Return `as_of` scored, computed on the first call for the date; the last SNAPSHOTS_KEPT dates are kept."""
        self.span.check([as_of])
        return self._dates.get(as_of, lambda: self._score_date(as_of))

    def with_facts(self, work: Callable[[LedgerFacts], T]) -> T:
        """Return what `work` makes of the ledger's facts (built on first use), run while no date is scored.

        The facts live in one DuckDB connection, which is not for concurrent use: the pages' portfolio
        figures take their turn with the scoring of new dates. Never call `scored` from `work`.
        """
        with self._scoring:
            return work(self._ledger_facts())

    def _ledger_facts(self) -> LedgerFacts:
        """Return the ledger's facts, built on first use; the caller holds `_scoring`."""
        if self._facts is None:
            self._facts = LedgerFacts(self.ledger)
        return self._facts

    def _score_date(self, as_of: dt.date) -> ScoredDate:
        """Return every customer of the ledger at `as_of`, scored."""
        # Called under `_scoring` only (`Kept` builds with it), so the ledger facts see one build at a time.
        features = snapshot(self.ledger, as_of, self.models.label_config, facts=self._ledger_facts())
        chunks: list[pd.DataFrame] = []
        score_in_chunks(features, self.models, self.policy, on_chunk=chunks.append)
        scores = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=SCORE_COLUMNS)
        position = {customer: row for row, customer in enumerate(scores["customer_id"])}
        return ScoredDate(pa.Table.from_pandas(scores, preserve_index=False), position)
