"""Failures say what failed: a job whose disk fills records why on its execution, and a
CLI verb on a broken state DB prints one line naming what and where, not a traceback."""

from __future__ import annotations

import os
import subprocess

import pytest
from disk_helpers import MLOPS, ended, fill, poll, start_agent, stop, submit, tmpfs
from jobs_helpers import notebook

from jupyter_mlops.store import StateStore

__all__ = ["tmpfs"]  # the fixture, used here

FILL_THE_DISK = """
try:
    with open("filler", "wb", buffering=0) as out:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    out.write(b"0" * size)
            except OSError:
                pass
except OSError:
    pass
"""


def cli(home, *args, env=None):
    return subprocess.run(
        [*MLOPS, "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_a_disk_filling_during_a_job_records_why_the_job_failed(tmpfs, tmp_path):
    # Outputs on the disk that fills; the state DB elsewhere (PostgreSQL, another disk),
    # so the test sees what the worker records as soon as it records it.
    home = tmpfs / ".mlops"
    home.mkdir()
    env = {"JUPYTER_MLOPS_STATE_URL": f"sqlite:///{tmp_path}/state.db"}
    notebook(tmpfs / "fills.ipynb", "x = 1", FILL_THE_DISK, "print('x' * 2_000_000)")
    log = tmp_path / "agent.log"
    agent = start_agent(home, log, env=env)
    try:
        execution_id = submit(home, "fills.ipynb", env=env)
        done = poll(lambda: ended(home, execution_id, env=env), 120, "ending the job")
    finally:
        stop(agent)
    assert done["status"] == "failed"
    error = done["error"]
    assert error["ename"] != "WorkerLost", error
    assert error["evalue"].startswith("no space left on device while saving the output notebook")
    assert str(home / "jobs" / execution_id / "fills.ipynb") in error["evalue"]


def test_a_cli_verb_on_a_corrupted_state_db_prints_one_line(tmp_path):
    home = tmp_path / ".mlops"
    home.mkdir()
    (home / "state.db").write_bytes(b"this is not a database, whatever it says " * 100)
    result = cli(home, "jobs", "list")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"jupyter mlops jobs: the state DB is unusable: the file is not a database "
        f"({home / 'state.db'})"
    ]
    assert result.stdout == ""


def test_a_cli_verb_on_a_full_disk_says_the_disk_is_full(tmpfs):
    home = tmpfs / ".mlops"
    store = StateStore(f"sqlite:///{home}/state.db")
    store.migrate()
    store.dispose()
    notebook(tmpfs / "job.ipynb", "x = 1", "print(x)")
    filler = fill(tmpfs)
    # Enough submissions to need a page the full disk does not have.
    for _ in range(50):
        result = cli(home, "jobs", "submit", "job.ipynb")
        if result.returncode != 0:
            break
    else:
        pytest.fail("every submission found space on a full disk")
    assert result.stderr.splitlines() == [
        f"jupyter mlops jobs: the state DB is unusable: the disk is full ({home / 'state.db'})"
    ]
    filler.unlink()
    assert cli(home, "jobs", "submit", "job.ipynb").returncode == 0
