"""Model deployments with real serving processes on 127.0.0.1: no mocks of serving.

The supervisor is driven by ticks, as the agent would drive it; each test starts as
few serving processes as it can, since each one loads MLflow and the model.
"""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from jobs_helpers import drive, until
from magic_helpers import mlops_shell
from serving_helpers import load_registered
from sklearn.linear_model import LogisticRegression
from test_auth import route_calls
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import Conflict, InvalidInput, NotFound
from jupyter_mlops.runtime import processes
from jupyter_mlops.services import Services
from jupyter_mlops.serving import children
from jupyter_mlops.serving import records as deployment_records
from jupyter_mlops.serving.supervisor import DeploymentSupervisor

JUPYTER = str(Path(sys.executable).parent / "jupyter")
COLUMNS = ["a", "b", "c", "d"]


def frame(rows: int = 5, seed: int = 1) -> pd.DataFrame:
    return pd.DataFrame(np.random.default_rng(seed).random((rows, 4)), columns=COLUMNS)


def register(services: Services, name: str, *, flip: bool = False, alias: str | None = None):
    """A small classifier logged with its input example (so with a signature) and
    registered; `flip` trains it on inverted labels, so its predictions differ."""
    X = frame(60, seed=0)
    y = (X["a"] + X["b"] > 1.0).astype(int)
    model = LogisticRegression().fit(X, 1 - y if flip else y)
    mlflow.set_tracking_uri(services.config.tracking_uri)
    # An explicit experiment: MLflow remembers the last active one across tests.
    experiment_id = services.tracking.experiment_id("deployments")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        # Declared requirements: inferring them runs the model in a subprocess (seconds).
        mlflow.sklearn.log_model(
            model, name="model", input_example=X.iloc[:3], pip_requirements=["scikit-learn"]
        )
    return services.registry.register(run.info.run_id, name, alias)


def expected(services: Services, uri: str, data: pd.DataFrame) -> list:
    return load_registered(services, uri).predict(data).tolist()


def stop_everything(services: Services) -> None:
    """Serving processes outlive their supervisor by design; tests must not leave any."""
    for row in deployment_records.rows(services.store):
        for process in [row, row["candidate"] or {}, row["router"] or {}, *row["retiring"]]:
            if processes.alive(process.get("pid"), process.get("pid_started")):
                processes.stop_group(process["pid"], grace=2)


def killed(pid: int) -> None:
    """SIGKILL, and wait until the kernel has ended the process (a zombie is ended)."""
    started = processes.start_time(pid)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes.alive(pid, started) and time.monotonic() < deadline:
        time.sleep(0.01)


def group_gone(pgid: int) -> bool:
    """Nothing of the process group runs any more (a zombie waiting for its parent, this
    test process, to reap it has ended)."""
    return not processes.group_running(pgid)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("deployments-root")


@pytest.fixture(scope="module")
def services(root):
    services = Services(resolve(root_dir=root, environ={}))
    services.tracking.client  # noqa: B018 - our store first, as the server does
    register(services, "clf", alias="champion")
    register(services, "clf", flip=True)
    yield services
    stop_everything(services)
    services.close()


def status_is(services, name, *statuses, **fields):
    def check():
        found = services.deployments.get(name)
        if found["status"] in statuses and all(found[k] == v for k, v in fields.items()):
            return found
        return None

    return check


def kinds(services, name) -> list[str]:
    return [event["kind"] for event in reversed(services.deployments.events(name))]


