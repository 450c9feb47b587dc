"""The team stack (`jupyter mlops team up|status|down`): a real PostgreSQL, MLflow
tracking server and Ray head, started once for the module, and every door's verbs
used against them; then `down` must leave nothing running. A failed `up` must stop
what it started and say what failed in one line."""

from __future__ import annotations

import glob
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import mlflow
import nbformat
import numpy as np
import pandas as pd
import pytest
from binder_helpers import demo_agent, run_demo_and_check
from jobs_helpers import drive, finished, job_scheduler, notebook
from magic_helpers import mlops_shell
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

from jupyter_mlops.config import (
    EXECUTOR_ENV,
    RAY_ADDRESS_ENV,
    STATE_URL_ENV,
    TRACKING_URI_ENV,
    resolve,
)
from jupyter_mlops.features import Entity, FeatureService, FeatureView, Field, Float64, Int64
from jupyter_mlops.runtime import processes
from jupyter_mlops.services import Services
from jupyter_mlops.team import Team

CLI = str(Path(sys.executable).parent / "jupyter-mlops")
TEAM_ENV = (TRACKING_URI_ENV, STATE_URL_ENV, EXECUTOR_ENV, RAY_ADDRESS_ENV)


# What a job on the stack's cluster saw: its parameter, and that it had the state URL.
REPORT = """
import os, mlflow
mlflow.log_param("seen_state_url", os.environ["JUPYTER_MLOPS_STATE_URL"].split("+")[0])
print("ran with x =", x)
"""


def team(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, "team", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )


def short_folder() -> Path:
    # Short (Ray's unix sockets live under it) and reachable by the postgres user,
    # which PostgreSQL runs as when the tests run as root (pytest's tmp_path is not).
    folder = Path(tempfile.mkdtemp(prefix="mlops-team-"))
    folder.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def stack():
    if not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        pytest.fail("no PostgreSQL server: the README's test command installs Debian's postgresql")
    base = short_folder()
    project, folder = base / "project", base / "stack"
    project.mkdir()
    try:
        up = team("up", "--dir", str(folder), "--no-lab", "--cpus", "2", "--gpus", "1", cwd=project)
        assert up.returncode == 0, up.stderr
        env = {}
        for line in (folder / "secrets" / "team.env").read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = shlex.split(value)[0]
        manifest = json.loads((folder / "team.json").read_text())
        yield {"folder": folder, "project": project, "up": up, "env": env, "manifest": manifest}
    finally:
        # Whatever failed above: every service this module started is stopped.
        if team("down", "--dir", str(folder), cwd=project).returncode != 0:
            Team(folder, project).down()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def team_env(stack, monkeypatch):
    for key in TEAM_ENV:
        monkeypatch.setenv(key, stack["env"][key])
    return stack["env"]


@pytest.fixture
def services(stack, tmp_path):
    env = stack["env"]
    services = Services(
        resolve(
            home=tmp_path / ".mlops",
            tracking_uri=env[TRACKING_URI_ENV],
            state_url=env[STATE_URL_ENV],
            executor=env[EXECUTOR_ENV],
            ray_address=env[RAY_ADDRESS_ENV],
            root_dir=tmp_path,
            job_pool_size=0,
            environ={},
        )
    )
    yield services
    for worker in services.agent_workers():
        worker.close()
    services.close()


def password(stack) -> str:
    return (stack["folder"] / "secrets" / "postgres-password").read_text().strip()


def test_up_says_what_runs_where_and_shows_no_password(stack):
    out = stack["up"].stdout
    for said in ("PostgreSQL", "the MLflow server", "the Ray head", "export MLFLOW_TRACKING_URI"):
        assert said in out
    assert "JupyterLab" not in out  # --no-lab
    folder, secret = stack["folder"], password(stack)
    assert secret not in out + stack["up"].stderr
    for path in [folder / "team.json", *(folder / "logs").iterdir()]:
        assert secret not in path.read_text(errors="replace"), path
    # Nor in any command line a user of this machine can list.
    for service in stack["manifest"]["services"].values():
        for pid, _ in processes.family(service["pid"]):
            assert secret not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    assert (folder / "secrets").stat().st_mode & 0o777 == 0o700
    for secret_file in (folder / "secrets").iterdir():
        assert secret_file.stat().st_mode & 0o777 == 0o600, secret_file
    # The printed block reads the password from its file when pasted into a shell.
    assert f"$(cat {folder}/secrets/postgres-password)" in out


