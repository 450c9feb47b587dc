"""The CLI door as CI runs it: real `jupyter mlops` processes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

JUPYTER = str(Path(sys.executable).parent / "jupyter")


def mlops(*args, env=None, **kwargs):
    return subprocess.run(
        [JUPYTER, "mlops", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        **kwargs,
    )


def status(home):
    result = mlops("--home", str(home), "status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_status_json(tmp_path):
    (tmp_path / "home").mkdir()  # a reading verb creates none (see test_home_trust.py)
    report = status(tmp_path / "home")
    assert report["home"] == str((tmp_path / "home").resolve())
    assert report["agent"]["state"] == "inactive"


def test_status_text_finds_the_home_upward(tmp_path):
    (tmp_path / ".mlops").mkdir()
    (tmp_path / "notebooks").mkdir()
    result = mlops("status", cwd=tmp_path / "notebooks")
    assert result.returncode == 0, result.stderr
    assert f"home: {(tmp_path / '.mlops').resolve()}" in result.stdout.splitlines()
    assert "agent.state: inactive" in result.stdout.splitlines()
    # What the executor supports, one line each, as for every nested field.
    assert "executor.features.cancel: True" in result.stdout.splitlines()


def test_bad_configuration_exits_1_with_a_message(tmp_path):
    result = mlops("--home", str(tmp_path), "status", env={"JUPYTER_MLOPS_EXECUTOR": "slurm"})
    assert result.returncode == 1
    assert "unknown executor 'slurm'; available: local, ray" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_verb_exits_2(tmp_path):
    result = mlops("--home", str(tmp_path), "frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def start_agent(home):
    return subprocess.Popen(
        [JUPYTER, "mlops", "--home", str(home), "agent", "--interval", "0.2"]
        + ["--lease-seconds", "30"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # No warm job workers: this test is about the lease, not jobs.
        env={**os.environ, "JUPYTER_MLOPS_JOB_POOL": "0"},
    )


def wait_for_holder_pid(home, pid, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agent = status(home)["agent"]
        if agent["state"] == "active" and int(agent["holder"].split(":")[1]) == pid:
            return agent
        time.sleep(0.2)
    pytest.fail(f"agent {pid} never held the lease; last status {agent}")


def test_two_headless_agents_one_leads_and_the_other_takes_over(tmp_path):
    home = tmp_path / "home"
    home.mkdir()  # so that `status` reads it from the start (it would not create it)
    first = start_agent(home)
    second = None
    try:
        wait_for_holder_pid(home, first.pid)
        second = start_agent(home)
        time.sleep(2)  # several of the second agent's steps
        assert int(status(home)["agent"]["holder"].split(":")[1]) == first.pid

        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=15) == 0
        # Released on SIGTERM: the lease (30 s) no longer names the first agent, and the
        # standby takes over long before it would have expired.
        holder = status(home)["agent"]["holder"]
        assert holder is None or int(holder.split(":")[1]) == second.pid
        wait_for_holder_pid(home, second.pid, timeout=20)

        second.send_signal(signal.SIGINT)
        assert second.wait(timeout=15) == 0
        assert status(home)["agent"]["state"] == "inactive"
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
