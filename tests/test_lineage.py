"""The lineage graph on real parts: a feature view, a notebook job that builds a training
set from it and logs a model (a real kernel through the scheduler), the version
registered from the job's run with an alias, a deployment of the alias (its row: no
serving process is needed to record what it serves) and a retraining firing that started
another execution. From any of them the graph reaches all the others."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import mlflow
import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from jobs_helpers import drive, finished, job_scheduler, notebook
from magic_helpers import mlops_shell
from test_monitoring import JUPYTER, add_deployment
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput, NotFound
from jupyter_mlops.features import Entity, FeatureView, Field, Float64
from jupyter_mlops.lineage.figure import lineage_figure
from jupyter_mlops.services import Services

TRAIN = """
import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression
from jupyter_mlops import features
mlflow.start_run()  # resumes the job's run (MLFLOW_RUN_ID), so the model is its
entities = pd.DataFrame({"driver_id": range(40), "event_timestamp": pd.Timestamp("2026-01-05")})
training = features.get_historical_features(entities, ["lineage_drivers:rate"])
X = training[["rate"]]
model = LogisticRegression().fit(X, X["rate"] > 0.5)
mlflow.sklearn.log_model(model, name="model", input_example=X.head(3))
"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = tmp_path_factory.mktemp("lineage")
    services = Services(resolve(root_dir=root, job_pool_size=0, environ={}))
    driver = Entity("driver", join_keys=["driver_id"])
    view = FeatureView(
        name="lineage_drivers",
        entities=[driver],
        schema=[Field("rate", Float64)],
        ttl=timedelta(days=30),
    )
    services.features.apply([driver, view])
    rows = {"driver_id": range(40), "event_timestamp": pd.Timestamp("2026-01-01")}
    services.features.ingest(
        "lineage_drivers", pd.DataFrame({**rows, "rate": np.linspace(0, 1, 40)})
    )
    notebook(root / "train.ipynb", "seed = 0", TRAIN)
    scheduler = job_scheduler(services)
    executions = []
    for _ in range(2):  # the first trains the model; the second is the retraining
        queued = services.jobs.submit({"notebook": "train.ipynb"})["execution"]["id"]
        done = drive(scheduler, lambda q=queued: finished(services.jobs, q), timeout=180)
        assert done["status"] == "succeeded", done["error"]
        executions.append(done)
    first = executions[0]
    # MLflow's registry store finds a logged model through the process-wide URI (its
    # `MlflowClient()`), as the server sets it at start.
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(services.config.tracking_uri)
    try:
        created = services.registry.register(first["mlflow_run_id"], "lineage-model", "champion")
    finally:
        mlflow.set_tracking_uri(previous)
    add_deployment(services, "lineage-web", model="lineage-model", version=created["version"])
    with services.store.begin() as conn:  # served through the alias, as deployed
        from jupyter_mlops.serving import records

        row = records.get(services.store, "lineage-web")
        spec = {**row["spec"], "model_uri": "models:/lineage-model@champion"}
        records.update(conn, "lineage-web", spec=spec)
    firing = services.firings.fire("lineage-web", "drift: rate", "a", "b", "fired")
    services.firings.set(firing, execution_id=executions[1]["id"])
    yield {
        "services": services,
        "first": first,
        "retrain": executions[1],
        "firing": firing,
    }
    scheduler.close()
    services.close()


def edges(graph) -> set[tuple[str, str, str]]:
    return {(e["source"], e["label"], e["target"]) for e in graph["edges"]}


def test_from_a_deployment_the_graph_reaches_back_to_the_feature_view(chain):
    services, first = chain["services"], chain["first"]
    run, execution = first["mlflow_run_id"], first["id"]
    graph = services.lineage.graph("deployment", "lineage-web")
    assert graph["start"] == "deployment:lineage-web" and graph["truncated"] is False
    assert {
        ("feature_view:lineage_drivers@1", "joined into", f"training_set:{run}"),
        (f"training_set:{run}", "trained", f"run:{run}"),
        (f"execution:{execution}", "ran as", f"run:{run}"),
        (f"run:{run}", "registered as", "model_version:lineage-model/1"),
        ("model_version:lineage-model/1", "alias", "alias:lineage-model@champion"),
        ("alias:lineage-model@champion", "serves", "deployment:lineage-web"),
        ("deployment:lineage-web", "fired", f"firing:{chain['firing']}"),
        (f"firing:{chain['firing']}", "retrained with", f"execution:{chain['retrain']['id']}"),
    } <= edges(graph)
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes[f"execution:{execution}"]["label"] == "train.ipynb"
    assert nodes[f"run:{run}"]["ref"] == {"run_id": run}
    assert nodes["model_version:lineage-model/1"]["ref"] == {
        "name": "lineage-model",
        "version": "1",
    }


