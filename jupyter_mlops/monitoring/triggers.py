"""Retraining triggers: the loop from monitoring back to a new deployed version.

A deployment's spec may carry a `trigger` (see `schemas/deployment.json`). The agent's
`TriggerWatcher` checks each ready deployment that has one every `check_every` seconds:
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
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import update as sql_update

from ..errors import Conflict, InvalidInput, MLOpsError, NotFound
from ..serving import store as deployment_store
from ..store.tables import deployment_triggers
from .firings import IN_PROGRESS, rows
from .trigger_rules import DEFAULTS, job_spec, reasons

if TYPE_CHECKING:
    from ..services import Services

log = logging.getLogger(__name__)

# The limit a challenger's canary keeps when the deployment names no budget of its own.
DEFAULT_BUDGET = {"error_rate": 0.05}
# What the retraining notebook is given, of the parameters it declares.
PARAMETERS = ("deployment", "model_name", "window_start", "window_end")
CHALLENGER, CHAMPION = "challenger", "champion"
TAG_DEPLOYMENT = "mlops.trigger.deployment"
TAG_FIRING = "mlops.trigger.firing"
MESSAGE_CHARS = 2000


# The agent's worker -------------------------------------------------------------------


class TriggerWatcher:
    name = "triggers"

    def __init__(self, services: Services, clock=time.time):
        self.services = services
        self.state = services.store
        self.clock = clock
        self._checked: dict[str, float] = {}  # deployment -> when it was last checked

    def reconcile(self) -> None:
        """Firings carry on from their rows; checks start over."""
        self._checked.clear()

    def tick(self) -> None:
        open_firings = {f["deployment"]: f for f in rows(self.services, statuses=IN_PROGRESS)}
        for row in deployment_store.rows(self.state):
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
        if row["status"] != "ready" or row["candidate"] is not None:
            return  # a rollout in flight (or nothing serving) is not judged
        name, now = row["name"], self.clock()
        if now - self._checked.get(name, float("-inf")) < trigger["check_every"]:
            return
        last = rows(self.services, name, limit=1)
        if last and now - last[0]["fired_at"] < trigger["cooldown"]:
            return
        self._checked[name] = now
        moment = datetime.fromtimestamp(now, timezone.utc)
        monitoring, window = self.services.monitoring, trigger["window_seconds"]
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
        from ..jobs import params
        from ..jobs import store as job_store

        name, firing_id = row["name"], uuid.uuid4().hex[:16]
        with self.state.begin() as conn:
            conn.execute(
                deployment_triggers.insert().values(
                    id=firing_id,
                    deployment=name,
                    fired_at=now,
                    reason=reason[:MESSAGE_CHARS],
                    window_start=start,
                    window_end=end,
                    status="retraining",
                    updated_at=now,
                )
            )
            deployment_store.add_event(
                conn, name, "trigger_fired", f"{reason}; retraining with {trigger['job']!r}"
            )
        try:
            spec, definition_id = job_spec(self.services, trigger["job"])
            declared = params.parameters(self.services.config.root_dir / spec["notebook"])
            given = {
                "deployment": name,
                "model_name": row["model_name"],
                "window_start": start,
                "window_end": end,
            }
            chosen = params.check(declared, {k: v for k, v in given.items() if k in declared})
            tags = {**spec.get("tags", {}), TAG_DEPLOYMENT: name, TAG_FIRING: firing_id}
            execution = job_store.create_execution(
                self.state,
                {**spec, "parameters": {**spec["parameters"], **chosen}, "tags": tags},
                definition_id=definition_id,
            )
        except MLOpsError as err:
            self._failed(name, firing_id, f"the retraining job could not be queued: {err}")
            return
        self._set(
            firing_id,
            execution_id=execution["id"],
            message=f"job execution {execution['id']} queued",
        )

    # Following a firing ---------------------------------------------------------------

    def _advance(self, row: dict, firing: dict) -> None:
        if row["status"] in ("stopping", "stopped"):
            self._failed(row["name"], firing["id"], "the deployment was undeployed")
            return
        if not (row["spec"] or {}).get("trigger") and firing["status"] != "canary":
            # Redeployed without one: what it was asked to retrain for no longer holds.
            self._failed(row["name"], firing["id"], "the deployment's trigger was removed")
            return
        step = {
            "retraining": self._retraining,
            "registered": self._registered,
            "canary": self._canary,
        }[firing["status"]]
        step(row, firing)

    def _retraining(self, row: dict, firing: dict) -> None:
        execution = self.services.jobs.execution(firing["execution_id"])
        if execution["status"] in ("queued", "running"):
            return
        if execution["status"] != "succeeded":
            error = execution["error"] or {}
            why = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".strip()
            self._failed(
                row["name"],
                firing["id"],
                f"job execution {execution['id']} {execution['status']}: {why}",
            )
            return
        try:
            registered = self.services.registry.register(
                execution["mlflow_run_id"], row["model_name"], CHALLENGER
            )
        except MLOpsError as err:
            self._failed(
                row["name"],
                firing["id"],
                f"job execution {execution['id']} succeeded, but its model could not be "
                f"registered: {err}",
            )
            return
        version = registered["version"]
        self._set(
            firing["id"],
            status="registered",
            model_version=version,
            event=(
                row["name"],
                "challenger_registered",
                f"version {version} of {row['model_name']} (run {execution['mlflow_run_id']}, "
                f"job execution {execution['id']}) registered as {CHALLENGER}",
            ),
        )
        self._registered(row, {**firing, "status": "registered", "model_version": version})

    def _registered(self, row: dict, firing: dict) -> None:
        """Roll the challenger out as a canary, once the deployment can take one."""
        if row["status"] == "failed":
            self._failed(row["name"], firing["id"], f"the deployment failed: {row['error']}")
            return
        if row["status"] != "ready" or row["candidate"] is not None:
            return  # starting, or a rollout of its own in flight: the next tick
        spec, trigger = row["spec"], row["spec"]["trigger"]
        version = firing["model_version"]
        body = {
            "name": row["name"],
            "model_uri": f"models:/{row['model_name']}/{version}",
            "strategy": {"type": "canary", "percent": trigger["canary_percent"]},
            "budget": spec.get("budget") or DEFAULT_BUDGET,
            "request_timeout": spec["request_timeout"],
            "startup_timeout": spec["startup_timeout"],
            "monitor": spec.get("monitor") or {},
            "trigger": trigger,
        }
        if spec.get("port") is not None:
            body["port"] = spec["port"]
        try:
            self.services.deployments.deploy(body)
        except Conflict:
            return  # changed under us (a deploy from a door): the next tick looks again
        except (InvalidInput, NotFound) as err:
            self._failed(row["name"], firing["id"], f"version {version} cannot be deployed: {err}")
            return
        self._set(
            firing["id"],
            status="canary",
            message=f"version {version} rolling out as a canary",
            event=(
                row["name"],
                "challenger_canary",
                f"version {version} rolls out as a canary taking "
                f"{trigger['canary_percent']:g}% of requests; promoted after "
                f"{trigger['promote_after']} requests within budget",
            ),
        )

    def _canary(self, row: dict, firing: dict) -> None:
        name, version = row["name"], firing["model_version"]
        candidate = row["candidate"]
        if candidate is None or candidate["model_version"] != version:
            if row["model_version"] == version and row["status"] in ("pending", "starting"):
                return  # took over from a failed version; promoted once it is ready
            if row["model_version"] == version and row["status"] == "ready":
                self._promoted(row, firing)
            else:
                why = _last_word(self.services, name)
                self._set(
                    firing["id"],
                    status="rolled_back",
                    message=why,
                    event=(name, "challenger_rolled_back", f"version {version}: {why}"),
                )
            return
        if candidate.get("action") or not candidate.get("ready_at"):
            return  # starting, or a decision already asked for
        trigger = {**DEFAULTS, **(candidate["spec"].get("trigger") or {})}
        figures = self.services.deployments.metrics(name)
        seen = next(
            (v for v in figures["versions"] if v["role"] == "candidate"),
            {"requests": 0},
        )
        if seen["requests"] < trigger["promote_after"] or _over_budget(candidate, seen):
            return
        try:
            self.services.deployments.promote(name)
        except Conflict:
            return
        self._set(
            firing["id"],
            message=f"promotion of version {version} requested after {seen['requests']} "
            "requests within budget",
        )

    def _promoted(self, row: dict, firing: dict) -> None:
        version, message = firing["model_version"], None
        try:
            self.services.registry.set_alias(row["model_name"], CHAMPION, version)
        except MLOpsError as err:
            message = f"alias {CHAMPION} not moved: {err}"
        self._set(
            firing["id"],
            status="promoted",
            message=message or f"version {version} serves every request; alias {CHAMPION}",
            event=(
                row["name"],
                "challenger_promoted",
                f"version {version} of {row['model_name']} promoted and aliased {CHAMPION}"
                + (f" ({message})" if message else ""),
            ),
        )

    # Recording ------------------------------------------------------------------------

    def _failed(self, name: str, firing_id: str, why: str) -> None:
        self._set(firing_id, status="failed", message=why, event=(name, "retrain_failed", why))

    def _set(self, firing_id: str, *, event: tuple | None = None, **fields) -> None:
        """Update the firing and add its deployment event, in one transaction."""
        if "message" in fields and fields["message"]:
            fields["message"] = fields["message"][:MESSAGE_CHARS]
        with self.state.begin() as conn:
            conn.execute(
                sql_update(deployment_triggers)
                .where(deployment_triggers.c.id == firing_id)
                .values(updated_at=self.clock(), **fields)
            )
            if event is not None:
                deployment_store.add_event(conn, *event)


def _over_budget(candidate: dict, seen: dict) -> bool:
    budget = candidate["spec"].get("budget") or DEFAULT_BUDGET
    error_rate, p99 = budget.get("error_rate"), budget.get("p99_ms")
    if error_rate is not None and seen.get("error_rate", 0.0) > error_rate:
        return True
    return p99 is not None and seen.get("p99_ms") is not None and seen["p99_ms"] > p99


def _last_word(services: Services, name: str) -> str:
    """What ended the rollout, from the deployment's latest decisive event."""
    for event in deployment_store.events(services.store, name, limit=20):
        if event["kind"] in ("auto_rollback", "rolled_back", "rollout_failed", "failed"):
            return event["message"]
    return "the rollout ended without a promotion"
