"""The lineage graph on real parts: a feature view, a notebook job that builds a training
set from it and logs a model (a real kernel through the scheduler), the version
registered from the job's run with an alias, a deployment of the alias (its row: no
serving process is needed to record what it serves) and a retraining firing that started
another execution. From any of them the graph reaches all the others. Then what other jobs
lead to and from: a batch scoring run of the version with the output it wrote, and a
search whose trials' runs hang from its parent run, one of them registering a model."""

from __future__ import annotations

import json
import os
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
from jupyter_mlops.lineage import jobs as job_lineage
from jupyter_mlops.lineage.figure import lineage_figure
from jupyter_mlops.scoring import job as scoring_job
from jupyter_mlops.scoring.batch import file_hash
from jupyter_mlops.scoring.outputs import Outputs
from jupyter_mlops.scoring.service import KIND_TAG
from jupyter_mlops.services import Services
from jupyter_mlops.tracking import lineage
from jupyter_mlops.tracking.client import mlflow_errors
from jupyter_mlops.tuning.service import SEARCH_TAG, TRIAL_TAG

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


def _prepared(services, execution_id: str) -> str:
    """The execution's MLflow run, opened as the scheduler opens it (its spec's tags, its
    parent run); the execution is then cancelled: no kernel is needed for its lineage."""
    lifecycle = services.job_lifecycle
    run_id = lifecycle.prepare(lifecycle.records.get(execution_id)).mlflow_run_id
    services.jobs.cancel(execution_id)
    return run_id


@pytest.fixture(scope="module")
def jobs(chain):
    """A scoring run of lineage-model/1 and a search of 12 trials, made as their own code
    makes them, without running their notebooks."""
    services = chain["services"]
    config, client = services.config, services.tracking.client
    # Scoring: the job's spec and run as submitted, then what its kernel logs into the run
    # (scoring/job.py's own `_log`) and the output version it publishes.
    source = config.root_dir / "customers.csv"
    pd.DataFrame({"rate": [0.1, 0.9]}).to_csv(source, index=False)
    spec = services.scoring.job_spec(
        {"model": "models:/lineage-model@champion", "input": "customers.csv", "output": "preds"}
    )
    scoring = services.jobs.submit(spec)["execution"]["id"]
    scoring_run = _prepared(services, scoring)
    outputs = Outputs(config.home)
    staging = outputs.staging("preds")
    staging.mkdir(parents=True)
    record = {
        "model": spec["parameters"]["model_uri"],
        "input": "customers.csv",
        "input_sha256": file_hash(source),
        "rows": 2,
        "seconds": 0.1,
        "run_id": scoring_run,
    }
    version = outputs.publish(staging, record)
    saved = dict(os.environ)
    os.environ["MLFLOW_RUN_ID"] = scoring_run
    mlflow.set_tracking_uri(config.tracking_uri)
    try:
        where = outputs.folder("preds") / str(version)
        scoring_job._log(mlflow, record, source, f"preds/{version}", where, 0.5)
    finally:
        mlflow.set_tracking_uri(None)
        os.environ.clear()
        os.environ.update(saved)
    # Entity rows joined to a feature service's views: the run names the views it read,
    # with the tag training runs carry.
    client.set_tag(scoring_run, lineage.FEATURES, "lineage_drivers@1")
    # A scheduled scoring of the alias: which version scored is not recorded.
    nightly = services.job_lifecycle.runs.create(
        "scoring",
        "score-nightly",
        {
            KIND_TAG: "score",
            job_lineage.SCORED_MODEL: "models:/lineage-model@champion",
            job_lineage.SCORED_OUTPUT: "nightly/1",
        },
    )
    # A search: its parent run as Tuning.submit makes it, each trial's execution queued
    # as the driver queues it; the metric it maximizes grows with the trial's number.
    resolved = services.jobs.check({"notebook": "train.ipynb"})
    search_id = "s-lineage0001"
    parent = services.jobs.create_parent_run(
        resolved["experiment"],
        f"{resolved['name']}-search",
        {SEARCH_TAG: search_id, "mlops.search.metric": "accuracy"},
    )
    trials = {}
    for number in range(job_lineage.MAX_TRIALS + 2):
        execution = services.jobs.queue(
            resolved,
            {"seed": number},
            tags={SEARCH_TAG: search_id, TRIAL_TAG: str(number)},
            parent_run_id=parent,
        )
        run_id = _prepared(services, execution["id"])
        client.log_metric(run_id, "accuracy", number / 20)
        trials[number] = {"execution": execution["id"], "run": run_id}
    best = trials[job_lineage.MAX_TRIALS + 1]["run"]
    services.tracking.log_summary(
        parent,
        {"best_accuracy": (job_lineage.MAX_TRIALS + 1) / 20},
        {"mlops.search.best_run": best},
    )
    with mlflow_errors():  # the best trial's model, registered
        client.create_registered_model("lineage-tuned")
        client.create_model_version("lineage-tuned", f"runs:/{best}/model", run_id=best)
    return {
        "services": services,
        "scoring": {"execution": scoring, "run": scoring_run, "output": f"preds/{version}"},
        "nightly": nightly,
        "sha256": record["input_sha256"],
        "parent": parent,
        "trials": trials,
    }


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