def test_from_the_feature_view_or_the_run_the_same_chain(chain):
    services, run = chain["services"], chain["first"]["mlflow_run_id"]
    from_view = services.lineage.graph("feature_view", "lineage_drivers")
    assert from_view["start"] == "feature_view:lineage_drivers@1"
    assert ("alias:lineage-model@champion", "serves", "deployment:lineage-web") in edges(from_view)
    # Both jobs built training sets from the view: both runs hang from it.
    runs = {n["id"] for n in from_view["nodes"] if n["kind"] == "run"}
    assert runs == {f"run:{run}", f"run:{chain['retrain']['mlflow_run_id']}"}
    from_run = services.lineage.graph("run", run)
    assert edges(from_run) >= edges(services.lineage.graph("deployment", "lineage-web"))


def test_the_figure_draws_each_node_with_its_id_for_a_click(chain):
    graph = chain["services"].lineage.graph("model_version", "lineage-model/1")
    figure = lineage_figure(graph)
    drawn = {
        node_id
        for trace in figure["data"]
        if trace.get("customdata")
        for node_id in trace["customdata"]
    }
    assert drawn == {node["id"] for node in graph["nodes"]}
    names = [trace["name"] for trace in figure["data"] if trace.get("customdata")]
    # Left to right as the loop runs.
    assert names == [
        "feature views",
        "training sets",
        "job executions",
        "runs",
        "model versions",
        "aliases",
        "deployments",
        "retraining",
    ]


@pytest.mark.parametrize(
    "kind, key, error, field",
    [
        ("cluster", "x", InvalidInput, "kind"),
        ("run", "not-a-run", InvalidInput, "id"),
        ("run", "0" * 32, NotFound, None),
        ("deployment", "nobody", NotFound, None),
        ("feature_view", "nothing", NotFound, None),
        ("feature_view", "lineage_drivers@7", NotFound, None),
        ("model_version", "lineage-model/9", NotFound, None),
        ("model_version", "no-version", InvalidInput, "id"),
    ],
)
def test_bad_or_unknown_starts_are_refused_naming_them(chain, kind, key, error, field):
    with pytest.raises(error) as caught:
        chain["services"].lineage.graph(kind, key)
    if field:
        assert caught.value.field == field


def test_cli_prints_the_edges(chain):
    services = chain["services"]
    done = subprocess.run(
        [
            JUPYTER,
            "mlops",
            "--home",
            str(services.config.home),
            "lineage",
            "deployment",
            "lineage-web",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=services.config.root_dir,
    )
    assert done.returncode == 0, done.stderr
    assert "alias @champion --serves--> deployment lineage-web" in done.stdout
    assert "execution train.ipynb --ran as--> run " in done.stdout
    bad = subprocess.run(
        [JUPYTER, "mlops", "--home", str(services.config.home), "lineage", "run", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=services.config.root_dir,
    )
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "'nope' is not a run" in bad.stderr


def test_magic_shows_the_figure_with_the_edges_as_text(chain, monkeypatch):
    services = chain["services"]
    with mlops_shell(monkeypatch, services.config.home, services.config.root_dir) as shell:
        with capture_output() as captured:
            returned = shell.run_line_magic("mlops", "lineage model_version lineage-model/1")
        with pytest.raises(UsageError, match="is not a model version"):
            shell.run_line_magic("mlops", "lineage model_version nope")
    assert returned is None
    (shown,) = captured.outputs
    figure = shown.data["application/vnd.plotly.v1+json"]
    assert figure == lineage_figure(services.lineage.graph("model_version", "lineage-model/1"))
    assert "run_id" not in shown.data["text/plain"]
    assert "--registered as--> model_version lineage-model v1" in shown.data["text/plain"]


async def test_rest_lineage(jp_fetch, jp_serverapp):
    async def get(**query):
        answer = await jp_fetch("mlops", "api", "lineage", params=query)
        return json.loads(answer.body)

    served = jp_serverapp.web_app.settings["jupyter_mlops"].services
    add_deployment(served, "rest-lineage")
    graph = await get(kind="deployment", id="rest-lineage")
    assert graph["start"] == "deployment:rest-lineage"
    assert graph["figure"]["data"]
    # Its model version was never registered: shown as such, not a failed answer.
    labels = {node["id"]: node["label"] for node in graph["nodes"]}
    assert labels["model_version:m/1"] == "m v1 (not found)"
    for query, code in (
        ({"kind": "bogus", "id": "x"}, 400),
        ({"kind": "deployment"}, 400),
        ({"kind": "deployment", "id": "nobody"}, 404),
    ):
        with pytest.raises(HTTPClientError) as caught:
            await get(**query)
        assert caught.value.code == code
        assert "Traceback" not in caught.value.response.body.decode()
