"""Traffic strategies through a deployment's router, with real serving processes on
127.0.0.1: canary weights, shadow copies, blue/green, promote and rollback without a
dropped request, and automatic rollback of a candidate that breaks its budget."""

import http.client
import json
import threading
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from jobs_helpers import drive
from test_deployments import (
    COLUMNS,
    expected,
    frame,
    killed,
    kinds,
    register,
    status_is,
    stop_everything,
)

from jupyter_mlops.config import resolve
from jupyter_mlops.runtime import processes
from jupyter_mlops.services import Services

FAILING_MODEL = Path(__file__).parent / "models" / "failing_model.py"


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    # A declared GPU inventory: this machine has no GPU (see the GPU check in scripts/).
    root = tmp_path_factory.mktemp("traffic")
    services = Services(resolve(root_dir=root, environ={}, gpus=["0", "1"]))
    services.tracking.client  # noqa: B018 - our store first, as the server does
    register(services, "clf")
    register(services, "clf", flip=True)
    yield services
    stop_everything(services)
    services.close()


clients: list = []  # every Client made, so a test can close their connections


class Client:
    """One keep-alive connection to a deployment's public endpoint, as a load balancer
    or an application would hold."""

    def __init__(self, deployment: dict):
        self.connection = http.client.HTTPConnection("127.0.0.1", deployment["port"], timeout=30)
        clients.append(self)

    def predict(self, data: pd.DataFrame) -> tuple[int, str | None, dict]:
        split = json.loads(data.to_json(orient="split", index=False))
        body = json.dumps({"dataframe_split": split})
        self.connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
        answer = self.connection.getresponse()
        return answer.status, answer.getheader("X-Model-Version"), json.loads(answer.read())

    def versions(self, data: pd.DataFrame, count: int) -> list[str]:
        seen = []
        for _ in range(count):
            status, version, _ = self.predict(data)
            assert status == 200
            seen.append(version)
        return seen


def candidate_is(services, name, status):
    def check():
        found = services.deployments.get(name)
        candidate = found["candidate"]
        return found if candidate and candidate["status"] == status else None

    return check


def a_row_where_versions_differ(services) -> pd.DataFrame:
    data = frame(50, seed=7)
    one = expected(services, "models:/clf/1", data)
    two = expected(services, "models:/clf/2", data)
    index = next(i for i in range(len(data)) if one[i] != two[i])
    return data.iloc[[index]].reset_index(drop=True)


def gone(pid: int):
    started = processes.start_time(pid)
    return lambda: not processes.alive(pid, started)


