"""Reason codes: per row the largest risk-raising contributions that are adverse, as feature, value and sentences.

Which contributions may be reasons is `model.reason_rules`'s: a value on its risky side of the
reference its sentence names, never an excluded feature; the missing values that raise the risk make
one reason together (`MISSING_REASON`). Feature, value and sentence columns are `pandas.Categorical`:
codes into the distinct texts, each built once, so a portfolio's reasons build no string per row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from model.reason_rules import ReasonRules
from model.reason_texts import missing_reason
from model.top_reasons import top_adverse

MAX_REASONS = 5
# The feature column of the reason made of all risk-raising missing values: a program keys on it; the
# value lists what is missing ("no invoice paid in the last 90 days"), as its sentences show it.
MISSING_REASON = "missing_information"
REASON_PARTS = ("feature", "value", "contribution", "text_en", "text_zh")

# For one feature and its values: (code per value, the distinct values as shown, per language the distinct sentences).
TextsOfFeature = Callable[[str, np.ndarray], tuple[np.ndarray, list[str], list[list[str]]]]


def reason_columns(n: int = MAX_REASONS) -> list[str]:
    """Return the names of the reason columns in a prediction, in order."""
    return [f"reason_{i}_{part}" for i in range(1, n + 1) for part in REASON_PARTS]


def reason_table(
    features: pd.DataFrame,
    names: list[str],
    values: np.ndarray,
    contributions: np.ndarray,
    rules: ReasonRules,
    texts_of: TextsOfFeature,
    n: int = MAX_REASONS,
) -> dict[str, object]:
    """Return the reason columns: per row the `n` largest risk-raising contributions that may be reasons, largest first.

    `values` is the model matrix of `features` (`FeatureSpec.array`; an unseen category any code but
    NaN). Only positive contributions the `rules` let through count; the missing-information reason
    counts with the sum of its contributions. A row with fewer has empty slots (missing, and NaN for
    the contribution); of two equal contributions the feature listed first comes first, the missing
    information last. `texts_of(name, values)` words the values of one feature (code -1, the last
    shown value and sentence, is missing).
    """
    rows = len(features)
    # Per slot and row the feature (-1: none left for the slot; len(names): the missing information) and its contribution.
    slot_feature, contribution = top_adverse(
        contributions, values, rules.direction, rules.reference, rules.scale, rules.excluded, n
    )
    # The texts as codes into dictionaries shared by all slots; each feature's values are formatted once.
    texts = {part: _TextCodes() for part in ("value", "text_en", "text_zh")}
    codes = {part: np.full(n * rows, -1, dtype=np.int64) for part in texts}  # slot-major (slot, row)
    # (slot, row) cells grouped by feature: one stable sort instead of a comparison per feature
    cells = np.argsort(slot_feature.ravel(), kind="stable")
    grouped = slot_feature.ravel()[cells]
    starts = np.flatnonzero(np.diff(grouped, prepend=-2))
    for start, end in zip(starts, [*starts[1:], len(cells)]):
        j = grouped[start]
        if j < 0:
            continue
        at = cells[start:end]
        if j == len(names):
            local, shown, sentences = _missing_texts(rules, contributions[at % rows], values[at % rows])
        else:
            local, shown, sentences = texts_of(names[j], features[names[j]].to_numpy()[at % rows])
        codes["value"][at] = texts["value"].add(local, shown[:-1], missing_is_last=False)
        codes["text_en"][at] = texts["text_en"].add(local, sentences[0], missing_is_last=True)
        codes["text_zh"][at] = texts["text_zh"].add(local, sentences[1], missing_is_last=True)
    categories = pd.Index([*names, MISSING_REASON], dtype=object)
    codes["feature"], dtypes = slot_feature.ravel(), {"feature": pd.CategoricalDtype(categories)}
    for part, dictionary in texts.items():
        codes[part], dtypes[part] = dictionary.resolve(codes[part], expect_repeats=part == "value")
    columns: dict[str, object] = {}
    for slot in range(n):
        for part in REASON_PARTS:
            columns[f"reason_{slot + 1}_{part}"] = (
                contribution[slot]
                if part == "contribution"
                else (pd.Categorical.from_codes(codes[part].reshape(n, rows)[slot], dtype=dtypes[part], validate=False))
            )
    return columns


def _missing_texts(
    rules: ReasonRules, contributions: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, list[str], list[list[str]]]:
    """Return `texts_of` for the missing-information reasons of these rows: each distinct set of phrases worded once."""
    listed = rules.missing_phrases(contributions, values)
    distinct, codes = np.unique(listed, axis=0, return_inverse=True)
    worded = [
        missing_reason([rules.phrases[k] for k in np.flatnonzero(row)], bool(rules.about_record[row].any()))
        for row in distinct
    ]
    # The last entry stands for code -1, which no row has: a reason is only made when something is missing.
    shown = [w[0] for w in worded] + [""]
    return codes.ravel(), shown, [[w[1] for w in worded] + [""], [w[2] for w in worded] + [""]]


class _TextCodes:
    """The categories of one kind of reason text, added feature by feature: codes into them, duplicates merged at the end."""

    def __init__(self):
        self._texts: list[np.ndarray] = []
        self._size = 0

    def add(self, codes: np.ndarray, texts: list, missing_is_last: bool) -> np.ndarray:
        """Return codes for `texts[codes]`: code -1 is the last text if `missing_is_last`, else stays missing (-1)."""
        if missing_is_last:
            codes = np.where(codes < 0, len(texts) - 1, codes)
        out = np.where(codes < 0, -1, codes + self._size)
        self._texts.append(np.asarray(texts, dtype=object))
        self._size += len(texts)
        return out

    def resolve(self, codes: np.ndarray, expect_repeats: bool) -> tuple[np.ndarray, pd.CategoricalDtype]:
        """Return `codes` (from `add`) as codes into the distinct texts, and the categorical type of those texts.

        Equal texts become one category. Values repeat across features (two counts of 3); sentences
        name their feature and mostly do not, so for them (`expect_repeats` false) a uniqueness check
        usually saves the merge.
        """
        texts = pd.Index(np.concatenate(self._texts) if self._texts else [], dtype=object)
        if not expect_repeats and texts.is_unique:
            return codes, pd.CategoricalDtype(texts)
        unique_codes, unique = pd.factorize(texts)
        codes = np.where(codes < 0, -1, unique_codes[np.maximum(codes, 0)] if len(texts) else -1)
        return codes, pd.CategoricalDtype(pd.Index(unique, dtype=object))
