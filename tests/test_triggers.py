"""Retraining triggers closing the loop, with real parts: a sqlite MLflow store, notebook
jobs run by papermill on real kernels, real serving processes behind their router, and
prediction logs in the serving layer's parquet layout. The agent's three workers (jobs,
deployments, triggers) are ticked by hand, as the agent would."""

import argparse
import json
import time
import uuid
from datetime import datetime, timezone

import pandas as pd
import pytest
from jobs_helpers import notebook
from mlflow import MlflowClient
from sqlalchemy import update
from test_deployments import frame, kinds, register, status_is, stop_everything
from test_traffic import Client
from tornado.httpclient import HTTPClientError

from jupyter_mlops.cli import monitoring as cli_monitoring
from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.retraining import rules, watcher
from jupyter_mlops.services import Services
from jupyter_mlops.store.tables import deployment_triggers

RETRAIN = """\
import mlflow
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

# The job's own run (MLFLOW_RUN_ID): without an active run, log_model logs a model that
# belongs to no run, which the trigger could not find.
mlflow.start_run()
X = pd.DataFrame(np.random.default_rng(3).random((80, 4)), columns=["a", "b", "c", "d"])
y = (X["a"] + X["c"] > 1.0).astype(int)
model = LogisticRegression().fit(X, y)
mlflow.sklearn.log_model(
    model, name="model", input_example=X.iloc[:3], pip_requirements=["scikit-learn"]
)
"""
PARAMETERS = 'deployment = ""\nmodel_name = ""\nwindow_start = ""\nwindow_end = ""'
LOOP = ["trigger_fired", "challenger_registered", "challenger_canary", "challenger_promoted"]


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    root = tmp_path_factory.mktemp("triggers")
    notebook(root / "retrain.ipynb", PARAMETERS, RETRAIN)
    notebook(
        root / "failing.ipynb", 'deployment = ""', "raise ValueError('no labels in the window')"
    )
    frame(500, seed=11).to_parquet(root / "reference.parquet")
    services = Services(resolve(root_dir=root, job_pool_size=1, environ={}))
    services.tracking.client  # noqa: B018 - our store first, as the server does
    register(services, "clf", alias="champion")  # version 1
    yield services
    stop_everything(services)
    services.close()


@pytest.fixture
def workers(services, monkeypatch):
    # The environment the server extension exports (and its agent runs in): MLflow's
    # process-wide URIs name the project's store, which registering a model relies on.
    for key, value in services.config.env().items():
        monkeypatch.setenv(key, value)
    workers = services.agent_workers()  # the job scheduler, the supervisor, the watcher
    for worker in workers:
        worker.reconcile()
    yield workers
    for worker in workers:
        worker.close()


