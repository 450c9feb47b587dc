"""A model logged as code (so a serving process can load it): it answers for rows with
`a` up to 0.5, as its input example has, and raises for the others."""

import mlflow
import pandas as pd


class Failing(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input: pd.DataFrame, params=None):
        if (model_input["a"] > 0.5).any():
            raise ValueError("this version cannot handle a > 0.5")
        return (model_input["a"] > 0.25).astype(int)


mlflow.models.set_model(Failing())
