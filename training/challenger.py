"""The classic scorecard as a challenger: binned features, one-hot, logistic regression.

A credit committee understands it (each bin adds a fixed number of points), so the booster has to beat
it by a margin worth its opacity. Binning, missing values and unseen categories are handled here, so
the scorecard reads the same model matrix as the booster (`FeatureSpec.frame`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from training.monotone_logistic import MonotoneBlock, fit_logistic


def _is_categorical(column: pd.Series) -> bool:
    """Return True when a column holds labels rather than numbers (category, object or string dtype; bool counts as numeric)."""
    return not pd.api.types.is_numeric_dtype(column.dtype)


def _numeric_values(column: pd.Series) -> np.ndarray:
    """Return a column as float64 with NaN for missing (pandas nullable NA included)."""
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def quantile_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Return the sorted unique interior quantile edges of the finite values (empty if there are none).

    Interior edges only: the lowest and highest bins are open-ended, so values beyond the training
    range at scoring time still fall in a bin. Ties collapse edges, so a constant column has one edge.
    """
    finite = np.where(np.isfinite(values), values, np.nan)
    if n_bins < 2 or np.isnan(finite).all():
        return np.empty(0, dtype=np.float64)
    return np.unique(np.nanquantile(finite, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))


def numeric_codes(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return bin codes: 0..len(edges) by value (an edge belongs to the bin above it), len(edges)+1 for NaN."""
    codes = np.searchsorted(edges, values, side="right")
    codes[np.isnan(values)] = len(edges) + 1
    return codes


def observed_categories(column: pd.Series) -> np.ndarray:
    """Return the categories present in a column, in a fixed order (declared order, else sorted as text)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        present = np.bincount(codes[codes >= 0], minlength=len(column.cat.categories)) > 0
        return np.asarray(column.cat.categories[present], dtype=object)
    values = pd.unique(column.dropna().to_numpy(dtype=object))
    # Sorted, not in order of appearance, so shuffling the training rows cannot change the model.
    return np.asarray(sorted(values, key=lambda v: (type(v).__name__, str(v))), dtype=object)


def category_codes(column: pd.Series, categories: np.ndarray) -> np.ndarray:
    """Return codes: 0..len-1 for known categories, len for unseen ('other'), len+1 for missing."""
    index = pd.Index(categories, dtype=object)
    if isinstance(column.dtype, pd.CategoricalDtype):
        # Look up each declared category once, then index by the column's integer codes: no hashing per row.
        # A trailing -1 makes the Categorical's own missing code (-1) index to "not found".
        lookup = np.append(index.get_indexer(pd.Index(column.cat.categories, dtype=object)), -1)
        codes = lookup[column.cat.codes.to_numpy()]
    else:
        codes = index.get_indexer(column.to_numpy(dtype=object))
    codes = np.where(codes < 0, len(categories), codes)
    codes[column.isna().to_numpy()] = len(categories) + 1
    return codes


class BinnedLogisticScorecard(ClassifierMixin, BaseEstimator):
    """Logistic regression on one-hot bins: quantile bins for numbers, one bin per category.

    Every feature also gets a bin for missing values, and categoricals a bin for categories unseen in
    training ('other'). A bin empty in training keeps a zero weight under the L2 penalty, which is the
    plain average of that feature's bin weights (the unpenalised intercept absorbs any common shift),
    so it scores as neutral. `directions` ({numeric column: +1 riskier when higher, -1 safer}) holds
    those features' bin weights monotone in value order (`training.monotone_logistic`), as the
    booster's monotone constraints hold it. Deterministic: bins come from quantiles and sorted
    categories, L-BFGS-B has no randomness.

    Parameters are stored untouched (scikit-learn contract); fitted state ends in `_`:
    `edges_` {numeric column: interior edges}, `categories_` {categorical column: categories},
    `offsets_` (first one-hot column of each feature), `coef_` (one weight per bin), `intercept_`,
    `feature_names_in_`, `n_features_in_`, `classes_`, `n_iter_`. Scoring selects the training columns by name, so a
    DataFrame may carry extra columns (keys, labels); an array must have the training width.
    `sample_weight` reaches the regression only: bin edges are unweighted quantiles.
    """

    def __init__(self, n_bins=10, C=0.1, max_iter=1000, categorical=(), directions=None):
        self.n_bins = n_bins
        self.C = C
        self.max_iter = max_iter
        self.categorical = categorical
        self.directions = directions

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X, y, sample_weight=None) -> BinnedLogisticScorecard:
        """Learn the bins on X, then the logistic regression on their one-hot encoding; return self."""
        if y is None:
            raise ValueError("the scorecard requires y to be passed, but the target y is None")
        frame = _as_frame(X)
        y = np.asarray(y).ravel()
        if len(y) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(y)}")
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(f"Only binary classification is supported. The type of the target is {y_type}.")
        if len(np.unique(y)) != 2:
            raise ValueError("Only binary classification is supported: y holds 1 class only.")
        if not isinstance(self.n_bins, (int, np.integer)) or self.n_bins < 1:
            raise ValueError(f"n_bins must be a positive integer, not {self.n_bins!r}")
        unknown = [c for c in self._declared_categorical() if c not in frame.columns]
        if unknown:
            raise ValueError(f"categorical columns not in X: {', '.join(map(str, unknown))}")
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self._learn_bins(frame)
        design = self._design(frame)
        self.classes_ = np.unique(y)
        fitted = fit_logistic(
            design, y == self.classes_[1], self.C, self._monotone_blocks(), sample_weight, self.max_iter
        )
        self.coef_, self.intercept_, self.n_iter_ = fitted.coef, fitted.intercept, fitted.n_iter
        return self

    def _monotone_blocks(self) -> list[MonotoneBlock]:
        """Return the value bins of each numeric feature with a direction, as columns held monotone."""
        blocks = []
        for j, name in enumerate(self.feature_names_in_):
            direction = int((self.directions or {}).get(name, 0))
            if name in self.edges_ and direction and len(self.edges_[name]):
                # the value bins come first, the missing bin last and free
                blocks.append(MonotoneBlock(int(self.offsets_[j]), int(self.offsets_[j + 1]) - 1, direction))
        return blocks

    def _declared_categorical(self) -> tuple:
        """Return the declared categorical column names; a lone string is one name, not its letters."""
        return (self.categorical,) if isinstance(self.categorical, str) else tuple(self.categorical)

    def _learn_bins(self, frame: pd.DataFrame) -> None:
        """Set edges_, categories_ and offsets_ from the training frame."""
        declared = set(self._declared_categorical())
        self.edges_, self.categories_ = {}, {}
        widths = []
        for name in frame.columns:
            column = frame[name]
            if name in declared or _is_categorical(column):
                self.categories_[name] = observed_categories(column)
                widths.append(len(self.categories_[name]) + 2)  # + other + missing
            else:
                self.edges_[name] = quantile_edges(_numeric_values(column), self.n_bins)
                widths.append(len(self.edges_[name]) + 2)  # len+1 value bins + missing
        self.offsets_ = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)

    def _design(self, frame: pd.DataFrame) -> sp.csr_matrix:
        """Return the one-hot matrix: exactly one 1 per feature per row, built straight as CSR."""
        n, k = frame.shape
        codes = np.empty((n, k), dtype=np.int64)
        for j, name in enumerate(self.feature_names_in_):
            if name in self.edges_:
                local = numeric_codes(_numeric_values(frame[name]), self.edges_[name])
            else:
                local = category_codes(frame[name], self.categories_[name])
            codes[:, j] = local + self.offsets_[j]
        # One entry per (row, feature) in row-major order, so CSR needs no sorting or summing.
        indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
        data = np.ones(n * k, dtype=np.float64)
        return sp.csr_matrix((data, codes.ravel(), indptr), shape=(n, int(self.offsets_[-1])))

    def _frame_for_scoring(self, X) -> pd.DataFrame:
        """Return X's training columns in training order; raise ValueError when some are missing."""
        check_is_fitted(self)
        frame = _as_frame(X, self.feature_names_in_)
        missing = [c for c in self.feature_names_in_ if c not in frame.columns]
        if missing:
            raise ValueError(f"X lacks columns the scorecard was fitted on: {', '.join(map(str, missing))}")
        return frame[list(self.feature_names_in_)]

    def decision_function(self, X) -> np.ndarray:
        """Return the log-odds of classes_[1] per row, shape (n,)."""
        design = self._design(self._frame_for_scoring(X))  # checks fitted before coef_ is touched
        return design @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """Return probabilities of shape (n, 2): columns in the order of classes_."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X) -> np.ndarray:
        """Return classes_[1] where its probability exceeds one half, else classes_[0]."""
        positive = self.decision_function(X) > 0  # first, so an unfitted model raises NotFittedError
        return self.classes_[positive.astype(int)]


def _as_frame(X, names=None) -> pd.DataFrame:
    """Return X as a DataFrame; an array gets `names` as columns when widths agree, else x0, x1, ..."""
    if sp.issparse(X):
        raise TypeError("sparse input is not supported: pass a DataFrame or a dense array")
    frame = X if isinstance(X, pd.DataFrame) else _frame_from_array(np.asarray(X), names)
    if frame.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required.")
    if frame.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={frame.shape}) while a minimum of 1 is required.")
    return frame


def _frame_from_array(array: np.ndarray, names) -> pd.DataFrame:
    """Return an array as a DataFrame: columns `names` (width must then match), else x0, x1, ..."""
    if array.ndim != 2:
        raise ValueError(f"X must be two-dimensional, got shape {array.shape}: Reshape your data")
    if names is None:
        names = [f"x{i}" for i in range(array.shape[1])]
    elif len(names) != array.shape[1]:
        raise ValueError(
            f"X has {array.shape[1]} features, but BinnedLogisticScorecard is expecting {len(names)} features as input"
        )
    return pd.DataFrame(array, columns=list(names))
