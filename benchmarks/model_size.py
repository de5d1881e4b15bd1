"""Model size against explanation cost: test AUC and exact-TreeSHAP rows/s for a few tree shapes.

Every served score is explained with exact TreeSHAP, whose cost grows with trees x leaves x depth^2, so
the default tree shape is chosen on both axes. Run: python -m benchmarks.model_size [--customers N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import warnings

SHAPES = (  # (num_leaves, max_depth)
    (7, 3),
    (15, 5),
    (31, 7),
    (63, 11),
)


def feature_table(customers: int, years: int, seed: int):
    """Return the labelled monthly feature table of a sample portfolio."""
    from features.labels import LabelConfig, labelled_features
    from features.pipeline import month_ends
    from features.sample import SampleConfig, generate_portfolio
    from features.validate import frames_to_raw, validate_ledger

    config = SampleConfig(customers=customers, years=years, seed=seed)
    tables = generate_portfolio(config)
    raw = frames_to_raw({k: v for k, v in tables.items() if not k.startswith("_")})
    ledger = validate_ledger(raw, source="sample", reference_date=config.end, allow_quarantine=False).ledger
    dates = month_ends(config.start + dt.timedelta(days=181), config.end - dt.timedelta(days=1))
    return labelled_features(ledger, dates, LabelConfig()).to_pandas()


def explain_rate(packaged, rows, repeats: int = 3) -> float:
    """Return exact-TreeSHAP rows per second (best of `repeats`) on `rows`."""
    matrix = packaged.matrix(rows)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        packaged.booster.predict(matrix, pred_contrib=True)
        best = min(best, time.perf_counter() - started)
    return len(rows) / best


def measure(table, target: str, shapes=SHAPES, n_estimators: int = 400) -> list[dict]:
    """Return one row per tree shape: leaves, depth, trees kept, test AUC, explanation rows/s."""
    from training.config import load_config
    from training.fit_all import fit_models

    base = load_config(None, target=target)
    results = []
    for leaves, depth in shapes:
        lgb = base.lightgbm.model_copy(update={"num_leaves": leaves, "max_depth": depth, "n_estimators": n_estimators})
        fit = fit_models(table, base.model_copy(update={"lightgbm": lgb}))
        rows = fit.split.test.sample(
            n=min(20_000, len(fit.split.test)), random_state=0, replace=len(fit.split.test) < 20_000
        )
        results.append(
            {
                "num_leaves": leaves,
                "max_depth": depth,
                "trees": fit.packaged.booster.num_trees(),
                "test_auc": fit.metrics["test_auc"],
                "explain_rows_per_s": explain_rate(fit.packaged, rows),
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    table = feature_table(args.customers, args.years, args.seed)
    print(f"sample: {args.customers:,} customers, {args.years} years, seed {args.seed}; {len(table):,} feature rows")
    print("| target | leaves | depth | trees | test AUC | explained rows/s |")
    print("|---|---|---|---|---|---|")
    for target in ("default_12m", "late_payment_90d"):
        for r in measure(table, target):
            print(
                f"| {target} | {r['num_leaves']} | {r['max_depth']} | {r['trees']} | {r['test_auc']:.4f} "
                f"| {r['explain_rows_per_s']:,.0f} |"
            )


if __name__ == "__main__":
    main()
