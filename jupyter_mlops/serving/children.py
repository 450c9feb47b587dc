"""The processes a deployment runs: serving processes and its router, started in
process groups of their own with their output in the deployment's log files.

A process is recorded as {node, pid, pid_started, host, port}: its pid means something
only on its node, and only with its start time (pids are reused).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..runtime import processes

SERVER = [sys.executable, "-m", "jupyter_mlops.serving.model_server"]
ROUTER = [sys.executable, "-m", "jupyter_mlops.serving.router_server"]
LOG_TAIL_BYTES = 8192
# How long to wait for the threads of a child that /proc shows finished.
STATUS_WAIT = 5.0
PROCESS_KEYS = ("node", "pid", "pid_started", "host", "port")
NO_PROCESS = {"node": None, "pid": None, "pid_started": None}
_HEADER = "--- jupyter_mlops:"


def log_path(home: Path, name: str) -> Path:
    return home / "deployments" / name / "log.txt"


def router_log_path(home: Path, name: str) -> Path:
    return home / "deployments" / name / "router.log"


def last_log_line(home: Path, name: str) -> str:
    """The last line the serving processes of `name` wrote: usually why one died."""
    path = log_path(home, name)
    try:
        with path.open("rb") as file:
            file.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
            tail = file.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    if not lines or lines[-1].startswith(_HEADER):
        return "(the process wrote nothing)"
    return lines[-1][-500:]


def current(record: dict) -> dict:
    """The process fields of a row, a candidate or a router record."""
    return {key: record.get(key) for key in PROCESS_KEYS}


class Children:
    """Starts processes and tells whether they still run; reaps the ones it started."""

    def __init__(self, env: dict[str, str], cwd: Path):
        self.env, self.cwd = env, cwd
        self.node = os.uname().nodename
        self._started: dict[int, subprocess.Popen] = {}
        # Exit statuses of the children reaped here, until `exit_status` hands them out.
        self._exits: dict[int, int] = {}

    def start(
        self, argv: list[str], log: Path, what: str, host: str, port: int, env: dict | None = None
    ) -> dict:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            when = datetime.now(timezone.utc).isoformat(timespec="seconds")
            out.write(f"{_HEADER} {when} {what} on {host}:{port}\n")
        env = {**os.environ, **self.env, **(env or {})}
        process = processes.start(argv, env=env, log=log, cwd=self.cwd)
        self._started[process.pid] = process
        return {
            "node": self.node,
            "pid": process.pid,
            "pid_started": processes.start_time(process.pid),
            "host": host,
            "port": port,
        }

    def alive(self, process: dict) -> bool:
        pid = process.get("pid")
        if pid is None:
            return False
        if process.get("node") != self.node:
            return True  # another machine's: only its own agent can tell
        alive = processes.alive(pid, process.get("pid_started"))
        # Looked at after /proc, so one that exited in between is reaped here too rather
        # than left a zombie of this process.
        child = self._started.get(pid)
        if child is None:
            return alive
        if alive:
            if child.poll() is None:
                return True
        else:
            # /proc shows a zombie leader as soon as its main thread ends, while other
            # threads may still be exiting and waitpid cannot reap it yet: wait for them,
            # or the exit status (a clean stop or a crash) would be lost.
            try:
                child.wait(timeout=STATUS_WAIT)
            except subprocess.TimeoutExpired:
                return False
        del self._started[pid]
        self._exits[pid] = child.returncode
        return False

    def exit_status(self, process: dict) -> int | None:
        """How a process this object started ended (negative: the signal that ended it);
        None while it runs, or for one it did not start (adopted after an agent restart):
        only a process's parent learns its exit status."""
        pid = process.get("pid")
        if pid is None or self.alive(process):
            return None
        return self._exits.pop(pid, None)

    def ours(self, process: dict) -> bool:
        return process.get("node") == self.node