def drive(workers, done, timeout=120.0, every=0.2, between=None):
    """Tick the agent's workers until `done()` is true; `between` runs after each round
    (traffic, as callers would send it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in workers:
            worker.tick()
        if between is not None:
            between()
        found = done()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"not done after {timeout}s")


def log_predictions(services, name: str, version: str, data: pd.DataFrame) -> None:
    """Rows as the serving process logs them (see monitoring/logs.py), arriving now."""
    folder = services.config.home / "deployments" / name / "predictions" / f"version={version}"
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    logged = data.assign(
        __request_id=[uuid.uuid4().hex for _ in range(len(data))],
        __row=pd.Series([0] * len(data), dtype="int32"),
        __at=pd.Series([now] * len(data), dtype="datetime64[us]"),
        __version=version,
        __latency_ms=1.0,
        __shadow=False,
    )
    logged.to_parquet(folder / f"{uuid.uuid4().hex}.parquet", index=False)


def firings(services, name):
    return services.firings.view(name)["firings"]


def firing_is(services, name, *statuses):
    def check():
        found = firings(services, name)
        return found[0] if found and found[0]["status"] in statuses else None

    return check


def test_trigger_specs_are_checked_at_deploy_time(services):
    deploy = services.deployments.deploy
    base = {"name": "nope", "model_uri": "models:/clf/1"}
    with pytest.raises(InvalidInput) as caught:
        deploy({**base, "trigger": {"job": "no-such-job"}})
    assert caught.value.field == "trigger.job" and "no job definition" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        deploy({**base, "trigger": {"job": "missing.ipynb"}})
    assert caught.value.field == "trigger.job" and "no notebook" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        deploy({**base, "trigger": {"job": "retrain.ipynb", "on": ["performance"]}})
    assert caught.value.field == "trigger.min_accuracy"
    with pytest.raises(InvalidInput) as caught:
        deploy({**base, "trigger": {"job": "retrain.ipynb", "on": ["weather"]}})
    assert caught.value.field == "trigger.on.0"
    assert "nope" not in [d["name"] for d in services.deployments.deployments()]

    # Performance below the limit is a reason; above it is none.
    trigger = rules.check({"job": "retrain.ipynb", "min_accuracy": 0.8}, jobs=services.jobs)
    assert trigger["on"] == ["drift", "performance"] and trigger["promote_after"] == 100
    poor = {"labelled": 50, "accuracy": 0.62}
    assert rules.reasons(trigger, None, poor) == ["accuracy 0.620 < 0.8 over 50 labelled rows"]
    assert rules.reasons(trigger, None, {**poor, "accuracy": 0.9}) == []


def test_drift_retrains_registers_canaries_and_promotes_a_challenger(services, workers):
    trigger = {
        "job": "retrain.ipynb",
        "check_every": 0,
        "canary_percent": 50,
        "promote_after": 20,
    }
    services.deployments.deploy(
        {
            "name": "loop",
            "model_uri": "models:/clf/1",
            "monitor": {"reference": "reference.parquet"},
            "trigger": trigger,
        }
    )
    ready = drive(workers, status_is(services, "loop", "ready"), timeout=90)

    # Traffic like the training data: checked, nothing fires.
    log_predictions(services, "loop", "1", frame(300, seed=5))
    for _ in range(3):
        for worker in workers:
            worker.tick()
    assert firings(services, "loop") == []
    assert "trigger_fired" not in kinds(services, "loop")

    # The stream shifts: the trigger fires, the job retrains, the challenger rolls out.
    log_predictions(services, "loop", "1", frame(600, seed=6).assign(a=lambda f: f["a"] + 2))
    fired = drive(workers, firing_is(services, "loop", "retraining"), timeout=30)
    assert fired["reason"].startswith("drift in a (PSI ")
    assert "against the dataset" in fired["reason"]

    client, answers = Client(ready), []

    def traffic():
        if services.deployments.get("loop")["candidate"]:
            answers.extend(client.predict(frame(1, seed=len(answers)))[0] for _ in range(10))

    done = drive(
        workers,
        firing_is(services, "loop", "promoted", "rolled_back", "failed"),
        timeout=240,
        between=traffic,
    )
    assert done["status"] == "promoted", done["message"]
    assert done["model_version"] == "2" and set(answers) == {200}
    serving = drive(workers, status_is(services, "loop", "ready", candidate=None), timeout=30)
    assert serving["model_version"] == "2"
    assert serving["spec"]["trigger"]["job"] == "retrain.ipynb"  # it keeps watching
    (model,) = [m for m in services.registry.models() if m["name"] == "clf"]
    assert model["aliases"] == {"champion": "2", "challenger": "2"}

    history = [k for k in kinds(services, "loop") if k in LOOP]
    assert history == LOOP
    events = {e["kind"]: e["message"] for e in services.deployments.events("loop")}
    assert events["trigger_fired"].startswith("drift in a (PSI ")
    assert "50% of requests" in events["challenger_canary"]

    # The job got the deployment and its data window as parameters.
    execution = services.jobs.execution(done["execution_id"])
    assert execution["spec"]["parameters"] == {
        "deployment": "loop",
        "model_name": "clf",
        "window_start": done["window"]["start"],
        "window_end": done["window"]["end"],
    }
    run = MlflowClient(services.config.tracking_uri).get_run(execution["mlflow_run_id"])
    assert run.data.tags[watcher.TAG_FIRING] == done["id"]

    services.deployments.undeploy("loop")
    drive(workers, status_is(services, "loop", "stopped"), timeout=30)


def test_a_failing_job_fails_the_firing_and_the_cooldown_holds(services, workers, capsys):
    # The job as a definition, by name (its yearly schedule never comes due here).
    services.jobs.submit(
        {"notebook": "failing.ipynb", "name": "retrain-broken", "schedule": {"cron": "0 0 1 1 *"}}
    )
    services.deployments.deploy(
        {
            "name": "broken",
            "model_uri": "models:/clf/1",
            "monitor": {"reference": "reference.parquet"},
            "trigger": {"job": "retrain-broken", "check_every": 0, "cooldown": 3600},
        }
    )
    drive(workers, status_is(services, "broken", "ready"), timeout=90)
    log_predictions(services, "broken", "1", frame(300, seed=8).assign(b=lambda f: f["b"] * 3))

    failed = drive(workers, firing_is(services, "broken", "failed"), timeout=120)
    assert "ValueError: no labels in the window" in failed["message"]
    execution = services.jobs.execution(failed["execution_id"])
    assert execution["spec"]["parameters"] == {"deployment": "broken"}
    assert execution["definition_id"] is not None
    events = services.deployments.events("broken")
    assert events[0]["kind"] == "retrain_failed" and "no labels" in events[0]["message"]

    # Still drifted, but within the cooldown: nothing fires.
    for _ in range(3):
        for worker in workers:
            worker.tick()
    assert len(firings(services, "broken")) == 1

    # Once the cooldown has passed, it fires again.
    with services.store.begin() as conn:
        conn.execute(
            update(deployment_triggers)
            .where(deployment_triggers.c.id == failed["id"])
            .values(fired_at=time.time() - 3601)
        )
    again = drive(workers, firing_is(services, "broken", "retraining"), timeout=30)
    assert again["id"] != failed["id"]
    services.jobs.cancel(again["execution_id"])
    cancelled = drive(workers, firing_is(services, "broken", "failed"), timeout=30)
    assert "cancelled" in cancelled["message"]

    # The CLI door lists them, newest first.
    cli_monitoring.triggers(services, argparse.Namespace(name="broken", json=False))
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "broken: retrain with 'retrain-broken' on drift"
    assert sum("failed" in line and "drift in b" in line for line in printed) == 2

    services.deployments.undeploy("broken")
    drive(workers, status_is(services, "broken", "stopped"), timeout=30)


@pytest.fixture
def jp_server_config(jp_server_config, services):
    # The module's state DB behind the server: its deployments and their firings.
    jp_server_config["MLOpsApp"]["state_url"] = services.config.state_url
    jp_server_config["MLOpsApp"]["tracking_uri"] = services.config.tracking_uri
    return jp_server_config


async def test_rest_lists_the_firings_newest_first(jp_fetch, services):
    # The firings the test above left on deployment "broken".
    answer = await jp_fetch("mlops", "api", "deployments", "broken", "triggers")
    found = json.loads(answer.body)
    assert found["trigger"]["job"] == "retrain-broken"
    assert [f["status"] for f in found["firings"]] == ["failed", "failed"]
    assert found["firings"][0]["fired_at"] > found["firings"][1]["fired_at"]
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops", "api", "deployments", "nowhere", "triggers")
    assert caught.value.code == 404
