"""Nightly batch: score the whole portfolio at one as-of date into a Parquet file with a manifest.

The output is written under a temporary name and renamed at the end, so an interrupted run leaves no
scores file behind (and the next run clears what it left); the manifest beside it says which models
scored (a model left out is null), which ledger, how many customers went in, were scored and were
skipped, and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from features.atomic import atomic_path, remove_stale_temporaries
from features.ledger import Ledger
from serving.limits import LimitPolicy
from serving.score_row import SCORE_SCHEMA
from serving.scoring import ScoringModels, check_models_fit, score_in_chunks, snapshot


@dataclass
class BatchResult:
    out: Path
    manifest: Path
    rows_in: int  # customers in the source: accepted and quarantined
    scored: int
    skipped: dict[str, int]

    @property
    def skipped_share(self) -> float:
        """Return the share of the source's customers that got no score (0 when there are none)."""
        return sum(self.skipped.values()) / self.rows_in if self.rows_in else 0.0


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def run_batch(
    ledger: Ledger,
    as_of: dt.date,
    models: ScoringModels,
    policy: LimitPolicy,
    out: Path,
    *,
    quarantined: dict[str, int] | None = None,
    chunk_size: int = 10_000,
    progress=None,
    steps: Callable[[str], None] | None = None,
) -> BatchResult:
    """Score every customer of `ledger` at `as_of` into `out`; return counts and the manifest path.

    `progress` is a tqdm-like factory (`progress(total=..., unit=...)`) or None; `steps`, when given,
    is told each step of building the features and when scoring starts. A model that needs a column
    the ledger cannot give raises TrackingError before anything is written.
    """
    check_models_fit(models, ledger)
    out = Path(out)
    remove_stale_temporaries(out)
    remove_stale_temporaries(manifest_path(out))
    features = snapshot(ledger, as_of, models.label_config, progress=steps)
    accepted = ledger["customers"].num_rows
    quarantined_customers = (quarantined or {}).get("customers", 0)
    rows_in = accepted + quarantined_customers
    skipped = {
        "no invoice on or before the as-of date": accepted - len(features),
        "customer row quarantined": quarantined_customers,
    }
    schema = SCORE_SCHEMA
    if steps:
        steps(f"scoring {len(features):,} customers")
    bar = progress(total=len(features), unit="customers", desc="scoring") if progress else None
    with atomic_path(out) as tmp, pq.ParquetWriter(tmp, schema) as writer:

        def write(chunk):
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
            if bar:
                bar.update(len(chunk))

        scored = score_in_chunks(features, models, policy, chunk_size, write)
        if scored == 0:
            writer.write_table(schema.empty_table())
    if bar:
        bar.close()
    manifest = {
        "as_of_date": as_of.isoformat(),
        "models": models.describe(),
        "default_model_run_id": models.default.run_id if models.default else None,
        "late_payment_model_run_id": models.late.run_id if models.late else None,
        "model_notes": list(models.notes),
        "ledger": ledger.source,
        "ledger_digest": ledger.digest(),
        "ledger_rows_quarantined": quarantined or {},
        "customers_in": rows_in,
        "scored": scored,
        "skipped": skipped,
        "output": out.name,
        "output_sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "limit_policy": policy.model_dump(),
    }
    target = manifest_path(out)
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return BatchResult(out, target, rows_in, scored, skipped)
