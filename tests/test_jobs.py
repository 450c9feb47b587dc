"""Notebook jobs with real kernels and papermill: no mocks of execution."""

import os
import signal
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from jobs_helpers import drive, finished, job_scheduler, notebook
from mlflow import MlflowClient

from jupyter_mlops.agent import Agent
from jupyter_mlops.config import resolve
from jupyter_mlops.errors import Conflict, InvalidInput
from jupyter_mlops.features import Entity, FeatureView, Field, Float64
from jupyter_mlops.runtime import processes
from jupyter_mlops.services import Services
from jupyter_mlops.tracking import lineage

PARAMS = "alpha: float = 0.5  # learning rate\nepochs = 3\nname = 'base'\nflags = [1]"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobs-root")
    notebook(
        root / "train.ipynb",
        PARAMS,
        "import mlflow, os\n"
        "mlflow.log_metric('score', alpha * epochs)\n"
        "print('GPUS=' + os.environ.get('CUDA_VISIBLE_DEVICES', 'unset'))",
    )
    notebook(root / "failing.ipynb", "x = 1", "y = 2", "raise ValueError('diverged')", "z = 3")
    notebook(root / "sleepy.ipynb", "seconds = 30", "import time\ntime.sleep(seconds)")
    notebook(root / "suicide.ipynb", "x = 1", "import os, signal\nos.kill(os.getpid(), 9)")
    notebook(root / "untagged.ipynb", None, "x = 1")
    return root


@pytest.fixture
def services(root):
    services = Services(resolve(root_dir=root, gpus=["0", "1"], environ={}))
    services.tracking.client  # noqa: B018
    yield services
    services.close()


@pytest.fixture
def scheduler(services):
    scheduler = job_scheduler(services)
    yield scheduler
    scheduler.close()


def submit(services, **body):
    return services.jobs.submit(body)["execution"]


def test_parameters_are_read_with_types_defaults_and_help(services):
    found = {p["name"]: p for p in services.jobs.parameters("train.ipynb")["parameters"]}
    assert found["alpha"] == {
        "name": "alpha",
        "type": "float",
        "default": 0.5,
        "help": "learning rate",
    }
    assert found["epochs"]["type"] == "int" and found["epochs"]["default"] == 3
    assert found["name"]["type"] == "str" and found["flags"]["type"] == "list"


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"notebook": "untagged.ipynb"}, "notebook", "no parameters cell; tag the cell"),
        ({"notebook": "../elsewhere.ipynb"}, "notebook", "outside the server root"),
        ({"notebook": "/etc/passwd"}, "notebook", "outside the server root"),
        ({"notebook": "missing.ipynb"}, "notebook", "no notebook at"),
        ({"notebook": "train.ipynb", "parameters": {"beta": 1}}, "parameters.beta", "unknown"),
        ({"notebook": "train.ipynb", "parameters": {"epochs": "x"}}, "parameters.epochs", "int"),
        ({"notebook": "train.ipynb", "parameters": {"alpha": [1]}}, "parameters.alpha", "float"),
        ({"notebook": "train.ipynb", "kernel": "nope"}, "kernel", "no kernel 'nope'"),
        ({"notebook": "train.ipynb", "resources": {"gpus": 3}}, "resources.gpus", "has 2"),
        ({"notebook": "train.ipynb", "resources": {"gpus": -1}}, "resources.gpus", "minimum"),
        ({"notebook": "train.ipynb", "schedule": {"cron": "* *"}}, "schedule.cron", "cron"),
        (
            {"notebook": "train.ipynb", "schedule": {"cron": "0 0 31 2 *"}},
            "schedule.cron",
            "never run",
        ),
        (
            {"notebook": "train.ipynb", "schedule": {"cron": "* * * * *", "timezone": "Mars/Base"}},
            "schedule.timezone",
            "time zone",
        ),
        ({"notebook": "train.ipynb", "retry": {"max_attempts": 0}}, "retry.max_attempts", ""),
        ({"notebook": "train.ipynb", "colour": "red"}, "colour", "Additional properties"),
    ],
)
def test_bad_job_specs_are_refused_naming_the_field(services, body, field, message):
    before = len(services.job_lifecycle.records.executions(limit=None))
    with pytest.raises(InvalidInput) as caught:
        services.jobs.submit(body)
    assert caught.value.field == field
    assert message in caught.value.message
    assert len(services.job_lifecycle.records.executions(limit=None)) == before  # nothing written


