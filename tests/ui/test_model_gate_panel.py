"""The Models section with a gate: the gate set and shown on the model, a version's
verdict (pass/fail per metric, both values) after Evaluate, and a refused move of the
gated alias with its "Force with reason" way past it."""

import json

import mlflow
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect
from sklearn.linear_model import LogisticRegression

MODEL = "ui-gated"
COLUMNS = ["a", "b", "c", "d"]


def _frame(rows: int, seed: int) -> pd.DataFrame:
    return pd.DataFrame(np.random.default_rng(seed).random((rows, 4)), columns=COLUMNS)


@pytest.fixture
def gated_model(mlflow_lab, mlflow_client):
    """Version 1 (champion) trained on the real labels, version 2 on shuffled ones; a
    holdout file in the server root."""
    holdout = _frame(200, seed=21)
    holdout.assign(churned=(holdout["a"] + holdout["b"] > 1.0).astype(int)).to_parquet(
        mlflow_lab.root / "gate-holdout.parquet"
    )
    X = _frame(60, seed=0)
    y = (X["a"] + X["b"] > 1.0).astype(int)
    shuffled = y.sample(frac=1.0, random_state=7).to_numpy()
    experiment_id = mlflow_client.create_experiment(
        "ui-gate", artifact_location=(mlflow_lab.root / ".mlops" / "ui-gate").as_uri()
    )
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_lab.tracking_uri)
    try:
        mlflow_client.create_registered_model(MODEL)
        for labels in (y, shuffled):
            with mlflow.start_run(experiment_id=experiment_id) as run:
                info = mlflow.sklearn.log_model(
                    LogisticRegression().fit(X, labels),
                    name="model",
                    input_example=X.iloc[:2],
                    pip_requirements=["scikit-learn"],
                )
            mlflow_client.create_model_version(
                MODEL, info.model_uri, run_id=run.info.run_id, model_id=info.model_id
            )
    finally:
        mlflow.set_tracking_uri(previous)
    mlflow_client.set_registered_model_alias(MODEL, "champion", "1")
    return MODEL


def test_the_verdict_is_shown_and_a_refused_move_can_be_forced(
    page, open_sidebar, mlflow_lab, mlflow_client, gated_model
):
    models = open_sidebar(mlflow_lab).locator("#jp-mlops-section-models")
    item = models.locator(f'.jp-mlops-model[data-model="{gated_model}"]')
    item.locator(".jp-mlops-model-head").click()
    expect(item.locator(".jp-mlops-gate")).to_contain_text("No gate")

    # Set the gate from the section.
    item.locator(".jp-mlops-gate-edit").click()
    gate = {
        "dataset": "gate-holdout.parquet",
        "label": "churned",
        "metrics": {"roc_auc": {"min": 0.8, "not_worse_than_champion_by": 0.01}},
    }
    item.locator(".jp-mlops-gate-json").fill(json.dumps(gate))
    item.get_by_role("button", name="Save gate").click()
    summary = item.locator(".jp-mlops-gate-summary")
    expect(summary).to_contain_text("Gate on champion")
    expect(summary.locator('li[data-metric="roc_auc"]')).to_contain_text("min 0.8")

    # Evaluate version 2: it fails, both values shown.
    second = item.locator('.jp-mlops-version[data-version="2"]')
    expect(second.locator(".jp-mlops-gate-verdict")).to_contain_text("Not evaluated")
    second.locator(".jp-mlops-version-evaluate").click()
    verdict = second.locator('.jp-mlops-gate-verdict[data-verdict="fail"]')
    expect(verdict).to_be_visible(timeout=120_000)
    row = verdict.locator('tr[data-metric="roc_auc"]')
    expect(row).to_have_attribute("data-passed", "false")
    cells = row.locator("td")
    candidate, champion = float(cells.nth(1).inner_text()), float(cells.nth(2).inner_text())
    assert candidate < 0.8 <= champion
    expect(verdict.locator("th").nth(2)).to_have_text("champion (v1)")

    # Moving champion to it is refused, naming the metric; the alias stays.
    item.locator(".jp-mlops-alias-input").fill("champion")
    item.locator(".jp-mlops-alias-version select").select_option("2")
    item.locator(".jp-mlops-alias-submit").click()
    refused = item.locator(".jp-mlops-gate-refused")
    expect(refused).to_contain_text("roc_auc")
    assert str(mlflow_client.get_model_version_by_alias(gated_model, "champion").version) == "1"

    # Forced with a reason: the alias moves, the reason is recorded on the version.
    force = refused.locator(".jp-mlops-force-submit")
    expect(force).to_be_disabled()
    refused.locator(".jp-mlops-force-reason").fill("demo for the review")
    force.click()
    expect(item.locator(".jp-mlops-gate-refused")).to_have_count(0)
    head = item.locator(".jp-mlops-model-head")
    expect(head.locator('.jp-mlops-chip[data-alias="champion"]')).to_have_text(
        "@champion → v2", timeout=30_000
    )
    tags = mlflow_client.get_model_version(gated_model, "2").tags
    assert tags["mlops.gate.forced_reason"] == "demo for the review"
    assert tags["mlops.gate.forced_by"]
    assert page.errors == []
