"""How the deployment supervisor replaces a serving process that exited, and keeps a warm
standby when the spec asks for one (`standby: true`).

A crash (killed, or a non-zero exit) counts towards the fast-crash limit that fails a
deployment whose model cannot run; a clean exit of a process that was serving (status 0,
or SIGTERM: an operator's, or a stop we asked for) is restarted without counting. Only a
process's parent learns how it ended, so after an agent restart an exit counts as a crash.

The standby is a second serving process of the serving version, started once the first
is ready and listed in the router's table with weight 0: the router sends it a request
the first one refuses or drops (predictions are idempotent), so a process killed under
load fails no request. When the first one exits, the standby takes its place at once and
a new standby starts. Off by default: each serving process loads MLflow, pandas and the
model (about 250 MB for a small scikit-learn model, the model's size more for a large
one, and its GPU memory again on a GPU), and a standby doubles that for every deployment.

Its record lives in the router's (`router["standby"]`): {node, pid, pid_started, host,
port, model_version, started_at, ready_at, fast_crashes}, or {model_version, failed}
once it has given up (until the version changes).

`Standbys` is mixed into `DeploymentSupervisor`, which provides `_set`, `_spawn`,
`_retire`, `_route`, `_start`, `_fail`, `_last` and `children`.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from . import records
from .children import NO_PROCESS, PROCESS_KEYS, current
from .records import DeploymentStatus
from .rollouts import process_key

if TYPE_CHECKING:
    from sqlalchemy import Connection

# Exit statuses of a process that stopped because it was asked to.
CLEAN_EXITS = (0, -signal.SIGTERM)


def standby_of(row: dict) -> dict | None:
    return (row["router"] or {}).get("standby")


def without_standby(router: dict | None) -> dict | None:
    return router and {key: value for key, value in router.items() if key != "standby"}


class Standbys:
    """Steps that replace a deployment's serving process; each takes the locked row and
    returns it as updated."""

    def _crashed(self, conn: Connection, row: dict, now: float) -> dict:
        """The serving process is gone: the standby takes over, or a new one starts."""
        lived = now - (row["started_at"] or now)
        status = self.children.exit_status(current(row))
        # One that never got ready and exits is a start that failed, however it ended.
        clean = row["status"] == DeploymentStatus.READY and status in CLEAN_EXITS
        if clean:
            fast = row["fast_crashes"]
        else:
            fast = row["fast_crashes"] + 1 if lived < self.fast_crash_seconds else 0
        last = self._last(row)
        row = self._set(conn, row, fast_crashes=fast)
        if fast >= self.max_fast_crashes:
            row = self._set(conn, row, **NO_PROCESS)
            return self._fail(
                conn,
                row,
                f"the serving process exited {fast} times within {self.fast_crash_seconds:g} s "
                f"of starting; last log line: {last}",
            )
        ended = "" if status is None else f" ({_status(status)})"
        how = f"stopped{ended}" if clean else f"exited{ended}"
        said = f"serving process {row['pid']} {how} after {lived:.0f} s"
        took_over = self._take_over(conn, row)
        if took_over is not None:
            said += f"; standby {took_over['pid']} serves in its place, a new standby starts"
        else:
            said += "; restarting it"
        if not clean:
            said += f". Last log line: {last}"
        records.add_event(conn, row["name"], "exited" if clean else "crashed", said)
        if took_over is not None:
            return took_over
        row = self._set(
            conn,
            row,
            status=DeploymentStatus.PENDING,
            restarts=row["restarts"] + 1,
            **NO_PROCESS,
        )
        return self._start(conn, row, now)

    def _take_over(self, conn: Connection, row: dict) -> dict | None:
        """The ready standby becomes the serving process (None if there is none)."""
        standby = standby_of(row)
        if (
            not standby
            or not standby.get("ready_at")
            or standby.get("model_version") != row["model_version"]
            or not self.children.alive(current(standby))
        ):
            return None
        row = self._set(
            conn,
            row,
            status=DeploymentStatus.READY,
            started_at=standby["started_at"],
            ready_at=standby["ready_at"],
            error=None,
            restarts=row["restarts"] + 1,
            router=without_standby(row["router"]),
            **{key: standby[key] for key in PROCESS_KEYS},
        )
        self._route(row)  # its port as the stable one before the next request comes
        return row

    def _keep_standby(self, conn: Connection, row: dict, probes: dict, now: float) -> dict:
        """Start, watch and restart the standby the spec asks for; stop one not wanted."""
        standby = standby_of(row)
        wanted = (
            row["status"] == DeploymentStatus.READY
            and row["pid"] is not None
            and row["spec"].get("standby", False)
        )
        if standby and (not wanted or standby.get("model_version") != row["model_version"]):
            return self._drop_standby(conn, row, now)
        if not wanted or (standby and standby.get("failed")):
            return row
        version = row["model_version"]
        if not standby or standby.get("pid") is None:
            try:
                process = self._spawn(conn, row, row["model_name"], version)
            except OSError as err:
                return self._standby_failed(conn, row, f"could not start it: {err}")
            kept = {"fast_crashes": (standby or {}).get("fast_crashes", 0)}
            fresh = {**process, **kept, "model_version": version, "started_at": now}
            records.add_event(
                conn,
                row["name"],
                "standby_started",
                f"standby serving process {process['pid']} of version {version} starting",
            )
            return self._put_standby(conn, row, {**fresh, "ready_at": None})
        process = current(standby)
        if not self.children.alive(process):
            lived = now - standby["started_at"]
            fast = standby["fast_crashes"] + 1 if lived < self.fast_crash_seconds else 0
            why = f"exited after {lived:.0f} s; last log line: {self._last(row)}"
            if fast >= self.max_fast_crashes:
                return self._standby_failed(conn, row, why)
            records.add_event(conn, row["name"], "standby_crashed", f"standby {why}")
            gone = {"model_version": version, "fast_crashes": fast, "pid": None}
            return self._put_standby(conn, row, gone)  # started again by the next tick
        if standby.get("ready_at"):
            return row
        if probes.get(process_key(process)):
            records.add_event(
                conn, row["name"], "standby_ready", f"standby {process['pid']} is ready"
            )
            return self._put_standby(conn, row, {**standby, "ready_at": now})
        if now > standby["started_at"] + row["spec"]["startup_timeout"]:
            row = self._retire(conn, row, process, now)
            timeout = row["spec"]["startup_timeout"]
            return self._standby_failed(conn, row, f"not ready {timeout:g} s after starting")
        return row

    def _drop_standby(self, conn: Connection, row: dict, now: float) -> dict:
        process = current(standby_of(row))
        row = self._set(conn, row, router=without_standby(row["router"]))
        self._route(row)  # out of the router's table before it is asked to stop
        if process["pid"] is not None and self.children.alive(process):
            row = self._retire(conn, row, process, now)
        return row

    def _standby_failed(self, conn: Connection, row: dict, why: str) -> dict:
        """Given up until the serving version changes: the deployment serves without one."""
        message = f"standby given up: {why}; the deployment serves without one"
        records.add_event(conn, row["name"], "standby_failed", message)
        failed = {"model_version": row["model_version"], "failed": why[:500]}
        return self._put_standby(conn, row, failed)

    def _put_standby(self, conn: Connection, row: dict, standby: dict) -> dict:
        return self._set(conn, row, router={**(row["router"] or {}), "standby": standby})


def _status(status: int) -> str:
    return f"signal {signal.Signals(-status).name}" if status < 0 else f"exit status {status}"
