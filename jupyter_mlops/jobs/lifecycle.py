"""The one owner of a job execution's life, from queued to a terminal status.

    queued -> starting -> running -> succeeded | failed | cancelled
                                            (failed, attempts left: the next attempt queued)

Every move is a guarded claim (`JobRecords.claim`: from the status seen to the next) made
here and nowhere else, so an agent, a worker and a door racing on one execution cannot
both move it. As jupyter-scheduler's `process()` does, `start` and `run_here` are template
methods: `prepare` (the MLflow run opened, the paths, what reproducing needs), then the
start, then the run, then `finish` (the one terminal move: on_complete or on_failure).
`finish` closes the MLflow run and applies the retry policy to every failure kind (a
notebook error, a dead kernel, a timeout, a lost worker, a failed start) in the same
transaction as the move, so a failed attempt is retried exactly once. Cancel is a
request: a queued execution ends at once, a started one is stopped by the agent and
recorded by whoever sees it end first.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..config import MLOpsConfig
from ..errors import Conflict, InvalidInput
from ..tracking import capture, lineage
from ..tracking.job_runs import JobRuns
from . import params, snapshot
from .executors.base import Executor, Handle
from .paths import ExecutionPaths
from .records import (
    FINISHED,
    STARTED,
    Execution,
    ExecutionStatus,
    FailureKind,
    JobRecords,
    Outcome,
)

log = logging.getLogger(__name__)

# MLflow's status of the run of an execution that ended so.
RUN_STATUS = {
    ExecutionStatus.SUCCEEDED: "FINISHED",
    ExecutionStatus.FAILED: "FAILED",
    ExecutionStatus.CANCELLED: "KILLED",
}
# The worker enforces the job's timeout itself; the agent steps in only if the worker
# is stuck past it by this much.
TIMEOUT_GRACE = 30.0


class ExecutionLifecycle:
    def __init__(
        self,
        config: MLOpsConfig,
        records: JobRecords,
        runs: JobRuns,
        clock: Callable[[], float] = time.time,
        workdir: Path | None = None,
    ):
        self.config = config
        self.records = records
        self.runs = runs
        self.clock = clock
        # Set in a worker a cluster runs: its files are in the job's working directory.
        self.workdir = workdir

    def paths(self, execution: Execution) -> ExecutionPaths:
        return ExecutionPaths.of(self.config, execution, self.workdir)

    # The agent's template: queued -> starting -> running ---------------------------------

    def start(self, execution: Execution, gpu_ids: list[str], executor: Executor) -> bool:
        """Claim a queued execution, prepare it and hand it to `executor`. False when
        another agent claimed it first, or it could not start (then it has failed, and
        is retried by policy)."""
        if not self.records.claim(
            execution.id,
            ExecutionStatus.QUEUED,
            ExecutionStatus.STARTING,
            started_at=self.clock(),
            gpu_ids=gpu_ids,
        ):
            return False
        execution = self.records.get(execution.id)
        try:
            execution = self.prepare(execution)
            handle = executor.start(execution)
        except InvalidInput as err:  # a notebook moved out of the root, a hostile row
            log.warning("could not start job execution %r: %s", execution.id, err.message)
            self.finish(execution, _start_failure(err))
            return False
        except Exception as err:  # MLflow's store, the OS
            log.exception("could not start job execution %s", execution.id)
            self.finish(execution, _start_failure(err))
            return False
        if not self.records.claim(
            execution.id,
            ExecutionStatus.STARTING,
            ExecutionStatus.RUNNING,
            host=handle.host,
            pid=handle.pid,
            pid_started=handle.started,
        ):  # it ended while starting (its worker was quick to fail): nothing to record
            return False
        return True

    def prepare(self, execution: Execution) -> Execution:
        """Open the execution's MLflow run and record it, its output path and what
        reproducing it needs, before its notebook runs."""
        spec, paths = execution.spec, self.paths(execution)
        paths.check()  # the row may not be what submission validated (see paths.py)
        notebook = paths.notebook
        tags = {
            lineage.JOB_ID: execution.id,
            **spec.get("tags", {}),
            # A sweep's children show nested under its parent run in MLflow's UI.
            **({"mlflow.parentRunId": spec["parent_run_id"]} if spec.get("parent_run_id") else {}),
        }
        run_id = self.runs.create(spec["experiment"], f"{spec['name']}-{execution.id[:8]}", tags)
        # Recorded first, so that whatever fails next closes this run (see finish).
        self.records.update(execution.id, mlflow_run_id=run_id, output_path=paths.output_relative)
        injected = snapshot.parameterized(notebook, spec["kernel"], spec["parameters"])
        effective = _effective(notebook, spec["parameters"])
        self.runs.describe(
            run_id, notebook, spec["kernel"], effective, injected, overridden=spec["parameters"]
        )
        self.records.update(execution.id, inputs=_inputs(notebook, spec, self.config.home))
        return self.records.get(execution.id)

    # In this process (`jupyter mlops run`, reproduce) -------------------------------------

    def run_here(self, execution: Execution, run: Callable[[Execution], Outcome]) -> Execution:
        """Prepare, run and finish an execution recorded as starting in this process."""
        try:
            execution = self.prepare(execution)
        except Exception as err:
            self.finish(execution, _start_failure(err), requeue=False)
            return self.records.get(execution.id)
        if self.records.claim(execution.id, ExecutionStatus.STARTING, ExecutionStatus.RUNNING):
            self.finish(execution, run(execution), requeue=False)
        return self.records.get(execution.id)

    # The one terminal move ---------------------------------------------------------------

    def finish(self, execution: Execution, outcome: Outcome, *, requeue: bool = True) -> bool:
        """Record how the execution ended, close its run and, when it failed with attempts
        left (and `requeue`), queue the next attempt with its backoff. False when it had
        ended already (its worker and the agent may both see the end)."""
        latest = self.records.get(execution.id)
        if latest.status in FINISHED:
            return False
        if latest.cancel_requested and outcome.status != ExecutionStatus.SUCCEEDED:
            outcome = Outcome.cancelled()  # however the stop surfaced (signal, dead kernel)
        # The run is closed before the status moves, so whoever sees the execution ended
        # finds its run ended too. Both finishers of a race close it alike (idempotent).
        recorded = self._close_run(latest, outcome.status) if latest.mlflow_run_id else {}
        now = self.clock()
        follow_up = self.next_attempt(latest, outcome, now) if requeue else None
        return self.records.claim(
            latest.id,
            STARTED,
            outcome.status,
            follow_up=follow_up,
            finished_at=now,
            error=outcome.error,
            **recorded,
        )

    def next_attempt(self, execution: Execution, outcome: Outcome, now: float) -> dict | None:
        """The next attempt's row when the retry policy wants one, else None."""
        delay = self.retry_delay(execution, outcome)
        if delay is None:
            return None
        return self.records.new_execution(
            execution.spec,
            definition_id=execution.definition_id,
            attempt=execution.attempt + 1,
            retry_of=execution.id,
            not_before=now + delay,
        )

    @staticmethod
    def retry_delay(execution: Execution, outcome: Outcome) -> float | None:
        """Seconds before the next attempt (exponential backoff), or None: no retry."""
        retry = execution.spec["retry"]
        if outcome.status != ExecutionStatus.FAILED or execution.attempt >= retry["max_attempts"]:
            return None
        return retry["backoff_seconds"] * 2 ** (execution.attempt - 1)

    def _close_run(self, execution: Execution, status: ExecutionStatus) -> dict:
        """Close the run; what it adds to the execution's record."""
        try:
            paths = self.paths(execution)
            features = self.runs.close(
                execution.mlflow_run_id, RUN_STATUS[status], paths.output, paths.log
            )
        except Exception:  # the run may be gone; the execution record says what happened
            log.warning("could not close run %s of %s", execution.mlflow_run_id, execution.id)
            return {}
        # The feature versions its training sets came from are inputs a reproduction compares.
        if not features:
            return {}
        return {"inputs": {**(execution.inputs or {}), "features": features}}

    # Requests and watching -----------------------------------------------------------------

    def cancel(self, execution_id: str) -> Execution:
        """A queued execution ends now; a started one is stopped by the agent."""
        execution = self.records.get(execution_id)
        if execution.status in FINISHED:
            raise Conflict(f"job execution {execution_id} already {execution.status}")
        if not self.records.claim(
            execution_id,
            ExecutionStatus.QUEUED,
            ExecutionStatus.CANCELLED,
            finished_at=self.clock(),
            error=Outcome.cancelled().error,
        ):
            self.records.update(execution_id, cancel_requested=True)
        return self.records.get(execution_id)

    def watch(self, execution: Execution, executor: Executor, now: float) -> None:
        """One agent step for a running execution: it ended without a word, was asked to
        stop, or ran past its timeout and a grace."""
        handle = handle_of(execution)
        if not executor.alive(handle):
            # Its worker records how it ended before exiting; if it did not, it was lost.
            self.finish(execution, lost("the worker process exited"))
        elif execution.cancel_requested:
            executor.stop(handle)
            self.finish(execution, Outcome.cancelled())
        elif now > (execution.started_at or now) + execution.spec["timeout"] + TIMEOUT_GRACE:
            executor.stop(handle)
            self.finish(
                execution,
                Outcome.failed(FailureKind.TIMEOUT, "Timeout", "the job ran past its timeout"),
            )

    def reconcile(self, executor: Executor) -> None:
        """After an agent takes over: executions whose process is gone, or that a dead
        agent was starting, failed (and are retried by policy)."""
        for execution in self.records.executions(statuses=STARTED, limit=None):
            if not execution.host:  # recorded with its handle, when it was handed over
                self.finish(execution, lost("the agent that was starting it stopped"))
            elif not executor.alive(handle_of(execution)):
                self.finish(execution, lost("the worker process is gone"))