# Specs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, error, field, message",
    [
        ({"name": "x", "model_uri": "models:/nope@champion"}, NotFound, "model_uri", "'nope'"),
        ({"name": "x", "model_uri": "models:/clf@gold"}, NotFound, "model_uri", "alias 'gold'"),
        ({"name": "x", "model_uri": "models:/clf/9"}, NotFound, "model_uri", "no version 9"),
        ({"name": "x", "model_uri": "runs:/abc/model"}, InvalidInput, "model_uri", "models:/"),
        ({"name": "9 lives", "model_uri": "models:/clf/1"}, InvalidInput, "name", "match"),
        ({"model_uri": "models:/clf/1"}, InvalidInput, "name", "required"),
        (
            {"name": "x", "model_uri": "models:/clf/1", "strategy": {"type": "canary"}},
            InvalidInput,
            "strategy.percent",
            "required",
        ),
        (
            {
                "name": "x",
                "model_uri": "models:/clf/1",
                "strategy": {"type": "canary", "percent": 100},
            },
            InvalidInput,
            "strategy.percent",
            "100",
        ),
        (
            {"name": "x", "model_uri": "models:/clf/1", "budget": {"error_rate": 2}},
            InvalidInput,
            "budget.error_rate",
            "1",
        ),
        ({"name": "x", "model_uri": "models:/clf/1", "port": 80}, InvalidInput, "port", "1024"),
        (
            {"name": "x", "model_uri": "models:/clf/1", "resources": {"gpus": ["7"]}},
            InvalidInput,
            "resources.gpus",
            "no GPU '7'",
        ),
        ({"name": "x", "model_uri": "models:/clf/1", "gpus": 1}, InvalidInput, "gpus", ""),
    ],
)
def test_bad_specs_are_refused_naming_the_field(services, body, error, field, message):
    with pytest.raises(error) as caught:
        services.deployments.deploy(body)
    assert caught.value.field == field
    assert message in caught.value.message
    assert all(d["name"] != "x" for d in services.deployments.deployments())  # nothing written


def test_a_port_in_use_is_refused(services):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InvalidInput) as caught:
            services.deployments.deploy({"name": "y", "model_uri": "models:/clf/1", "port": port})
    assert caught.value.field == "port" and f"port {port} is in use" in caught.value.message
    # Now free, but claimed by a deployment that has not started yet.
    services.deployments.deploy({"name": "y", "model_uri": "models:/clf/1", "port": port})
    with pytest.raises(Conflict) as caught:
        services.deployments.deploy({"name": "z", "model_uri": "models:/clf/1", "port": port})
    assert caught.value.field == "port" and "another deployment" in caught.value.message
    assert services.deployments.undeploy("y")["status"] == "stopped"  # nothing ran yet


# The life of a deployment -----------------------------------------------------------------


def test_deploy_predict_crash_adopt_roll_out_and_undeploy(services, supervisor):
    deployments = services.deployments
    created = deployments.deploy({"name": "churn", "model_uri": "models:/clf@champion"})
    assert created["status"] == "pending" and created["model_version"] == "1"
    assert created["port"] and created["endpoint"] is None

    ready = drive(supervisor, status_is(services, "churn", "ready"), timeout=60)
    assert ready["endpoint"] == f"http://127.0.0.1:{ready['port']}/invocations"
    assert children.log_path(services.config.home, "churn").is_file()
    data = frame()
    payload = {"dataframe_split": json.loads(data.to_json(orient="split", index=False))}
    answer = deployments.predict("churn", payload)
    assert answer["predictions"] == expected(services, "models:/clf/1", data)
    # Deploying the same thing again changes nothing.
    again = deployments.deploy({"name": "churn", "model_uri": "models:/clf@champion"})
    assert (again["pid"], again["status"]) == (ready["pid"], "ready")

    # A crash: the supervisor notices, counts it, and the model serves again.
    killed(ready["pid"])
    restarted = drive(supervisor, status_is(services, "churn", "ready", restarts=1), timeout=60)
    assert restarted["pid"] != ready["pid"]
    assert deployments.predict("churn", payload) == answer

    # An agent restart: a new supervisor adopts the live process, restarting nothing.
    adopter = DeploymentSupervisor(services.config, services.store)
    adopter.reconcile()
    adopter.tick()
    adopted = deployments.get("churn")
    assert (adopted["pid"], adopted["restarts"], adopted["status"]) == (
        restarted["pid"],
        1,
        "ready",
    )
    assert kinds(services, "churn")[-1] == "adopted"

    # A new version, replace strategy: it starts beside the old one and takes over once
    # ready; the old one then stops.
    old_start = processes.start_time(restarted["pid"])
    rolling = deployments.deploy({"name": "churn", "model_uri": "models:/clf/2"})
    assert rolling["candidate"]["model_version"] == "2" and rolling["model_version"] == "1"
    with pytest.raises(Conflict, match="being rolled out"):
        deployments.deploy({"name": "churn", "model_uri": "models:/clf/1"})
    switched = drive(
        adopter, status_is(services, "churn", "ready", model_version="2", candidate=None)
    )
    # The router kept the public port; the serving process behind it changed.
    assert switched["port"] == restarted["port"] and switched["pid"] != restarted["pid"]
    assert switched["restarts"] == 0
    # This test process started the old one, so it lingers as a zombie here; an agent
    # that restarted for real is not its parent. Gone is what matters.
    assert drive(adopter, lambda: not processes.alive(restarted["pid"], old_start), timeout=30)
    assert deployments.predict("churn", payload)["predictions"] == expected(
        services, "models:/clf/2", data
    )
    assert deployments.get("churn")["model_uri"] == "models:/clf/2"

    stopping = deployments.undeploy("churn")
    assert stopping["status"] == "stopping"
    stopped = drive(adopter, status_is(services, "churn", "stopped"), timeout=30)
    assert stopped["endpoint"] is None and stopped["pid"] is None
    assert group_gone(switched["pid"]) and group_gone(switched["router_pid"])
    with pytest.raises(Conflict, match="is stopped, not ready"):
        deployments.predict("churn", payload)
    assert kinds(services, "churn") == [
        "deployed",
        "started",
        "ready",
        "crashed",
        "started",
        "ready",
        "adopted",
        "deployed",
        "rolling_out",
        "switched",
        "undeployed",
        "stopped",
    ]


