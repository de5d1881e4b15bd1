"""The MLflow pyfunc for tradecredit models, logged as "model from code" (no pickled object).

MLflow runs this file when the model is loaded; the model's state comes from its two artifacts
(`booster`, `bundle`), read by `model.packaged.PackagedModel`. The `model` package is logged beside
it as the model's code, so loading needs no tradecredit install.
"""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

from model.packaged import PackagedModel


class TradeCreditPyfunc(PythonModel):
    """`predict(feature_table)` gives the probability, risk grade and reason codes per row.

    The same for either target, so a late-payment model serves alone: its probability column is
    `late_payment_prob_90d` (a default model's `pd_12m`), its `risk_grade` an integer 1-10 on its own
    scale. The grade "D" of a customer already in default is the scoring core's (`serving.scoring`).
    """

    def load_context(self, context) -> None:
        self.model = PackagedModel.load(context.artifacts["booster"], context.artifacts["bundle"])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        explain = True if params is None else bool(params.get("explain", True))
        return self.model.predict(model_input, explain=explain)


mlflow.models.set_model(TradeCreditPyfunc())
