"""Back-tests of matured outcomes: discrimination per date, calibration per grade, migration, concentration.

Calibration per grade follows the ECB's instructions for reporting the validation results of internal
models (2019): with D defaults among N customers of a grade whose mean PD is PD, the Jeffreys test takes
the posterior Beta(D + 1/2, N - D + 1/2) of the default rate and its one-sided p-value at PD, the
probability that the rate is at or below PD; a small p-value says the grade's PD is too low. Beside it,
the exact binomial test: the probability of D or more defaults among N at PD.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import beta, binom
from sklearn.metrics import roc_auc_score

from model.grades import PD_MASTER_SCALE, grade_rank

BACKTEST_COLUMNS = ["as_of_date", "grade", "n", "defaults", "mean_pd", "observed_rate", "jeffreys_p", "binomial_p"]


def jeffreys_p(defaults, n, pd_: np.ndarray | float) -> np.ndarray:
    """Return the Jeffreys test's one-sided p-value: the Beta(D + 1/2, N - D + 1/2) distribution function at PD."""
    d, n = np.asarray(defaults, dtype=float), np.asarray(n, dtype=float)
    return beta.cdf(np.asarray(pd_, dtype=float), d + 0.5, n - d + 0.5)


def binomial_p(defaults, n, pd_: np.ndarray | float) -> np.ndarray:
    """Return the binomial test's one-sided p-value: P(X >= D) for X ~ Binomial(N, PD)."""
    d, n = np.asarray(defaults, dtype=float), np.asarray(n, dtype=float)
    return binom.sf(d - 1, n, np.asarray(pd_, dtype=float))


def backtest_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return per as-of date and grade (and "all"): n, defaults, mean PD, observed rate and both p-values.

    `frame` holds one row per customer and date: as_of_date, grade, pd (the model's) and outcome (0/1).
    """
    keys = ["as_of_date", "grade"]
    whole = frame.assign(grade="all")
    grouped = pd.concat([frame, whole]).groupby(keys, sort=False)
    table = grouped.agg(n=("outcome", "size"), defaults=("outcome", "sum"), mean_pd=("pd", "mean")).reset_index()
    table["defaults"] = table["defaults"].astype(int)
    table["observed_rate"] = table["defaults"] / table["n"]
    table["jeffreys_p"] = jeffreys_p(table["defaults"], table["n"], table["mean_pd"])
    table["binomial_p"] = binomial_p(table["defaults"], table["n"], table["mean_pd"])
    table["order"] = [_grade_order(g) for g in table["grade"]]
    return table.sort_values(["as_of_date", "order"], ignore_index=True)[BACKTEST_COLUMNS]


def auc_by_date(frame: pd.DataFrame) -> pd.DataFrame:
    """Return per as-of date the AUC of `pd` for `outcome` (NaN where only one outcome occurred), n and defaults."""
    rows = []
    for day, part in frame.groupby("as_of_date", sort=True):
        both = part["outcome"].nunique() == 2
        auc = roc_auc_score(part["outcome"], part["pd"]) if both else float("nan")
        rows.append({"as_of_date": day, "n": len(part), "defaults": int(part["outcome"].sum()), "auc": auc})
    return pd.DataFrame(rows, columns=["as_of_date", "n", "defaults", "auc"])


def migration_matrix(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """Return the counts of customers from each grade `before` (rows) to each grade `after` (columns), both
    indexed by customer id; only customers graded at both dates count."""
    both = pd.concat({"from_grade": before, "to_grade": after}, axis=1, join="inner").dropna()
    grades = sorted(set(both["from_grade"]) | set(both["to_grade"]), key=_grade_order)
    matrix = pd.crosstab(both["from_grade"], both["to_grade"]).reindex(index=grades, columns=grades, fill_value=0)
    matrix.index.name, matrix.columns.name = "from_grade", "to_grade"
    return matrix


def migration_summary(matrix: pd.DataFrame) -> dict[str, float]:
    """Return the migration's stability: shares of customers staying, moving one notch, moving more than two
    (the share the ECB's instructions watch), and the upgrade and downgrade shares."""
    counts = matrix.to_numpy(dtype=float)
    total = counts.sum()
    if not total:
        return {"customers": 0, "stayed": np.nan, "one_notch": np.nan, "over_two_notches": np.nan}
    rank = np.array([_grade_order(g) for g in matrix.index])
    distance = np.abs(rank[:, None] - np.array([_grade_order(g) for g in matrix.columns])[None, :])
    down = np.array([_grade_order(g) for g in matrix.columns])[None, :] > rank[:, None]
    return {
        "customers": int(total),
        "stayed": float(counts[distance == 0].sum() / total),
        "one_notch": float(counts[distance == 1].sum() / total),
        "over_two_notches": float(counts[distance > 2].sum() / total),
        "downgraded": float(counts[down].sum() / total),
        "upgraded": float(counts[~down & (distance > 0)].sum() / total),
    }


def herfindahl(grades: pd.Series) -> float:
    """Return the Herfindahl index of the customers' shares across grades: 1 / k when k grades hold as many
    customers each, 1 when one grade holds all (a rating scale that does not discriminate)."""
    shares = grades.dropna().value_counts(normalize=True).to_numpy()
    return float(np.sum(shares**2)) if len(shares) else float("nan")


def _grade_order(grade) -> float:
    """Return the place of a grade on the scale ("1".."10", then "D"), the pooled row "all" last."""
    rank = grade_rank(grade)
    return float(rank) if rank is not None else float(len(PD_MASTER_SCALE) + 2)