def test_canary_rollback_shadow_promote_and_blue_green(services, supervisor):
    deployments = services.deployments
    row = a_row_where_versions_differ(services)
    answers = {v: expected(services, f"models:/clf/{v}", row) for v in ("1", "2")}
    resources = {"threads": 4, "gpus": ["1"]}
    deployments.deploy({"name": "traffic", "model_uri": "models:/clf/1", "resources": resources})
    ready = drive(supervisor, status_is(services, "traffic", "ready"), timeout=60)
    client = Client(ready)
    environ = dict(
        item.split("=", 1)
        for item in Path(f"/proc/{ready['pid']}/environ").read_text().split("\0")
        if "=" in item
    )
    assert environ["CUDA_VISIBLE_DEVICES"] == "1"
    assert environ["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert "--threads\x004\x00" in Path(f"/proc/{ready['pid']}/cmdline").read_text()

    # Canary: 30% of requests to version 2, each answered by the version it names.
    canary = {"type": "canary", "percent": 30}
    deployments.deploy({"name": "traffic", "model_uri": "models:/clf/2", "strategy": canary})
    split = drive(supervisor, candidate_is(services, "traffic", "ready"), timeout=60)
    assert split["traffic"]["stable"]["weight"] == 70.0
    assert split["traffic"]["candidate"] == {
        "version": "2",
        "mode": "canary",
        "weight": 30.0,
        "status": "ready",
    }
    assert split["strategy"] == "canary"  # the rollout in effect, not the first deploy's
    seen = []
    for _ in range(1000):
        status, version, body = client.predict(row)
        assert status == 200 and body["predictions"] == answers[version]
        seen.append(version)
    share = seen.count("2") / len(seen)
    assert 0.25 <= share <= 0.35, share  # 30% +- 3.4 standard deviations
    figures = {v["version"]: v for v in deployments.metrics("traffic")["versions"]}
    assert figures["1"]["requests"] + figures["2"]["requests"] >= 1000
    assert figures["2"]["role"] == "candidate" and figures["2"]["p99_ms"] > 0

    # Rollback: version 2 is dropped, version 1 takes everything again.
    dropped = deployments.get("traffic")
    deployments.rollback("traffic")
    back = drive(supervisor, status_is(services, "traffic", "ready", candidate=None))
    assert back["model_version"] == "1" and back["traffic"]["stable"]["weight"] == 100.0
    assert set(client.versions(row, 50)) == {"1"}
    assert kinds(services, "traffic")[-1] == "rolled_back"
    assert dropped["pid"] == back["pid"]  # the serving version never stopped

    # Shadow: version 2 gets a copy of every request; callers only see version 1.
    deployments.deploy(
        {"name": "traffic", "model_uri": "models:/clf/2", "strategy": {"type": "shadow"}}
    )
    drive(supervisor, candidate_is(services, "traffic", "ready"), timeout=60)
    for _ in range(50):
        status, version, body = client.predict(row)
        assert (status, version, body["predictions"]) == (200, "1", answers["1"])

    def copies():
        figures = {v["version"]: v for v in deployments.metrics("traffic")["versions"]}
        return figures["2"]["requests"] >= 50 and figures["2"]["errors"] == 0

    drive(supervisor, copies, timeout=10)

    # Promote under load: no request is dropped while version 2 takes over.
    old = deployments.get("traffic")
    statuses, versions, stop = [], [], threading.Event()

    def load():
        loader = Client(old)
        while not stop.is_set():
            status, version, _ = loader.predict(row)
            statuses.append(status)
            versions.append(version)

    old_gone = gone(old["pid"])
    thread = threading.Thread(target=load)
    thread.start()
    try:
        deployments.promote("traffic")
        promoted = drive(
            supervisor, status_is(services, "traffic", "ready", model_version="2", candidate=None)
        )
        drive(supervisor, old_gone, timeout=30)
        drive(supervisor, lambda: versions and versions[-1] == "2", timeout=10)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert statuses and set(statuses) == {200}, {s for s in statuses if s != 200}
    assert promoted["port"] == old["port"] and "promoted" in kinds(services, "traffic")
    assert promoted["strategy"] == "replace"  # one version takes all again: not "canary"

    # Blue/green: version 1 takes every request at once, version 2 stands by, warm.
    deployments.deploy(
        {"name": "traffic", "model_uri": "models:/clf/1", "strategy": {"type": "blue_green"}}
    )
    switched = drive(supervisor, candidate_is(services, "traffic", "ready"), timeout=60)
    assert switched["traffic"]["stable"]["weight"] == 0.0
    assert set(Client(switched).versions(row, 30)) == {"1"}
    assert processes.start_time(switched["pid"]) is not None  # blue still runs
    deployments.rollback("traffic")
    drive(supervisor, status_is(services, "traffic", "ready", candidate=None))
    assert set(Client(switched).versions(row, 30)) == {"2"}

    # The router dies: the supervisor starts another on the same public port, once the
    # clients it left half-connected let go of it (they close on the error, as any would).
    router = deployments.get("traffic")
    killed(router["router_pid"])
    for connected in clients:
        connected.connection.close()
    restarted = drive(
        supervisor,
        lambda: (
            (d := deployments.get("traffic"))["router_pid"] not in (None, router["router_pid"])
            and d
        ),
    )
    assert restarted["port"] == router["port"] and restarted["pid"] == router["pid"]
    assert "router_restarted" in kinds(services, "traffic")

    def answers() -> bool:
        try:
            return Client(restarted).predict(row)[0] == 200
        except ConnectionRefusedError:
            return False  # the new router is still starting

    drive(supervisor, answers, timeout=15)

    deployments.undeploy("traffic")
    drive(supervisor, status_is(services, "traffic", "stopped"), timeout=30)


def register_failing(services) -> None:
    mlflow.set_tracking_uri(services.config.tracking_uri)
    example = pd.DataFrame([[0.1, 0.2, 0.3, 0.4]], columns=COLUMNS)
    with mlflow.start_run(experiment_id=services.tracking.experiment_id("traffic")) as run:
        mlflow.pyfunc.log_model(
            name="model",
            python_model=str(FAILING_MODEL),
            input_example=example,
            pip_requirements=["pandas"],
        )
    services.registry.register(run.info.run_id, "clf")  # version 3


def test_a_failing_candidate_is_rolled_back_automatically(services, supervisor):
    register_failing(services)
    deployments = services.deployments
    deployments.deploy({"name": "guarded", "model_uri": "models:/clf/1"})
    ready = drive(supervisor, status_is(services, "guarded", "ready"), timeout=60)
    budget = {"error_rate": 0.1, "min_requests": 10}
    deployments.deploy(
        {
            "name": "guarded",
            "model_uri": "models:/clf/3",
            "strategy": {"type": "canary", "percent": 50},
            "budget": budget,
        }
    )
    drive(supervisor, candidate_is(services, "guarded", "ready"), timeout=60)
    client = Client(ready)
    failing = frame(1, seed=3).assign(a=0.9)
    statuses = [client.predict(failing)[0] for _ in range(60)]
    assert 400 in statuses and 200 in statuses  # the candidate fails, version 1 answers
    back = drive(supervisor, status_is(services, "guarded", "ready", candidate=None), timeout=30)
    assert back["model_version"] == "1"
    events = services.deployments.events("guarded")
    assert events[0]["kind"] == "auto_rollback"
    assert "error rate" in events[0]["message"] and "budget 10.0%" in events[0]["message"]
    assert set(client.versions(failing.assign(a=0.2), 20)) == {"1"}
    deployments.undeploy("guarded")
    drive(supervisor, status_is(services, "guarded", "stopped"), timeout=30)
