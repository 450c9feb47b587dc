"""The rollout half of the deployment supervisor's state machine: a new version started
beside the serving one, then switched to (replace), or given its share of the traffic
(canary, shadow, blue/green) until it is promoted, rolled back on request, or rolled back
for breaking its budget.

`Rollouts` is mixed into `DeploymentSupervisor`, which provides the row and process
primitives it calls (`_set`, `_spawn`, `_retire`, `_route`, `_last`, `children`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import records, traffic
from .children import NO_PROCESS, PROCESS_KEYS, current
from .records import DeploymentStatus, Strategy

if TYPE_CHECKING:
    from sqlalchemy import Connection

_CANDIDATE_READY = {
    Strategy.CANARY: "takes {percent:g}% of requests",
    Strategy.SHADOW: "gets a copy of every request (its answers are dropped)",
    Strategy.BLUE_GREEN: "takes every request; version {stable} stands by until promote or "
    "rollback",
}


class Rollouts:
    """Steps of a deployment with a `candidate`; each takes the locked row and returns it
    as updated."""

    def _roll_out(self, conn: Connection, row: dict, probes: dict, counted, now: float) -> dict:
        """A new version starts beside the serving one. Once ready it takes over at once
        (replace), or takes its share (canary, shadow, blue/green) until promoted, rolled
        back, or rolled back for breaking its budget."""
        candidate = row["candidate"]
        version, action = candidate["model_version"], candidate.get("action")
        if action == "rollback":
            return self._roll_back(conn, row, now, "rolled_back", "rollback requested")
        if candidate["pid"] is None:
            try:
                process = self._spawn(conn, candidate, candidate["model_name"], version)
            except OSError as err:
                return self._rollout_failed(
                    conn, row, f"could not start its serving process: {err}"
                )
            records.add_event(
                conn,
                row["name"],
                "rolling_out",
                f"version {version}: serving process {process['pid']} starting; version "
                f"{row['model_version']} serves until it is ready",
            )
            return self._set(conn, row, candidate={**candidate, **process, "started_at": now})
        process = current(candidate)
        if not self.children.alive(process):
            why = f"its serving process exited; last log line: {self._last(row)}"
            if candidate.get("ready_at"):
                return self._roll_back(
                    conn, row, now, "auto_rollback", f"automatic rollback: {why}"
                )
            return self._rollout_failed(conn, row, why)
        if candidate.get("ready_at"):
            if action == "promote":
                return self._switch(conn, row, now)
            why = traffic.over_budget(row, counted)
            if why is not None:
                return self._roll_back(
                    conn, row, now, "auto_rollback", f"automatic rollback: {why}"
                )
            return row
        if probes.get(process_key(process)):
            strategy = candidate["spec"]["strategy"]
            if strategy["type"] == Strategy.REPLACE or action == "promote":
                return self._switch(conn, row, now)
            said = _CANDIDATE_READY[strategy["type"]].format(
                percent=strategy.get("percent", 0), stable=row["model_version"]
            )
            records.add_event(conn, row["name"], "candidate_ready", f"version {version} {said}")
            return self._set(conn, row, candidate={**candidate, "ready_at": now})
        if now > candidate["started_at"] + candidate["spec"]["startup_timeout"]:
            row = self._retire(conn, row, process, now)
            timeout = candidate["spec"]["startup_timeout"]
            why = f"not ready {timeout:g} s after starting; last log line: {self._last(row)}"
            return self._rollout_failed(conn, row, why)
        return row

    def _switch(self, conn: Connection, row: dict, now: float) -> dict:
        """The candidate becomes the serving version; the old one answers what it holds,
        then stops (the router has moved on: it retries a refused request elsewhere)."""
        candidate, old = row["candidate"], current(row)
        was, old_timeout = row["model_version"], row["spec"]["request_timeout"]
        row = self._set(
            conn,
            row,
            spec=candidate["spec"],
            model_name=candidate["model_name"],
            model_version=candidate["model_version"],
            status=DeploymentStatus.READY,
            started_at=candidate["started_at"],
            ready_at=candidate.get("ready_at") or now,
            error=None,
            candidate=None,
            restarts=0,
            fast_crashes=0,
            **{key: candidate[key] for key in PROCESS_KEYS},
        )
        self._route(row)  # the router's table names the new version before the old stops
        if old["pid"] is not None and self.children.alive(old):
            row = self._retire(conn, row, old, now, old_timeout)
        promoted = candidate.get("action") == "promote"
        records.add_event(
            conn,
            row["name"],
            "promoted" if promoted else "switched",
            f"version {row['model_version']} now serves every request; version {was} "
            "stops once its requests are answered",
        )
        return row

    def _roll_back(self, conn: Connection, row: dict, now: float, kind: str, why: str) -> dict:
        """Drop the candidate: all traffic back to the serving version, then it stops."""
        candidate = row["candidate"]
        process = current(candidate)
        row = self._set(conn, row, candidate=None)
        self._route(row)
        if process["pid"] is not None and self.children.alive(process):
            row = self._retire(conn, row, process, now)
        records.add_event(
            conn,
            row["name"],
            kind,
            f"{why}; version {candidate['model_version']} dropped, version "
            f"{row['model_version']} serves every request",
        )
        return row

    def _rollout_failed(self, conn: Connection, row: dict, why: str) -> dict:
        version = row["candidate"]["model_version"]
        message = f"rollout of version {version} failed: {why}"
        records.add_event(conn, row["name"], "rollout_failed", message)
        return self._set(conn, row, candidate=None, error=message)

    def _promote_failed_over(self, conn: Connection, row: dict) -> dict:
        """The serving version gave up while a new one was rolling out: the new one takes
        the deployment over directly."""
        candidate = row["candidate"]
        running = candidate["pid"] is not None and self.children.alive(current(candidate))
        records.add_event(
            conn,
            row["name"],
            "rolling_out",
            f"version {row['model_version']} failed; version {candidate['model_version']} "
            "takes over",
        )
        return self._set(
            conn,
            row,
            spec=candidate["spec"],
            model_name=candidate["model_name"],
            model_version=candidate["model_version"],
            status=DeploymentStatus.STARTING if running else DeploymentStatus.PENDING,
            started_at=candidate["started_at"] if running else None,
            candidate=None,
            error=None,
            restarts=0,
            fast_crashes=0,
            **({key: candidate[key] for key in PROCESS_KEYS} if running else NO_PROCESS),
        )


def process_key(process: dict) -> tuple:
    return process["pid"], process["pid_started"]
