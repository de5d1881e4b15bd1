"""L2-penalised logistic regression on one-hot bins whose weights may be held monotone, feature by feature.

A scorecard a credit committee signs gives more risk for more days late, never less, whatever the
other features do; a plain regression on correlated bins does not promise that. Within a feature
whose bins are in value order, the bin weights are written as a level plus increments,
w_k = theta_0 + theta_1 + ... + theta_k, and the increments are bounded to the feature's risk
direction (>= 0 riskier when higher, <= 0 safer when higher), so the fitted weights are monotone by
construction. The design stays one-hot (one entry per feature and row); only the weight vector is
reparameterised, so the constraint costs two cumulative sums per evaluation. The objective is
scikit-learn's: C x the (sample-weighted) log loss summed over rows + half the squared weights, the
intercept unpenalised; L-BFGS-B (scipy) handles the bounds. Deterministic: no randomness anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit


@dataclass(frozen=True)
class MonotoneBlock:
    """Columns start..stop-1 of the design hold one feature's value bins in value order; `direction` +1 or -1."""

    start: int
    stop: int
    direction: int


@dataclass(frozen=True)
class LogisticFit:
    coef: np.ndarray  # one weight per design column
    intercept: float
    n_iter: int


def fit_logistic(
    design: sp.csr_matrix,
    y: np.ndarray,
    C: float,
    blocks: list[MonotoneBlock],
    sample_weight: np.ndarray | None = None,
    max_iter: int = 1000,
) -> LogisticFit:
    """Return the weights and intercept minimising C x weighted log loss + ||w||^2 / 2, monotone in `blocks`."""
    n, k = design.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    bounds: list[tuple[float | None, float | None]] = [(None, None)] * (k + 1)
    for b in blocks:
        for j in range(b.start + 1, b.stop):  # the increments; the block's first column is its free level
            bounds[j] = (0.0, None) if b.direction > 0 else (None, 0.0)

    def weights(theta: np.ndarray) -> np.ndarray:
        w = theta[:k].copy()
        for b in blocks:
            w[b.start : b.stop] = np.cumsum(theta[b.start : b.stop])
        return w

    # Divided by C x the total weight (the same minimum): the mean loss, which the tolerances below
    # (scikit-learn's for lbfgs) are meant for.
    scale = 1.0 / (C * s.sum())
    transposed = design.T.tocsr()  # the gradient's product, row-major: far quicker than through a CSC view

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = weights(theta)
        z = design @ w + theta[k]
        # log(1 + e^z) - y z, stably
        loss = float(np.sum(s * (np.logaddexp(0.0, z) - y * z)))
        residual = s * (expit(z) - y)
        grad_w = C * (transposed @ residual) + w
        grad = np.empty(k + 1)
        grad[:k] = grad_w
        for b in blocks:  # d w / d theta is a cumulative sum: its transpose sums from the end
            grad[b.start : b.stop] = np.cumsum(grad_w[b.start : b.stop][::-1])[::-1]
        grad[k] = C * residual.sum()
        return scale * (C * loss + 0.5 * float(w @ w)), scale * grad

    options = {"maxiter": max_iter, "maxls": 50, "gtol": 1e-4, "ftol": 64 * np.finfo(float).eps}
    result = minimize(objective, np.zeros(k + 1), jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    return LogisticFit(weights(result.x), float(result.x[k]), int(result.nit))
