"""The packaged model: booster, feature spec, calibrator, grade bands and reason texts as one object.

Training builds and saves it; serving, notebooks and `mlflow.pyfunc` load it; this package is the
one place both sides touch, and it imports nothing else of tradecredit, so a model logged with it
scores wherever mlflow, lightgbm, pandas and numpy are installed. Its artifacts are plain files: the
booster in LightGBM's own text format and everything else in one JSON document. Nothing is pickled.

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

from model.calibration import ScoreCalibrator
from model.grades import assign_grades
from model.reason_rules import ReasonRules
from model.reason_texts import MISSING, reason_text_codes
from model.reasons import MAX_REASONS, reason_table
from model.spec import FeatureSpec

BOOSTER_FILE = "booster.txt"
BUNDLE_FILE = "bundle.json"
PASS_THROUGH = ("customer_id", "as_of_date")
# What the probability of each target is called in a prediction, in the batch's scores and in the API.
PROBABILITY_COLUMNS = {"default_12m": "pd_12m", "late_payment_90d": "late_payment_prob_90d"}


@dataclass
class Explanation:
    contributions: np.ndarray  # (rows, features) on the raw scale
    base_value: float
    raw_score: np.ndarray
    values: np.ndarray | None = None  # the model matrix explained (`FeatureSpec.array`)


class PackagedModel:
    """A trained model ready to score: `predict(features) -> probability, grade, reasons`."""

    def __init__(self, booster: lgb.Booster, bundle: dict):
        self.booster = booster
        self.bundle = bundle
        self.spec = FeatureSpec.from_dict(bundle["feature_spec"])
        self.calibrator = ScoreCalibrator.from_dict(bundle["calibrator"])
        self.grade_bounds = tuple(bundle["grade_bounds"])
        self.reason_rules = ReasonRules.of(self.spec, bundle)
        self._lock = threading.Lock()

    @property
    def target(self) -> str:
        return self.bundle["target"]

    @property
    def probability_column(self) -> str:
        """Return the name of the probability column in this model's predictions (`pd_12m`, `late_payment_prob_90d`)."""
        return PROBABILITY_COLUMNS[self.target]

    @property
    def label_definition(self) -> dict:
        """Return the label definition the model was trained with, as saved in its bundle."""
        return dict(self.bundle["labels"])

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
            return np.asarray(self.booster.predict(rows, raw_score=True, num_threads=_threads(len(rows))))

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        """Return calibrated probabilities of the target event."""
        return self.calibrator.predict(self.raw_score(features))

    def explain(self, features: pd.DataFrame) -> Explanation:
        """Return exact TreeSHAP contributions; they plus the base value add up to the raw score."""
        rows = self.spec.array(features)
        values = self.pred_contrib(rows)
        contributions, base = values[:, :-1], values[:, -1]
        return Explanation(contributions, float(base[0]) if len(base) else 0.0, values.sum(axis=1), rows)

    def pred_contrib(self, rows: np.ndarray) -> np.ndarray:
        """Return LightGBM's `pred_contrib` on a model matrix (`spec.array`): per row, each feature's
        contribution, then the base value. The one call every explanation makes."""
        with self._lock:
            return np.asarray(self.booster.predict(rows, pred_contrib=True, num_threads=_threads(len(rows))))

    def predict(self, features: pd.DataFrame, explain: bool = True) -> pd.DataFrame:
        """Return one row per input row: the probability (`probability_column`), raw_score, risk_grade and,
        with `explain`, reasons."""
        columns = {c: features[c].array for c in PASS_THROUGH if c in features.columns}
        if explain:
            explanation = self.explain(features)
            raw = explanation.raw_score
        else:
            raw = self.raw_score(features)
        probability = self.calibrator.predict(raw)
        columns[self.probability_column] = probability
        columns["raw_score"] = raw
        columns["risk_grade"] = assign_grades(probability, self.grade_bounds).astype("int64")
        if explain:
            columns.update(self.reasons(features, explanation.contributions, values=explanation.values))
        return pd.DataFrame(columns)

    def reasons(
        self, features: pd.DataFrame, contributions: np.ndarray, n: int = MAX_REASONS, values: np.ndarray | None = None
    ) -> dict[str, object]:
        """Return the reason columns (`model.reasons.reason_table`) of rows with these contributions.

        `values` is the model matrix of `features` when the caller has it (`Explanation.values`).
        """
        values = self.spec.array(features) if values is None else values
        # A category unseen in training is NaN in the matrix, as LightGBM wants, but it is not missing:
        # code -1 keeps it a value, one that differs from the most common. The caller's matrix is not changed.
        copied = False
        for j, name in enumerate(self.spec.names):
            if name in self.spec.categorical:
                unseen = np.isnan(values[:, j]) & features[name].notna().to_numpy()
                if unseen.any():
                    values, copied = (values if copied else values.copy()), True
                    values[unseen, j] = -1.0
        return reason_table(
            features, list(self.spec.names), values, contributions, self.reason_rules, self._reason_texts, n
        )

    def _reason_texts(self, name: str, values: np.ndarray) -> tuple[np.ndarray, list[str], list[list[str]]]:
        """Return, for values of feature `name`, (codes, the distinct values as shown, the distinct sentences per language).

        A value is shown as its sentence shows it in English (code -1, the last entry, is missing).
        """
        template = self.bundle["reason_texts"].get(name)
        median, unit = self.bundle["medians"].get(name), self.bundle["units"].get(name, "")
        missing = self.bundle.get("missing_texts", {}).get(name, MISSING)[:2]
        codes, shown, sentences = reason_text_codes(template, name, values, median, unit, missing)
        return codes, shown[0], sentences


def _threads(rows: int) -> int:
    # OpenMP start-up costs more than it saves on a handful of rows (the API scores one at a time).
    return 1 if rows < 256 else 0
