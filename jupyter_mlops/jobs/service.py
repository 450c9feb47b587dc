"""Notebook training jobs, as every door sees them: submit, list, cancel, re-run, logs,
run here (CI) and reproduce."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

from ..config import MLOpsConfig
from ..errors import Conflict, InvalidInput
from ..runtime import processes
from ..runtime.gpus import GpuInventory
from . import params, spec
from .executors import ExecutorFeatures
from .lifecycle import ExecutionLifecycle
from .records import FINISHED, Execution, ExecutionStatus, Outcome

MAX_LOG_BYTES = 256 * 1024


class Jobs:
    def __init__(
        self,
        config: MLOpsConfig,
        lifecycle: ExecutionLifecycle,
        gpus: GpuInventory,
        features: ExecutorFeatures,
    ):
        self.config = config
        self.lifecycle = lifecycle
        self.records = lifecycle.records
        self.runs = lifecycle.runs
        self.gpus = gpus
        # What the configured executor can do: a job asking for more is refused.
        self.features = features

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
        resolved = self._validate(body)
        if "schedule" in resolved:
            first = spec.next_time(resolved["schedule"], time.time())
            return {"definition": self.records.insert_definition(resolved, first).view()}
        if "sweep" in resolved:
            return {"sweep": self._sweep(resolved)}
        return {"execution": self.records.insert(resolved).view()}

    def check(self, body: dict) -> dict:
        """The spec resolved as `submit` would store it, storing nothing (a search's base)."""
        return self._validate(body)

    def queue(self, resolved: dict, values: dict, *, tags: dict[str, str], parent_run_id: str):
        """Queue one execution of a resolved spec with `values` over its parameters (each
        checked against the notebook's types), `tags` on its run, nested under a parent
        run: a search's trial."""
        declared = params.parameters(spec.resolve_notebook(self.config, resolved["notebook"]))
        parameters = params.check(declared, {**resolved["parameters"], **values})
        return self.records.insert(
            {
                **resolved,
                "parameters": parameters,
                "tags": {**resolved.get("tags", {}), **tags},
                "parent_run_id": parent_run_id,
            }
        ).view()

    def create_parent_run(self, experiment: str, name: str, tags: dict[str, str]) -> str:
        """A run that groups others (a search's trials)."""
        return self.runs.create_parent(experiment, name, tags)

    def _validate(self, body: dict) -> dict:
        resolved = spec.validate(self.config, body, gpu_count=len(self.gpus))
        if resolved["resources"]["gpus"] and not self.features.gpus:
            raise InvalidInput("this project's executor gives jobs no GPUs", field="resources.gpus")
        if resolved.get("requirements") and not self.features.environments:
            raise InvalidInput(
                f"executor {self.config.executor!r} runs every job in its own environment "
                "and cannot install requirements for one; use executor 'ray', or install "
                "them in the environment",
                field="requirements",
            )
        return resolved

    def _sweep(self, resolved: dict) -> dict:
        """One execution per combination, their runs nested under one parent run."""
        parent = self.runs.create_parent(
            resolved["experiment"],
            f"{resolved['name']}-sweep",
            {"mlops.sweep.size": str(len(resolved["sweep"]))},
        )
        base = {k: v for k, v in resolved.items() if k != "sweep"}
        executions = [
            self.records.insert({**base, "parameters": values, "parent_run_id": parent})
            for values in resolved["sweep"]
        ]
        return {"parent_run_id": parent, "executions": [e.view() for e in executions]}

    def resolve_reference(self, job: str, field: str) -> tuple[dict, str | None]:
        """(job spec, definition id) of a reference to a job: a definition's id or name
        (the newest of that name; its schedule left out), else a notebook under the root."""
        definitions = self.records.definitions()  # newest first
        for definition in definitions:
            if job in (definition.id, definition.name):
                resolved = {k: v for k, v in definition.spec.items() if k != "schedule"}
                return resolved, definition.id
        if job.endswith(".ipynb"):
            try:
                return self._validate({"notebook": job}), None
            except InvalidInput as err:
                raise InvalidInput(err.message, field=field) from None
        names = sorted({d.name for d in definitions})
        raise InvalidInput(
            f"no job definition {job!r} (known: {', '.join(names) or 'none'}) and not a "
            "notebook path (.ipynb)",
            field=field,
        )

    def queue_reference(self, job: str, offered: dict, tags: dict[str, str]) -> dict:
        """Queue the job a reference names (see `resolve_reference`), given those of the
        `offered` values its notebook declares as parameters (a retraining trigger
        offers its deployment and window), with `tags` on its run."""
        resolved, definition_id = self.resolve_reference(job, field="trigger.job")
        declared = params.parameters(spec.resolve_notebook(self.config, resolved["notebook"]))
        chosen = params.check(declared, {k: v for k, v in offered.items() if k in declared})
        resolved = {
            **resolved,
            "parameters": {**resolved["parameters"], **chosen},
            "tags": {**resolved.get("tags", {}), **tags},
        }
        return self.records.insert(resolved, definition_id=definition_id).view()

    # Here and now (the CLI, in CI) ----------------------------------------------------

    def run_here(self, body: dict) -> dict:
        """Run a job to its end in this process, without an agent, retrying a failure as
        its retry policy says (waiting out the backoff here).

        Each attempt is recorded as started by this process from the start, so an agent
        never picks it up; if this process dies, an agent's reconciliation fails it.
        """
        resolved = self._validate(body)
        if "schedule" in resolved or "sweep" in resolved:
            raise InvalidInput("run executes one job now: leave out schedule and sweep")
        return self._run_attempts(resolved)

    def reproduce(self, execution_id: str) -> dict:
        """Run a succeeded execution again, here, and say whether its metrics match and,
        when not, which recorded inputs differ (notebook, packages, git, kernel...)."""
        previous = self.records.get(execution_id)
        if previous.status != ExecutionStatus.SUCCEEDED:
            raise Conflict(
                f"only a succeeded execution can be reproduced; {execution_id} is {previous.status}"
            )
        again = self._run_attempts(previous.spec, rerun_of=execution_id)
        before = self.runs.metrics(previous.mlflow_run_id)
        after = self.runs.metrics(again["mlflow_run_id"]) if again["mlflow_run_id"] else {}
        metrics = {
            key: {"before": before.get(key), "after": after.get(key)}
            for key in sorted(set(before) | set(after))
            if not _same(before.get(key), after.get(key))
        }
        inputs = {
            key: {"before": (previous.inputs or {}).get(key), "after": value}
            for key, value in (again["inputs"] or {}).items()
            if (previous.inputs or {}).get(key) != value
        }
        return {
            "execution": again,
            "reproduced": again["status"] == ExecutionStatus.SUCCEEDED and not metrics,
            "metric_differences": metrics,
            "input_differences": inputs,
        }

    def _run_attempts(self, resolved: dict, **first) -> dict:
        from ..runtime.gpus import visible
        from . import notebook_run
        from .worker import EXECUTION_ENV

        def run(execution: Execution) -> Outcome:
            environ = {
                **self.config.env(),
                "MLFLOW_RUN_ID": execution.mlflow_run_id,
                EXECUTION_ENV: execution.id,
                **visible(execution.gpu_ids or []),
            }
            return notebook_run.run(
                execution,
                self.lifecycle.paths(execution),
                environ,
                progress=self._progress(execution.id),
            )

        pid = os.getpid()
        here = {
            "status": ExecutionStatus.STARTING,
            "started_at": time.time(),
            "host": os.uname().nodename,
            "pid": pid,
            "pid_started": processes.start_time(pid),
            "gpu_ids": [g.id for g in self.gpus.gpus[: resolved["resources"]["gpus"]]],
        }
        execution = self.records.insert(resolved, **first, **here)
        while True:
            ended = self.lifecycle.run_here(execution, run)
            outcome = Outcome(ended.status, ended.error)
            delay = self.lifecycle.retry_delay(ended, outcome)
            if delay is None:
                return ended.view()
            time.sleep(delay)  # the policy's backoff, in the foreground: this is a CI step
            execution = self.records.insert(
                resolved, attempt=ended.attempt + 1, retry_of=ended.id, **first, **here
            )

    def _progress(self, execution_id: str) -> Callable[[int, int], None]:
        return lambda done, total: self.records.update(
            execution_id, cells_done=done, cells_total=total
        )

    # Listing and following ------------------------------------------------------------

    def executions(self, status: str | None = None, limit: int = 200) -> list[dict]:
        statuses = tuple(status.split(",")) if status else None
        return [e.view() for e in self.records.executions(statuses=statuses, limit=limit)]

    def execution(self, execution_id: str) -> dict:
        return self.records.get(execution_id).view()

    def definitions(self) -> list[dict]:
        return [d.view() for d in self.records.definitions()]

    def cancel(self, execution_id: str) -> dict:
        """A queued one ends now; a running one is stopped by the agent on its next step."""
        return self.lifecycle.cancel(execution_id).view()

    def rerun(self, execution_id: str) -> dict:
        """A new execution with the recorded spec (same notebook, parameters, kernel)."""
        previous = self.records.get(execution_id)
        return self.records.insert(
            previous.spec, definition_id=previous.definition_id, rerun_of=execution_id
        ).view()

    def logs(self, execution_id: str, offset: int = 0) -> dict:
        """The worker's log from byte `offset`: a client follows it by passing back `next`."""
        execution = self.records.get(execution_id)
        if offset < 0:
            raise InvalidInput("offset must be 0 or more", field="offset")
        path = self.lifecycle.paths(execution).log
        if not path.exists():
            # Run elsewhere (on a cluster, from another server on a shared state DB): the
            # log kept with its MLflow run at its end, once it has ended.
            return self._kept_log(execution, offset)
        size = path.stat().st_size
        if offset > size:
            # Seeking far past the end fails in the OS (EINVAL), not as a short read.
            raise InvalidInput(
                f"offset {offset} is past the end of the log ({size} bytes)", field="offset"
            )
        with path.open("rb") as log:
            log.seek(offset)
            chunk = log.read(MAX_LOG_BYTES)
        return {"text": chunk.decode(errors="replace"), "next": offset + len(chunk)}

    def _kept_log(self, execution: Execution, offset: int) -> dict:
        kept = None
        if execution.status in FINISHED and execution.mlflow_run_id:
            kept = self.runs.log_text(execution.mlflow_run_id)
        data = (kept or "").encode()
        if offset > len(data):
            raise InvalidInput(
                f"offset {offset} is past the end of the log ({len(data)} bytes)", field="offset"
            )
        chunk = data[offset : offset + MAX_LOG_BYTES]
        return {"text": chunk.decode(errors="replace"), "next": offset + len(chunk)}

    def gpu_inventory(self) -> list[dict]:
        return self.gpus.views()


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
