"""A registered model travels with its code: it loads and scores where tradecredit is not installed.

A Spark executor or a colleague's notebook has MLflow, LightGBM, pandas and NumPy, not this
repository. The test builds such an environment (a virtual environment that sees the installed
third-party packages but neither the tradecredit install nor the checkout), loads the champion there
through `mlflow.pyfunc` and compares its scores with the packaged model's in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv

import numpy as np
import pandas as pd

# Run in the bare environment: prove the project is out of reach, then score through MLflow alone.
SCORE_ELSEWHERE = """
import importlib.util, sys
import mlflow, pandas as pd
reachable = [m for m in ("tradecredit", "features", "training", "serving") if importlib.util.find_spec(m)]
if reachable:
    sys.exit(f"the project is importable here: {reachable}")
model = mlflow.pyfunc.load_model(sys.argv[1])
model.predict(pd.read_parquet(sys.argv[2])).to_parquet(sys.argv[3])
"""


def bare_environment(folder) -> str:
    """Return the python of a new virtual environment that sees this interpreter's third-party packages only.

    The packages' folder is put on its path by a .pth line; .pth files inside that folder are not
    run, so the editable tradecredit install there stays out of reach.
    """
    venv.create(folder, with_pip=False)
    python = str(folder / "bin" / "python")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    with open(os.path.join(site, "third_party.pth"), "w") as pth:
        pth.write("\n".join(paths) + "\n")
    return python


def test_registered_model_scores_without_tradecredit_installed(registry, tmp_path):
    import mlflow
    from mlflow.artifacts import download_artifacts

    from model.registry import DEFAULT_MODEL_URI, connect

    uri, default, _ = registry
    connect(uri)
    local = download_artifacts(artifact_uri=DEFAULT_MODEL_URI, dst_path=str(tmp_path / "model"))
    rows = default.fit.split.test.head(50)
    inputs = rows[["customer_id", "as_of_date", *default.fit.spec.names]].copy()
    inputs["as_of_date"] = inputs["as_of_date"].astype(str)
    inputs.to_parquet(tmp_path / "inputs.parquet")

    python = bare_environment(tmp_path / "venv")
    script = tmp_path / "score_elsewhere.py"
    script.write_text(SCORE_ELSEWHERE)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [python, str(script), local, str(tmp_path / "inputs.parquet"), str(tmp_path / "scores.parquet")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert sys.prefix not in python

    elsewhere = pd.read_parquet(tmp_path / "scores.parquet")
    here = mlflow.pyfunc.load_model(DEFAULT_MODEL_URI).predict(inputs)
    direct = default.fit.packaged.predict(rows)
    assert len(elsewhere) == len(rows)
    np.testing.assert_allclose(elsewhere["pd_12m"], direct["pd_12m"], rtol=1e-12)
    assert elsewhere["risk_grade"].tolist() == here["risk_grade"].tolist()
    assert elsewhere["reason_1_text_en"].tolist() == here["reason_1_text_en"].tolist()
