"""Jobs on a Ray cluster (executor "ray"): a real local head with a declared GPU, jobs
submitted through the Ray Jobs API by the same scheduler and lifecycle as local jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import mlflow
import pytest
from jobs_helpers import drive, drive_search, finished, job_scheduler, notebook, one_wave_search
from ray.job_submission import JobStatus, JobSubmissionClient
from ray_helpers import start_head

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.jobs.executors.ray import RayExecutor, submission_id
from jupyter_mlops.jobs.records import ExecutionStatus
from jupyter_mlops.services import Services
from jupyter_mlops.tracking import lineage

REPORT = """
import os, mlflow
mlflow.log_param("cuda_visible_devices", os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))
print("ran with x =", x)
"""
# Waits for `release` to exist, the first time only (the marker is written on the user's
# disk, outside the working directory Ray copies for each attempt).
HOLD = """
import os, time, pathlib
if not pathlib.Path(marker).exists():
    pathlib.Path(marker).write_text("first attempt")
    print("holding", flush=True)
    while not pathlib.Path(release).exists():
        time.sleep(0.2)
print("released", flush=True)
"""


@pytest.fixture(scope="module")
def head():
    started = start_head(gpus=1, cpus=4)
    yield started
    started.stop()


@pytest.fixture
def services(tmp_path, head):
    made = []

    def build() -> Services:
        config = resolve(
            root_dir=tmp_path, executor="ray", ray_address=head.jobs_api, job_pool_size=0
        )
        made.append(Services(config))
        return made[-1]

    yield build
    for each in made:
        for worker in each.agent_workers():
            worker.close()


def ray_status(head, execution_id: str) -> JobStatus:
    return JobSubmissionClient(head.jobs_api).get_job_status(submission_id(execution_id))


def ray_ends(head, execution_id: str, timeout: float = 60) -> JobStatus:
    deadline = time.monotonic() + timeout
    while not (status := ray_status(head, execution_id)).is_terminal():
        assert time.monotonic() < deadline, f"the Ray job is still {status}"
        time.sleep(0.2)
    return status


def log_of(services: Services, execution_id: str) -> str:
    return services.jobs.logs(execution_id)["text"]


def test_jobs_run_on_ray_with_exactly_their_gpus(tmp_path, services, head):
    notebook(tmp_path / "train" / "report.ipynb", "x = 1", REPORT)
    (tmp_path / "train" / "data.csv").write_text("a,b\n1,2\n")
    built = services()
    jobs, scheduler = built.jobs, job_scheduler(built)
    assert [gpu["id"] for gpu in jobs.gpu_inventory()] == ["0"]  # the cluster's one GPU
    one = jobs.submit(
        {"notebook": "train/report.ipynb", "parameters": {"x": 7}, "resources": {"gpus": 1}}
    )["execution"]
    none = jobs.submit({"notebook": "train/report.ipynb", "parameters": {"x": 8}})["execution"]
    ended = {
        e["id"]: drive(scheduler, lambda e=e: finished(jobs, e["id"]), timeout=240)
        for e in (one, none)
    }
    for execution in ended.values():
        assert execution["status"] == "succeeded", execution["error"]
        assert execution["host"] == "ray"
        # The worker records the end, then exits: Ray sees its job end a moment later.
        assert ray_ends(head, execution["id"]) == JobStatus.SUCCEEDED
    client = mlflow.MlflowClient(built.config.tracking_uri)
    seen = {}
    for execution in ended.values():
        run = client.get_run(execution["mlflow_run_id"])
        assert run.info.status == "FINISHED"
        assert run.data.tags[lineage.JOB_ID] == execution["id"]
        seen[execution["id"]] = run.data.params
        # The output notebook is the run's artifact: the cluster's disk is not the user's.
        outputs = [a.path for a in client.list_artifacts(run.info.run_id, "output")]
        assert outputs == ["output/report.ipynb"]
    # Ray reserved the GPU for the job that asked for one, and the other sees none.
    assert seen[one["id"]]["cuda_visible_devices"].split(",") == ["0"]
    assert seen[none["id"]]["cuda_visible_devices"] == ""
    assert seen[one["id"]]["x"] == "7" and seen[none["id"]]["x"] == "8"
    # Ray's log, copied into the execution's log the panel follows.
    assert "ran with x = 7" in log_of(built, one["id"])
    # Ended jobs are no longer followed: a long-lived agent does not fetch every old log.
    scheduler.tick()
    assert scheduler.executor._following == {}
    # The worker's log is kept with the run too: a server without the copy (another Lab
    # on the team's state DB) reads it from there.
    kept = mlflow.artifacts.download_artifacts(
        run_id=ended[one["id"]]["mlflow_run_id"],
        artifact_path="log/log.txt",
        dst_path=str(tmp_path / "kept"),
        tracking_uri=built.config.tracking_uri,
    )
    assert "ran with x = 7" in open(kept).read()
    built.jobs.lifecycle.paths(built.jobs.records.get(one["id"])).log.unlink()
    assert "ran with x = 7" in log_of(built, one["id"])


def test_more_gpus_than_the_cluster_has_are_refused_at_submission(tmp_path, services):
    notebook(tmp_path / "report.ipynb", "x = 1", REPORT)
    with pytest.raises(InvalidInput) as refused:
        services().jobs.submit({"notebook": "report.ipynb", "resources": {"gpus": 2}})
    assert refused.value.field == "resources.gpus"
    assert "has 1" in refused.value.message


def _hold(tmp_path, services, **spec):
    notebook(tmp_path / "hold.ipynb", "marker = ''\nrelease = ''", HOLD)
    built = services()
    body = {
        "notebook": "hold.ipynb",
        "parameters": {
            "marker": str(tmp_path / "marker"),
            "release": str(tmp_path / "release"),
        },
        **spec,
    }
    execution = built.jobs.submit(body)["execution"]
    scheduler = job_scheduler(built)
    drive(scheduler, lambda: "holding" in log_of(built, execution["id"]), timeout=240)
    return built, scheduler, execution


def test_cancel_stops_the_ray_job(tmp_path, services, head):
    built, scheduler, execution = _hold(tmp_path, services)
    built.jobs.cancel(execution["id"])
    ended = drive(scheduler, lambda: finished(built.jobs, execution["id"]), timeout=120)
    assert ended["status"] == "cancelled"
    assert ray_ends(head, execution["id"]) in (JobStatus.STOPPED, JobStatus.FAILED)
    assert not _worker_pids(execution["id"])


def test_a_job_killed_on_the_cluster_is_retried(tmp_path, services, head):
    built, scheduler, first = _hold(
        tmp_path, services, retry={"max_attempts": 2, "backoff_seconds": 0}
    )
    for pid in _worker_pids(first["id"]):
        os.kill(pid, signal.SIGKILL)
    failed = drive(scheduler, lambda: finished(built.jobs, first["id"]), timeout=120)
    assert failed["status"] == "failed"
    assert failed["error"]["kind"] == "lost_worker"
    retry = built.jobs.executions(limit=10)
    second = next(e for e in retry if e["retry_of"] == first["id"])
    ended = drive(scheduler, lambda: finished(built.jobs, second["id"]), timeout=240)
    assert ended["status"] == "succeeded", ended["error"]
    assert ended["attempt"] == 2 and "released" in log_of(built, second["id"])


def test_an_agent_restarted_mid_job_adopts_it(tmp_path, services, head):
    built, scheduler, execution = _hold(tmp_path, services)
    scheduler.close()  # the agent stops; the job runs on in the cluster
    again = services()  # a new agent, with no memory of the job
    successor = job_scheduler(again)
    successor.reconcile()
    assert again.jobs.execution(execution["id"])["status"] == "running"
    (tmp_path / "release").write_text("go")
    ended = drive(successor, lambda: finished(again.jobs, execution["id"]), timeout=120)
    assert ended["status"] == "succeeded", ended["error"]
    assert ended["attempt"] == 1
    assert not [e for e in again.jobs.executions(limit=10) if e["retry_of"] == execution["id"]]
    assert "released" in log_of(again, execution["id"])


def test_a_job_gets_the_requirements_it_names_for_itself_only(tmp_path, services):
    wheel = tiny_wheel(tmp_path / "wheels", "tinyreq", "VALUE = 42\n")
    notebook(
        tmp_path / "needs.ipynb",
        "x = 1",
        "import mlflow, tinyreq\nmlflow.log_param('tinyreq', tinyreq.VALUE)",
    )
    built = services()
    assert built.jobs.features.environments
    execution = built.jobs.submit({"notebook": "needs.ipynb", "requirements": [str(wheel)]})[
        "execution"
    ]
    ended = drive(job_scheduler(built), lambda: finished(built.jobs, execution["id"]), 300)
    assert ended["status"] == "succeeded", (ended["error"], log_of(built, execution["id"]))
    run = mlflow.MlflowClient(built.config.tracking_uri).get_run(ended["mlflow_run_id"])
    assert run.data.params["tinyreq"] == "42"
    with pytest.raises(ImportError):  # installed for the job, not into the cluster's env
        __import__("tinyreq")


def test_requirements_are_refused_where_jobs_share_one_environment(tmp_path):
    notebook(tmp_path / "needs.ipynb", "x = 1", "import tinyreq")
    local = Services(resolve(root_dir=tmp_path, environ={}))
    with pytest.raises(InvalidInput) as refused:
        local.jobs.submit({"notebook": "needs.ipynb", "requirements": ["tinyreq==1"]})
    assert refused.value.field == "requirements"
    assert "executor 'local'" in refused.value.message
    assert not local.jobs.executions()


def test_a_sweep_runs_on_ray_nested_under_its_parent_run(tmp_path, services):
    notebook(tmp_path / "report.ipynb", "x = 1", REPORT)
    built = services()
    sweep = built.jobs.submit({"notebook": "report.ipynb", "sweep": {"grid": {"x": [3, 4]}}})[
        "sweep"
    ]
    ended = [
        drive(job_scheduler(built), lambda e=e: finished(built.jobs, e["id"]), 240)
        for e in sweep["executions"]
    ]
    assert [e["status"] for e in ended] == ["succeeded", "succeeded"]
    client = mlflow.MlflowClient(built.config.tracking_uri)
    runs = [client.get_run(e["mlflow_run_id"]).data for e in ended]
    assert sorted(r.params["x"] for r in runs) == ["3", "4"]
    assert {r.tags["mlflow.parentRunId"] for r in runs} == {sweep["parent_run_id"]}


def test_a_search_runs_its_trials_as_ray_jobs(tmp_path, services, head):
    reports = "from jupyter_mlops import tracking\ntracking.report(0, x * x)"  # the search's metric
    notebook(tmp_path / "quad.ipynb", "x = 0.0", reports)
    built = services()
    search_id = built.tuning.submit(one_wave_search("quad.ipynb", seed=5))["search"]["id"]
    search = drive_search(built, search_id, timeout=120)
    assert search["counts"] == {"complete": 2, "running": 0, "pruned": 0, "fail": 0}
    for trial in search["trials"]:
        execution = built.jobs.execution(trial["execution_id"])
        assert execution["host"] == "ray"
        assert ray_ends(head, execution["id"]) == JobStatus.SUCCEEDED
        assert trial["value"] == pytest.approx(trial["params"]["x"] ** 2)
    parent = mlflow.MlflowClient(built.config.tracking_uri).get_run(search["parent_run_id"])
    assert parent.data.metrics["best_loss"] == pytest.approx(search["best"]["value"])


def test_an_execution_the_cluster_lost_is_failed_and_retried(tmp_path, services):
    # Ray forgot the job (its head restarted): the agent taking over fails it, by policy.
    notebook(tmp_path / "report.ipynb", "x = 1", REPORT)
    built = services()
    execution = built.jobs.submit(
        {"notebook": "report.ipynb", "retry": {"max_attempts": 2, "backoff_seconds": 0}}
    )["execution"]
    records = built.jobs.records
    assert records.claim(
        execution["id"],
        (ExecutionStatus.QUEUED,),
        ExecutionStatus.RUNNING,
        host="ray",
        pid_started="mlops-never-submitted",
    )
    job_scheduler(built).reconcile()
    lost = built.jobs.execution(execution["id"])
    assert lost["status"] == "failed" and lost["error"]["kind"] == "lost_worker"
    assert [e["attempt"] for e in built.jobs.executions() if e["retry_of"] == lost["id"]] == [2]


def test_executor_ray_needs_an_address(tmp_path):
    config = resolve(root_dir=tmp_path, executor="ray", environ={})
    # Refused where the configuration is read (server, agent, CLI), not at each agent step.
    with pytest.raises(InvalidInput) as refused:
        Services(config)
    assert refused.value.field == "ray_address"
    assert "JUPYTER_MLOPS_RAY_ADDRESS" in refused.value.message
    with pytest.raises(InvalidInput):
        RayExecutor(config)
    agent = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "agent"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "JUPYTER_MLOPS_EXECUTOR": "ray", "JUPYTER_MLOPS_RAY_ADDRESS": ""},
    )
    assert agent.returncode == 1
    assert agent.stderr.strip().splitlines() == [f"jupyter mlops agent: {refused.value.message}"]


def test_executor_ray_without_ray_installed_is_refused_with_the_install_command(tmp_path):
    # A fresh interpreter in which `import ray` fails, as in a base install.
    script = (
        "import sys; sys.modules['ray'] = None\n"
        "from jupyter_mlops.jobs import executors\n"
        "from jupyter_mlops.errors import InvalidInput\n"
        "try:\n"
        "    executors.load('ray')\n"
        "except InvalidInput as err:\n"
        "    print(err.field, '|', err.message)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == 'executor | executor "ray" needs Ray: pip install "jupyter_mlops[ray]"'


def _worker_pids(execution_id: str) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-f", f"jupyter_mlops.jobs.worker {execution_id}"],
        capture_output=True,
        text=True,
    ).stdout
    return [int(pid) for pid in found.split()]


def tiny_wheel(folder, name: str, source: str):
    """A pure-Python wheel with one module, built by hand: no build backend, no index."""
    import base64
    import hashlib
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    info = f"{name}-1.0.dist-info"
    files = {
        f"{name}.py": source,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel
