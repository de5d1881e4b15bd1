"""Where a model comes from: the ledger, the feature set, the labels and the dates, as registry tags.

Every run and every registered version carries the same tags, so a version says which ledger and which
features it was trained on. A feature table written by `tradecredit features` carries its ledger's source
and digest in its Parquet metadata, so a model trained from the file keeps the same lineage as one trained
from the ledger. A new version whose feature set differs from its champion's is refused as challenger
unless the caller says it is meant (`--new-feature-set`): scored side by side, a ledger holds the columns
of one of them only, and `promote` could not compare them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from model import registry
from model.spec import FeatureSpec

LEDGER_SOURCE_KEY = b"ledger_source"
LEDGER_DIGEST_KEY = b"ledger_digest"


@dataclass(frozen=True)
class Lineage:
    """Where a training table came from."""

    kind: str  # "ledger" or "features file"
    source: str  # the ledger (or file) as given
    ledger_source: str  # the ledger the rows were built from ("" when unknown)
    ledger_digest: str  # its digest ("" when unknown)

    @property
    def ledger_name(self) -> str:
        """Return a short name for run names: the ledger's folder or file name, else its digest."""
        name = Path(self.ledger_source.rstrip("/")).name if self.ledger_source else ""
        return name or self.ledger_digest[:8] or Path(self.source).stem


def located(source: str) -> str:
    """Return a ledger source as lineage records it: a local path made absolute (a tag read later, from
    another folder, still finds it), anything else (a postgresql:// URL) as given."""
    return str(Path(source).resolve()) if "://" not in source and Path(source).exists() else source


def stamp_ledger(table: pa.Table, source: str, digest: str) -> pa.Table:
    """Return `table` with the ledger's source and digest added to its schema metadata."""
    metadata = dict(table.schema.metadata or {})
    metadata.update({LEDGER_SOURCE_KEY: source.encode(), LEDGER_DIGEST_KEY: digest.encode()})
    return table.replace_schema_metadata(metadata)


def lineage_of_file(path: Path, schema: pa.Schema) -> Lineage:
    """Return the lineage of a feature file with this schema (the ledger unknown for a file from elsewhere)."""
    metadata = schema.metadata or {}
    return Lineage(
        "features file",
        located(str(path)),
        metadata.get(LEDGER_SOURCE_KEY, b"").decode(),
        metadata.get(LEDGER_DIGEST_KEY, b"").decode(),
    )


def feature_set_digest(spec: FeatureSpec) -> str:
    """Return a short digest of the model's inputs: names in order and which are categories."""
    text = json.dumps([list(spec.names), sorted(spec.categorical)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def lineage_tags(lineage: Lineage, spec: FeatureSpec, split: dict, labels: dict, features_digest: str) -> dict:
    """Return the tags every run and registered version carries."""
    return {
        "source_kind": lineage.kind,
        "source": lineage.source,
        "ledger_source": lineage.ledger_source,
        "ledger_digest": lineage.ledger_digest,
        "features_digest": features_digest,
        "feature_set_digest": feature_set_digest(spec),
        "feature_names": ",".join(spec.names)[:5000],
        "label_definition": json.dumps(labels, sort_keys=True, default=str),
        "training_dates": f"{split.get('train_from', '')} to {split.get('train_to', '')}",
        "test_dates": f"{split.get('test_from', '')} to {split.get('test_to', '')}",
    }


def check_feature_set(name: str, spec: FeatureSpec, lineage: Lineage, allow_new: bool) -> None:
    """Raise TrackingError when `name`'s champion was trained on another feature set and `allow_new` is false."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        champion = MlflowClient().get_model_version_by_alias(name, registry.CHAMPION)
    except MlflowException:
        return  # no such model or no champion yet: nothing to differ from
    tags = champion.tags or {}
    theirs = tags.get("feature_set_digest")
    if allow_new or theirs is None or theirs == feature_set_digest(spec):
        return
    their_names = set(filter(None, tags.get("feature_names", "").split(",")))
    added, dropped = sorted(set(spec.names) - their_names), sorted(their_names - set(spec.names))
    change = "; ".join(
        part
        for part in (f"new: {', '.join(added)}" if added else "", f"gone: {', '.join(dropped)}" if dropped else "")
        if part
    )
    raise registry.TrackingError(
        f"{name} version {champion.version} (champion, ledger {tags.get('ledger_source') or '?'}) was trained on "
        f"another feature set than this run on {lineage.ledger_name} ({change or 'categories or order differ'}): "
        "give the model its own name (--portfolio NAME) or pass --new-feature-set to register it as challenger"
    )
