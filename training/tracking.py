"""Every MLflow call of tradecredit lives here: backend, runs, logging, registry, aliases, loading.

Embedded default: a SQLite file `mlflow.db` and an artifact folder `mlruns/` in the working
directory, no server to start. Any `MLFLOW_TRACKING_URI` (an `mlflow server`, PostgreSQL-backed
for a team) replaces it.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DEFAULT_DB = "mlflow.db"
DEFAULT_ARTIFACTS = "mlruns"
PYFUNC_FILE = Path(__file__).with_name("pyfunc_model.py")
CHAMPION, CHALLENGER = "champion", "challenger"


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


def experiment_id(name: str, uri: str) -> str:
    """Return the id of experiment `name`, creating it (artifacts under ./mlruns for the embedded store)."""
    import mlflow

    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if uri.startswith("sqlite:///"):
        location = (Path(uri[len("sqlite:///"):]).parent / DEFAULT_ARTIFACTS).resolve().as_uri()
    return mlflow.create_experiment(name, artifact_location=location)


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    run_id: str
    source: str

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


# MLflow's warning that an integer column cannot hold a missing value; ours never do (see the callers).
INTEGER_SCHEMA_HINT = "Hint: Inferred schema contains integer column"


def log_dataset(frame: pd.DataFrame, name: str, source: str, digest: str, context: str) -> None:
    """Log a table as an MLflow dataset input with its digest and where it came from."""
    import mlflow
    from mlflow.data.pandas_dataset import from_pandas

    with warnings.catch_warnings():
        # A local path matches two of MLflow's equivalent local source types; it says so on every run.
        warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted in multiple ways")
        # The schema only describes the logged table (its integer columns are labels, observed in every row).
        warnings.filterwarnings("ignore", message=INTEGER_SCHEMA_HINT)
        dataset = from_pandas(frame, source=source, name=name, digest=digest)
        mlflow.log_input(dataset, context=context)  # the schema is inferred here


def log_packaged_model(packaged, input_example: pd.DataFrame, pip_requirements: list[str]):
    """Log the packaged model as a pyfunc (model from code + artifacts); return MLflow's ModelInfo."""
    import mlflow
    from mlflow.models import infer_signature

    with tempfile.TemporaryDirectory(prefix="tradecredit-model-") as tmp:
        artifacts = packaged.save(Path(tmp))
        output = packaged.predict(input_example)
        with warnings.catch_warnings():
            # The one integer column is risk_grade, an output that is never missing: the hint does not apply.
            warnings.filterwarnings("ignore", message=INTEGER_SCHEMA_HINT)
            signature = infer_signature(input_example, output, params={"explain": True})
            return mlflow.pyfunc.log_model(
                name="model",
                python_model=str(PYFUNC_FILE),
                artifacts=artifacts,
                signature=signature,
                input_example=input_example,
                pip_requirements=pip_requirements,
            )


def register(model_uri: str, name: str, run_id: str) -> ModelRef:
    """Register the logged model as a new version of `name` with alias challenger (champion if first)."""
    import mlflow
    from mlflow import MlflowClient

    version = mlflow.register_model(model_uri, name)
    client = MlflowClient()
    client.set_registered_model_alias(name, CHALLENGER, version.version)
    if alias_version(name, CHAMPION) is None:
        client.set_registered_model_alias(name, CHAMPION, version.version)
    return ModelRef(name, str(version.version), run_id, version.source)


def alias_version(name: str, alias: str) -> str | None:
    """Return the version behind `name@alias`, or None when there is no such alias or model."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return str(MlflowClient().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def set_alias(name: str, alias: str, version: str) -> None:
    from mlflow import MlflowClient

    MlflowClient().set_registered_model_alias(name, alias, version)


def resolve(model_uri: str) -> ModelRef:
    """Return the concrete version behind `models:/NAME@ALIAS` or `models:/NAME/VERSION`."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if not model_uri.startswith("models:/"):
        raise TrackingError(f"{model_uri}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
    body = model_uri[len("models:/"):]
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
    return ModelRef(mv.name, str(mv.version), mv.run_id, mv.source)


def load_packaged(model_uri: str):
    """Return (PackagedModel, ModelRef) for a registry URI, resolved once to a concrete version."""
    from mlflow.artifacts import download_artifacts

    from training.model import BOOSTER_FILE, BUNDLE_FILE, PackagedModel

    ref = resolve(model_uri)
    local = Path(download_artifacts(artifact_uri=ref.uri))
    booster = next(local.rglob(BOOSTER_FILE))
    bundle = next(local.rglob(BUNDLE_FILE))
    return PackagedModel.load(booster, bundle), ref


def log_trials(trials: list[dict]) -> None:
    """Log each tuning trial as a nested run of the active run: its parameters and validation log loss."""
    import mlflow

    experiment = mlflow.active_run().info.experiment_id  # a nested run would otherwise land in "Default"
    for trial in trials:
        with mlflow.start_run(run_name=f"trial-{trial['number']}", nested=True, experiment_id=experiment):
            mlflow.log_params(trial["params"])
            mlflow.log_metrics({"valid_log_loss": trial["valid_log_loss"], "trees": float(trial["trees"])})
