"""The model's inputs: which features, in which order, which are categories, and how they become a matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


class ModelInputError(ValueError):
    """A feature table cannot be scored by a model: the message names the columns in one line."""


@dataclass(frozen=True)
class FeatureSpec:
    """The model's inputs: names in order, which are categorical (with their categories), directions."""

    names: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]]
    directions: dict[str, int]

    def to_dict(self) -> dict:
        return {
            "names": list(self.names),
            "categorical": {k: list(v) for k, v in self.categorical.items()},
            "directions": self.directions,
        }

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSpec:
        return cls(
            tuple(data["names"]), {k: tuple(v) for k, v in data["categorical"].items()}, dict(data["directions"])
        )

    def array(self, table: pd.DataFrame) -> np.ndarray:
        """Return the model matrix as floats: numbers as they are, categories as their training codes (NaN when unseen).

        This is what LightGBM itself does with a pandas categorical; handing it the array directly skips
        its per-call DataFrame conversion, which dominates the cost of scoring one customer.
        """
        missing = [n for n in self.names if n not in table.columns]
        if missing:
            raise ModelInputError(f"feature table lacks columns the model needs: {', '.join(missing)}")
        # Filled feature by feature (each a contiguous copy), then turned row-major in one pass:
        # LightGBM wants rows contiguous, and writing a column into a row-major matrix is strided.
        by_feature = np.empty((len(self.names), len(table)), dtype=np.float64)
        for j, name in enumerate(self.names):
            column = table[name]
            if name in self.categorical:
                # Looked up per distinct value, not per row: a text column holds a handful of them. The
                # code appended last (-1, unseen) is the one a missing value (local code -1) picks.
                local, distinct = pd.factorize(column, use_na_sentinel=True)
                known = pd.Index(self.categorical[name], dtype=object).get_indexer(pd.Index(distinct, dtype=object))
                codes = np.append(known, -1)[local]
                by_feature[j] = np.where(codes < 0, np.nan, codes)
            elif isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
                by_feature[j] = column.to_numpy()
            else:  # nullable numbers (pd.NA), or numbers sent as text or objects (JSON, MLflow inputs)
                by_feature[j] = pd.to_numeric(column, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
        return np.ascontiguousarray(by_feature.T)

    def frame(self, table: pd.DataFrame) -> pd.DataFrame:
        """Return the model matrix: the spec's columns in order, categoricals with the training categories."""
        missing = [n for n in self.names if n not in table.columns]
        if missing:
            raise ModelInputError(f"feature table lacks columns the model needs: {', '.join(missing)}")
        out = {}
        for name in self.names:
            if name in self.categorical:
                out[name] = pd.Categorical(table[name].astype("object"), categories=list(self.categorical[name]))
            else:
                out[name] = pd.to_numeric(table[name], errors="raise").astype("float64")
        return pd.DataFrame(out, index=table.index)
