"""The agent's deployment supervisor: starts each deployment's router and serving
processes, watches them, rolls out new versions by their strategy (replace, canary,
shadow, blue/green), promotes and rolls back, restarts crashed processes and stops
undeployed ones.

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

How a process that exited is replaced (crash accounting, clean exits, the warm standby
a spec may ask for) is in standby.py.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..runtime import gpus, processes
from . import children, endpoints, ports, records, traffic
from .children import NO_PROCESS, PROCESS_KEYS, Children, current
from .prediction_log import predictions_dir
from .records import DeploymentStatus
from .rollouts import Rollouts, process_key
from .spec import serving_host
from .standby import Standbys, standby_of, without_standby

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ..config import MLOpsConfig
    from ..store import StateStore

log = logging.getLogger(__name__)

# Serving processes listen on loopback only: the router is the deployment's public face.
LOOPBACK = "127.0.0.1"
# A process that dies this soon after it started counts as a fast crash; after
# MAX_FAST_CRASHES of them in a row the deployment fails instead of restarting again
# (a model that cannot load, a broken environment).
FAST_CRASH_SECONDS = 30.0
MAX_FAST_CRASHES = 3
# Seconds a stopped process gets beyond its request timeout to finish the requests
# it holds before it is killed.
STOP_GRACE = 5.0
# Seconds a dead router's port may stay unbindable (its clients' sockets closing) before
# the deployment fails as if another program held it.
PORT_GRACE = 120.0


class DeploymentSupervisor(Rollouts, Standbys):
    name = "deployments"

    def __init__(
        self,
        config: MLOpsConfig,
        state: StateStore,
        clock=time.time,
        *,
        fast_crash_seconds: float = FAST_CRASH_SECONDS,
        max_fast_crashes: int = MAX_FAST_CRASHES,
    ):
        self.config = config
        self.state = state
        self.clock = clock
        self.fast_crash_seconds = fast_crash_seconds
        self.max_fast_crashes = max_fast_crashes
        self.children = Children(self.config.env(), self.config.root_dir)

    # Worker -----------------------------------------------------------------------------

    def reconcile(self) -> None:
        """After a takeover: adopt live processes, restart the ones that are gone."""
        for snapshot in records.rows(self.state):
            with self._each(snapshot), records.locked(self.state, snapshot["name"]) as (conn, row):
                if row is not None:
                    self._reconcile(conn, row)

    def tick(self) -> None:
        for snapshot in records.rows(self.state):
            if not _needs_attention(snapshot) or not self._ours(snapshot):
                continue
            with self._each(snapshot):
                # Processes are asked over HTTP before taking the row's lock, never under it.
                probes = self._probe(snapshot)
                counted = self._count(snapshot)
                with records.locked(self.state, snapshot["name"]) as (conn, row):
                    if row is not None and self._ours(row):
                        self._step(conn, row, probes, counted, self.clock())

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
        if candidate and candidate.get("pid") and not self.children.alive(candidate):
            # Started again from the beginning by the next tick.
            row = self._set(conn, row, candidate={**candidate, **NO_PROCESS, "ready_at": None})
        router = row["router"] or {}
        if router.get("pid") and not self.children.alive(router):
            gone = {**router, **NO_PROCESS, "waiting_since": self.clock()}
            row = self._set(conn, row, router=gone)  # started again by the next tick
        standby = standby_of(row)
        if standby and standby.get("pid") and not self.children.alive(current(standby)):
            gone = {**standby, **NO_PROCESS, "ready_at": None}  # started again by the next tick
            row = self._set(conn, row, router={**row["router"], "standby": gone})
        if row["status"] not in records.SERVING or row["pid"] is None or not self._ours(row):
            return
        if self.children.alive(current(row)):
            records.add_event(
                conn, row["name"], "adopted", f"serving process {row['pid']} is still running"
            )
            return
        records.add_event(
            conn,
            row["name"],
            "restarting",
            f"serving process {row['pid']} is gone (no agent watched it); starting it again",
        )
        if self._take_over(conn, row) is not None:
            return  # its ready standby serves in its place
        self._set(
            conn, row, status=DeploymentStatus.PENDING, restarts=row["restarts"] + 1, **NO_PROCESS
        )

    def _step(self, conn: Connection, row: dict, probes: dict, counted, now: float) -> None:
        row = self._reap(conn, row, now)
        status = row["status"]
        if status == DeploymentStatus.STOPPING:
            self._stop(conn, row, now)
            return
        if status in records.LIVE:
            row = self._run_router(conn, row, now)
        if row["status"] == DeploymentStatus.PENDING:
            row = self._start(conn, row, now)
        elif row["status"] in records.SERVING:
            row = self._watch(conn, row, probes, now)
        if row["candidate"] is not None:
            if row["status"] in records.SERVING:
                row = self._roll_out(conn, row, probes, counted, now)
            elif row["status"] == DeploymentStatus.FAILED:
                row = self._promote_failed_over(conn, row)
        row = self._keep_standby(conn, row, probes, now)
        self._route(row)

    def _run_router(self, conn: Connection, row: dict, now: float) -> dict:
        """The deployment's public port is its router's: started first, restarted if gone."""
        router = row["router"] or {}
        if self.children.alive(router):
            return row
        host, port = serving_host(), router["port"]
        if router.get("pid") is not None:
            said = f"router {router['pid']} exited; restarting it"
            records.add_event(conn, row["name"], "router_restarted", said)
            router = {**router, **NO_PROCESS, "waiting_since": now}
            row = self._set(conn, row, router=router)
        if not ports.free(host, port):
            if any(p["port"] == port for p in row["retiring"]):
                return row  # our stopping router still holds it; next tick
            # A router that died with clients connected leaves their half-closed sockets
            # on the port for a while: wait for them before calling the port taken.
            waiting = router.get("waiting_since")
            if waiting is not None and now - waiting < PORT_GRACE:
                return row
            return self._fail(conn, row, f"port {port} is in use by another program")
        # Its table first: the router reads it as it starts.
        traffic.publish(self.config.home, row["name"], traffic.backends(row))
        timeout = row["spec"]["request_timeout"] + STOP_GRACE
        argv = [
            *children.ROUTER,
            "--routes",
            str(traffic.routes_path(self.config.home, row["name"])),
        ]
        argv += ["--host", host, "--port", str(port), "--timeout", f"{timeout:g}"]
        log_file = children.router_log_path(self.config.home, row["name"])
        try:
            process = self.children.start(argv, log_file, "router", host, port)
        except OSError as err:
            return self._fail(conn, row, f"could not start the router: {err}")
        kept = {"standby": router["standby"]} if router.get("standby") else {}
        return self._set(conn, row, router={**process, **kept})

    def _route(self, row: dict) -> None:
        """Tell the router the split the row now says (it rereads a changed table)."""
        if self.children.alive(row["router"] or {}):
            traffic.publish(self.config.home, row["name"], traffic.backends(row))

    def _start(self, conn: Connection, row: dict, now: float) -> dict:
        """Start the pending version, once whatever still runs for this deployment let go."""
        if row["pid"] is not None:
            # An older process of this deployment (a redeploy while it started): stopped.
            if self.children.alive(current(row)):
                row = self._retire(conn, row, current(row), now)
            row = self._set(conn, row, **NO_PROCESS)
        try:
            process = self._spawn(conn, row, row["model_name"], row["model_version"])
        except OSError as err:
            return self._fail(conn, row, f"could not start the serving process: {err}")
        records.add_event(
            conn,
            row["name"],
            "started",
            f"version {row['model_version']} of {row['model_name']}: serving process "
            f"{process['pid']} starting",
        )
        return self._set(
            conn,
            row,
            status=DeploymentStatus.STARTING,
            started_at=now,
            ready_at=None,
            error=None,
            **process,
        )

    def _watch(self, conn: Connection, row: dict, probes: dict, now: float) -> dict:
        process = current(row)
        if not self.children.alive(process):
            return self._crashed(conn, row, now)
        if row["status"] != DeploymentStatus.STARTING:
            return row
        if probes.get(process_key(process)):
            records.add_event(
                conn,
                row["name"],
                "ready",
                f"version {row['model_version']} answers at {_url(row)}",
            )
            return self._set(conn, row, status=DeploymentStatus.READY, ready_at=now, error=None)
        timeout = row["spec"]["startup_timeout"]
        if now > (row["started_at"] or now) + timeout:
            row = self._retire(conn, row, process, now)
            why = f"not ready {timeout:g} s after starting; last log line: {self._last(row)}"
            return self._fail(conn, self._set(conn, row, **NO_PROCESS), why)
        return row

    def _stop(self, conn: Connection, row: dict, now: float) -> None:
        for process in (
            current(row),
            current(row["candidate"] or {}),
            current(standby_of(row) or {}),
            current(row["router"] or {}),
        ):
            if process["pid"] is not None and self.children.alive(process):
                row = self._retire(conn, row, process, now)
        router = row["router"] and {**without_standby(row["router"]), **NO_PROCESS}
        row = self._set(conn, row, candidate=None, router=router, **NO_PROCESS)
        if not row["retiring"]:
            records.add_event(conn, row["name"], "stopped", "no serving process is left")
            self._set(conn, row, status=DeploymentStatus.STOPPED)

    def _fail(self, conn: Connection, row: dict, why: str) -> dict:
        records.add_event(conn, row["name"], "failed", why)
        return self._set(conn, row, status=DeploymentStatus.FAILED, error=why)

    # Processes -----------------------------------------------------------------------

    def _spawn(self, conn: Connection, record: dict, model_name: str, version: str) -> dict:
        """Start a serving process for `record`'s spec (a row's, or its candidate's), on a
        free loopback port."""
        spec = record["spec"]
        port = ports.pick(LOOPBACK, records.claimed_ports(conn, spec["name"]))
        argv = [*children.SERVER, "--model-uri", f"models:/{model_name}/{version}"]
        argv += ["--host", LOOPBACK, "--port", str(port), "--name", spec["name"]]
        argv += ["--request-timeout", f"{spec['request_timeout']:g}"]
        # Rows deployed before the limit was a setting have none: the default applies.
        argv += ["--max-body-mb", f"{spec.get('max_body_mb', 64):g}"]
        if spec.get("log_predictions", True):
            argv += ["--log-dir", str(predictions_dir(self.config.home, spec["name"]))]
        resources = spec.get("resources", {})
        if "threads" in resources:
            argv += ["--threads", str(resources["threads"])]
        log_file = children.log_path(self.config.home, spec["name"])
        what = f"version {version} of {model_name}"
        # Only the GPUs it was given, none by default: a model must not grab a job's GPU.
        env = gpus.visible(resources.get("gpus", []))
        return self.children.start(argv, log_file, what, LOOPBACK, port, env)

    def _retire(
        self,
        conn: Connection,
        row: dict,
        process: dict,
        now: float,
        request_timeout: float | None = None,
    ) -> dict:
        """SIGTERM: the process answers what it holds, then exits. `_reap` kills it if it
        has not within its request timeout and a grace."""
        if not self.children.ours(process):
            return row  # its pid names some other process here
        try:
            os.killpg(process["pid"], signal.SIGTERM)
        except ProcessLookupError:
            return row
        grace = (request_timeout or row["spec"]["request_timeout"]) + STOP_GRACE
        retiring = [
            *row["retiring"],
            {**{key: process[key] for key in PROCESS_KEYS}, "deadline": now + grace},
        ]
        return self._set(conn, row, retiring=retiring)

    def _reap(self, conn: Connection, row: dict, now: float) -> dict:
        left = []
        for process in row["retiring"]:
            # The leader gone is not enough: what it started gets the signals too, and the
            # deployment has stopped only once nothing of its process group runs.
            ours = self.children.ours(process)
            if (
                ours
                and not self.children.alive(process)
                and not processes.group_running(process["pid"])
            ):
                continue
            if ours and now > process["deadline"] and not process.get("killed"):
                try:
                    os.killpg(process["pid"], signal.SIGKILL)
                except ProcessLookupError:
                    continue
                records.add_event(
                    conn,
                    row["name"],
                    "killed",
                    f"process {process['pid']} did not stop in time; killed",
                )
                process = {**process, "killed": True}
            left.append(process)
        return row if left == row["retiring"] else self._set(conn, row, retiring=left)

    def _probe(self, row: dict) -> dict:
        """Readiness of the serving processes that wait for it, by (pid, start time)."""
        waiting = []
        if row["status"] == DeploymentStatus.STARTING and row["pid"] is not None:
            waiting.append(current(row))
        candidate = row["candidate"]
        if candidate and candidate.get("pid") is not None and not candidate.get("ready_at"):
            waiting.append(current(candidate))
        standby = standby_of(row)
        if standby and standby.get("pid") is not None and not standby.get("ready_at"):
            waiting.append(current(standby))
        return {
            process_key(process): endpoints.ready(process["host"], process["port"])
            for process in waiting
            if self.children.alive(process)
        }

    def _count(self, row: dict) -> dict | None:
        """The router's counts, when a ready candidate has a budget to keep."""
        candidate, router = row["candidate"], row["router"] or {}
        if not candidate or not candidate.get("ready_at") or not candidate["spec"].get("budget"):
            return None
        if not self.children.alive(router):
            return None
        return traffic.stats(router["host"], router["port"])

    def _ours(self, row: dict) -> bool:
        # A process another machine's agent started can only be watched from there.
        return row["pid"] is None or row["node"] in (None, self.children.node)

    def _last(self, row: dict) -> str:
        return children.last_log_line(self.config.home, row["name"])

    @staticmethod
    def _set(conn: Connection, row: dict, **fields) -> dict:
        records.update(conn, row["name"], **fields)
        return {**row, **fields}


def _url(row: dict) -> str:
    return endpoints.url(row["host"], row["port"])


def _needs_attention(row: dict) -> bool:
    return row["status"] in records.ACTIVE or bool(row["candidate"]) or bool(row["retiring"])
