"""Map raw booster scores to probabilities, fitted on held-out data and stored as plain numbers."""

from __future__ import annotations

import numpy as np


class ScoreCalibrator:
    """Calibrate raw scores (log-odds) to probabilities, isotonic or Platt.

    Follows the scikit-learn contract: `__init__` stores the method, `fit` learns, fitted state ends
    in `_`. Its state is a few lists of numbers (`to_dict`), so it travels in the model bundle as JSON.
    """

    def __init__(self, method: str = "isotonic"):
        self.method = method

    def fit(self, raw_scores: np.ndarray, y: np.ndarray) -> ScoreCalibrator:
        # Imported here: only training fits; a packaged model scores without scikit-learn.
        from sklearn.isotonic import IsotonicRegression
        from sklearn.linear_model import LogisticRegression

        raw_scores, y = np.asarray(raw_scores, dtype=float), np.asarray(y, dtype=float)
        if self.method == "isotonic":
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw_scores, y)
            self.x_ = iso.X_thresholds_.tolist()
            self.y_ = iso.y_thresholds_.tolist()
        elif self.method == "platt":
            lr = LogisticRegression(C=1e6).fit(raw_scores.reshape(-1, 1), y)
            self.coef_, self.intercept_ = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        else:
            raise ValueError(f"calibration method must be 'isotonic' or 'platt', not {self.method!r}")
        return self

    def recalibrated_in_the_large(self, raw_scores: np.ndarray, y: np.ndarray) -> ScoreCalibrator:
        """Return a Platt calibrator with this one's slope and the intercept that makes the mean predicted
        probability on (`raw_scores`, `y`) equal their observed rate: the level refitted on recent outcomes,
        the shape kept from the larger sample it was fitted on (Steyerberg, Clinical Prediction Models, ch. 20)."""
        from scipy.optimize import brentq

        if self.method != "platt":
            raise ValueError("only a Platt calibrator can be recalibrated in the large")
        raw_scores, events = np.asarray(raw_scores, dtype=float), float(np.sum(y))
        if not 0 < events < len(raw_scores):
            raise ValueError("recalibration needs both outcomes among the recent rows")

        def excess(intercept: float) -> float:
            return float(np.sum(1.0 / (1.0 + np.exp(-(self.coef_ * raw_scores + intercept))))) - events

        shifted = ScoreCalibrator("platt")
        shifted.coef_ = self.coef_
        # The expected count rises monotonically with the intercept, so one root lies in any bracket that
        # changes sign; +-50 on the log-odds scale holds every rate a ledger can show.
        shifted.intercept_ = float(brentq(excess, self.intercept_ - 50.0, self.intercept_ + 50.0))
        return shifted

    def predict(self, raw_scores: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities for raw scores."""
        raw_scores = np.asarray(raw_scores, dtype=float)
        if self.method == "isotonic":
            return np.interp(raw_scores, self.x_, self.y_)
        return 1.0 / (1.0 + np.exp(-(self.coef_ * raw_scores + self.intercept_)))

    def to_dict(self) -> dict:
        if self.method == "isotonic":
            return {"method": "isotonic", "x": self.x_, "y": self.y_}
        return {"method": "platt", "coef": self.coef_, "intercept": self.intercept_}

    @classmethod
    def from_dict(cls, data: dict) -> ScoreCalibrator:
        calibrator = cls(data["method"])
        if data["method"] == "isotonic":
            calibrator.x_, calibrator.y_ = list(data["x"]), list(data["y"])
        else:
            calibrator.coef_, calibrator.intercept_ = float(data["coef"]), float(data["intercept"])
        return calibrator
