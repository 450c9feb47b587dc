"""Notebook training jobs, as every door sees them: submit, list, cancel, re-run, logs."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Conflict, InvalidInput
from ..lazy import locked_cached_property
from . import gpus, params, spec, store
from .store import FINISHED

if TYPE_CHECKING:
    from ..services import Services

MAX_LOG_BYTES = 256 * 1024


class Jobs:
    def __init__(self, services: Services):
        self._services = services
        self.config = services.config
        self.state = services.store

    @locked_cached_property
    def gpu_inventory(self) -> list[gpus.Gpu]:
        return gpus.inventory(self.config.gpus)

    def parameters(self, notebook: str) -> dict:
        """What a job form shows: the notebook's parameters with types and defaults."""
        path = spec.resolve_notebook(self.config, notebook)
        return {
            "notebook": str(path.relative_to(self.config.root_dir)),
            "kernel": spec.kernel_of(path),
            "parameters": list(params.parameters(path).values()),
        }

    def submit(self, body: dict) -> dict:
        """Validate, then store: a scheduled definition, or an execution queued now."""
        resolved = spec.validate(self.config, body, gpu_count=len(self.gpu_inventory))
        if "schedule" in resolved:
            first = spec.next_time(resolved["schedule"], time.time())
            return {"definition": _definition(store.create_definition(self.state, resolved, first))}
        if "sweep" in resolved:
            return {"sweep": self._sweep(resolved)}
        return {"execution": self._view(store.create_execution(self.state, resolved))}

    def _sweep(self, resolved: dict) -> dict:
        """One execution per combination, their runs nested under one parent run."""
        tracking = self._services.tracking
        parent = tracking.client.create_run(
            tracking.experiment_id(resolved["experiment"]),
            run_name=f"{resolved['name']}-sweep",
            tags={"mlops.sweep.size": str(len(resolved["sweep"]))},
        )
        # The parent only groups the children; it holds no work of its own.
        tracking.client.set_terminated(parent.info.run_id)
        base = {k: v for k, v in resolved.items() if k != "sweep"}
        executions = [
            store.create_execution(
                self.state,
                {**base, "parameters": values, "parent_run_id": parent.info.run_id},
            )
            for values in resolved["sweep"]
        ]
        return {
            "parent_run_id": parent.info.run_id,
            "executions": [self._view(e) for e in executions],
        }

    def run_here(self, body: dict) -> dict:
        """Run a job to its end in this process, without an agent (the CLI, in CI).

        It is recorded as running from the start, so an agent never picks it up; if this
        process dies, the agent's reconciliation marks it failed.
        """
        resolved = spec.validate(self.config, body, gpu_count=len(self.gpu_inventory))
        if "schedule" in resolved or "sweep" in resolved:
            raise InvalidInput("run executes one job now: leave out schedule and sweep")
        return self._run_resolved(resolved)

    def reproduce(self, execution_id: str) -> dict:
        """Run a succeeded execution again, here, and say whether its metrics match and,
        when not, which recorded inputs differ (notebook, packages, git, kernel...)."""
        previous = store.get(self.state, execution_id)
        if previous["status"] != "succeeded":
            raise Conflict(
                f"only a succeeded execution can be reproduced; {execution_id} "
                f"is {previous['status']}"
            )
        again = self._run_resolved(previous["spec"], rerun_of=execution_id)
        client = self._services.tracking.client
        before = client.get_run(previous["mlflow_run_id"]).data.metrics
        after = (
            client.get_run(again["mlflow_run_id"]).data.metrics if again["mlflow_run_id"] else {}
        )
        metrics = {
            key: {"before": before.get(key), "after": after.get(key)}
            for key in sorted(set(before) | set(after))
            if not _same(before.get(key), after.get(key))
        }
        inputs = {
            key: {"before": (previous["inputs"] or {}).get(key), "after": value}
            for key, value in (again["inputs"] or {}).items()
            if (previous["inputs"] or {}).get(key) != value
        }
        return {
            "execution": again,
            "reproduced": again["status"] == "succeeded" and not metrics,
            "metric_differences": metrics,
            "input_differences": inputs,
        }

    def _run_resolved(self, resolved: dict, **fields) -> dict:
        from .execute import execute
        from .processes import start_time

        pid = os.getpid()
        created = store.create_execution(
            self.state,
            resolved,
            **fields,
            status="running",
            started_at=time.time(),
            host=os.uname().nodename,
            pid=pid,
            pid_started=start_time(pid),
            gpu_ids=[g.id for g in self.gpu_inventory[: resolved["resources"]["gpus"]]],
        )
        execute(self._services, created["id"])
        return self.execution(created["id"])

    def executions(self, status: str | None = None, limit: int = 200) -> list[dict]:
        statuses = tuple(status.split(",")) if status else None
        return [self._view(e) for e in store.executions(self.state, statuses=statuses, limit=limit)]

    def execution(self, execution_id: str) -> dict:
        return self._view(store.get(self.state, execution_id))

    def definitions(self) -> list[dict]:
        return [_definition(d) for d in store.definitions(self.state)]

    def cancel(self, execution_id: str) -> dict:
        execution = store.get(self.state, execution_id)
        if execution["status"] in FINISHED:
            raise Conflict(f"job execution {execution_id} already {execution['status']}")
        # A queued one ends now; a running one is stopped by the agent on its next tick.
        if not store.claim(
            self.state, execution_id, "queued", status="cancelled", finished_at=time.time()
        ):
            store.update(self.state, execution_id, cancel_requested=True)
        return self.execution(execution_id)

    def rerun(self, execution_id: str) -> dict:
        """A new execution with the recorded spec (same notebook, parameters, kernel)."""
        previous = store.get(self.state, execution_id)
        created = store.create_execution(
            self.state,
            previous["spec"],
            definition_id=previous["definition_id"],
            rerun_of=execution_id,
        )
        return self._view(created)

    def logs(self, execution_id: str, offset: int = 0) -> dict:
        """The worker's log from byte `offset`: a client follows it by passing back `next`."""
        store.get(self.state, execution_id)
        if offset < 0:
            raise InvalidInput("offset must be 0 or more", field="offset")
        path = self._log_path(execution_id)
        if not path.exists():
            return {"text": "", "next": 0}
        with path.open("rb") as log:
            log.seek(offset)
            chunk = log.read(MAX_LOG_BYTES)
        return {"text": chunk.decode(errors="replace"), "next": offset + len(chunk)}

    def _log_path(self, execution_id: str) -> Path:
        return self.config.home / "jobs" / execution_id / "log.txt"

    def _view(self, execution: dict) -> dict:
        view = {k: v for k, v in execution.items() if k not in ("pid_started",)}
        view["progress"] = {"done": execution["cells_done"], "total": execution["cells_total"]}
        return view


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))


def _definition(row: dict) -> dict:
    return {
        k: row[k]
        for k in (
            "id",
            "name",
            "spec",
            "cron",
            "timezone",
            "catchup",
            "next_run_at",
            "enabled",
            "created_at",
        )
    }