def test_a_process_gone_while_no_agent_ran_is_restarted(services, monkeypatch):
    # A stand-in that never answers /ready: this is about the supervisor's bookkeeping,
    # the real serving process's restart is the crash above.
    monkeypatch.setattr(children, "SERVER", [sys.executable, "-c", "import time; time.sleep(60)"])
    first = DeploymentSupervisor(services.config, services.store)
    services.deployments.deploy({"name": "nightly", "model_uri": "models:/clf/1"})
    first.tick()
    started = services.deployments.get("nightly")
    assert started["status"] == "starting" and started["pid"]
    with deployment_records.locked(services.store, "nightly") as (conn, _):
        deployment_records.update(conn, "nightly", status="ready")  # as if /ready had answered
    first.close()  # the agent stops: the process keeps running...
    assert processes.start_time(started["pid"]) is not None
    killed(started["pid"])  # ...then dies while nobody watches

    second = DeploymentSupervisor(services.config, services.store)
    second.reconcile()
    gone = services.deployments.get("nightly")
    assert (gone["status"], gone["pid"], gone["restarts"]) == ("pending", None, 1)
    assert kinds(services, "nightly")[-1] == "restarting"
    second.tick()
    again = services.deployments.get("nightly")
    assert again["status"] == "starting" and again["pid"] not in (None, started["pid"])
    services.deployments.undeploy("nightly")
    drive(second, status_is(services, "nightly", "stopped"), timeout=30)
    assert group_gone(again["pid"])


def test_a_process_that_keeps_crashing_fails_with_its_last_words(services, monkeypatch):
    # A stand-in that dies at once, as a serving process whose model cannot load would.
    monkeypatch.setattr(
        children,
        "SERVER",
        [sys.executable, "-c", "import sys; sys.exit('cannot load the model: boom')"],
    )
    supervisor = DeploymentSupervisor(services.config, services.store)
    services.deployments.deploy({"name": "broken", "model_uri": "models:/clf/1"})
    failed = drive(supervisor, status_is(services, "broken", "failed"), timeout=30, every=0.05)
    assert "exited 3 times" in failed["error"]
    assert "cannot load the model: boom" in failed["error"]
    assert failed["restarts"] == 2 and failed["pid"] is None
    assert kinds(services, "broken").count("crashed") == 2
    # Deploying again is a fresh start with fresh counters.
    again = services.deployments.deploy({"name": "broken", "model_uri": "models:/clf/1"})
    assert (again["status"], again["restarts"], again["error"]) == ("pending", 0, None)
    # Its router still holds the port (answering 503): undeploying stops it too.
    assert services.deployments.undeploy("broken")["status"] == "stopping"
    stopped = drive(supervisor, status_is(services, "broken", "stopped"), timeout=30)
    assert group_gone(failed["router_pid"]) and stopped["router_pid"] is None


# Doors ------------------------------------------------------------------------------------


def test_every_deployment_route_is_in_the_auth_walk():
    walked = {(path.split("mlops/api/", 1)[1], verb) for path, verb, _ in route_calls()}
    assert {
        ("deployments", "GET"),
        ("deployments", "POST"),
        ("deployments/sample", "GET"),
        ("deployments/sample", "DELETE"),
        ("deployments/sample/predict", "POST"),
        ("deployments/sample/events", "GET"),
        ("deployments/sample/promote", "POST"),
        ("deployments/sample/rollback", "POST"),
        ("deployments/sample/metrics", "GET"),
    } <= walked


