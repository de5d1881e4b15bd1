"""Where models are registered, what they are called, and how a registry URI becomes a loaded model.

Embedded default: a SQLite file `mlflow.db` and an artifact folder `mlruns/` in the working
directory, no server to start. Any `MLFLOW_TRACKING_URI` (an `mlflow server`, PostgreSQL-backed
for a team) replaces it. `models:/NAME@ALIAS` is resolved once to a concrete version, which is what
every score is stamped with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model.packaged import PackagedModel

DEFAULT_DB = "mlflow.db"
DEFAULT_ARTIFACTS = "mlruns"
CHAMPION, CHALLENGER = "champion", "challenger"
TARGETS = ("default_12m", "late_payment_90d")
REGISTERED_NAMES = {"default_12m": "tradecredit-default", "late_payment_90d": "tradecredit-late-payment"}


def registered_name(target: str, portfolio: str | None = None) -> str:
    """Return the registered name of `target`'s model: tradecredit-default, or <portfolio>-default for a portfolio."""
    name = REGISTERED_NAMES[target]
    return name if portfolio is None else f"{portfolio}-{name.removeprefix('tradecredit-')}"


def model_uri_or_none(uri: str | None) -> str | None:
    """Return `uri` stripped, or None when it is empty or says "none": that model is left out."""
    if uri is None or uri.strip().lower() in ("", "none"):
        return None
    return uri.strip()


def champion_uri(target: str, portfolio: str | None = None) -> str:
    """Return the registry URI of the champion model of `target` (of `portfolio`, default: tradecredit's)."""
    return f"models:/{registered_name(target, portfolio)}@{CHAMPION}"


DEFAULT_MODEL_URI = champion_uri("default_12m")
LATE_MODEL_URI = champion_uri("late_payment_90d")


class TrackingError(Exception):
    """The tracking server or registry cannot be used; the message says which and why, in one line."""


def tracking_uri(explicit: str | None = None, workdir: Path | None = None) -> str:
    """Return the tracking URI: explicit, else $MLFLOW_TRACKING_URI, else the embedded SQLite file."""
    uri = explicit or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    return f"sqlite:///{(Path(workdir or Path.cwd()) / DEFAULT_DB).resolve()}"


def connect(uri: str) -> None:
    """Point MLflow at `uri` and check that it answers; raise TrackingError if it does not."""
    import mlflow

    if uri.startswith(("http://", "https://")):
        import requests

        try:
            requests.get(uri.rstrip("/") + "/health", timeout=5).raise_for_status()
        except requests.RequestException as exc:
            raise TrackingError(f"tracking server {uri} does not answer: {type(exc).__name__}") from None
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    run_id: str
    source: str
    tags: dict[str, str] = field(default_factory=dict)  # the version's lineage (ledger, feature set, dates)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def resolve(model_uri: str) -> ModelRef:
    """Return the concrete version behind `models:/NAME@ALIAS` or `models:/NAME/VERSION`."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if not model_uri.startswith("models:/"):
        raise TrackingError(f"{model_uri}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
    body = model_uri[len("models:/") :]
    client = MlflowClient()
    try:
        if "@" in body:
            name, alias = body.split("@", 1)
            mv = client.get_model_version_by_alias(name, alias)
        else:
            name, version = body.rsplit("/", 1)
            mv = client.get_model_version(name, version)
    except MlflowException as exc:
        raise TrackingError(
            f"{model_uri}: not found in the registry ({exc.error_code}) at {mlflow.get_tracking_uri()}; "
            "register one with `tradecredit train`, or point MLFLOW_TRACKING_URI / --tracking-uri at the right store"
        ) from None
    return ModelRef(mv.name, str(mv.version), mv.run_id or "", mv.source or "", dict(mv.tags or {}))


def check_columns(ref: ModelRef, needed: tuple[str, ...] | list[str], available, lacking: str) -> None:
    """Raise TrackingError in one line when `available` lacks a column version `ref` needs: which columns,
    what lacks them (`lacking`) and which ledger the version was trained on (its lineage tags)."""
    missing = [n for n in needed if n not in available]
    if not missing:
        return
    tags = ref.tags
    trained_on = tags.get("ledger_source") or tags.get("source") or "an unrecorded source"
    shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
    raise TrackingError(
        f"{ref.name} version {ref.version} needs columns {lacking} lacks ({shown}): it was trained on "
        f"{trained_on} (ledger digest {tags.get('ledger_digest') or 'unknown'})"
    )


def load_packaged(model_uri: str) -> tuple[PackagedModel, ModelRef]:
    """Return (PackagedModel, ModelRef) for a registry URI, resolved once to a concrete version."""
    from mlflow.artifacts import download_artifacts

    from model.packaged import BOOSTER_FILE, BUNDLE_FILE, PackagedModel

    ref = resolve(model_uri)
    local = Path(download_artifacts(artifact_uri=ref.uri))
    booster = next(local.rglob(BOOSTER_FILE))
    bundle = next(local.rglob(BUNDLE_FILE))
    return PackagedModel.load(booster, bundle), ref
