"""The typed ledger every stage works on, once it has passed validation."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from features.contract import TABLES


@dataclass(frozen=True)
class Ledger:
    """Contract tables as typed Arrow tables; optional tables absent from the source are empty."""

    tables: dict[str, pa.Table]
    source: str

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name]

    def frame(self, name: str) -> pd.DataFrame:
        """Return one table as a pandas DataFrame."""
        return self.tables[name].to_pandas()

    @property
    def row_counts(self) -> dict[str, int]:
        return {t.name: self.tables[t.name].num_rows for t in TABLES}

    @property
    def customer_extra_columns(self) -> list[str]:
        """Return the customer columns the contract does not name (ratings, ratios, insured limits ...)."""
        known = {c.name for c in TABLES[0].columns}
        return [c for c in self.tables["customers"].column_names if c not in known]
