"""Real processes on real broken stores: the CLI and the agent as subprocesses, a tmpfs
to fill up, a read-only bind mount (root ignores file modes, not a read-only mount)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

# `python -m`: the `jupyter-mlops` script of the test environment may be root's alone.
MLOPS = [sys.executable, "-m", "jupyter_mlops.cli"]


def as_user(uid: int | None) -> list[str]:
    if uid is None:
        return []
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


def mlops(home: Path, *args: str, uid: int | None = None, env=None, check=True):
    result = subprocess.run(
        [*as_user(uid), *MLOPS, "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=home.parent,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def start_agent(home: Path, log: Path, uid: int | None = None, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [*as_user(uid), *MLOPS, "--home", str(home), "agent", "--interval", "0.2"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "JUPYTER_MLOPS_JOB_POOL": "0", **(env or {})},
        cwd=home.parent,
    )


def poll(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    pytest.fail(f"not {what} after {timeout}s")


def execution(home: Path, execution_id: str, uid: int | None = None, env=None) -> dict:
    listed = json.loads(mlops(home, "jobs", "list", "--json", uid=uid, env=env).stdout)
    return next(e for e in listed if e["id"] == execution_id)


def ended(home, execution_id, uid=None, env=None):
    found = execution(home, execution_id, uid, env)
    return found if found["status"] in ("succeeded", "failed", "cancelled") else None


def submit(home: Path, name: str, uid: int | None = None, env=None) -> str:
    out = mlops(home, "jobs", "submit", name, uid=uid, env=env).stdout
    return out.split()[-1]


def stop(agent: subprocess.Popen) -> None:
    if agent.poll() is None:
        agent.terminate()
        try:
            agent.wait(timeout=15)
        except subprocess.TimeoutExpired:
            agent.kill()


@pytest.fixture
def tmpfs(tmp_path):
    """A 64 MiB file system of its own, to fill up; skipped where mounting is refused."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to its last byte (unbuffered, in ever smaller writes)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def read_only(folder: Path) -> bool:
    """Make `folder` read-only for everyone, root included (a read-only bind mount)."""
    bound = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if bound.returncode != 0:
        return False
    subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
    return True