def handle_of(execution: Execution) -> Handle:
    return Handle(execution.host or "", execution.pid, execution.pid_started or "")


def lost(why: str) -> Outcome:
    return Outcome.failed(FailureKind.LOST_WORKER, "WorkerLost", why)


def _start_failure(err: Exception) -> Outcome:
    message = getattr(err, "message", None) or str(err)
    return Outcome.failed(FailureKind.START, "StartFailed", message)


def _effective(notebook: Path, overrides: dict) -> dict:
    """Every parameter the notebook ran with: the parameters cell's defaults (a literal's
    value, else its source text) with the execution's overrides over them, so runs
    compare on all of them, not only on those someone happened to set."""
    try:
        declared = params.parameters(notebook)
    except InvalidInput:  # unreadable now: the overrides are what is known
        declared = {}
    return {**{name: spec["default"] for name, spec in declared.items()}, **overrides}


def _inputs(notebook, spec: dict, home) -> dict:
    """What reproducing an execution needs, and what a reproduction compares."""
    git = capture.git_state(notebook.parent, ignore=home)  # the job itself writes there
    return {
        "notebook_sha256": hashlib.sha256(notebook.read_bytes()).hexdigest(),
        "parameters": spec["parameters"],
        "kernel": spec["kernel"],
        "python": sys.version.split()[0],
        "packages_sha256": hashlib.sha256(capture.requirements().encode()).hexdigest(),
        "git_commit": git[0] if git else None,
        "git_dirty": git[1] if git else None,
    }
