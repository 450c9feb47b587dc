"""The Models section shows registered versions with their aliases, their source run's
metrics, and sets aliases; the header says which version each alias points to."""

import mlflow
import numpy as np
import pytest
from playwright.sync_api import expect
from sklearn.linear_model import LogisticRegression

MODEL = "ui-iris"


@pytest.fixture
def registered_model(mlflow_lab, mlflow_client):
    """A model with a signature, registered as version 1 with alias champion."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.8, 0.1]])
    y = np.array([0, 1, 0, 1])
    model = LogisticRegression().fit(X, y)
    experiment_id = mlflow_client.create_experiment(
        "ui-models", artifact_location=(mlflow_lab.root / ".mlops" / "ui-models").as_uri()
    )
    # log_model only exists in MLflow's fluent API, and registering a `models:/m-...`
    # source looks the logged model up through a default client: both read the
    # tracking URI from MLflow's globals, so set it for this block and put it back.
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_lab.tracking_uri)
    try:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            info = mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
            mlflow.log_metric("accuracy", 0.875)
        mlflow_client.create_registered_model(MODEL)
        version = mlflow_client.create_model_version(
            MODEL, info.model_uri, run_id=run.info.run_id, model_id=info.model_id
        )
        # A second version from a run without metrics, aliased challenger below.
        with mlflow.start_run(experiment_id=experiment_id) as second:
            later = mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
        mlflow_client.create_model_version(
            MODEL, later.model_uri, run_id=second.info.run_id, model_id=later.model_id
        )
    finally:
        mlflow.set_tracking_uri(previous)
    assert str(version.version) == "1"
    mlflow_client.set_registered_model_alias(MODEL, "champion", "1")
    return MODEL


def test_versions_show_aliases_and_an_alias_can_be_set(
    page, open_sidebar, mlflow_lab, mlflow_client, registered_model
):
    models = open_sidebar(mlflow_lab).locator("#jp-mlops-section-models")
    item = models.locator(f'.jp-mlops-model[data-model="{registered_model}"]')
    item.locator(".jp-mlops-model-head").click()

    version = item.locator('.jp-mlops-version[data-version="1"]')
    expect(version.locator('.jp-mlops-chip[data-alias="champion"]')).to_be_visible()
    # The signature MLflow inferred from the input example, and its run's metrics.
    expect(version.locator(".jp-mlops-signature")).to_be_visible()
    expect(version.locator('.jp-mlops-chip[data-metric="accuracy"]')).to_have_text("accuracy 0.875")
    second = item.locator('.jp-mlops-version[data-version="2"]')
    expect(second.locator(".jp-mlops-version-metrics")).to_have_count(0)

    item.locator(".jp-mlops-alias-input").fill("challenger")
    item.locator(".jp-mlops-alias-version select").select_option("2")
    item.locator(".jp-mlops-alias-submit").click()
    expect(second.locator('.jp-mlops-chip[data-alias="challenger"]')).to_be_visible()
    assert (
        str(mlflow_client.get_model_version_by_alias(registered_model, "challenger").version) == "2"
    )
    # The header names each alias's version: not "v2 @challenger @champion".
    head = item.locator(".jp-mlops-model-head")
    expect(head.locator('.jp-mlops-chip[data-alias="champion"]')).to_have_text("@champion → v1")
    expect(head.locator('.jp-mlops-chip[data-alias="challenger"]')).to_have_text("@challenger → v2")
    expect(head.locator(".jp-mlops-model-latest")).to_have_text("latest v2")
    assert page.errors == []
