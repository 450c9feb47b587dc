"""The Models section shows registered versions with their aliases, their source run's
metrics, and sets aliases; the header says which version each alias points to."""

import mlflow
import numpy as np
import pandas as pd
import pytest
from feature_helpers import KEY, customer_service
from playwright.sync_api import expect
from sklearn.linear_model import LinearRegression, LogisticRegression

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services

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


SCORER = "ui-scorer"


def register_version(mlflow_lab, mlflow_client, name, model, example):
    """Log `model` (its signature from `example`) in experiment `ui-scoring` and register
    it as `name` version 1."""
    experiments = mlflow_client.get_experiment_by_name("ui-scoring")
    experiment_id = (
        experiments.experiment_id
        if experiments
        else mlflow_client.create_experiment(
            "ui-scoring", artifact_location=(mlflow_lab.root / ".mlops" / "ui-scoring").as_uri()
        )
    )
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_lab.tracking_uri)
    try:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            info = mlflow.sklearn.log_model(model, name="model", input_example=example)
        mlflow_client.create_registered_model(name)
        mlflow_client.create_model_version(
            name, info.model_uri, run_id=run.info.run_id, model_id=info.model_id
        )
    finally:
        mlflow.set_tracking_uri(previous)


@pytest.fixture
def scorer(mlflow_lab, mlflow_client):
    """`ui-scorer` v1: a regression on columns a, b (a DataFrame signature), and a CSV of
    rows to score with an id column beside them."""
    rows = pd.DataFrame({"id": range(500), "a": np.linspace(0, 1, 500), "b": 1.0})
    model = LinearRegression().fit(rows[["a", "b"]], rows["a"] * 2)
    register_version(mlflow_lab, mlflow_client, SCORER, model, rows[["a", "b"]][:2])
    rows.to_csv(mlflow_lab.root / "to_score.csv", index=False)
    return rows, model


def test_a_version_scores_a_dataset_from_the_models_section(page, open_sidebar, mlflow_lab, scorer):
    rows, model = scorer
    models = open_sidebar(mlflow_lab).locator("#jp-mlops-section-models")
    item = models.locator(f'.jp-mlops-model[data-model="{SCORER}"]')
    item.locator(".jp-mlops-model-head").click()
    item.locator('.jp-mlops-version[data-version="1"] .jp-mlops-version-score').click()

    dialog = page.locator(".jp-mlops-score-dialog")
    expect(dialog.locator(".jp-mlops-score-output")).to_have_value("ui-scorer-v1")
    # A refusal stays in the dialog, the field it names marked; nothing is queued.
    dialog.locator(".jp-mlops-score-input").fill("../outside.csv")
    dialog.locator(".jp-mod-accept").click()
    error = dialog.locator(".jp-mlops-score-error")
    expect(error).to_contain_text("outside the server root")
    expect(error).to_have_attribute("data-field", "input")
    expect(dialog.locator(".jp-mlops-score-input.jp-mlops-deploy-invalid")).to_be_visible()
    executions = mlflow_lab.api("mlops/api/jobs/executions")["executions"]
    assert all(e["spec"]["name"] != "score-ui-scorer-v1" for e in executions)

    dialog.locator(".jp-mlops-score-input").fill("to_score.csv")
    dialog.locator(".jp-mlops-score-batch").fill("200")
    dialog.locator(".jp-mod-accept").click()
    expect(dialog).to_have_count(0)

    # The job's live log opens; the agent scores the file.
    log = page.locator(".jp-mlops-job-log-status")
    expect(log).to_have_attribute("data-status", "succeeded", timeout=120_000)
    expect(page.locator(".jp-mlops-job-log-text")).to_contain_text("scored 500 rows")
    outputs = mlflow_lab.api("mlops/api/scoring/ui-scorer-v1")["outputs"][0]["versions"]
    assert [v["version"] for v in outputs] == [1] and outputs[0]["parts"] == 3
    scored = pd.read_parquet(outputs[0]["path"])
    assert scored["id"].tolist() == rows["id"].tolist()
    np.testing.assert_allclose(scored["prediction"], model.predict(rows[["a", "b"]]))
    assert page.errors == []


FEATURE_SCORER = "ui-feature-scorer"
SERVICE = "ui_churn_features"


@pytest.fixture
def feature_scorer(mlflow_lab, mlflow_client):
    """`ui_churn_features` over the customer_stats view (a, b) of 300 customers in the
    Lab's feature store, `ui-feature-scorer` v1 trained on those features, and two entity
    files: customers.parquet, and no_key.parquet without the customer_id column."""
    values = pd.DataFrame({"a": np.linspace(0, 1, 300), "b": np.linspace(1, 0, 300)})
    notebook = Services(resolve(root_dir=mlflow_lab.root, environ={}))  # the Lab's stores
    try:
        keys = customer_service(notebook, values, service=SERVICE)
    finally:
        notebook.close()
    model = LinearRegression().fit(values, values["a"] * 2 + values["b"])
    register_version(mlflow_lab, mlflow_client, FEATURE_SCORER, model, values[:2])
    keys.to_parquet(mlflow_lab.root / "customers.parquet")
    keys.drop(columns=[KEY]).to_parquet(mlflow_lab.root / "no_key.parquet")
    return keys


def test_a_version_scores_a_feature_service_join_from_the_models_section(
    page, open_sidebar, mlflow_lab, feature_scorer
):
    models = open_sidebar(mlflow_lab).locator("#jp-mlops-section-models")
    item = models.locator(f'.jp-mlops-model[data-model="{FEATURE_SCORER}"]')
    item.locator(".jp-mlops-model-head").click()
    item.locator('.jp-mlops-version[data-version="1"] .jp-mlops-version-score').click()

    dialog = page.locator(".jp-mlops-score-dialog")
    dialog.locator(".jp-mlops-score-source-features").check()
    dialog.locator(".jp-mlops-score-service").select_option(SERVICE)  # once listed
    # Entity rows without the service's join key: refused, the entity file marked.
    dialog.locator(".jp-mlops-score-entities").fill("no_key.parquet")
    dialog.locator(".jp-mod-accept").click()
    error = dialog.locator(".jp-mlops-score-error")
    expect(error).to_contain_text(f"no entity key column '{KEY}'")
    expect(error).to_have_attribute("data-field", "input.entities")
    expect(dialog.locator(".jp-mlops-score-entities.jp-mlops-deploy-invalid")).to_be_visible()

    dialog.locator(".jp-mlops-score-entities").fill("customers.parquet")
    dialog.locator(".jp-mod-accept").click()
    expect(dialog).to_have_count(0)
    log = page.locator(".jp-mlops-job-log-status")
    expect(log).to_have_attribute("data-status", "succeeded", timeout=120_000)
    output = mlflow_lab.api(f"mlops/api/scoring/{FEATURE_SCORER}-v1")["outputs"][0]
    record = output["versions"][0]
    assert record["feature_service"] == SERVICE
    scored = pd.read_parquet(record["path"])
    assert len(scored) == len(feature_scorer) == record["rows"]
    assert scored[KEY].tolist() == feature_scorer[KEY].tolist()
    assert page.errors == []
