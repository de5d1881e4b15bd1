"""The packaged model: booster, feature spec, calibrator, grade bands and reason texts as one object.

Training builds and saves it; serving, notebooks and `mlflow.pyfunc` load it; this module is the
one place both sides touch. Its artifacts are plain files: the booster in LightGBM's own text
format and everything else in one JSON document. Nothing is pickled.

Explanations are exact TreeSHAP values from LightGBM (`pred_contrib`), on the raw (log-odds) scale:
the contributions of a row plus the base value add up to its raw score. LightGBM's `pred_contrib`
is not thread-safe on one booster, so every call on the booster holds this object's lock.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.reason_texts import reason_text_codes
from training.calibrate import ScoreCalibrator
from training.dataset import FeatureSpec
from training.grades import assign_grades
from training.top_reasons import top_risk_raising

BOOSTER_FILE = "booster.txt"
BUNDLE_FILE = "bundle.json"
MAX_REASONS = 5
PASS_THROUGH = ("customer_id", "as_of_date")


REASON_PARTS = ("feature", "value", "contribution", "text_en", "text_zh")


def reason_columns(n: int = MAX_REASONS) -> list[str]:
    """Return the names of the reason columns in a prediction, in order."""
    return [f"reason_{i}_{part}" for i in range(1, n + 1) for part in REASON_PARTS]


@dataclass
class Explanation:
    contributions: np.ndarray  # (rows, features) on the raw scale
    base_value: float
    raw_score: np.ndarray


class PackagedModel:
    """A trained model ready to score: `predict(features) -> probability, grade, reasons`."""

    def __init__(self, booster: lgb.Booster, bundle: dict):
        self.booster = booster
        self.bundle = bundle
        self.spec = FeatureSpec.from_dict(bundle["feature_spec"])
        self.calibrator = ScoreCalibrator.from_dict(bundle["calibrator"])
        self.grade_bounds = tuple(bundle["grade_bounds"])
        self._lock = threading.Lock()

    @property
    def target(self) -> str:
        return self.bundle["target"]

    # -- files -------------------------------------------------------------------------------
    def save(self, directory: Path) -> dict[str, str]:
        """Write the artifacts into `directory`; return {artifact name: path} for MLflow."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(directory / BOOSTER_FILE))
        (directory / BUNDLE_FILE).write_text(json.dumps(self.bundle, indent=1, sort_keys=True, default=str))
        return {"booster": str(directory / BOOSTER_FILE), "bundle": str(directory / BUNDLE_FILE)}

    @classmethod
    def load(cls, booster_path: str | Path, bundle_path: str | Path) -> PackagedModel:
        bundle = json.loads(Path(bundle_path).read_text())
        return cls(lgb.Booster(model_file=str(booster_path)), bundle)

    @classmethod
    def load_dir(cls, directory: str | Path) -> PackagedModel:
        directory = Path(directory)
        return cls.load(directory / BOOSTER_FILE, directory / BUNDLE_FILE)

    # -- scoring -----------------------------------------------------------------------------
    def matrix(self, features: pd.DataFrame) -> pd.DataFrame:
        """Return the model matrix for a feature table (columns in training order, categories fixed)."""
        return self.spec.frame(features)

    def raw_score(self, features: pd.DataFrame) -> np.ndarray:
        rows = self.spec.array(features)
        with self._lock:
            return self.booster.predict(rows, raw_score=True, num_threads=_threads(len(rows)))

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        """Return calibrated probabilities of the target event."""
        return self.calibrator.predict(self.raw_score(features))

    def explain(self, features: pd.DataFrame) -> Explanation:
        """Return exact TreeSHAP contributions; they plus the base value add up to the raw score."""
        values = self.pred_contrib(self.spec.array(features))
        contributions, base = values[:, :-1], values[:, -1]
        return Explanation(contributions, float(base[0]) if len(base) else 0.0, values.sum(axis=1))

    def pred_contrib(self, rows: np.ndarray) -> np.ndarray:
        """Return LightGBM's `pred_contrib` on a model matrix (`spec.array`): per row, each feature's
        contribution, then the base value. The one call every explanation makes."""
        with self._lock:
            return self.booster.predict(rows, pred_contrib=True, num_threads=_threads(len(rows)))

    def predict(self, features: pd.DataFrame, explain: bool = True) -> pd.DataFrame:
        """Return one row per input row: probability, raw_score, risk_grade and, with `explain`, reasons."""
        columns = {c: features[c].array for c in PASS_THROUGH if c in features.columns}
        if explain:
            explanation = self.explain(features)
            raw = explanation.raw_score
        else:
            raw = self.raw_score(features)
        probability = self.calibrator.predict(raw)
        columns["probability"] = probability
        columns["raw_score"] = raw
        columns["risk_grade"] = assign_grades(probability, self.grade_bounds).astype("int64")
        if explain:
            columns.update(self.reasons(features, explanation.contributions))
        return pd.DataFrame(columns)

    def reasons(self, features: pd.DataFrame, contributions: np.ndarray, n: int = MAX_REASONS) -> dict[str, object]:
        """Return the reason columns: per row the `n` largest risk-raising contributions, largest first.

        Only contributions that raise the risk count as reasons; a row with fewer has empty slots
        (missing, and NaN for the contribution); of two equal contributions the feature listed first
        comes first. Feature, value and sentence columns are `pandas.Categorical`: codes into the
        distinct texts, each built once, so a portfolio's reasons build no string per row.
        """
        names = list(self.spec.names)
        rows = len(features)
        # Per slot and row the feature (-1: no risk-raising contribution left for the slot) and its contribution.
        slot_feature, contribution = top_risk_raising(contributions, n)
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
            local, shown, sentences = self._reason_texts(names[j], features[names[j]].to_numpy()[at % rows])
            codes["value"][at] = texts["value"].add(local, shown[:-1], missing_is_last=False)
            codes["text_en"][at] = texts["text_en"].add(local, sentences[0], missing_is_last=True)
            codes["text_zh"][at] = texts["text_zh"].add(local, sentences[1], missing_is_last=True)
        codes["feature"], dtypes = slot_feature.ravel(), {"feature": pd.CategoricalDtype(pd.Index(names, dtype=object))}
        for part, dictionary in texts.items():
            codes[part], dtypes[part] = dictionary.resolve(codes[part], expect_repeats=part == "value")
        columns: dict[str, object] = {}
        for slot in range(n):
            for part in REASON_PARTS:
                columns[f"reason_{slot + 1}_{part}"] = contribution[slot] if part == "contribution" else (
                    pd.Categorical.from_codes(codes[part].reshape(n, rows)[slot], dtype=dtypes[part], validate=False))
        return columns

    def _reason_texts(self, name: str, values: np.ndarray) -> tuple[np.ndarray, list[str], list[list[str]]]:
        """Return, for values of feature `name`, (codes, the distinct values as shown, the distinct sentences per language).

        A value is shown as its sentence shows it in English (code -1, the last entry, is missing).
        """
        template = self.bundle["reason_texts"].get(name)
        median, unit = self.bundle["medians"].get(name), self.bundle["units"].get(name, "")
        codes, shown, sentences = reason_text_codes(template, name, values, median, unit)
        return codes, shown[0], sentences


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


def _threads(rows: int) -> int:
    # OpenMP start-up costs more than it saves on a handful of rows (the API scores one at a time).
    return 1 if rows < 256 else 0

