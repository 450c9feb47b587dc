"""Retraining: the loop from monitoring back to a new deployed version, across areas
(monitoring finds the drift, jobs retrain, the registry registers, deployments roll out).

A deployment's spec may carry a `trigger` (see `schemas/deployment.json`). The agent's
`RetrainingWatcher` checks each ready deployment that has one every `check_every` seconds:
drift of its inputs or prediction, or live performance below `min_accuracy` / above
`max_mae`, over the last `window_seconds`. When one is found, and no earlier firing is
still in progress nor fired less than `cooldown` seconds ago, the trigger fires:

1. `retraining`: the trigger's job (a job definition, by id or name, or a notebook) is
   queued with the parameters it declares of `deployment`, `model_name`,
   `window_start`, `window_end` (ISO 8601 UTC);
2. `registered`: the model its MLflow run logged becomes a new version of the
   deployment's model, aliased `challenger`;
3. `canary`: that version is rolled out as a canary taking `canary_percent` of the
   requests, under the deployment's budget (or `DEFAULT_BUDGET`), so the supervisor
   rolls it back automatically if it breaks it;
4. `promoted` once it has answered `promote_after` requests within the budget (as the
   router counts them, over its last minute), alias `champion` moved to it; or
   `rolled_back` if the rollout ends any other way; or `failed` if the job fails.

Each step is a row in `deployment_triggers` and an event of the deployment, so Lab's
deployment history tells why a new version appeared. The state lives in the rows: an
agent that takes over carries a firing on where the last one left it. Only the time of
the last check is kept in memory (a new agent simply checks again).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..errors import Conflict, InvalidInput, MLOpsError, NotFound
from ..jobs.records import ACTIVE, ExecutionStatus
from ..serving import records as deployment_records
from ..serving.records import DeploymentStatus, Strategy
from .firings import IN_PROGRESS, Firings, FiringStatus
from .rules import DEFAULTS, reasons

if TYPE_CHECKING:
    from ..jobs.service import Jobs
    from ..monitoring.service import Monitoring
    from ..registry.evaluation import Gates
    from ..registry.service import Registry
    from ..serving.deployments import Deployments

log = logging.getLogger(__name__)

# The limit a challenger's canary keeps when the deployment names no budget of its own.
DEFAULT_BUDGET = {"error_rate": 0.05}
# What the retraining notebook is given, of the parameters it declares.
PARAMETERS = ("deployment", "model_name", "window_start", "window_end")
CHALLENGER, CHAMPION = "challenger", "champion"
TAG_DEPLOYMENT = "mlops.trigger.deployment"
TAG_FIRING = "mlops.trigger.firing"


# The agent's worker -------------------------------------------------------------------


class RetrainingWatcher:
    name = "retraining"

    def __init__(
        self,
        firings: Firings,
        jobs: Jobs,
        registry: Registry,
        deployments: Deployments,
        monitoring: Monitoring,
        clock=time.time,
        gates: Gates | None = None,
    ):
        self.firings = firings
        self.state = firings.state
        self.jobs = jobs
        self.registry = registry
        self.deployments = deployments
        self.monitoring = monitoring
        self.clock = clock
        self.gates = gates
        self._checked: dict[str, float] = {}  # deployment -> when it was last checked

    def reconcile(self) -> None:
        """Firings carry on from their rows; checks start over."""
        self._checked.clear()

    def tick(self) -> None:
        open_firings = {f["deployment"]: f for f in self.firings.rows(statuses=IN_PROGRESS)}
        for row in deployment_records.rows(self.state):
            with self._each(row["name"]):
                firing = open_firings.get(row["name"])
                if firing is not None:
                    self._advance(row, firing)
                elif (row["spec"] or {}).get("trigger"):
                    self._check(row, row["spec"]["trigger"])

    def close(self) -> None:
        """Nothing held: the rows say where each firing is."""

    @contextmanager
    def _each(self, name: str) -> Iterator[None]:
        try:
            yield
        except Exception:
            # One deployment's trouble must not stop the others; the next tick tries again.
            log.exception("deployment %s: trigger step failed", name)

    # Checking -------------------------------------------------------------------------

    def _check(self, row: dict, trigger: dict) -> None:
        if row["status"] != DeploymentStatus.READY or row["candidate"] is not None:
            return  # a rollout in flight (or nothing serving) is not judged
        name, now = row["name"], self.clock()
        if now - self._checked.get(name, float("-inf")) < trigger["check_every"]:
            return
        last = self.firings.rows(name, limit=1)
        if last and now - last[0]["fired_at"] < trigger["cooldown"]:
            return
        self._checked[name] = now
        moment = datetime.fromtimestamp(now, timezone.utc)
        monitoring, window = self.monitoring, trigger["window_seconds"]
        drift, performance = None, None
        if "drift" in trigger["on"]:
            drift = monitoring.drift(name, window, now=moment)
            performance = drift["performance"]
            bounds = drift["window"]
        if "performance" in trigger["on"] and performance is None:
            performance = monitoring.performance(name, window, now=moment)
            bounds = performance["window"]
        found = reasons(trigger, drift, performance)
        if found:
            self._fire(row, trigger, "; ".join(found), bounds["start"], bounds["end"], now)

    def _fire(self, row: dict, trigger: dict, reason: str, start: str, end: str, now: float):
        name = row["name"]
        said = f"{reason}; retraining with {trigger['job']!r}"
        firing_id = self.firings.fire(name, reason, start, end, said)
        offered = {
            "deployment": name,
            "model_name": row["model_name"],
            "window_start": start,
            "window_end": end,
        }
        tags = {TAG_DEPLOYMENT: name, TAG_FIRING: firing_id}
        try:
            execution = self.jobs.queue_reference(trigger["job"], offered, tags)
        except MLOpsError as err:
            self.firings.failed(name, firing_id, f"the retraining job could not be queued: {err}")
            return
        self.firings.set(
            firing_id,
            execution_id=execution["id"],
            message=f"job execution {execution['id']} queued",
        )

    # Following a firing ---------------------------------------------------------------

    def _advance(self, row: dict, firing: dict) -> None:
        if row["status"] in (DeploymentStatus.STOPPING, DeploymentStatus.STOPPED):
            self.firings.failed(row["name"], firing["id"], "the deployment was undeployed")
            return
        if not (row["spec"] or {}).get("trigger") and firing["status"] != FiringStatus.CANARY:
            # Redeployed without one: what it was asked to retrain for no longer holds.
            self.firings.failed(row["name"], firing["id"], "the deployment's trigger was removed")
            return
        step = {
            FiringStatus.RETRAINING: self._retraining,
            FiringStatus.REGISTERED: self._registered,
            FiringStatus.CANARY: self._canary,
        }[FiringStatus(firing["status"])]
        step(row, firing)

    def _retraining(self, row: dict, firing: dict) -> None:
        execution = self.jobs.execution(firing["execution_id"])
        if execution["status"] in ACTIVE:
            return
        if execution["status"] != ExecutionStatus.SUCCEEDED:
            error = execution["error"] or {}
            why = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".strip()
            self.firings.failed(
                row["name"],
                firing["id"],
                f"job execution {execution['id']} {execution['status']}: {why}",
            )
            return
        try:
            registered = self.registry.register(
                execution["mlflow_run_id"], row["model_name"], CHALLENGER
            )
        except MLOpsError as err:
            self.firings.failed(
                row["name"],
                firing["id"],
                f"job execution {execution['id']} succeeded, but its model could not be "
                f"registered: {err}",
            )
            return
        version = registered["version"]
        self.firings.set(
            firing["id"],
            status=FiringStatus.REGISTERED,
            model_version=version,
            event=(
                row["name"],
                "challenger_registered",
                f"version {version} of {row['model_name']} (run {execution['mlflow_run_id']}, "
                f"job execution {execution['id']}) registered as {CHALLENGER}",
            ),
        )
        self._registered(
            row, {**firing, "status": FiringStatus.REGISTERED, "model_version": version}
        )

    def _registered(self, row: dict, firing: dict) -> None:
        """Roll the challenger out as a canary, once the deployment can take one."""
        if row["status"] == DeploymentStatus.FAILED:
            self.firings.failed(row["name"], firing["id"], f"the deployment failed: {row['error']}")
            return
        if row["status"] != DeploymentStatus.READY or row["candidate"] is not None:
            return  # starting, or a rollout of its own in flight: the next tick
        spec, trigger = row["spec"], row["spec"]["trigger"]
        version = firing["model_version"]
        if not self._passes_gate(row, firing, version):
            return
        body = {
            "name": row["name"],
            "model_uri": f"models:/{row['model_name']}/{version}",
            "strategy": {"type": Strategy.CANARY, "percent": trigger["canary_percent"]},
            "budget": spec.get("budget") or DEFAULT_BUDGET,
            "request_timeout": spec["request_timeout"],
            "startup_timeout": spec["startup_timeout"],
            "monitor": spec.get("monitor") or {},
            "trigger": trigger,
        }
        if spec.get("port") is not None:
            body["port"] = spec["port"]
        try:
            self.deployments.deploy(body)
        except Conflict:
            return  # changed under us (a deploy from a door): the next tick looks again
        except (InvalidInput, NotFound) as err:
            self.firings.failed(
                row["name"], firing["id"], f"version {version} cannot be deployed: {err}"
            )
            return
        self.firings.set(
            firing["id"],
            status=FiringStatus.CANARY,
            message=f"version {version} rolling out as a canary",
            event=(
                row["name"],
                "challenger_canary",
                f"version {version} rolls out as a canary taking "
                f"{trigger['canary_percent']:g}% of requests; promoted after "
                f"{trigger['promote_after']} requests within budget",
            ),
        )

    def _passes_gate(self, row: dict, firing: dict, version: str) -> bool:
        """A model with a gate: the challenger is evaluated before its canary starts; one
        that fails it ends the firing, with its numbers in the deployment's history."""
        if self.gates is None or self.gates.get(row["model_name"])["gate"] is None:
            return True
        name = row["name"]
        if self.gates.passed(row["model_name"], version):
            return True  # evaluated at an earlier tick, while the deployment was busy
        try:
            found = self.gates.evaluate(row["model_name"], version)
        except MLOpsError as err:
            why = f"version {version} could not be evaluated against the gate: {err}"
            return self._gate_failed(firing, name, why)
        numbers = "; ".join(
            f"{m['metric']} {_shown(m['candidate'])} (champion {_shown(m['champion'])})"
            + ("" if m["passed"] else f": {m['reason']}")
            for m in found["metrics"]
        )
        if found["verdict"] == "pass":
            self.firings.set(
                firing["id"],
                message=f"version {version} passed the gate",
                event=(name, "gate_passed", f"version {version} passed the gate: {numbers}"),
            )
            return True
        why = f"version {version} failed the gate, no canary: {numbers}"
        return self._gate_failed(firing, name, why)

    def _gate_failed(self, firing: dict, deployment: str, why: str) -> bool:
        """End the firing, saying why in its message and the deployment's history."""
        self.firings.set(
            firing["id"],
            status=FiringStatus.FAILED,
            message=why,
            event=(deployment, "gate_failed", why),
        )
        return False

    def _canary(self, row: dict, firing: dict) -> None:
        name, version = row["name"], firing["model_version"]
        candidate = row["candidate"]
        if candidate is None or candidate["model_version"] != version:
            serves = row["model_version"] == version
            if serves and row["status"] in (DeploymentStatus.PENDING, DeploymentStatus.STARTING):
                return  # took over from a failed version; promoted once it is ready
            if serves and row["status"] == DeploymentStatus.READY:
                self._promoted(row, firing)
            else:
                why = self._last_word(name)
                self.firings.set(
                    firing["id"],
                    status=FiringStatus.ROLLED_BACK,
                    message=why,
                    event=(name, "challenger_rolled_back", f"version {version}: {why}"),
                )
            return
        if candidate.get("action") or not candidate.get("ready_at"):
            return  # starting, or a decision already asked for
        trigger = {**DEFAULTS, **(candidate["spec"].get("trigger") or {})}
        figures = self.deployments.metrics(name)
        seen = next(
            (v for v in figures["versions"] if v["role"] == "candidate"),
            {"requests": 0},
        )
        if seen["requests"] < trigger["promote_after"] or _over_budget(candidate, seen):
            return
        try:
            self.deployments.promote(name)
        except Conflict:
            return
        self.firings.set(
            firing["id"],
            message=f"promotion of version {version} requested after {seen['requests']} "
            "requests within budget",
        )

    def _promoted(self, row: dict, firing: dict) -> None:
        version, message = firing["model_version"], None
        try:
            self.registry.set_alias(row["model_name"], CHAMPION, version)
        except MLOpsError as err:
            message = f"alias {CHAMPION} not moved: {err}"
        self.firings.set(
            firing["id"],
            status=FiringStatus.PROMOTED,
            message=message or f"version {version} serves every request; alias {CHAMPION}",
            event=(
                row["name"],
                "challenger_promoted",
                f"version {version} of {row['model_name']} promoted and aliased {CHAMPION}"
                + (f" ({message})" if message else ""),
            ),
        )

    def _last_word(self, name: str) -> str:
        """What ended the rollout, from the deployment's latest decisive event."""
        for event in deployment_records.events(self.state, name, limit=20):
            if event["kind"] in ("auto_rollback", "rolled_back", "rollout_failed", "failed"):
                return event["message"]
        return "the rollout ended without a promotion"


def _over_budget(candidate: dict, seen: dict) -> bool:
    budget = candidate["spec"].get("budget") or DEFAULT_BUDGET
    error_rate, p99 = budget.get("error_rate"), budget.get("p99_ms")
    if error_rate is not None and seen.get("error_rate", 0.0) > error_rate:
        return True
    return p99 is not None and seen.get("p99_ms") is not None and seen["p99_ms"] > p99


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
