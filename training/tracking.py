"""Every MLflow call training makes: experiments, runs, datasets, logging the model, registry aliases.

Where the registry is and how a model is resolved and loaded is the packaged model's own business
(`model.registry`), shared with serving.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pandas as pd

import model
from model.registry import CHALLENGER, CHAMPION, DEFAULT_ARTIFACTS, ModelRef

# The model package is the model's code: logged with it, so loading it needs no tradecredit install.
MODEL_CODE = Path(model.__file__).parent
PYFUNC_FILE = MODEL_CODE / "pyfunc.py"


def experiment_id(name: str, uri: str) -> str:
    """Return the id of experiment `name`, creating it (artifacts under ./mlruns for the embedded store)."""
    import mlflow

    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if uri.startswith("sqlite:///"):
        location = (Path(uri[len("sqlite:///") :]).parent / DEFAULT_ARTIFACTS).resolve().as_uri()
    return mlflow.create_experiment(name, artifact_location=location)


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
                code_paths=[str(MODEL_CODE)],
                signature=signature,
                input_example=input_example,
                pip_requirements=pip_requirements,
            )


def register(model_uri: str, name: str, run_id: str, tags: dict[str, str] | None = None) -> ModelRef:
    """Register the logged model as a new version of `name`, tagged with `tags`, with alias challenger
    (champion if first)."""
    import mlflow
    from mlflow import MlflowClient

    version = mlflow.register_model(model_uri, name, tags=tags)
    client = MlflowClient()
    client.set_registered_model_alias(name, CHALLENGER, version.version)
    if alias_version(name, CHAMPION) is None:
        client.set_registered_model_alias(name, CHAMPION, version.version)
    return ModelRef(name, str(version.version), run_id, version.source or "")


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


def log_trials(trials: list[dict]) -> None:
    """Log each tuning trial as a nested run of the active run: its parameters and validation log loss."""
    import mlflow

    parent = mlflow.active_run()
    if parent is None:
        raise RuntimeError("tuning trials are logged inside a training run; none is active")
    experiment = parent.info.experiment_id  # a nested run would otherwise land in "Default"
    for trial in trials:
        with mlflow.start_run(run_name=f"trial-{trial['number']}", nested=True, experiment_id=experiment):
            mlflow.log_params(trial["params"])
            mlflow.log_metrics({"valid_log_loss": trial["valid_log_loss"], "trees": float(trial["trees"])})


MONITORING_EXPERIMENT = "tradecredit-monitoring"


def training_auc(ref: ModelRef) -> float | None:
    """Return the test AUC the model's training run logged (None when the run has none)."""
    import mlflow

    return mlflow.tracking.MlflowClient().get_run(ref.run_id).data.metrics.get("test_auc")


def log_monitoring(uri: str, ref: ModelRef, summary: dict, breaches: list[str], folder: Path) -> str:
    """Log a monitoring run against the model version: its figures as metrics, the report folder as artifacts;
    return the run id."""
    import mlflow

    numbers = {k: float(v) for k, v in summary.items() if isinstance(v, int | float) and v == v}
    tags = {"model_name": ref.name, "model_version": ref.version, "model_run_id": ref.run_id}
    with mlflow.start_run(
        experiment_id=experiment_id(MONITORING_EXPERIMENT, uri),
        run_name=f"{ref.name}-{ref.version}-{summary['as_of_date']}",
    ) as run:
        mlflow.set_tags(
            {**tags, "as_of_date": summary["as_of_date"], "ledger": summary["ledger"], "breaches": str(len(breaches))}
        )
        mlflow.log_metrics({**numbers, "breaches": float(len(breaches))})
        mlflow.log_artifacts(str(folder), artifact_path="monitoring")
    return run.info.run_id


def run_text(run_id: str, path: str) -> str | None:
    """Return the text of artifact `path` of run `run_id`, None when the run has no such file."""
    import mlflow

    try:
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path)
    except Exception:  # MLflow raises its own and the store's errors for a missing file
        return None
    return Path(local).read_text(encoding="utf-8")


def latest_monitoring(ref: ModelRef) -> dict | None:
    """Return the newest monitoring run of the model version: its tags, metrics and summary.json, or None."""
    import json

    import mlflow

    found = mlflow.get_experiment_by_name(MONITORING_EXPERIMENT)
    if found is None:
        return None
    runs = mlflow.tracking.MlflowClient().search_runs(
        [found.experiment_id],
        filter_string=f"tags.model_name = '{ref.name}' AND tags.model_version = '{ref.version}'",
        order_by=["tags.as_of_date DESC", "attributes.start_time DESC"],
        max_results=1,
    )
    if not runs:
        return None
    run = runs[0]
    summary = run_text(run.info.run_id, "monitoring/summary.json")
    return {
        "run_id": run.info.run_id,
        "tags": dict(run.data.tags),
        "metrics": dict(run.data.metrics),
        "summary": json.loads(summary) if summary else {},
    }


def version_aliases(ref: ModelRef) -> list[str]:
    """Return the registry aliases pointing at the model version."""
    import mlflow

    return list(mlflow.tracking.MlflowClient().get_model_version(ref.name, ref.version).aliases)
