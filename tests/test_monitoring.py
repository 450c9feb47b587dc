"""Monitoring of deployed models on real parts: prediction logs written as parquet in
the serving contract's layout, a real MLflow sqlite store, deployment rows in the state
DB (no serving process: the log files stand in for its traffic)."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from magic_helpers import mlops_shell
from sklearn.linear_model import LogisticRegression
from test_auth import route_calls
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput, NotFound
from jupyter_mlops.features import Entity, FeatureView, Field, Float64, Int64
from jupyter_mlops.monitoring import charts, drift
from jupyter_mlops.monitoring.labels import labels_dir
from jupyter_mlops.monitoring.service import Monitoring
from jupyter_mlops.services import Services
from jupyter_mlops.serving import records as deployment_records
from jupyter_mlops.tracking import lineage

JUPYTER = str(Path(sys.executable).parent / "jupyter")
PLOTLY = "application/vnd.plotly.v1+json"
INPUTS = ["amount", "tenure", "plan", "region", "visits"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def stream(rows: int, seed: int, shifted: bool = False) -> pd.DataFrame:
    """Five inputs; `shifted` moves the mean of `amount` and the shares of `plan` only."""
    rng = np.random.default_rng(seed)
    plans = [0.3, 0.3, 0.4] if shifted else [0.6, 0.3, 0.1]
    return pd.DataFrame(
        {
            "amount": rng.normal(0.6 if shifted else 0.0, 1.0, rows),
            "tenure": rng.normal(5.0, 2.0, rows),
            "plan": rng.choice(["basic", "plus", "pro"], rows, p=plans),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "visits": rng.integers(0, 6, rows),
        }
    )


def log_predictions(
    services, name, version, inputs, *, at=None, shadow=False, seq=0, prediction=None
):
    """A prediction log file as a serving process writes it (the serving contract)."""
    at = at or utcnow() - timedelta(minutes=5)
    rows = len(inputs)
    frame = pd.DataFrame(
        {
            "__request_id": [f"{seq}-{i // 2}" for i in range(rows)],
            "__row": np.array([i % 2 for i in range(rows)], dtype=np.int32),
            "__at": pd.Series([at] * rows, dtype="datetime64[us]"),
            "__version": str(version),
            "__latency_ms": 1.5,
            "__shadow": shadow,
        }
    )
    frame = pd.concat([frame, inputs.reset_index(drop=True)], axis=1)
    frame["__prediction"] = (
        (inputs["amount"] > 0.5).astype(np.int64).to_numpy() if prediction is None else prediction
    )
    folder = services.config.home / "deployments" / name / "predictions" / f"version={version}"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = at.strftime("%Y%m%dT%H%M%S")
    frame.to_parquet(folder / f"{stamp}-{os.getpid()}-{seq}.parquet", index=False)
    return frame


def add_deployment(services, name, *, model="m", version="1", monitor=None):
    spec = {"name": name, "model_uri": f"models:/{model}/{version}"}
    if monitor is not None:
        spec["monitor"] = monitor
    with services.store.begin() as conn:
        deployment_records.insert(
            conn,
            name=name,
            spec=spec,
            model_name=model,
            model_version=str(version),
            status="ready",
        )


def by_name(report) -> dict:
    return {feature["name"]: feature for feature in report["features"]}


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """`steady` and `shifted`: the same baseline two days ago, then an unshifted or a
    shifted last hour; a reference dataset in the root; `few` with 50 rows only."""
    root = tmp_path_factory.mktemp("monitoring-root")
    services = Services(resolve(root_dir=root, environ={}))
    (root / "data").mkdir()
    stream(5000, seed=1).to_parquet(root / "data" / "reference.parquet")
    monitor = {"reference": "data/reference.parquet"}
    two_days_ago = utcnow() - timedelta(days=2)
    for seq, (name, shifted) in enumerate((("steady", False), ("shifted", True))):
        add_deployment(services, name, monitor=monitor)
        log_predictions(services, name, 1, stream(1500, seed=2), at=two_days_ago, seq=seq)
        log_predictions(services, name, 1, stream(1000, seed=3, shifted=shifted), seq=seq + 10)
        # Answers of a shadow copy, and rows older than any window: never counted.
        log_predictions(
            services, name, 1, stream(300, seed=4, shifted=not shifted), seq=seq + 20, shadow=True
        )
    add_deployment(services, "few", monitor=monitor)
    log_predictions(services, "few", 1, stream(50, seed=5, shifted=True))
    yield services
    services.close()


# Drift -----------------------------------------------------------------------------------


def test_no_drift_on_an_unshifted_stream(services):
    report = services.monitoring.drift("steady", 3600)
    assert report["window"]["rows"] == 1000  # not the shadow rows, not two days ago
    assert report["reference"]["source"] == "dataset"
    assert report["reference"]["rows"] == 5000
    assert report["drifted"] == [] and report["verdict"] == "stable"
    features = by_name(report)
    assert list(features) == INPUTS
    assert {name: f["kind"] for name, f in features.items()} == {
        "amount": "numeric",
        "tenure": "numeric",
        "plan": "categorical",
        "region": "categorical",
        "visits": "categorical",  # six distinct integers: codes, not magnitudes
    }
    assert all(f["drifted"] is False for f in features.values())
    assert all(f["psi"] < 0.1 for f in features.values())
    assert report["prediction"]["drifted"] is False
    assert report["performance"] is None
    json.dumps(report, allow_nan=False)


def test_drift_on_a_shifted_stream_names_the_shifted_columns(services):
    report = services.monitoring.drift("shifted", 3600)
    assert report["drifted"] == ["amount", "plan", "prediction"]
    assert report["verdict"] == "drifted"
    features = by_name(report)
    amount, plan = features["amount"], features["plan"]
    # Judged by PSI, an effect size; the test's p-value is there to read.
    assert amount["test"] == "ks" and amount["p_value"] < 1e-6 and amount["psi"] >= 0.2
    assert len(amount["histogram"]["edges"]) == len(amount["histogram"]["current"]) + 1
    assert sum(amount["histogram"]["reference"]) == pytest.approx(1.0, abs=1e-4)
    assert plan["test"] == "chi2" and plan["psi"] >= 0.2
    assert plan["histogram"]["categories"] == ["basic", "plus", "pro"]
    assert plan["histogram"]["current"][2] == pytest.approx(0.4, abs=0.05)
    # The dataset has no predictions: the prediction is compared with the first window.
    assert report["prediction"]["reference"] == "baseline_window"
    assert report["prediction"]["name"] == "prediction"


def parts(services):
    """What a Monitoring is built from, as the composition root builds it."""
    return services.config.home, services.store, services.monitoring.references


def test_thresholds_and_too_few_rows(services):
    few = services.monitoring.drift("few", 3600)
    assert few["window"]["rows"] == 50 and few["drifted"] == []
    assert few["verdict"] == "not_enough_data"  # not "no drift"
    amount = by_name(few)["amount"]
    assert amount["drifted"] is None and "50 rows" in amount["note"]
    assert amount["psi"] is not None  # measured, just not judged
    lenient = Monitoring(*parts(services), drift.Thresholds(psi=5.0, min_rows=10))
    assert lenient.drift("shifted", 3600)["drifted"] == []
    strict = Monitoring(*parts(services), drift.Thresholds(psi=0.2, min_rows=10))
    assert "plan" in strict.drift("few", 3600)["drifted"]
    empty = services.monitoring.drift("shifted", 60, version="7")
    assert empty["window"]["rows"] == 0 and empty["features"] == [] and "note" in empty
    assert empty["verdict"] == "no_traffic"


@pytest.mark.parametrize("window", [0, -5, 10**9, 1.5e300, "x", True])
def test_a_bad_window_is_refused(services, window):
    with pytest.raises(InvalidInput) as caught:
        services.monitoring.drift("steady", window)
    assert caught.value.field == "window"


def test_an_unknown_deployment_is_not_found(services):
    with pytest.raises(NotFound):
        services.monitoring.drift("nobody")
    with pytest.raises(NotFound):
        services.monitoring.post_labels("nobody", [{"request_id": "a", "label": 1}])


def test_pure_statistics():
    rng = np.random.default_rng(0)
    same = pd.Series(rng.normal(size=2000))
    assert drift.column_report("x", same, same)["psi"] == pytest.approx(0.0, abs=1e-9)
    # Categories the reference never saw pool into "(other)", counted by chi-square.
    ref = pd.Series(["a"] * 500 + ["b"] * 500)
    cur = pd.Series(["a"] * 100 + ["b"] * 100 + ["c"] * 100)
    report = drift.column_report("c", ref, cur)
    assert report["histogram"]["categories"] == ["a", "b", drift.OTHER]
    assert report["drifted"] is True and report["p_value"] < 1e-10
    # Booleans and many-valued integers.
    assert drift.kind_of(pd.Series([True, False])) == "categorical"
    assert drift.kind_of(pd.Series(range(1000))) == "numeric"
    assert drift.kind_of(pd.Series(pd.to_datetime(["2026-01-01"]))) is None


# Figures ---------------------------------------------------------------------------------


def test_a_drift_figure_draws_the_report_s_shares_with_the_verdict_in_its_title(services):
    report = services.monitoring.drift("shifted", 3600, figures=True)
    thresholds = report["thresholds"]
    amount, plan = by_name(report)["amount"], by_name(report)["plan"]
    figure = amount["figure"]
    assert figure == charts.drift_figure(amount, thresholds)  # the one builder
    reference, current = figure["data"]
    assert (reference["type"], reference["name"], current["name"]) == (
        "bar",
        "reference",
        "current",
    )
    assert reference["y"] == amount["histogram"]["reference"]
    assert current["y"] == amount["histogram"]["current"]
    edges = amount["histogram"]["edges"]
    assert len(reference["x"]) == len(edges) - 1 and len(set(reference["x"])) == len(edges) - 1
    assert reference["x"][0] == f"{edges[0]:.3g}–{edges[1]:.3g}"
    title = figure["layout"]["title"]
    assert title["text"] == "<b>amount</b> · drifted"
    said = title["subtitle"]["text"]
    assert said.startswith(f"PSI {amount['psi']:.3g} ≥ 0.2 · ks {amount['statistic']:.3g} (p ")
    assert said.endswith(f"{amount['p_value']:.2g})")  # information, not a verdict
    layout = figure["layout"]
    assert layout["height"] == charts.HEIGHT and layout["xaxis"]["type"] == "category"
    assert layout["yaxis"]["tickformat"] == ".0%" and layout["barmode"] == "group"
    assert "%{y:.1%}" in reference["hovertemplate"]
    # The page's look (plotly.js's defaults), not plotly.py's default template.
    assert "layout" not in layout["template"]

    assert plan["figure"]["data"][0]["x"] == ["basic", "plus", "pro"]
    assert plan["figure"]["data"][1]["y"] == plan["histogram"]["current"]
    prediction = report["prediction"]
    assert prediction["figure"]["data"][1]["y"] == prediction["histogram"]["current"]
    json.dumps(report, allow_nan=False)
    # The numbers alone for the CLI and the trigger watcher: no Plotly on their path.
    assert "figure" not in by_name(services.monitoring.drift("shifted", 3600))["amount"]


def test_drift_figure_titles_labels_and_columns_without_a_histogram():
    thresholds = {"psi": 0.2, "min_rows": 100}
    stable = {
        "name": "a<b",
        "drifted": False,
        "psi": 0.01,
        "test": "chi2",
        "statistic": 1.5,
        "p_value": 0.5,
        "histogram": {"categories": [1, "x"], "reference": [0.5, 0.5], "current": [0.4, 0.6]},
    }
    figure = charts.drift_figure(stable, thresholds)
    assert figure["data"][0]["x"] == ["1", "x"]
    title = figure["layout"]["title"]
    assert title["text"] == "<b>a&lt;b</b> · stable"  # a name is text, not markup
    assert title["subtitle"]["text"] == "PSI 0.01 &lt; 0.2 · chi2 1.5 (p 0.5)"
    unjudged = {
        **stable,
        "name": "n",
        "drifted": None,
        "psi": None,
        "statistic": None,
        "p_value": None,
    }
    assert charts.title(unjudged) == "<b>n</b> · not enough data"
    assert charts.results(unjudged, thresholds) == ""
    assert charts.drift_figure({**stable, "histogram": None}, thresholds) is None
    # Deciles that print alike at 3 digits get more digits: a category axis would merge them.
    close = {"edges": [1.0001, 1.0002, 1.0003], "reference": [0.5, 0.5], "current": [0.5, 0.5]}
    assert charts.bin_labels(close) == ["1.0001–1.0002", "1.0002–1.0003"]


# Reference order -------------------------------------------------------------------------


def test_reference_is_the_dataset_then_the_training_set_then_none_unless_baseline(services):
    """A model trained inside a run on `get_historical_features`, registered from it."""
    customer = Entity("customer", join_keys=["customer_id"])
    view = FeatureView(
        name="customer_stats",
        entities=[customer],
        schema=[Field("amount", Float64), Field("visits", Int64)],
        ttl=timedelta(days=30),
    )
    store = services.features
    store.apply([customer, view])
    history = stream(600, seed=7)[["amount", "visits"]]
    history["customer_id"] = np.arange(600)
    history["event_timestamp"] = pd.Timestamp("2026-01-01")
    store.ingest("customer_stats", history)
    entities = pd.DataFrame(
        {"customer_id": np.arange(600), "event_timestamp": pd.Timestamp("2026-01-02")}
    )
    mlflow.set_tracking_uri(services.config.tracking_uri)
    experiment = services.tracking.experiment_id("monitoring")
    with mlflow.start_run(experiment_id=experiment) as trained:
        training = store.get_historical_features(
            entities, ["customer_stats:amount", "customer_stats:visits"]
        )
        X = training[["amount", "visits"]]
        model = LogisticRegression().fit(X, (X["amount"] > 0).astype(int))
        mlflow.sklearn.log_model(
            model, name="model", input_example=X.iloc[:3], pip_requirements=["scikit-learn"]
        )
    with mlflow.start_run(experiment_id=experiment) as untracked:
        mlflow.sklearn.log_model(
            model, name="model", input_example=X.iloc[:3], pip_requirements=["scikit-learn"]
        )
    client = services.tracking.client
    logged = [a.path for a in client.list_artifacts(trained.info.run_id, "features")]
    assert lineage.SAMPLE in logged
    assert services.registry.register(trained.info.run_id, "churn")["version"] == "1"
    assert services.registry.register(untracked.info.run_id, "churn")["version"] == "2"

    inputs = stream(400, seed=8)[["amount", "visits"]]
    add_deployment(services, "from_training", model="churn", version="1")
    add_deployment(
        services, "from_dataset", model="churn", version="1", monitor={"reference": "data/ref.csv"}
    )
    add_deployment(services, "from_baseline", model="churn", version="2")
    stream(300, seed=9)[["amount", "visits"]].to_csv(
        services.config.root_dir / "data" / "ref.csv", index=False
    )
    for seq, name in enumerate(("from_training", "from_dataset", "from_baseline")):
        version = 2 if name == "from_baseline" else 1
        log_predictions(services, name, version, inputs, seq=seq)

    trained_on = services.monitoring.drift("from_training")
    assert trained_on["reference"]["source"] == "training_set"
    assert trained_on["reference"]["rows"] == 600
    assert [f["name"] for f in trained_on["features"]] == ["amount", "visits"]
    assert trained_on["drifted"] == []
    assert services.monitoring.drift("from_dataset")["reference"] == {
        "source": "dataset",
        "rows": 300,
        "detail": "data/ref.csv",
    }
    # Nothing logged on version 2's run: no reference, never "no drift" against itself.
    unset = services.monitoring.drift("from_baseline")
    assert unset["reference"]["source"] == "none" and unset["verdict"] == "no_reference"
    assert "jupyter mlops reference from_baseline" in unset["note"]
    assert unset["drifted"] == [] and unset["prediction"] is None
    assert {f["note"] for f in unset["features"]} == {"no reference"}
    assert all(f["drifted"] is None for f in unset["features"])
    # The first hour of traffic only when chosen.
    chosen = services.monitoring.set_reference("from_baseline", "baseline")
    assert (chosen["reference"], chosen["source"], chosen["rows"]) == (
        "baseline",
        "baseline_window",
        400,
    )
    baseline = services.monitoring.drift("from_baseline")["reference"]
    assert (baseline["source"], baseline["rows"]) == ("baseline_window", 400)

    add_deployment(services, "outside", monitor={"reference": "../elsewhere.parquet"})
    with pytest.raises(InvalidInput, match="outside the server root") as caught:
        services.monitoring.drift("outside")
    assert caught.value.field == "monitor.reference"


# Labels and performance ------------------------------------------------------------------


def test_a_bad_label_writes_nothing_and_names_the_item(services):
    add_deployment(services, "labelled")
    good = {"request_id": "r1", "label": 1}
    cases = [
        ([good, good, {"request_id": "r2", "label": None}], "labels[2].label"),
        ([good, {"request_id": "", "label": 1}], "labels[1].request_id"),
        ([{"request_id": "r", "row": -1, "label": 1}], "labels[0].row"),
        ([{"request_id": "r", "row": True, "label": 1}], "labels[0].row"),
        ([good, "r3"], "labels[1]"),
        ([good, {"request_id": "r", "label": 1, "score": 2}], "labels[1]"),
        ([good, {"request_id": "r", "label": "yes"}], "labels"),
        ([], "labels"),
        (None, "labels"),
    ]
    for items, field in cases:
        with pytest.raises(InvalidInput) as caught:
            services.monitoring.post_labels("labelled", items)
        assert caught.value.field == field, items
    assert not labels_dir(services.config.home, "labelled").exists()


def test_performance_of_a_classifier_and_of_a_regressor(services):
    add_deployment(services, "classes")
    inputs = stream(10, seed=11)
    # Request i//2, row i%2: predictions 0..9 mod 2.
    log_predictions(services, "classes", 1, inputs, prediction=np.arange(10) % 2, seq=1)
    truth = [
        {"request_id": f"1-{i // 2}", "row": i % 2, "label": (i % 2) if i < 6 else 1 - i % 2}
        for i in range(8)
    ]
    assert services.monitoring.post_labels("classes", truth) == {
        "deployment": "classes",
        "labels": 8,
    }
    found = services.monitoring.performance("classes", 3600)
    assert found["task"] == "classification"
    assert (found["labelled"], found["window"]["rows"]) == (8, 10)
    assert found["coverage"] == pytest.approx(0.8)
    assert found["accuracy"] == pytest.approx(6 / 8)
    # A corrected label replaces the earlier one.
    services.monitoring.post_labels("classes", [{"request_id": "1-3", "row": 0, "label": 0}])
    assert services.monitoring.performance("classes", 3600)["accuracy"] == pytest.approx(7 / 8)
    assert services.monitoring.drift("classes")["performance"]["accuracy"] == pytest.approx(7 / 8)

    add_deployment(services, "values")
    predicted = np.array([1.0, 2.0, 3.0, 4.0])
    log_predictions(services, "values", 1, stream(4, seed=12), prediction=predicted, seq=2)
    labels = [
        {"request_id": f"2-{i // 2}", "row": i % 2, "label": v}
        for i, v in enumerate([1.5, 2, 2.5, 4])
    ]
    services.monitoring.post_labels("values", labels)
    found = services.monitoring.performance("values", 3600)
    assert found["task"] == "regression"
    assert found["mae"] == pytest.approx((0.5 + 0 + 0.5 + 0) / 4)
    assert found["rmse"] == pytest.approx(np.sqrt((0.25 + 0.25) / 4))


# Doors -----------------------------------------------------------------------------------


def test_every_monitoring_route_is_in_the_auth_walk():
    walked = {(path.split("mlops/api/", 1)[1], verb) for path, verb, _ in route_calls()}
    assert {
        ("deployments/sample/drift", "GET"),
        ("deployments/sample/labels", "POST"),
        ("deployments/sample/performance", "GET"),
    } <= walked


async def test_rest_drift_labels_performance(jp_fetch, jp_serverapp):
    served = jp_serverapp.web_app.settings["jupyter_mlops"].services
    add_deployment(served, "web", monitor={"reference": "baseline"})
    log_predictions(served, "web", 1, stream(200, seed=1), at=utcnow() - timedelta(days=1))
    log_predictions(served, "web", 1, stream(200, seed=2, shifted=True), seq=1)

    async def call(*path, method="GET", body=None, **query):
        answer = await jp_fetch(
            "mlops",
            "api",
            "deployments",
            *path,
            method=method,
            body=None if body is None else json.dumps(body),
            params=query,
        )
        return answer.code, json.loads(answer.body)

    async def refused(*path, method="GET", body=None, **query):
        with pytest.raises(HTTPClientError) as caught:
            await call(*path, method=method, body=body, **query)
        return caught.value.code, json.loads(caught.value.response.body)

    code, report = await call("web", "drift", window="3600")
    assert code == 200 and report["window"]["rows"] == 200
    assert report["reference"]["source"] == "baseline_window"
    assert "amount" in report["drifted"]
    assert {
        "name",
        "kind",
        "psi",
        "statistic",
        "p_value",
        "test",
        "drifted",
        "histogram",
        "figure",
    } <= set(report["features"][0])
    # The figures come with the answer, built by the monitoring area's builder.
    for column in [*report["features"], report["prediction"]]:
        assert column["figure"] == charts.drift_figure(column, report["thresholds"])
        assert column["figure"]["data"][0]["y"] == column["histogram"]["reference"]
    assert (await refused("nobody", "drift"))[0] == 404
    code, body = await refused("web", "drift", window="abc")
    assert (code, body["field"]) == (400, "window")
    code, body = await refused("web", "drift", window="0")
    assert (code, body["field"]) == (400, "window")

    labels = {"labels": [{"request_id": "1-0", "row": 0, "label": 0}]}
    assert await call("web", "labels", method="POST", body=labels) == (
        201,
        {"deployment": "web", "labels": 1},
    )
    code, body = await refused(
        "web", "labels", method="POST", body={"labels": [{"request_id": 3, "label": 1}]}
    )
    assert (code, body["field"]) == (400, "labels[0].request_id")
    assert (await refused("nobody", "labels", method="POST", body=labels))[0] == 404
    code, found = await call("web", "performance", window="3600")
    assert (found["labelled"], found["task"]) == (1, "classification")


@pytest.fixture
def shell(services, monkeypatch):
    with mlops_shell(monkeypatch, services.config.home, services.config.root_dir) as shell:
        yield shell


def test_magic_shows_a_table_and_the_page_s_plotly_figures(shell, services):
    with capture_output() as captured:
        shell.run_cell("%mlops drift shifted --window 3600")
    table, *figures = (output.data for output in captured.outputs)
    assert "no drift" not in table["text/html"] and "DRIFTED" in table["text/html"]
    assert "3 drifted (amount, plan, prediction)" in table["text/html"]
    assert "1000 rows" in table["text/html"] and "dataset" in table["text/html"]
    # One figure per input and the prediction's last, drifted and highest PSI first:
    # the very figures the REST answer carries to the page.
    assert all(PLOTLY in figure for figure in figures)
    report = services.monitoring.drift("shifted", 3600, figures=True)
    expected = {c["name"]: c["figure"] for c in [*report["features"], report["prediction"]]}
    titles = [figure[PLOTLY]["layout"]["title"]["text"] for figure in figures]
    names = [title.split("</b>")[0].removeprefix("<b>") for title in titles]
    assert names[-1] == "prediction" and sorted(names) == sorted(expected)
    assert names[:2] == ["plan", "amount"] or names[:2] == ["amount", "plan"]
    assert "drifted" in titles[0] and "stable" in titles[-2]
    for name, figure in zip(names, figures, strict=True):
        assert figure[PLOTLY]["data"] == expected[name]["data"]
        assert figure["text/plain"] == f"<drift figure of {name}>"

    shell.user_ns["truth"] = pd.DataFrame({"request_id": ["11-0"], "label": [1]})
    shell.run_line_magic("mlops", "labels shifted truth")
    with pytest.raises(UsageError, match="missing is not a DataFrame"):
        shell.run_line_magic("mlops", "labels shifted missing")
    with pytest.raises(UsageError, match="%mlops drift: no deployment 'nobody'"):
        shell.run_line_magic("mlops", "drift nobody")


def mlops(services, *args):
    return subprocess.run(
        [JUPYTER, "mlops", "--home", str(services.config.home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=services.config.root_dir,
    )


def test_cli_drift_labels_performance(services, tmp_path):
    report = mlops(services, "drift", "shifted", "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["drifted"] == ["amount", "plan", "prediction"]
    text = mlops(services, "drift", "steady", "--window", "3600", "--fail-on-drift")
    assert text.returncode == 0, text.stderr
    assert "against the dataset (5000 rows): no drift" in text.stdout
    assert mlops(services, "drift", "shifted", "--fail-on-drift").returncode == 2

    csv = tmp_path / "truth.csv"
    # `steady`'s last hour was logged as file 10: request ids 10-<i>.
    truth = pd.DataFrame({"request_id": ["10-0", "10-0"], "row": [0, 1], "label": [0, 1]})
    truth.to_csv(csv, index=False)
    posted = mlops(services, "labels", "steady", str(csv))
    assert posted.returncode == 0, posted.stderr
    assert "2 labels posted to steady" in posted.stdout
    found = mlops(services, "performance", "steady")
    assert json.loads(found.stdout)["labelled"] == 2
    bad = mlops(services, "labels", "steady", str(tmp_path / "none.csv"))
    assert bad.returncode == 1 and "cannot read" in bad.stderr
