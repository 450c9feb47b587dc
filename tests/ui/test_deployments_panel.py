"""The Deployments section: a registered version is deployed from the Models section's
Deploy dialog (a refusal shows in the dialog), becomes ready with an endpoint, answers
the Try it form on its page, and its request count goes up. Its drift view says "no
reference" while the version's run has logged no training data (never "no drift"), and
once the run's training frame is logged (`tracking.log_input`, what `%%track
--log-input X` calls) finds the columns a shifted stream moved, with nothing else set."""

import json
import re
import time
import urllib.error
import urllib.request
from datetime import timedelta

import mlflow
import numpy as np
import pandas as pd
import pytest
from pictures import picture
from playwright.sync_api import expect
from sklearn.linear_model import LogisticRegression

from jupyter_mlops.config import resolve
from jupyter_mlops.features import Entity, FeatureView, Field, Float64
from jupyter_mlops.services import Services

MODEL = "ui-churn"
DEPLOYMENT = "ui-churn"
COLUMNS = ["a", "b", "c", "d"]
# Loading MLflow and the model in a fresh serving process, on a busy 2-core machine.
READY_TIMEOUT = 180_000


def _call(lab, method: str, path: str) -> tuple[int, dict | None]:
    request = urllib.request.Request(
        f"{lab.url}/mlops/api/{path}",
        method=method,
        headers={"Authorization": f"token {lab.token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def has_class(name: str) -> re.Pattern:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


@pytest.fixture
def registered_model(mlflow_lab, mlflow_client):
    """A classifier over four named columns, logged with an input example (so with a
    signature) and registered as version 1; its training frame is not logged yet."""
    X = pd.DataFrame(np.random.default_rng(0).random((2000, 4)), columns=COLUMNS)
    y = (X["a"] + X["b"] > 1.0).astype(int)
    model = LogisticRegression().fit(X, y)
    experiment_id = mlflow_client.create_experiment(
        "ui-deployments",
        artifact_location=(mlflow_lab.root / ".mlops" / "ui-deployments").as_uri(),
    )
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_lab.tracking_uri)
    try:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            # Declared requirements: inferring them runs the model in a subprocess.
            info = mlflow.sklearn.log_model(
                model, name="model", input_example=X.iloc[:2], pip_requirements=["scikit-learn"]
            )
        mlflow_client.create_registered_model(MODEL)
        version = mlflow_client.create_model_version(
            MODEL, info.model_uri, run_id=run.info.run_id, model_id=info.model_id
        )
    finally:
        mlflow.set_tracking_uri(previous)
    assert str(version.version) == "1"
    yield {"name": MODEL, "run_id": run.info.run_id, "X": X}
    # Serving processes outlive the server by design: stop this one.
    _call(mlflow_lab, "DELETE", f"deployments/{DEPLOYMENT}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, found = _call(mlflow_lab, "GET", f"deployments/{DEPLOYMENT}")
        if status == 404 or (found and found["status"] in ("stopped", "failed")):
            break
        time.sleep(0.5)


def build_training_set(lab, registered: dict) -> None:
    """Apply a feature view holding the training rows and build the training set from it
    inside the model's run, as the notebook would: the run's lineage gets the view."""
    notebook = Services(resolve(root_dir=lab.root, environ={}))  # the Lab's stores
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(lab.tracking_uri)
    try:
        row = Entity("row", join_keys=["row_id"])
        inputs = FeatureView(
            name="ui_inputs",
            entities=[row],
            schema=[Field(column, Float64) for column in COLUMNS],
            ttl=timedelta(days=1),
        )
        notebook.features.apply([row, inputs])
        rows = registered["X"].assign(row_id=range(len(registered["X"])))
        at = pd.Timestamp("2026-01-01")
        notebook.features.ingest("ui_inputs", rows.assign(event_timestamp=at))
        entities = pd.DataFrame(
            {"row_id": range(len(rows)), "event_timestamp": pd.Timestamp("2026-01-01 12:00")}
        )
        with mlflow.start_run(run_id=registered["run_id"]):
            notebook.features.get_historical_features(
                entities, [f"ui_inputs:{column}" for column in COLUMNS]
            )
    finally:
        mlflow.set_tracking_uri(previous)
        notebook.close()


def drift_of(lab, rows: int) -> dict:
    """The drift report once the serving process has logged `rows` requests (it writes
    its log a file a second)."""
    deadline = time.monotonic() + 30
    while True:
        status, report = _call(lab, "GET", f"deployments/{DEPLOYMENT}/drift?window=3600")
        assert status == 200
        if report["window"]["rows"] >= rows:
            return report
        assert time.monotonic() < deadline, f"{report['window']['rows']} rows logged"
        time.sleep(0.2)


def test_deploy_from_models_try_it_and_see_requests(
    page, open_sidebar, mlflow_lab, registered_model
):
    sidebar = open_sidebar(mlflow_lab)
    models = sidebar.locator("#jp-mlops-section-models")
    item = models.locator(f'.jp-mlops-model[data-model="{registered_model["name"]}"]')
    item.locator(".jp-mlops-model-head").click()
    item.locator('.jp-mlops-version[data-version="1"] .jp-mlops-version-deploy').click()

    dialog = page.locator(".jp-mlops-deploy-dialog")
    expect(dialog).to_be_visible()
    name = dialog.locator(".jp-mlops-deploy-name")
    expect(name).to_have_value(DEPLOYMENT)  # the model's name
    expect(dialog.locator(".jp-mlops-deploy-strategy select")).to_have_value("replace")

    # The server's refusal stays in the dialog, naming the field.
    name.fill("9-lives")
    dialog.locator(".jp-mod-accept").click()
    error = dialog.locator(".jp-mlops-deploy-error")
    expect(error).to_have_attribute("data-field", "name")
    expect(error).to_contain_text("name")
    expect(dialog).to_be_visible()

    # A drift reference outside the project is refused there too, before anything is made.
    name.fill(DEPLOYMENT)
    reference = dialog.locator(".jp-mlops-deploy-reference")
    reference.fill("../outside.csv")
    dialog.locator(".jp-mod-accept").click()
    expect(error).to_have_attribute("data-field", "monitor.reference")
    expect(error).to_contain_text("outside the server root")
    assert _call(mlflow_lab, "GET", f"deployments/{DEPLOYMENT}")[0] == 404

    reference.fill("")  # the default: the training data the version's run logged
    dialog.locator(".jp-mod-accept").click()
    expect(dialog).to_be_hidden()

    # The Deployments section shows it (highlighted), and it becomes ready with an endpoint.
    section = sidebar.locator("#jp-mlops-section-deployments")
    row = section.locator(f'.jp-mlops-deployment[data-deployment="{DEPLOYMENT}"]')
    expect(row).to_be_visible()
    expect(row).to_have_class(has_class("jp-mlops-deployment-selected"))
    expect(row).to_have_attribute("data-status", "ready", timeout=READY_TIMEOUT)
    expect(row.locator(".jp-mlops-deploy-status")).to_have_text("ready")
    expect(row.locator(".jp-mlops-deployment-model")).to_have_text(f"{MODEL} v1")
    expect(row.locator(".jp-mlops-deploy-endpoint-url")).to_contain_text("/invocations")
    expect(row.locator(".jp-mlops-traffic")).to_contain_text("v1 100%")

    requests = row.locator(".jp-mlops-deploy-requests")
    expect(requests).to_be_visible()
    before = int(requests.get_attribute("data-requests"))

    # Its page in the main area: the Try it form has one input per signature column.
    row.locator(".jp-mlops-deployment-name").click()
    view = page.locator(f'.jp-mlops-deployment-view[data-deployment="{DEPLOYMENT}"]')
    expect(view).to_be_visible()
    expect(view.locator(".jp-mlops-deployment-header .jp-mlops-deploy-status")).to_have_text(
        "ready"
    )
    fields = view.locator(".jp-mlops-tryit-field")
    expect(fields).to_have_count(len(COLUMNS))
    # Prefilled from the version's input example (its first row).
    first = view.locator(f'.jp-mlops-tryit-field[data-field="{COLUMNS[0]}"] input')
    expect(first).to_have_value(re.compile(r"^0\.\d+"))
    for column, value in zip(COLUMNS, ["0.9", "0.8", "0.1", "0.2"], strict=True):
        field = view.locator(f'.jp-mlops-tryit-field[data-field="{column}"] input')
        field.fill(value)
    view.locator(".jp-mlops-tryit-submit").click()
    predictions = view.locator(".jp-mlops-prediction")
    expect(predictions).to_have_count(1)
    expect(predictions.first).to_have_text("1")  # a + b > 1
    expect(view.locator(".jp-mlops-tryit-error")).to_have_count(0)
    # A refused request clears the last answer: it is not this input's prediction.
    view.locator(f'.jp-mlops-tryit-field[data-field="{COLUMNS[0]}"] input').fill("not a number")
    view.locator(".jp-mlops-tryit-submit").click()
    expect(view.locator(".jp-mlops-tryit-error")).to_be_visible()
    expect(predictions).to_have_count(0)
    view.locator(f'.jp-mlops-tryit-field[data-field="{COLUMNS[0]}"] input').fill("0.9")
    view.locator(".jp-mlops-tryit-submit").click()
    expect(predictions).to_have_count(1)
    # One version, no rollout: the strategy says so (not the last deploy's spec).
    strategy = view.locator(".jp-mlops-deployment-strategy")
    expect(strategy).to_have_text("v1 takes all traffic")

    # No candidate: nothing to promote or roll back.
    expect(view.locator(".jp-mlops-deployment-promote")).to_be_disabled()
    expect(view.locator(".jp-mlops-deployment-rollback")).to_be_disabled()
    expect(view.locator('.jp-mlops-deployment-event[data-kind="deployed"]')).to_have_count(1)
    # Deployed without a retraining trigger: the page says so where firings would be.
    expect(view.locator(".jp-mlops-deployment-firings-container")).to_contain_text(
        "No retraining trigger"
    )

    # Polled every 2 s: the request shows in the section and on the page.
    expect(requests).not_to_have_attribute("data-requests", str(before), timeout=15_000)
    assert int(requests.get_attribute("data-requests")) > before
    total = view.locator('.jp-mlops-deployment-metrics tr[data-row="total"]')
    expect(total.locator(".jp-mlops-deployment-requests")).not_to_have_text("0")

    # Drift: 400 more rows through the endpoint, half of them with `a` and `b` moved
    # outwards (x1.8), logged by the serving process.
    endpoint = row.locator(".jp-mlops-deploy-endpoint-url").inner_text().strip()
    rows = pd.DataFrame(np.random.default_rng(5).random((400, 4)), columns=COLUMNS)
    rows.loc[200:, ["a", "b"]] *= 1.8
    body = json.dumps({"dataframe_split": json.loads(rows.to_json(orient="split", index=False))})
    sent = urllib.request.Request(
        endpoint, body.encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(sent, timeout=30) as answer:
        assert answer.status == 200
    drift_of(mlflow_lab, 401)

    # The run logged no training data and none was named: "no reference", not green.
    refresh = view.locator('.jp-mlops-toolbar [title="Compute drift again"]')
    refresh.click()
    verdict = view.locator(".jp-mlops-drift-verdict")
    expect(verdict).to_have_attribute("data-verdict", "no_reference", timeout=15_000)
    expect(verdict).to_contain_text("No reference")
    expect(view.locator(".jp-mlops-drift-badge").first).to_have_text("not enough data")
    form = view.locator(".jp-mlops-drift-reference")
    expect(form.locator(".jp-mlops-drift-reference-baseline")).to_be_enabled()
    # A path outside the project is refused in the form; nothing is set.
    form.locator(".jp-mlops-drift-reference-input").fill("../elsewhere.parquet")
    form.locator(".jp-mlops-drift-reference-set").click()
    expect(form.locator('[role="alert"]')).to_contain_text("outside the server root")
    assert _call(mlflow_lab, "GET", f"deployments/{DEPLOYMENT}/reference")[1]["reference"] is None

    # The notebook logs the training frame on the model's run (`tracking.log_input`):
    # the next computation compares with it and names the moved columns.
    notebook = Services(resolve(root_dir=mlflow_lab.root, environ={}))  # the Lab's stores
    try:
        notebook.training_sets.log_input(registered_model["run_id"], registered_model["X"])
    finally:
        notebook.close()
    refresh.click()
    expect(verdict).to_have_attribute("data-verdict", "drifted", timeout=15_000)
    expect(verdict).to_contain_text("Drifted: a, b")
    compared = view.locator(".jp-mlops-drift-compared")
    expect(compared).to_contain_text("compared with 2000 reference rows (training_set: run")
    expect(compared).to_contain_text("Drifted at PSI ≥ 0.2; judged from 100 requests")
    expect(form).to_have_count(0)
    # Each input column gets a card with its Plotly histogram, and the prediction too.
    cards = view.locator(".jp-mlops-drift-card")
    expect(cards).to_have_count(len(COLUMNS) + 1, timeout=15_000)
    expect(view.locator('.jp-mlops-drift-feature[data-feature="prediction"]')).to_be_visible()
    charts = view.locator(".jp-mlops-drift-feature .jp-mlops-drift-chart.js-plotly-plot")
    expect(charts).to_have_count(len(COLUMNS) + 1, timeout=15_000)
    picture(page, "deployment-drift")
    # Reference and current bars, drawn as SVG paths.
    expect(charts.first.locator(".bars .point").first).to_be_visible()
    # Each chart is the server's figure (monitoring/charts.py) as the REST answer holds
    # it: the same traces, its title the verdict against the thresholds.
    served = drift_of(mlflow_lab, 401)
    assert served["drifted"] == ["a", "b"]
    for feature in served["features"]:
        chart = view.locator(
            f'.jp-mlops-drift-feature[data-feature="{feature["name"]}"] .jp-mlops-drift-chart'
        )
        drawn = chart.evaluate(
            "el => ({traces: el.data.map(t => ({name: t.name, x: t.x, y: t.y})),"
            " title: el.layout.title.text})"
        )
        figure = feature["figure"]
        assert drawn["traces"] == [
            {"name": t["name"], "x": t["x"], "y": t["y"]} for t in figure["data"]
        ]
        assert [t["name"] for t in drawn["traces"]] == ["reference", "current"]
        assert drawn["title"] == figure["layout"]["title"]["text"]
        assert drawn["title"].startswith(f"<b>{feature['name']}</b> · ")

    # Lineage from the deployment back to a feature view: the notebook also builds its
    # training set from the feature store inside the model's run.
    build_training_set(mlflow_lab, registered_model)
    view.locator(".jp-mlops-deployment-lineage").click()
    lineage = page.locator('.jp-mlops-lineage-view[data-kind="deployment"]')
    expect(lineage).to_be_visible()
    expect(lineage.locator(".jp-mlops-lineage-chart.js-plotly-plot")).to_be_visible()
    run_node = lineage.locator(f'[data-node="run:{registered_model["run_id"]}"]')
    expect(run_node).to_be_visible()
    expect(lineage.locator(f'[data-node="deployment:{DEPLOYMENT}"]')).to_have_attribute(
        "data-start", "true"
    )
    picture(page, "lineage")
    lineage.locator('[data-node="feature_view:ui_inputs@1"]').click()
    feature_page = page.locator("#jp-mlops-feature-view-ui_inputs")
    expect(feature_page).to_be_visible()
    expect(feature_page).to_contain_text("ui_inputs")
    # And from the feature view's page back again.
    feature_page.locator(".jp-mlops-feature-lineage").click()
    from_view = page.locator('.jp-mlops-lineage-view[data-kind="feature_view"]')
    expect(from_view.locator(f'[data-node="deployment:{DEPLOYMENT}"]')).to_be_visible()
    from_view.locator(f'[data-node="deployment:{DEPLOYMENT}"]').click()
    expect(view).to_be_visible()

    # Undeploy from the page, once confirmed: Cancel leaves it serving.
    view.locator(".jp-mlops-deployment-undeploy").click()
    confirm = page.locator(".jp-Dialog")
    expect(confirm).to_contain_text(f"Undeploy {DEPLOYMENT}?")
    confirm.locator(".jp-mod-reject").click()
    expect(confirm).to_have_count(0)
    assert _call(mlflow_lab, "GET", f"deployments/{DEPLOYMENT}")[1]["status"] == "ready"
    view.locator(".jp-mlops-deployment-undeploy").click()
    page.locator(".jp-Dialog .jp-mod-warn").click()
    expect(row).to_have_attribute("data-status", "stopped", timeout=60_000)
    assert page.errors == []
