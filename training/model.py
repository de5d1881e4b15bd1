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

from features.reason_texts import reason_sentences
from training.calibrate import ScoreCalibrator
from training.dataset import FeatureSpec
from training.grades import assign_grades

BOOSTER_FILE = "booster.txt"
BUNDLE_FILE = "bundle.json"
MAX_REASONS = 5
PASS_THROUGH = ("customer_id", "as_of_date")


def reason_columns(n: int = MAX_REASONS) -> list[str]:
    """Return the names of the reason columns in a prediction, in order."""
    parts = ("feature", "value", "contribution", "text_en", "text_zh")
    return [f"reason_{i}_{part}" for i in range(1, n + 1) for part in parts]


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
        rows = self.spec.array(features)
        with self._lock:
            values = self.booster.predict(rows, pred_contrib=True, num_threads=_threads(len(rows)))
        contributions, base = values[:, :-1], values[:, -1]
        return Explanation(contributions, float(base[0]) if len(base) else 0.0, values.sum(axis=1))

    def predict(self, features: pd.DataFrame, explain: bool = True) -> pd.DataFrame:
        """Return one row per input row: probability, raw_score, risk_grade and, with `explain`, reasons."""
        columns = {c: features[c].to_numpy() for c in PASS_THROUGH if c in features.columns}
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

    def reasons(self, features: pd.DataFrame, contributions: np.ndarray, n: int = MAX_REASONS) -> dict[str, np.ndarray]:
        """Return the reason columns: per row the `n` largest risk-raising contributions, largest first.

        Only contributions that raise the risk count as reasons; a row with fewer has empty slots
        (None, and NaN for the contribution); of two equal contributions the feature listed first comes first.
        """
        names = list(self.spec.names)
        rows = len(features)
        # Only features that raise some row's risk can be a reason; a small model uses few of them.
        usable = np.flatnonzero((contributions > 0).any(axis=0))
        if len(usable) < len(names):
            contributions = contributions[:, usable]
        n_top = min(n, len(usable))
        # The n largest per row without sorting all features: partition, then order those by size.
        if 0 < n_top < len(usable):
            candidates = np.argpartition(-contributions, n_top - 1, axis=1)[:, :n_top]
        else:
            candidates = np.broadcast_to(np.arange(len(usable)), (rows, len(usable)))
        picked = np.take_along_axis(contributions, candidates, axis=1)
        rank = np.lexsort((candidates, -picked), axis=1)
        order = usable[np.take_along_axis(candidates, rank, axis=1)]
        top = np.take_along_axis(picked, rank, axis=1)
        columns: dict[str, np.ndarray] = {}
        for slot in range(n_top):
            prefix = f"reason_{slot + 1}_"
            parts = {part: np.full(rows, None, dtype=object) for part in ("feature", "value", "text_en", "text_zh")}
            raising = top[:, slot] > 0
            for j in np.unique(order[raising, slot]):
                at = np.flatnonzero(raising & (order[:, slot] == j))
                parts["feature"][at] = names[j]
                texts = self._reason_texts(names[j], features[names[j]].to_numpy()[at])
                for part, text in zip(("value", "text_en", "text_zh"), texts):
                    parts[part][at] = text
            columns.update({prefix + part: parts[part] for part in ("feature", "value")})
            columns[prefix + "contribution"] = np.where(raising, top[:, slot], np.nan)
            columns.update({prefix + part: parts[part] for part in ("text_en", "text_zh")})
        for slot in range(n_top, n):  # fewer risk-raising features than reason slots
            prefix = f"reason_{slot + 1}_"
            columns.update({prefix + part: np.full(rows, None, dtype=object)
                            for part in ("feature", "value", "text_en", "text_zh")})
            columns[prefix + "contribution"] = np.full(rows, np.nan)
        return {c: columns[c] for c in reason_columns(n)}

    def _reason_texts(self, name: str, values: np.ndarray) -> tuple[np.ndarray, list[str], list[str]]:
        """Return, per value of feature `name`, its text, the English and the Chinese sentence."""
        template = self.bundle["reason_texts"].get(name)
        median, unit = self.bundle["medians"].get(name), self.bundle["units"].get(name, "")
        codes, distinct = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        value_text = np.array([str(v) for v in distinct] + [None], dtype=object)[codes]  # -1: missing
        return (value_text, reason_sentences(template, name, values, median, unit, "en"),
                reason_sentences(template, name, values, median, unit, "zh"))


def _threads(rows: int) -> int:
    # OpenMP start-up costs more than it saves on a handful of rows (the API scores one at a time).
    return 1 if rows < 256 else 0

