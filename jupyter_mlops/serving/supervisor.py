"""The agent's deployment supervisor: starts serving processes, watches them, rolls out
new versions, restarts crashed ones and stops undeployed ones.

Its state lives in the deployment rows, never only in this object, so whichever
agent holds the lease next carries on: `reconcile` adopts a serving process that is
still alive (recognised by pid and start time) and restarts one that is gone.

Serving processes belong to their deployments, not to the agent: `close` (the Lab
server stopping, the lease lost) leaves them serving. They run in sessions of their
own, so Ctrl-C on the server's terminal does not reach them either, and their output
goes to a log file, not to a pipe that would break when the agent exits. While no
agent runs, a process that dies stays dead and its row says `ready` until the next
agent reconciles: the supervisor is needed for restarts, not for serving. Under a
service manager that kills a whole control group on stop (systemd's default), they
stop with the server; the next agent then finds them gone and starts them again.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ..jobs import processes
from . import endpoints, ports, store
from .spec import serving_host

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ..services import Services

log = logging.getLogger(__name__)

SERVER = [sys.executable, "-m", "jupyter_mlops.serving.server"]
# A process that dies this soon after it started counts as a fast crash; after
# MAX_FAST_CRASHES of them in a row the deployment fails instead of restarting again
# (a model that cannot load, a broken environment).
FAST_CRASH_SECONDS = 30.0
MAX_FAST_CRASHES = 3
# Seconds a stopped process gets beyond its request timeout to finish the requests
# it holds before it is killed.
STOP_GRACE = 5.0
LOG_TAIL_BYTES = 8192


def log_path(home: Path, name: str) -> Path:
    return home / "deployments" / name / "log.txt"


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


_HEADER = "--- jupyter_mlops:"


class DeploymentSupervisor:
    name = "deployments"

    def __init__(
        self,
        services: Services,
        clock=time.time,
        *,
        fast_crash_seconds: float = FAST_CRASH_SECONDS,
        max_fast_crashes: int = MAX_FAST_CRASHES,
    ):
        self.config = services.config
        self.state = services.store
        self.clock = clock
        self.fast_crash_seconds = fast_crash_seconds
        self.max_fast_crashes = max_fast_crashes
        self.node = os.uname().nodename
        # Processes this agent started, so it can reap them when they exit.
        self._children: dict[int, subprocess.Popen] = {}

    # Worker -----------------------------------------------------------------------------

    def reconcile(self) -> None:
        """After a takeover: adopt live serving processes, restart the ones that are gone."""
        for snapshot in store.rows(self.state):
            with self._each(snapshot), store.locked(self.state, snapshot["name"]) as (conn, row):
                if row is not None:
                    self._reconcile(conn, row)

    def tick(self) -> None:
        for snapshot in store.rows(self.state):
            if not _needs_attention(snapshot) or not self._ours(snapshot):
                continue
            with self._each(snapshot):
                # Readiness is asked over HTTP before taking the row's lock, never under it.
                probes = self._probe(snapshot)
                with store.locked(self.state, snapshot["name"]) as (conn, row):
                    if row is not None and self._ours(row):
                        self._step(conn, row, probes, self.clock())

    def close(self) -> None:
        """Nothing to let go of: serving processes outlive the agent (see the module doc)."""

    @contextmanager
    def _each(self, row: dict) -> Iterator[None]:
        try:
            yield
        except Exception:
            # One deployment's trouble (a full disk, no free port) must not stop the others;
            # its transaction rolled back, so the next tick tries again.
            log.exception("deployment %s: supervisor step failed", row["name"])

    # One deployment ---------------------------------------------------------------------

    def _reconcile(self, conn: Connection, row: dict) -> None:
        row = self._reap(conn, row, self.clock())
        candidate = row["candidate"]
        if candidate and candidate.get("pid") and not self._alive(candidate):
            # Started again from the beginning by the next tick.
            row = self._set(conn, row, candidate={**candidate, **_NO_PROCESS})
        if row["status"] not in ("starting", "ready") or row["pid"] is None or not self._ours(row):
            return
        if self._alive(_current(row)):
            store.add_event(
                conn, row["name"], "adopted", f"serving process {row['pid']} is still running"
            )
            return
        store.add_event(
            conn,
            row["name"],
            "restarting",
            f"serving process {row['pid']} is gone (no agent watched it); starting it again",
        )
        self._set(conn, row, status="pending", restarts=row["restarts"] + 1, **_NO_PROCESS)

    def _step(self, conn: Connection, row: dict, probes: dict, now: float) -> None:
        row = self._reap(conn, row, now)
        status = row["status"]
        if status == "stopping":
            self._stop(conn, row, now)
            return
        if status == "pending":
            row = self._start(conn, row, now)
        elif status in ("starting", "ready"):
            row = self._watch(conn, row, probes, now)
        if row["candidate"] is None:
            return
        if row["status"] in ("starting", "ready"):
            self._roll_out(conn, row, probes, now)
        elif row["status"] == "failed":
            self._promote_failed_over(conn, row)

    def _start(self, conn: Connection, row: dict, now: float) -> dict:
        """Start the pending version, once whatever still runs for this deployment let go."""
        if row["pid"] is not None:
            # An older process of this deployment (a redeploy while it started, or a
            # fixed port handed from one version to the next): stopped first.
            if self._alive(_current(row)):
                row = self._retire(conn, row, _current(row), now)
            row = self._set(conn, row, **_NO_PROCESS)
        host, spec = serving_host(), row["spec"]
        port = row["port"]
        if port is None or not ports.free(host, port):
            if spec["port"] is None:
                port = ports.pick(host, store.claimed_ports(conn, row["name"]))
            elif any(p["port"] == port for p in row["retiring"]):
                return row  # our stopping process still holds the fixed port; next tick
            else:
                return self._fail(conn, row, f"port {port} is in use by another program")
        try:
            process = self._spawn(row, row["model_name"], row["model_version"], host, port)
        except OSError as err:
            return self._fail(conn, row, f"could not start the serving process: {err}")
        store.add_event(
            conn,
            row["name"],
            "started",
            f"version {row['model_version']} of {row['model_name']}: serving process "
            f"{process['pid']} starting on {endpoints.url(host, port, '')}",
        )
        return self._set(
            conn, row, status="starting", started_at=now, ready_at=None, error=None, **process
        )

    def _watch(self, conn: Connection, row: dict, probes: dict, now: float) -> dict:
        current = _current(row)
        if not self._alive(current):
            return self._crashed(conn, row, now)
        if row["status"] != "starting":
            return row
        if probes.get(_key(current)):
            store.add_event(
                conn,
                row["name"],
                "ready",
                f"version {row['model_version']} answers at {_url(row)}",
            )
            return self._set(conn, row, status="ready", ready_at=now, error=None)
        timeout = row["spec"]["startup_timeout"]
        if now > (row["started_at"] or now) + timeout:
            row = self._retire(conn, row, current, now)
            why = (
                f"not ready {timeout:g} s after starting; last log line: "
                f"{last_log_line(self.config.home, row['name'])}"
            )
            return self._fail(conn, self._set(conn, row, **_NO_PROCESS), why)
        return row

    def _crashed(self, conn: Connection, row: dict, now: float) -> dict:
        lived = now - (row["started_at"] or now)
        fast = row["fast_crashes"] + 1 if lived < self.fast_crash_seconds else 0
        last = last_log_line(self.config.home, row["name"])
        row = self._set(conn, row, fast_crashes=fast, **_NO_PROCESS)
        if fast >= self.max_fast_crashes:
            return self._fail(
                conn,
                row,
                f"the serving process exited {fast} times within {self.fast_crash_seconds:g} s "
                f"of starting; last log line: {last}",
            )
        store.add_event(
            conn,
            row["name"],
            "crashed",
            f"serving process exited after {lived:.0f} s; restarting it. Last log line: {last}",
        )
        row = self._set(conn, row, status="pending", restarts=row["restarts"] + 1)
        return self._start(conn, row, now)

    def _roll_out(self, conn: Connection, row: dict, probes: dict, now: float) -> None:
        """Replace: the new version starts beside the serving one, takes over once ready,
        and only then is the old one stopped."""
        candidate = row["candidate"]
        version = candidate["model_version"]
        if candidate["pid"] is None:
            host, port = serving_host(), candidate["port"]
            if port is None or not ports.free(host, port):
                if candidate["spec"]["port"] is not None:
                    self._rollout_failed(conn, row, f"port {port} is in use by another program")
                    return
                port = ports.pick(host, store.claimed_ports(conn, row["name"]))
            try:
                process = self._spawn(candidate, candidate["model_name"], version, host, port)
            except OSError as err:
                self._rollout_failed(conn, row, f"could not start its serving process: {err}")
                return
            store.add_event(
                conn,
                row["name"],
                "rolling_out",
                f"version {version}: serving process {process['pid']} starting on "
                f"{endpoints.url(host, port, '')}; version {row['model_version']} serves "
                "until it is ready",
            )
            self._set(conn, row, candidate={**candidate, **process, "started_at": now})
            return
        process = _current(candidate)
        if not self._alive(process):
            why = f"its serving process exited; last log line: {self._last(row)}"
            self._rollout_failed(conn, row, why)
        elif probes.get(_key(process)):
            self._switch(conn, row, now)
        elif now > candidate["started_at"] + candidate["spec"]["startup_timeout"]:
            row = self._retire(conn, row, process, now)
            timeout = candidate["spec"]["startup_timeout"]
            why = f"not ready {timeout:g} s after starting; last log line: {self._last(row)}"
            self._rollout_failed(conn, row, why)

    def _switch(self, conn: Connection, row: dict, now: float) -> None:
        candidate, old = row["candidate"], _current(row)
        was, old_timeout = row["model_version"], row["spec"]["request_timeout"]
        row = self._set(
            conn,
            row,
            spec=candidate["spec"],
            model_name=candidate["model_name"],
            model_version=candidate["model_version"],
            status="ready",
            started_at=candidate["started_at"],
            ready_at=now,
            error=None,
            candidate=None,
            restarts=0,
            fast_crashes=0,
            **{key: candidate[key] for key in _PROCESS_KEYS},
        )
        # The endpoint recorded above is the new one before the old process stops.
        if old["pid"] is not None and self._alive(old):
            self._retire(conn, row, old, now, old_timeout)
        store.add_event(
            conn,
            row["name"],
            "switched",
            f"version {row['model_version']} now serves at {_url(row)}; version {was} "
            "stops once its requests are answered",
        )

    def _rollout_failed(self, conn: Connection, row: dict, why: str) -> None:
        version = row["candidate"]["model_version"]
        message = f"rollout of version {version} failed: {why}"
        store.add_event(conn, row["name"], "rollout_failed", message)
        self._set(conn, row, candidate=None, error=message)

    def _promote_failed_over(self, conn: Connection, row: dict) -> None:
        """The serving version gave up while a new one was rolling out: the new one takes
        the deployment over directly."""
        candidate = row["candidate"]
        running = candidate["pid"] is not None and self._alive(_current(candidate))
        store.add_event(
            conn,
            row["name"],
            "rolling_out",
            f"version {row['model_version']} failed; version {candidate['model_version']} "
            "takes over",
        )
        self._set(
            conn,
            row,
            spec=candidate["spec"],
            model_name=candidate["model_name"],
            model_version=candidate["model_version"],
            status="starting" if running else "pending",
            started_at=candidate["started_at"] if running else None,
            candidate=None,
            error=None,
            restarts=0,
            fast_crashes=0,
            **(
                {key: candidate[key] for key in _PROCESS_KEYS}
                if running
                else {**_NO_PROCESS, "port": candidate["port"]}
            ),
        )

    def _stop(self, conn: Connection, row: dict, now: float) -> None:
        for process in (_current(row), _current(row["candidate"] or {})):
            if process["pid"] is not None and self._alive(process):
                row = self._retire(conn, row, process, now)
        row = self._set(conn, row, candidate=None, **_NO_PROCESS)
        if not row["retiring"]:
            store.add_event(conn, row["name"], "stopped", "no serving process is left")
            self._set(conn, row, status="stopped")

    def _fail(self, conn: Connection, row: dict, why: str) -> dict:
        store.add_event(conn, row["name"], "failed", why)
        return self._set(conn, row, status="failed", error=why)

    # Processes -----------------------------------------------------------------------

    def _spawn(self, record: dict, model_name: str, version: str, host: str, port: int) -> dict:
        """Start a serving process for `record`'s spec (a row's, or its candidate's)."""
        spec = record["spec"]
        name = spec["name"]
        log = log_path(self.config.home, name)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            when = datetime.now(timezone.utc).isoformat(timespec="seconds")
            out.write(f"{_HEADER} {when} version {version} of {model_name} on {host}:{port}\n")
        argv = [
            *SERVER,
            "--model-uri",
            f"models:/{model_name}/{version}",
            "--host",
            host,
            "--port",
            str(port),
            "--request-timeout",
            f"{spec['request_timeout']:g}",
            "--name",
            name,
        ]
        env = {**os.environ, **self.config.env()}
        process = processes.start(argv, env=env, log=log, cwd=self.config.root_dir)
        self._children[process.pid] = process
        return {
            "node": self.node,
            "pid": process.pid,
            "pid_started": processes.start_time(process.pid),
            "host": host,
            "port": port,
        }

    def _alive(self, process: dict) -> bool:
        pid = process.get("pid")
        if pid is None:
            return False
        if process.get("node") != self.node:
            return True  # another machine's: only its own agent can tell
        alive = processes.alive(pid, process.get("pid_started"))
        # Looked at after /proc, so one that exited in between is reaped here too rather
        # than left a zombie of this process.
        child = self._children.get(pid)
        if child is not None and child.poll() is not None:
            del self._children[pid]
            return False
        return alive

    def _retire(
        self,
        conn: Connection,
        row: dict,
        process: dict,
        now: float,
        request_timeout: float | None = None,
    ) -> dict:
        """SIGTERM: the serving process answers what it holds, then exits. `_reap` kills
        it if it has not within its request timeout and a grace."""
        if process["node"] != self.node:
            return row  # its pid names some other process here
        try:
            os.killpg(process["pid"], signal.SIGTERM)
        except ProcessLookupError:
            return row
        grace = (request_timeout or row["spec"]["request_timeout"]) + STOP_GRACE
        retiring = [
            *row["retiring"],
            {**{key: process[key] for key in _PROCESS_KEYS}, "deadline": now + grace},
        ]
        return self._set(conn, row, retiring=retiring)

    def _reap(self, conn: Connection, row: dict, now: float) -> dict:
        left = []
        for process in row["retiring"]:
            # The leader gone is not enough: what it started gets the signals too, and the
            # deployment has stopped only once nothing of its process group runs.
            leader = self._alive(process)
            if process["node"] == self.node and not leader and not group_running(process["pid"]):
                continue
            if (
                process["node"] == self.node
                and now > process["deadline"]
                and not process.get("killed")
            ):
                try:
                    os.killpg(process["pid"], signal.SIGKILL)
                except ProcessLookupError:
                    continue
                store.add_event(
                    conn,
                    row["name"],
                    "killed",
                    f"serving process {process['pid']} did not stop in time; killed",
                )
                process = {**process, "killed": True}
            left.append(process)
        return row if left == row["retiring"] else self._set(conn, row, retiring=left)

    def _probe(self, row: dict) -> dict:
        """Readiness of the processes that wait for it, by (pid, start time)."""
        waiting = []
        if row["status"] == "starting" and row["pid"] is not None:
            waiting.append(_current(row))
        if row["candidate"] and row["candidate"].get("pid") is not None:
            waiting.append(_current(row["candidate"]))
        return {
            _key(process): endpoints.ready(process["host"], process["port"])
            for process in waiting
            if self._alive(process)
        }

    def _ours(self, row: dict) -> bool:
        # A process another machine's agent started can only be watched from there.
        return row["pid"] is None or row["node"] in (None, self.node)

    def _last(self, row: dict) -> str:
        return last_log_line(self.config.home, row["name"])

    @staticmethod
    def _set(conn: Connection, row: dict, **fields) -> dict:
        store.update(conn, row["name"], **fields)
        return {**row, **fields}


_PROCESS_KEYS = ("node", "pid", "pid_started", "host", "port")
_NO_PROCESS = {"node": None, "pid": None, "pid_started": None}


def group_running(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (zombies, which only wait to be
    reaped, do not count). Linux does not hand out a group's id as a new pid while the
    group has members, so a leader's pid names its group until the group is empty."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # Fields after the command name (which may hold spaces) start after the last ')'.
        state, _parent, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            return True
    return False


def _current(record: dict) -> dict:
    return {key: record.get(key) for key in _PROCESS_KEYS}


def _key(process: dict) -> tuple:
    return process["pid"], process["pid_started"]


def _url(row: dict) -> str:
    return endpoints.url(row["host"], row["port"])


def _needs_attention(row: dict) -> bool:
    return row["status"] in store.ACTIVE or bool(row["candidate"]) or bool(row["retiring"])