def test_the_figure_draws_each_node_with_its_id_for_a_click(chain, jobs):
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
        "scoring runs",
        "batch outputs",
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
        ("output", "preds/9", NotFound, None),
        ("output", "../preds/1", InvalidInput, "id"),
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
    # An output scored outside a job (no run recorded it): the new kinds' answer, checked
    # against the response schema as every answer in these tests.
    outputs = Outputs(served.config.home)
    staging = outputs.staging("rest-preds")
    staging.mkdir(parents=True)
    outputs.publish(staging, {"model": "models:/m/1", "run_id": None})
    graph = await get(kind="output", id="rest-preds/1")
    assert [node["kind"] for node in graph["nodes"]] == ["output"] and not graph["edges"]
    for query, code in (
        ({"kind": "bogus", "id": "x"}, 400),
        ({"kind": "deployment"}, 400),
        ({"kind": "deployment", "id": "nobody"}, 404),
        ({"kind": "output", "id": "rest-preds/2"}, 404),
    ):
        with pytest.raises(HTTPClientError) as caught:
            await get(**query)
        assert caught.value.code == code
        assert "Traceback" not in caught.value.response.body.decode()


def test_a_scoring_run_leads_from_the_version_it_scored_to_the_output_it_wrote(jobs):
    services, scoring = jobs["services"], jobs["scoring"]
    run, output = scoring["run"], f"output:{scoring['output']}"
    expected = {
        ("model_version:lineage-model/1", "scored", f"scoring:{run}"),
        (f"scoring:{run}", "wrote", output),
        (f"execution:{scoring['execution']}", "ran as", f"scoring:{run}"),
    }
    for kind, key, start in (
        ("model_version", "lineage-model/1", "model_version:lineage-model/1"),
        ("run", run, f"scoring:{run}"),
        ("execution", scoring["execution"], f"execution:{scoring['execution']}"),
        ("output", scoring["output"], output),
    ):
        graph = services.lineage.graph(kind, key)
        assert graph["start"] == start
        assert expected <= edges(graph), kind
        # Through the version, back to the training run and on to the deployment.
        assert ("alias:lineage-model@champion", "serves", "deployment:lineage-web") in edges(graph)
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes[output]["label"] == "preds v1"
    assert nodes[output]["ref"] == {"name": "preds", "version": "1"}
    assert nodes[f"scoring:{run}"]["label"] == "customers.csv"
    assert nodes[f"scoring:{run}"]["ref"]["input_sha256"] == jobs["sha256"]
    assert nodes[f"scoring:{run}"]["ref"]["model"] == "models:/lineage-model/1"
    # Not a training run: no run node for it.
    assert f"run:{run}" not in nodes
    # The feature view whose features it joined leads to it as to a scoring run, not as
    # to a training set.
    from_view = services.lineage.graph("feature_view", "lineage_drivers")
    assert ("feature_view:lineage_drivers@1", "joined into", f"scoring:{run}") in edges(from_view)
    assert ("model_version:lineage-model/1", "scored", f"scoring:{run}") in edges(from_view)
    kinds = {node["id"].split(":", 1)[0] for node in from_view["nodes"] if run in node["id"]}
    assert kinds == {"scoring"}


def test_a_scheduled_scoring_of_an_alias_names_no_version(jobs):
    services, nightly = jobs["services"], jobs["nightly"]
    graph = services.lineage.graph("run", nightly)
    assert graph["start"] == f"scoring:{nightly}"
    assert edges(graph) == {(f"scoring:{nightly}", "wrote", "output:nightly/1")}
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes["output:nightly/1"]["label"] == "nightly v1 (not found)"
    assert nodes[f"scoring:{nightly}"]["ref"]["model"] == "models:/lineage-model@champion"
    scored = services.lineage.graph("model_version", "lineage-model/1")
    assert f"scoring:{nightly}" not in {node["id"] for node in scored["nodes"]}


def test_a_search_shows_its_best_trials_and_the_model_one_registered(jobs):
    services, parent, trials = jobs["services"], jobs["parent"], jobs["trials"]
    cap = job_lineage.MAX_TRIALS
    best = trials[cap + 1]["run"]
    graph = services.lineage.graph("run", parent)
    assert graph["start"] == f"search:{parent}" and graph["truncated"] is True
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes[f"search:{parent}"]["label"] == f"s-lineage0001 ({cap} of {cap + 2} trials)"
    shown = {n["label"] for n in graph["nodes"] if n["kind"] == "run"}
    # Maximized: the highest values, nearest the best the search recorded; 0 and 1 cut.
    assert shown == {f"trial {number}" for number in range(2, cap + 2)}
    assert (f"search:{parent}", "trial", f"run:{best}") in edges(graph)
    assert (f"run:{best}", "registered as", "model_version:lineage-tuned/1") in edges(graph)
    assert (f"execution:{trials[5]['execution']}", "ran as", f"run:{trials[5]['run']}") in edges(
        graph
    )
    # From the model version or a trial cut from the parent's view, back to the search.
    for kind, key in (
        ("model_version", "lineage-tuned/1"),
        ("execution", trials[0]["execution"]),
    ):
        back = services.lineage.graph(kind, key)
        assert (f"search:{parent}", "trial", f"run:{best}") in edges(back), kind
    back_nodes = {node["id"]: node["label"] for node in back["nodes"]}
    assert back_nodes[f"run:{trials[0]['run']}"] == "trial 0"
    assert (f"search:{parent}", "trial", f"run:{trials[0]['run']}") in edges(back)
    figure = lineage_figure(services.lineage.graph("model_version", "lineage-tuned/1"))
    names = [trace["name"] for trace in figure["data"] if trace.get("customdata")]
    assert names == ["searches", "job executions", "runs", "model versions"]