def test_a_job_is_one_mlflow_run_with_its_params_output_and_lineage(services, scheduler, root):
    execution = submit(services, notebook="train.ipynb", parameters={"alpha": "2", "epochs": 4})
    assert execution["spec"]["parameters"] == {"alpha": 2.0, "epochs": 4}
    done = drive(scheduler, lambda: finished(services.jobs, execution["id"]))
    assert done["status"] == "succeeded", done["error"]
    assert done["progress"]["done"] == done["progress"]["total"] > 0

    client = MlflowClient(services.config.tracking_uri)
    run = client.get_run(done["mlflow_run_id"])
    assert run.info.status == "FINISHED"
    # The overrides, and the parameters cell's defaults for the rest.
    assert run.data.params == {"alpha": "2.0", "epochs": "4", "name": "base", "flags": "[1]"}
    assert run.data.tags[lineage.PARAMS_OVERRIDDEN] == "alpha,epochs"
    assert run.data.metrics["score"] == 8.0  # the notebook's own mlflow call, same run
    assert run.data.tags[lineage.JOB_ID] == execution["id"]
    assert run.data.tags[lineage.SOURCE_NOTEBOOK] == "train.ipynb"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "output")}
    assert artifacts == {"output/train.ipynb"}
    # Its log too, as it stood when the run closed: readable where this disk is not.
    assert [a.path for a in client.list_artifacts(run.info.run_id, "log")] == ["log/log.txt"]

    output = nbformat.read(root / done["output_path"], as_version=4)
    injected = [c for c in output.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "alpha = 2.0" in injected[0].source  # papermill's translator, not our formatting
    assert "GPUS=" in "".join(o.get("text", "") for c in output.cells for o in c.get("outputs", []))
    inputs = done["inputs"]
    assert len(inputs["notebook_sha256"]) == 64 and inputs["kernel"] == "python3"
    log = services.jobs.logs(execution["id"])
    assert "GPUS=" in log["text"]
    assert services.jobs.logs(execution["id"], log["next"])["text"] == ""  # followed to the end
    with pytest.raises(InvalidInput) as caught:
        services.jobs.logs(execution["id"], 2**62)  # the OS refused the seek: a 500
    assert caught.value.field == "offset" and "past the end" in caught.value.message


def test_a_failing_cell_fails_the_job_and_keeps_the_output_so_far(services, scheduler, root):
    execution = submit(services, notebook="failing.ipynb")
    done = drive(scheduler, lambda: finished(services.jobs, execution["id"]))
    assert done["status"] == "failed"
    assert done["error"]["ename"] == "ValueError" and done["error"]["evalue"] == "diverged"
    output = nbformat.read(root / done["output_path"], as_version=4)
    ran = [c.execution_count for c in output.cells if c.cell_type == "code"]
    assert ran[-1] is None and ran[-2] is not None  # stopped at the failing cell
    run = MlflowClient(services.config.tracking_uri).get_run(done["mlflow_run_id"])
    assert run.info.status == "FAILED"


@pytest.mark.parametrize("warm", [False, True], ids=["own-kernel", "pool-kernel"])
def test_a_timeout_fails_the_job(services, scheduler, warm):
    if warm:  # the kernel was started before the job: the pool's path, not the worker's own
        drive(scheduler, lambda: scheduler.executor.ready() == services.config.job_pool_size)
    execution = submit(services, notebook="sleepy.ipynb", timeout=3)
    started = time.monotonic()
    pid = drive(scheduler, lambda: services.jobs.execution(execution["id"])["pid"])
    assert ("--standby" in Path(f"/proc/{pid}/cmdline").read_text()) is warm
    done = drive(scheduler, lambda: finished(services.jobs, execution["id"]), timeout=60)
    assert done["status"] == "failed" and done["error"]["ename"] == "Timeout"
    # The worker's own timer ended it, not the scheduler's stop after the grace period.
    assert time.monotonic() - started < 20


def test_a_dead_kernel_fails_the_job(services, scheduler):
    execution = submit(services, notebook="suicide.ipynb")
    done = drive(scheduler, lambda: finished(services.jobs, execution["id"]))
    assert done["status"] == "failed"
    assert "Dead" in done["error"]["ename"] or "died" in done["error"]["evalue"].lower()


def family(pid: int) -> dict[int, str]:
    """A process and all its descendants (the worker and its kernel), with start times."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = {}, [pid]
    while todo:
        current = todo.pop()
        started = processes.start_time(current)
        if started is not None:
            found[current] = started
            todo += children.get(current, [])
    return found


def still_running(started: dict[int, str]) -> list[int]:
    return [pid for pid, start in started.items() if processes.start_time(pid) == start]


def test_cancel_stops_the_worker_and_its_kernel(services, scheduler):
    execution = submit(services, notebook="sleepy.ipynb")
    drive(scheduler, lambda: services.jobs.execution(execution["id"])["progress"]["done"] >= 1)
    started = family(services.jobs.execution(execution["id"])["pid"])
    assert len(started) >= 2  # the worker and its kernel
    services.jobs.cancel(execution["id"])
    done = drive(scheduler, lambda: finished(services.jobs, execution["id"]))
    assert done["status"] == "cancelled"
    deadline = time.monotonic() + 10
    while still_running(started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert still_running(started) == []
    with pytest.raises(Conflict):
        services.jobs.cancel(execution["id"])


def test_a_cancelled_pool_job_ends_its_warm_worker_which_is_replaced(services, scheduler):
    # A pruned trial is a cancel: the agent must not wait out the stop's grace and then
    # SIGKILL a worker that went on to its next kernel.
    drive(scheduler, lambda: scheduler.executor.ready() == services.config.job_pool_size)
    execution = submit(services, notebook="sleepy.ipynb")
    pid = drive(scheduler, lambda: services.jobs.execution(execution["id"])["pid"])
    worker = next(p for p in scheduler.executor._pool if p.pid == pid)
    drive(scheduler, lambda: services.jobs.execution(execution["id"])["progress"]["done"] >= 1)
    services.jobs.cancel(execution["id"])
    done = drive(scheduler, lambda: finished(services.jobs, execution["id"]))
    assert done["status"] == "cancelled"
    assert worker.wait(timeout=10) == 0  # it ended itself: not killed after the grace
    drive(scheduler, lambda: scheduler.executor.ready() == services.config.job_pool_size)
    assert pid not in {p.pid for p in scheduler.executor._pool}


def test_stopping_a_group_whose_leader_exited_does_not_wait_for_it_to_be_reaped(tmp_path):
    import subprocess
    import sys

    leader = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    deadline = time.monotonic() + 30
    while processes.start_time(leader.pid) is not None and time.monotonic() < deadline:
        time.sleep(0.05)  # exited, and left a zombie: nobody has reaped it yet
    started = time.monotonic()
    processes.stop_group(leader.pid, grace=60)
    assert time.monotonic() - started < 30  # returned at once, not after the grace
    assert leader.wait(timeout=5) == 0  # and it was not signalled


def test_a_queued_job_cancels_at_once(services):
    execution = submit(services, notebook="train.ipynb")
    assert services.jobs.cancel(execution["id"])["status"] == "cancelled"


def test_agent_restart_reconciles_a_job_left_running(services, scheduler):
    execution = submit(
        services, notebook="sleepy.ipynb", retry={"max_attempts": 2, "backoff_seconds": 0}
    )
    running = drive(
        scheduler,
        lambda: (e := services.jobs.execution(execution["id"]))["pid"] and e["progress"]["done"],
    )
    assert running
    worker = services.jobs.execution(execution["id"])["pid"]
    started = processes.start_time(worker)
    os.killpg(worker, signal.SIGKILL)  # the worker dies with the agent that watched it
    deadline = time.monotonic() + 10
    while processes.alive(worker, started) and time.monotonic() < deadline:
        time.sleep(0.05)

    fresh = job_scheduler(services)  # a new agent takes the lease and reconciles
    fresh.reconcile()
    lost = services.jobs.execution(execution["id"])
    assert lost["status"] == "failed" and lost["error"]["ename"] == "WorkerLost"
    retry = [e for e in services.jobs.executions() if e["retry_of"] == execution["id"]]
    assert len(retry) == 1 and retry[0]["attempt"] == 2 and retry[0]["status"] == "queued"
    services.jobs.cancel(retry[0]["id"])


def test_gpus_are_given_exclusively_and_a_job_waits_for_free_ones(services, scheduler, root):
    notebook(
        root / "gpu.ipynb",
        "seconds = 3",
        "import os, time\n"
        "print('GPUS=' + os.environ['CUDA_VISIBLE_DEVICES'], os.environ['CUDA_DEVICE_ORDER'])\n"
        "time.sleep(seconds)",
    )
    ids = [submit(services, notebook="gpu.ipynb", resources={"gpus": 1})["id"] for _ in range(3)]
    scheduler.tick()
    states = {i: services.jobs.execution(i) for i in ids}
    running = [e for e in states.values() if e["status"] == "running"]
    assert len(running) == 2 and states[ids[2]]["status"] == "queued"
    assert sorted(g for e in running for g in e["gpu_ids"]) == ["0", "1"]

    done = drive(scheduler, lambda: all(finished(services.jobs, i) for i in ids), timeout=180)
    assert done
    final = [services.jobs.execution(i) for i in ids]
    assert all(e["status"] == "succeeded" for e in final), [e["error"] for e in final]
    third = final[2]
    assert third["started_at"] >= min(e["finished_at"] for e in final[:2]) - 1
    for execution in final:
        log = services.jobs.logs(execution["id"])["text"]
        # Exactly the GPU it was given, numbered as nvidia-smi numbers it.
        assert f"GPUS={execution['gpu_ids'][0]} PCI_BUS_ID" in log


def test_two_agents_on_one_home_run_a_cron_tick_once(services, root):
    submitted = services.jobs.submit({"notebook": "train.ipynb", "schedule": {"cron": "* * * * *"}})
    definition = submitted["definition"]
    due = time.time() - 1
    records = services.job_lifecycle.records
    records.advance_schedule(definition["id"], definition["next_run_at"], due)

    other = Services(resolve(root_dir=root, gpus=["0", "1"], environ={}))
    agents = [
        Agent(services.store, [job_scheduler(services)]),
        Agent(other.store, [job_scheduler(other)]),
    ]
    for _ in range(3):
        for agent in agents:
            agent.step()
    created = [e for e in services.jobs.executions() if e["definition_id"] == definition["id"]]
    assert len(created) == 1
    assert sum(agent.leader for agent in agents) == 1
    # Even schedulers ticking without the lease enqueue a due tick once.
    records.advance_schedule(definition["id"], services.jobs.definitions()[0]["next_run_at"], due)
    for scheduler in (job_scheduler(services), job_scheduler(other)):
        scheduler._enqueue_due(time.time())
    created = [e for e in services.jobs.executions() if e["definition_id"] == definition["id"]]
    assert len(created) == 2
    for execution in created:
        if execution["status"] == "queued":
            services.jobs.cancel(execution["id"])
    for agent in agents:
        agent.release()
    other.close()


def test_rerun_repeats_the_recorded_spec(services, scheduler):
    first = submit(services, notebook="train.ipynb", parameters={"epochs": 5})
    again = services.jobs.rerun(first["id"])
    assert again["rerun_of"] == first["id"] and again["spec"] == first["spec"]
    for execution in (first, again):
        services.jobs.cancel(execution["id"])


def test_a_sweep_submits_one_job_per_combination_under_a_parent_run(services, scheduler):
    submitted = services.jobs.submit(
        {
            "notebook": "train.ipynb",
            "parameters": {"epochs": 2},
            "sweep": {
                "grid": {"alpha": [0.1, 0.2, 0.3], "name": ["a", "b"]},
                "samples": 2,
                "seed": 7,
            },
        }
    )["sweep"]
    executions = submitted["executions"]
    assert len(executions) == 2
    assert all(e["spec"]["parameters"]["epochs"] == 2 for e in executions)
    assert (
        len(
            {
                (e["spec"]["parameters"]["alpha"], e["spec"]["parameters"]["name"])
                for e in executions
            }
        )
        == 2
    )
    drive(scheduler, lambda: all(finished(services.jobs, e["id"]) for e in executions))
    client = MlflowClient(services.config.tracking_uri)
    for execution in executions:
        run = client.get_run(services.jobs.execution(execution["id"])["mlflow_run_id"])
        assert run.data.tags["mlflow.parentRunId"] == submitted["parent_run_id"]

    with pytest.raises(InvalidInput) as caught:
        services.jobs.submit({"notebook": "train.ipynb", "sweep": {"grid": {"epochs": [1, "x"]}}})
    assert caught.value.field == "parameters.epochs"


def test_reproduce_reports_matching_metrics_then_what_changed(services, root):
    notebook(root / "repro.ipynb", "k = 2", "import mlflow\nmlflow.log_metric('m', k * 21)")
    first = services.jobs.run_here({"notebook": "repro.ipynb"})
    assert first["status"] == "succeeded"
    same = services.jobs.reproduce(first["id"])
    assert same["reproduced"] is True and same["metric_differences"] == {}
    assert same["execution"]["rerun_of"] == first["id"]

    notebook(root / "repro.ipynb", "k = 2", "import mlflow\nmlflow.log_metric('m', k * 20)")
    changed = services.jobs.reproduce(first["id"])
    assert changed["reproduced"] is False
    assert changed["metric_differences"] == {"m": {"before": 42.0, "after": 40.0}}
    assert "notebook_sha256" in changed["input_differences"]


def test_a_jobs_training_set_records_its_feature_versions(services, root):
    driver = Entity("driver", join_keys=["driver_id"])
    view = FeatureView("driver_stats", entities=[driver], schema=[Field("rate", Float64)])
    services.features.apply([driver, view])
    services.features.ingest(
        "driver_stats",
        pd.DataFrame(
            {"driver_id": [1], "event_timestamp": pd.to_datetime(["2026-01-01"]), "rate": [0.5]}
        ),
    )
    notebook(
        root / "features.ipynb",
        "day = '2026-01-02'",
        "import pandas as pd\nfrom jupyter_mlops import features\n"
        "entity_df = pd.DataFrame({'driver_id': [1], 'event_timestamp': pd.to_datetime([day])})\n"
        "print(features.get_historical_features(entity_df, ['driver_stats:rate'])['rate'][0])",
    )
    done = services.jobs.run_here({"notebook": "features.ipynb"})
    assert done["status"] == "succeeded", done["error"]
    assert done["inputs"]["features"] == "driver_stats@1"
    run = MlflowClient(services.config.tracking_uri).get_run(done["mlflow_run_id"])
    assert run.data.tags["mlops.features"] == "driver_stats@1"