@pytest.fixture
def jp_server_config(jp_server_config, services):
    # The module's MLflow store, with its registered models, behind the server too.
    jp_server_config["MLOpsApp"]["tracking_uri"] = services.config.tracking_uri
    return jp_server_config


async def test_rest_deploy_predict_events_undeploy(jp_fetch, jp_serverapp):
    services = jp_serverapp.web_app.settings["jupyter_mlops"].services

    async def call(*path, method="GET", body=None):
        answer = await jp_fetch(
            "mlops",
            "api",
            "deployments",
            *path,
            method=method,
            body=None if body is None else json.dumps(body),
        )
        return answer.code, json.loads(answer.body)

    async def refused(*path, method="GET", body=None):
        with pytest.raises(HTTPClientError) as caught:
            await call(*path, method=method, body=body)
        return caught.value.code, json.loads(caught.value.response.body)

    code, body = await refused(method="POST", body={"name": "api", "model_uri": "models:/no/1"})
    assert (code, body["field"]) == (404, "model_uri")
    code, body = await refused(
        method="POST", body={"name": "api", "model_uri": "models:/clf/1", "port": "x"}
    )
    assert (code, body["field"]) == (400, "port")
    code, body = await refused(
        method="POST",
        body={"name": "api", "model_uri": "models:/clf/1", "budget": {"p99_ms": -1}},
    )
    assert (code, body["field"]) == (400, "budget.p99_ms")

    code, created = await call(
        method="POST", body={"name": "api", "model_uri": "models:/clf@champion"}
    )
    assert (code, created["status"], created["model_version"]) == (201, "pending", "1")
    supervisor = DeploymentSupervisor(services.config, services.store)
    try:
        drive(supervisor, status_is(services, "api", "ready"), timeout=60)
        code, listed = await call()
        assert [d["name"] for d in listed["deployments"]] == ["api"]
        code, one = await call("api")
        assert one["status"] == "ready" and one["endpoint"].endswith("/invocations")

        data = frame(3)
        split = json.loads(data.to_json(orient="split", index=False))
        code, answer = await call("api", "predict", method="POST", body={"dataframe_split": split})
        assert answer["predictions"] == expected(services, "models:/clf/1", data)
        # The model server's own 4xx comes back as a 400 with its message.
        code, body = await refused(
            "api",
            "predict",
            method="POST",
            body={"dataframe_split": {"columns": ["a"], "data": [["not a number"]]}},
        )
        assert code == 400 and body["message"]
        assert "Traceback" not in body["message"]

        code, events = await call("api", "events")
        assert [e["kind"] for e in events["events"]] == ["ready", "started", "deployed"]
        code, stopping = await call("api", method="DELETE")
        assert stopping["status"] == "stopping"
        drive(supervisor, status_is(services, "api", "stopped"), timeout=30)
        assert (await refused("nope"))[0] == 404
        assert (await refused("nope", "events"))[0] == 404
        assert (await refused("api", "predict", method="POST", body={}))[0] == 409
    finally:
        supervisor.close()
        stop_everything(services)


@pytest.fixture
def shell(services, monkeypatch):
    with mlops_shell(monkeypatch, services.config.home, services.config.root_dir) as shell:
        yield shell