def test_status_lists_every_service_up(stack):
    done = team("status", "--dir", str(stack["folder"]), "--json", cwd=stack["project"])
    assert done.returncode == 0, done.stderr
    states = {name: s["state"] for name, s in json.loads(done.stdout)["services"].items()}
    assert states == {"postgres": "up", "mlflow": "up", "ray": "up"}
    assert password(stack) not in done.stdout


def test_track_and_the_batched_logger_write_through_the_tracking_server(
    stack, team_env, monkeypatch, tmp_path
):
    with mlops_shell(monkeypatch, tmp_path / ".mlops") as shell:
        shell.run_cell_magic(
            "track",
            "--experiment team --name on-server",
            "import mlflow\n"
            "from jupyter_mlops import tracking\n"
            "mlflow.log_param('lr', 0.1)\n"
            "for step in range(200):\n"
            "    tracking.log_metrics({'loss': 1 / (step + 1), 'acc': step / 200}, step=step)\n",
        )
    client = MlflowClient(team_env[TRACKING_URI_ENV])
    experiment = client.get_experiment_by_name("team")
    # The server keeps the artifacts (another machine of the team reads them there).
    assert experiment.artifact_location.startswith("mlflow-artifacts:")
    (run,) = client.search_runs([experiment.experiment_id], "attributes.run_name = 'on-server'")
    assert run.info.status == "FINISHED"
    assert run.data.params["lr"] == "0.1"
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 200
    assert run.data.metrics["acc"] == pytest.approx(199 / 200)
    snapshot = client.list_artifacts(run.info.run_id, "notebook")
    assert [a.path for a in snapshot] == ["notebook/cell.py"]
    kept = list((stack["folder"] / "artifacts").rglob("cell.py"))
    assert kept, "the cell was not stored by the server"


def test_runs_list_and_page_through_the_server_api(services, team_env):
    client = MlflowClient(team_env[TRACKING_URI_ENV])
    experiment_id = services.tracking.experiment_id("team-listing")
    made = {client.create_run(experiment_id).info.run_id for _ in range(5)}
    client.log_param(sorted(made)[0], "kind", "picked")
    # No SQL of MLflow's to read behind a server: every list goes through its API.
    assert services.tracking.engine is None
    seen, token = [], None
    while True:
        page = services.tracking.runs(experiment_id, max_results=2, page_token=token)
        seen += [run["run_id"] for run in page["runs"]]
        token = page["next_page_token"]
        if not token:
            break
    assert sorted(seen) == sorted(made)
    assert {run["run_id"] for run in services.tracking.all_runs(experiment_id)} == made
    picked = services.tracking.runs(experiment_id, filter="params.kind = 'picked'")
    assert [run["run_id"] for run in picked["runs"]] == [sorted(made)[0]]


def test_register_and_alias_on_the_server_registry(services, team_env):
    mlflow.set_tracking_uri(team_env[TRACKING_URI_ENV])
    X = np.random.default_rng(0).random((30, 4))
    model = LogisticRegression().fit(X, X[:, 0] > 0.5)
    with mlflow.start_run(experiment_id=services.tracking.experiment_id("team-models")) as run:
        mlflow.sklearn.log_model(model, name="model", input_example=X[:3])
    created = services.registry.register(run.info.run_id, "team-churn", alias="champion")
    assert created == {"name": "team-churn", "version": "1", "aliases": ["champion"]}
    services.registry.set_alias("team-churn", "challenger", "1")
    client = MlflowClient(team_env[TRACKING_URI_ENV])
    assert client.get_model_version_by_alias("team-churn", "challenger").run_id == run.info.run_id
    (listed,) = [m for m in services.registry.models() if m["name"] == "team-churn"]
    assert listed["aliases"] == {"champion": "1", "challenger": "1"}


def test_feature_view_ingest_materialize_and_look_up_on_postgres(services):
    assert services.config.state_url.startswith("postgresql+psycopg://")
    store = services.features
    driver = Entity("driver", join_keys=["driver_id"])
    view = FeatureView(
        name="team_driver_stats",
        entities=[driver],
        schema=[Field("rate", Float64), Field("trips", Int64)],
        ttl=timedelta(days=2),
    )
    store.apply([driver, view, FeatureService("team_svc", ["team_driver_stats:rate"])])
    events = pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-02"])
    rows = {"driver_id": [1, 1, 2], "event_timestamp": events, "rate": [0.1, 0.3, 0.2]}
    store.ingest("team_driver_stats", pd.DataFrame({**rows, "trips": [1, 2, 3]}))
    assert store.materialize("2026-01-01", "2026-01-31") == [
        {"view": "team_driver_stats", "version": 1, "rows": 2}
    ]
    assert store.get_online_features([{"driver_id": 1}, {"driver_id": 7}], "team_svc") == {
        "driver_id": [1, 7],
        "rate": [0.3, None],
    }


