"""The job lifecycle owner under failure: every failure kind goes to the retry policy,
on the warm-pool path (a standby worker's kernel) and on the no-pool path (a worker
started for the job), and no failure leaves an MLflow run RUNNING. Real kernels,
papermill and process kills; only a refused process start is simulated."""

import os
import signal
from pathlib import Path

import pytest
from jobs_helpers import drive, job_scheduler, notebook
from mlflow import MlflowClient

from jupyter_mlops.config import resolve
from jupyter_mlops.jobs.executors.local import LocalExecutor
from jupyter_mlops.jobs.records import FINISHED
from jupyter_mlops.services import Services

PATHS = ["no-pool", "pool"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("lifecycle-root")
    notebook(root / "failing.ipynb", "x = 1", "raise ValueError('diverged')")
    notebook(root / "suicide.ipynb", "x = 1", "import os, signal\nos.kill(os.getpid(), 9)")
    notebook(root / "sleepy.ipynb", "seconds = 30", "import time\ntime.sleep(seconds)")
    return root


def build(root: Path, path: str, **options) -> Services:
    pool = 1 if path == "pool" else 0
    services = Services(resolve(root_dir=root, job_pool_size=pool, environ={}), **options)
    services.tracking.client  # noqa: B018 - the store exists before any worker opens it
    return services


@pytest.fixture(params=PATHS)
def path(request):
    return request.param


@pytest.fixture
def services(root, path):
    services = build(root, path)
    yield services
    services.close()


@pytest.fixture
def scheduler(services, path):
    scheduler = job_scheduler(services)
    if path == "pool":  # a standby worker has its kernel up before the job is known
        drive(scheduler, lambda: scheduler.executor.ready() >= 1)
    yield scheduler
    scheduler.close()


def attempts(services, first_id: str) -> list[dict]:
    """The first execution and each retry of it, in order."""
    chain = [services.jobs.execution(first_id)]
    while True:
        following = [e for e in services.jobs.executions() if e["retry_of"] == chain[-1]["id"]]
        if not following:
            return chain
        chain.append(following[0])


def ended(services, first_id: str, count: int):
    def check():
        chain = attempts(services, first_id)
        done = len(chain) == count and all(e["status"] in FINISHED for e in chain)
        return chain if done else None

    return check


def run_status(services, execution: dict) -> str:
    client = MlflowClient(services.config.tracking_uri)
    return client.get_run(execution["mlflow_run_id"]).info.status


def on_path(execution: dict, path: str) -> bool:
    """Whether a started execution ran where the test meant: a standby worker or its own."""
    return ("--standby" in Path(f"/proc/{execution['pid']}/cmdline").read_text()) is (
        path == "pool"
    )


def test_a_failing_notebook_runs_as_many_times_as_its_attempts_with_backoff(services, scheduler):
    first = services.jobs.submit(
        {"notebook": "failing.ipynb", "retry": {"max_attempts": 3, "backoff_seconds": 1}}
    )["execution"]
    chain = drive(scheduler, ended(services, first["id"], 3), timeout=180)
    assert [e["attempt"] for e in chain] == [1, 2, 3]
    for previous, retry in zip(chain, chain[1:], strict=False):
        assert retry["retry_of"] == previous["id"]
        # Exponential backoff: 1 s after the first failure, 2 s after the second.
        delay = retry["not_before"] - previous["finished_at"]
        assert delay == pytest.approx(2 ** (previous["attempt"] - 1), abs=0.5)
    for execution in chain:
        assert execution["status"] == "failed"
        assert execution["error"]["kind"] == "notebook_error"
        assert execution["error"]["ename"] == "ValueError"
        assert run_status(services, execution) == "FAILED"
    assert len({e["mlflow_run_id"] for e in chain}) == 3  # each attempt its own run
    # The third was the last: nothing queued after it.
    assert attempts(services, first["id"]) == chain


def test_a_killed_kernel_is_retried(services, scheduler, path):
    first = services.jobs.submit(
        {"notebook": "suicide.ipynb", "retry": {"max_attempts": 2, "backoff_seconds": 0}}
    )["execution"]
    chain = drive(scheduler, ended(services, first["id"], 2), timeout=180)
    for execution in chain:
        assert execution["status"] == "failed"
        assert execution["error"]["kind"] == "dead_kernel", execution["error"]
        assert run_status(services, execution) == "FAILED"


def test_a_timeout_is_retried(services, scheduler, path):
    first = services.jobs.submit(
        {
            "notebook": "sleepy.ipynb",
            "timeout": 2,
            "retry": {"max_attempts": 2, "backoff_seconds": 0},
        }
    )["execution"]
    running = drive(scheduler, lambda: (e := services.jobs.execution(first["id"]))["pid"] and e)
    assert on_path(running, path)
    chain = drive(scheduler, ended(services, first["id"], 2), timeout=120)
    for execution in chain:
        assert execution["status"] == "failed"
        assert execution["error"]["kind"] == "timeout"
        assert run_status(services, execution) == "FAILED"


def test_a_lost_worker_is_retried_and_its_run_closed(services, scheduler, path):
    first = services.jobs.submit(
        {"notebook": "sleepy.ipynb", "retry": {"max_attempts": 2, "backoff_seconds": 0}}
    )["execution"]
    running = drive(
        scheduler,
        lambda: (e := services.jobs.execution(first["id"]))["progress"]["done"] >= 1 and e,
    )
    assert on_path(running, path)
    os.killpg(running["pid"], signal.SIGKILL)  # the worker and its kernel, without a word

    lost = drive(scheduler, lambda: (e := services.jobs.execution(first["id"]))["error"] and e)
    assert lost["status"] == "failed"
    assert lost["error"]["kind"] == "lost_worker" and lost["error"]["ename"] == "WorkerLost"
    assert run_status(services, lost) == "FAILED"
    retry = attempts(services, first["id"])[1]
    assert retry["attempt"] == 2
    services.jobs.cancel(retry["id"])
    drive(scheduler, lambda: services.jobs.execution(retry["id"])["status"] in FINISHED)


class UnstartableExecutor(LocalExecutor):
    """The local executor on a host that refuses it: no process can be started, and the
    standby worker a job was to go to has just gone."""

    def start(self, execution):
        if self.config.job_pool_size == 0:
            raise OSError(11, "Resource temporarily unavailable")
        return super().start(execution)

    def _take_standby(self, execution):
        if self.ready():
            raise BrokenPipeError(32, "the standby worker went away")
        raise AssertionError("the pool path was meant: a standby worker should be ready")


def test_a_start_failure_closes_the_run_it_opened_and_is_retried(root, path):
    services = build(root, path, executor_class=UnstartableExecutor)
    scheduler = job_scheduler(services)
    try:
        if path == "pool":
            drive(scheduler, lambda: scheduler.executor.ready() >= 1)
        first = services.jobs.submit(
            {"notebook": "failing.ipynb", "retry": {"max_attempts": 2, "backoff_seconds": 0}}
        )["execution"]
        chain = drive(scheduler, ended(services, first["id"], 2), timeout=60)
        for execution in chain:
            assert execution["status"] == "failed"
            assert execution["error"]["kind"] == "failed_start"
            assert execution["pid"] is None  # it never ran
            # The run it opened is linked and ended, not left RUNNING.
            assert execution["mlflow_run_id"] is not None
            assert run_status(services, execution) == "FAILED"
    finally:
        scheduler.close()
        services.close()


def test_cancel_is_a_request_the_owner_honours(root):
    services = build(root, "no-pool")
    scheduler = job_scheduler(services)
    try:
        execution = services.jobs.submit(
            {"notebook": "sleepy.ipynb", "retry": {"max_attempts": 3, "backoff_seconds": 0}}
        )["execution"]
        drive(scheduler, lambda: services.jobs.execution(execution["id"])["progress"]["done"])
        requested = services.jobs.cancel(execution["id"])
        # Asked, not done: the agent stops the worker and records how it ended.
        assert requested["status"] == "running" and requested["cancel_requested"]
        done = drive(
            scheduler,
            lambda: (e := services.jobs.execution(execution["id"]))["status"] in FINISHED and e,
        )
        assert done["status"] == "cancelled"
        assert run_status(services, done) == "KILLED"
        # A cancelled execution is never retried.
        assert attempts(services, execution["id"]) == [done]
    finally:
        scheduler.close()
        services.close()


def test_run_here_retries_in_the_foreground(root):
    """`jupyter mlops run` (the CLI in CI) has no agent: it runs each attempt itself."""
    services = build(root, "no-pool")
    try:
        last = services.jobs.run_here(
            {"notebook": "failing.ipynb", "retry": {"max_attempts": 2, "backoff_seconds": 0}}
        )
        assert last["attempt"] == 2 and last["status"] == "failed"
        chain = [services.jobs.execution(last["retry_of"]), last]
        for execution in chain:
            assert execution["error"]["kind"] == "notebook_error"
            assert execution["pid"] == os.getpid()  # recorded as run by this process
            assert run_status(services, execution) == "FAILED"
        assert attempts(services, chain[0]["id"]) == chain  # two attempts, no third
    finally:
        services.close()
