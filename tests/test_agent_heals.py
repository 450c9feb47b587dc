"""The agent heals itself: real `jupyter mlops agent` processes on a state DB that is
unwritable or on a full disk, and an MLflow store deleted under them. Each must say so
once, wait, and run queued work on its own once the store is usable again."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from disk_helpers import ended, fill, poll, read_only, start_agent, stop, submit, tmpfs
from jobs_helpers import notebook

from jupyter_mlops.store import StateStore

__all__ = ["tmpfs"]  # the fixture, used here

UNUSABLE = "state store unusable"
USABLE_AGAIN = "state store usable again"


def keeps_failing_quietly(agent: subprocess.Popen, log: Path, seconds: float = 3.0) -> None:
    """Over `seconds` of retries (15 steps at the agent's interval) the failure is logged
    once, without a traceback, and the agent keeps running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = log.read_text()
        assert agent.poll() is None, text
        assert text.count(UNUSABLE) == 1, text
        assert "Traceback" not in text, text
        time.sleep(0.2)


def test_agent_started_on_a_full_disk_runs_work_queued_after_space_is_freed(tmpfs, tmp_path):
    home = tmpfs / ".mlops"
    store = StateStore(f"sqlite:///{home}/state.db")
    store.migrate()
    store.dispose()
    notebook(tmpfs / "job.ipynb", "x = 1", "print(x)")
    filler = fill(tmpfs)
    log = tmp_path / "agent.log"  # off the full disk
    agent = start_agent(home, log)
    try:
        poll(lambda: UNUSABLE in log.read_text(), 60, "reporting the full disk")
        assert "the disk is full" in log.read_text()
        keeps_failing_quietly(agent, log)

        filler.unlink()
        execution_id = submit(home, "job.ipynb")
        done = poll(lambda: ended(home, execution_id), 120, "running the job")
        assert done["status"] == "succeeded", done["error"]
        assert log.read_text().count(USABLE_AGAIN) == 1
    finally:
        stop(agent)


def test_agent_started_on_a_read_only_state_db_resumes_once_it_is_writable(tmp_path):
    home = tmp_path / ".mlops"
    notebook(tmp_path / "job.ipynb", "x = 1", "print(x)")
    execution_id = submit(home, "job.ipynb")
    if not read_only(home):
        pytest.skip("cannot bind-mount here, to make a folder read-only for root")
    log = tmp_path / "agent.log"
    try:
        agent = start_agent(home, log)
        try:
            poll(lambda: UNUSABLE in log.read_text(), 60, "reporting the read-only DB")
            keeps_failing_quietly(agent, log)
            subprocess.run(["umount", str(home)], check=True)
            done = poll(lambda: ended(home, execution_id), 120, "running the job")
            assert done["status"] == "succeeded", done["error"]
            text = log.read_text()
            assert text.count(UNUSABLE) == 1 and text.count(USABLE_AGAIN) == 1, text
            assert "Traceback" not in text
        finally:
            stop(agent)
    finally:
        subprocess.run(["umount", str(home)], capture_output=True)


def test_jobs_run_after_the_mlflow_store_is_deleted_under_the_agent(tmp_path):
    home = tmp_path / ".mlops"
    notebook(tmp_path / "job.ipynb", "x = 1", "print(x)")
    log = tmp_path / "agent.log"
    # A warm worker too: it holds MLflow connections from before the deletion.
    agent = start_agent(home, log, env={"JUPYTER_MLOPS_JOB_POOL": "1"})
    try:
        first = submit(home, "job.ipynb")
        assert poll(lambda: ended(home, first), 120, "running the job")["status"] == "succeeded"
        for path in home.glob("mlflow.db*"):
            if not path.name.endswith("init-lock"):
                path.unlink()

        second = submit(home, "job.ipynb")
        done = poll(lambda: ended(home, second), 120, "running the job")
        assert done["status"] == "succeeded", done["error"]
        assert (home / "mlflow.db").exists()
        assert "readonly database" not in log.read_text()
    finally:
        stop(agent)