def test_mlops_status_json_on_the_stack_shows_no_password(stack, tmp_path):
    env = {**os.environ, **stack["env"]}
    done = subprocess.run(
        [CLI, "--home", str(tmp_path / ".mlops"), "status", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert password(stack) not in done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["state_url"].startswith("postgresql+psycopg://mlops:***@127.0.0.1:")
    assert report["tracking_uri"] == stack["env"][TRACKING_URI_ENV]
    assert report["executor"]["name"] == "ray"


def test_the_binder_demo_runs_top_to_bottom_on_the_stack(stack, team_env, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("JUPYTER_MLOPS_HOME", str(home))
    with demo_agent(home, tmp_path) as services:
        assert services.config.tracking_uri == team_env[TRACKING_URI_ENV]
        assert services.config.state_url == team_env[STATE_URL_ENV]
        run_demo_and_check(services, tmp_path)
        # The features went to the team's PostgreSQL, the model and its run to its server.
        views = services.features.views("customer_activity")
        assert [view["name"] for view in views] == ["customer_activity"]
    client = MlflowClient(team_env[TRACKING_URI_ENV])
    champion = client.get_model_version_by_alias("churn", "champion")
    assert client.get_run(champion.run_id).data.metrics["accuracy"] > 0.5


def test_a_notebook_job_runs_on_ray_with_its_run_on_the_server(services, team_env, tmp_path):
    path = notebook(tmp_path / "train.ipynb", "x = 0", REPORT)
    submitted = services.jobs.submit({"notebook": "train.ipynb", "parameters": {"x": 3}})
    execution = submitted["execution"]
    done = drive(job_scheduler(services), lambda: finished(services.jobs, execution["id"]))
    assert done["status"] == "succeeded", done["error"]
    assert done["host"] == "ray"
    client = MlflowClient(team_env[TRACKING_URI_ENV])
    run = client.get_run(done["mlflow_run_id"])
    assert run.data.params["x"] == "3"
    assert run.data.params["seen_state_url"] == "postgresql"  # the job had the stack's settings
    # The cluster's disk is not the user's: the output notebook and the log are the run's.
    out = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id,
        artifact_path=f"output/{path.name}",
        dst_path=str(tmp_path / "out"),
        tracking_uri=team_env[TRACKING_URI_ENV],
    )
    shown = [c for c in nbformat.read(out, as_version=4).cells if c.outputs]
    assert "ran with x = 3" in shown[-1].outputs[0]["text"]
    assert "ran with x = 3" in services.jobs.logs(execution["id"])["text"]


def test_a_second_up_on_a_running_stack_is_refused(stack):
    done = team("up", "--dir", str(stack["folder"]), "--no-lab", cwd=stack["project"])
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"jupyter mlops team: a team stack already runs in {stack['folder']} (`team down` first)"
    )


def test_a_bad_folder_is_refused_in_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    done = team("up", "--dir", str(tmp_path / "file" / "stack"), "--no-lab", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("jupyter mlops team: cannot keep the team stack in ")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_failed_up_stops_what_it_started_and_says_what_failed():
    base = short_folder()
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        folder = base / "stack"
        done = team("up", "--dir", str(folder), "--no-lab", "--mlflow-port", str(port), cwd=base)
        assert done.returncode == 1
        assert done.stderr.strip() == (
            f"jupyter mlops team: the MLflow server did not start: port {port} is taken; "
            "stopped what had started"
        )
        # PostgreSQL had started: it is stopped again.
        started = json.loads((folder / "team.json").read_text())["services"]
        assert set(started) == {"postgres"}
        assert not processes.alive(started["postgres"]["pid"], started["postgres"]["started"])
    finally:
        taken.close()
        Team(base / "stack", base).down()
        shutil.rmtree(base, ignore_errors=True)


def test_down_leaves_nothing_running_and_twice_is_fine(stack):
    # Last in this module: the stack is gone after it.
    members = [
        member
        for service in stack["manifest"]["services"].values()
        for member in processes.family(service["pid"])
    ]
    assert len(members) > 3
    folder, project = str(stack["folder"]), stack["project"]
    done = team("down", "--dir", folder, cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped postgres, mlflow, ray"
    assert [pid for pid, started in members if processes.alive(pid, started)] == []
    again = team("down", "--dir", folder, cwd=project)
    assert (again.returncode, again.stdout.strip()) == (0, "nothing was running")
    status = team("status", "--dir", folder, "--json", cwd=project)
    assert status.returncode == 1
    assert {s["state"] for s in json.loads(status.stdout)["services"].values()} == {"down"}