def mlops(services, *args):
    return subprocess.run(
        [JUPYTER, "mlops", "--home", str(services.config.home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=services.config.root_dir,
    )


def test_magics_and_cli(services, shell, supervisor):
    shown = shell.run_line_magic("mlops", "deploy models:/clf/1 --name doors")
    assert "pending" in shell.display_formatter.format(shown)[0]["text/plain"]
    with pytest.raises(UsageError, match="%mlops deploy: .*percent.*100"):
        shell.run_line_magic("mlops", "deploy models:/clf/1 --name doors2 --canary 150")
    with pytest.raises(UsageError, match="%mlops promote: .*no new version to promote"):
        shell.run_line_magic("mlops", "promote doors")
    with pytest.raises(UsageError, match="%mlops deploy: no registered model 'nope'"):
        shell.run_line_magic("mlops", "deploy models:/nope/1 --name doors2")
    drive(supervisor, status_is(services, "doors", "ready"), timeout=60)

    table = shell.run_line_magic("mlops", "deployments")
    assert "doors" in table._repr_html_() and "clf v1" in table._repr_html_()
    data = frame(4, seed=3)
    shell.user_ns["incoming"] = data
    predictions = shell.run_line_magic("mlops", "predict doors incoming")
    assert predictions["prediction"].tolist() == expected(services, "models:/clf/1", data)
    with pytest.raises(UsageError, match="missing is not a DataFrame"):
        shell.run_line_magic("mlops", "predict doors missing")
    # `--json` of `triggers` is declared once for both doors: the magic returns the dict.
    assert shell.run_line_magic("mlops", "triggers doors --json") == {
        "deployment": "doors",
        "trigger": None,
        "firings": [],
    }

    listed = mlops(services, "deployments")
    assert listed.returncode == 0, listed.stderr
    assert "doors  ready" in listed.stdout
    history = mlops(services, "deployments", "doors")
    assert "started" in history.stdout and "ready" in history.stdout
    payload = json.dumps({"dataframe_split": json.loads(data.to_json(orient="split", index=False))})
    predicted = mlops(services, "predict", "doors", "--json", payload)
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout)["predictions"] == expected(services, "models:/clf/1", data)
    csv = services.config.root_dir / "incoming.csv"
    data.to_csv(csv, index=False)
    from_csv = mlops(services, "predict", "doors", "--csv", str(csv))
    assert from_csv.returncode == 0, from_csv.stderr
    assert json.loads(from_csv.stdout)["predictions"] == expected(
        services, "models:/clf/1", pd.read_csv(io.StringIO(csv.read_text()))
    )
    bad = mlops(services, "predict", "doors", "--json", "[1")
    assert bad.returncode == 1 and "not valid JSON" in bad.stderr
    refused = mlops(services, "rollback", "doors")
    assert refused.returncode == 1 and "no new version to rollback" in refused.stderr
    waiting = mlops(services, "deploy", "models:/clf/1", "--name", "x", "--wait")
    assert waiting.returncode == 1 and "no agent runs" in waiting.stderr
    with pytest.raises(UsageError, match="no agent runs"):
        shell.run_line_magic("mlops", "deploy models:/clf/1 --name x --wait")
    assert "x" not in [d["name"] for d in services.deployments.deployments()]

    shell.run_line_magic("mlops", "undeploy doors")
    drive(supervisor, status_is(services, "doors", "stopped"), timeout=30)
    gone = mlops(services, "undeploy", "doors")
    assert gone.returncode == 0 and "doors: stopped" in gone.stdout
    # `--wait` of `undeploy`, the CLI's before, is the magic's too: stopped, so no wait.
    with capture_output() as printed:
        shell.run_line_magic("mlops", "undeploy doors --wait")
    assert printed.stdout == "doors: stopped\n"
    with pytest.raises(UsageError, match="%mlops undeploy: no deployment 'nobody'"):
        shell.run_line_magic("mlops", "undeploy nobody --wait")
    unknown = mlops(services, "undeploy", "nobody")
    assert unknown.returncode == 1 and "no deployment 'nobody'" in unknown.stderr


class TestHostedAgent:
    SLOW_STEPS = 60.0  # the agent would step again only after this; the test ends sooner

    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config["MLOpsApp"].update(
            agent_interval=self.SLOW_STEPS,
            agent_lease_seconds=2 * self.SLOW_STEPS,
            job_pool_size=0,
        )
        return jp_server_config

    async def test_deploy_and_undeploy_wake_the_agent(self, jp_fetch, jp_serverapp):
        await jp_serverapp.extension_manager.start_all_extensions()
        app = jp_serverapp.web_app.settings["jupyter_mlops"]
        deployments = app.services.deployments
        try:
            await until(lambda: app.agent.leader, timeout=30)  # its first step, at start
            body = json.dumps({"name": "woken", "model_uri": "models:/clf/1"})
            await jp_fetch("mlops", "api", "deployments", method="POST", body=body)
            started = await until(lambda: deployments.get("woken")["pid"], timeout=20)
            await jp_fetch("mlops", "api", "deployments", "woken", method="DELETE")
            # Signalled at once; the next steps would record it stopped.
            await until(lambda: not processes.start_time(started), timeout=20)
        finally:
            await jp_serverapp.extension_manager.stop_all_extensions()
            stop_everything(app.services)
