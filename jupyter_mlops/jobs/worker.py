"""The processes that run job executions.

`python -m jupyter_mlops.jobs.worker EXECUTION_ID --kernel=NAME --cwd=DIR` runs one
execution and exits (status 0 when the notebook ran to the end). It starts the job's
kernel first thing, so the kernel boots on another core while this process imports
papermill; the agent has opened the MLflow run already.

`python -m jupyter_mlops.jobs.worker EXECUTION_ID --kernel=NAME --on-ray` is the same,
as a Ray job's entrypoint: the notebook, its log and output notebook are in the working
directory Ray made for the job, and the GPUs are the ones Ray gave it.

`python -m jupyter_mlops.jobs.worker --standby` is a warm-pool worker: it imports
everything once, then for each job starts a fresh kernel ahead of time, says `ready`
on stdout, waits for one execution id on stdin and runs it on that kernel. A kernel
serves one job only, so no state leaks from one job to the next; the worker process
only saves the imports and start-up. It exits when its stdin closes (the agent let
the pool go), after a job it was asked to stop (cancel, a pruned trial), or after
MAX_JOBS jobs, and the agent starts another.

Either way the worker records how the execution ended through the lifecycle owner
(`lifecycle.finish`), which also queues the next attempt of a failed one.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from ..errors import StoreUnavailable
from .paths import ExecutionPaths

# The kernel's environment names the execution it runs (read by `%mlops` in it).
EXECUTION_ENV = "JUPYTER_MLOPS_EXECUTION_ID"
POOL_KERNEL = "python3"
MAX_JOBS = 50  # then the worker exits and a fresh one takes its place
# Seconds a worker keeps trying to record how its job ended while the state DB cannot be
# written; then it exits and the agent records the job as lost.
FINISH_PATIENCE = 300.0


def main(argv: list[str]) -> int:
    # jsonschema (under nbformat) builds some 35 Earley parsers at import for the `iri`
    # format, which no notebook schema uses: most of a second of every worker's start
    # (python-jsonschema/jsonschema#1428). Without the module, jsonschema skips that format.
    sys.modules.setdefault("rfc3987_syntax", None)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if argv == ["--standby"]:
        return standby()
    parser = argparse.ArgumentParser(prog="jupyter_mlops.jobs.worker")
    parser.add_argument("execution_id")
    parser.add_argument("--kernel", required=True)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--cwd")
    where.add_argument("--on-ray", action="store_true")
    args = parser.parse_args(argv)
    workdir = Path.cwd() if args.on_ray else None
    if args.on_ray:
        # Ray sets the variable for a job that asked for GPUs, and none for one that did
        # not, which would then see every GPU of its node (the kernel inherits this).
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    kernel = _start_kernel(args.kernel, args.cwd or str(workdir))
    worker = Worker.from_env(workdir)
    if workdir is not None:
        # What Ray keeps of the job's output is the cluster's: a copy is logged to the
        # run at the end (see lifecycle.finish), readable wherever the cluster is not.
        _tee(ExecutionPaths(worker.lifecycle.config, args.execution_id, "", workdir).log)
    # MLflow (a second to import, and its store to open) is needed only to close the
    # run, once the notebook has run: it loads meanwhile rather than after.
    threading.Thread(target=_load_tracking, args=(worker,), daemon=True).start()
    status = worker.run(args.execution_id, kernel)
    return 0 if status == "succeeded" else 1


class Worker:
    """Runs executions in this process and has their lifecycle record the outcome."""

    def __init__(self, lifecycle):
        self.lifecycle = lifecycle
        self.records = lifecycle.records

    @classmethod
    def from_env(cls, workdir: Path | None = None) -> Worker:
        # A process of its own: it builds the few collaborators it needs from the
        # configuration the agent handed it in the environment.
        from ..config import resolve
        from ..store import StateStore
        from ..tracking.job_runs import JobRuns
        from ..tracking.service import Tracking
        from .lifecycle import ExecutionLifecycle
        from .records import JobRecords

        config = resolve()
        lifecycle = ExecutionLifecycle(
            config,
            JobRecords(StateStore(config.state_url)),
            JobRuns(Tracking(config)),
            workdir=workdir,
        )
        return cls(lifecycle)

    def run(self, execution_id: str, kernel=None) -> str:
        """Run the execution to its end and record how it ended; its final status."""
        from ..runtime import gpus
        from . import notebook_run

        execution = self.records.get(execution_id)
        environ = {
            **self.lifecycle.config.env(),
            "MLFLOW_RUN_ID": execution.mlflow_run_id or "",
            EXECUTION_ENV: execution_id,
            **gpus.visible(self._gpu_ids(execution)),
        }
        outcome = notebook_run.run(
            execution,
            self.lifecycle.paths(execution),
            environ,
            kernel,
            progress=lambda done, total: self._progress(execution_id, done, total),
        )
        self._finish(execution, outcome)
        return self.records.get(execution_id).status

    def _gpu_ids(self, execution) -> list[str]:
        if self.lifecycle.workdir is None:
            return execution.gpu_ids or []
        # On Ray: the devices Ray reserved for the job (see main).
        return [g for g in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if g]

    def _progress(self, execution_id: str, done: int, total: int) -> None:
        try:
            self.records.update(execution_id, cells_done=done, cells_total=total)
        except StoreUnavailable as err:
            # Progress is a nicety: a full disk must not end the job here, nor hide why
            # it failed (its output notebook cannot be saved either, and says so).
            logging.warning("could not record progress: %s", err.message)

    def _finish(self, execution, outcome, clock=time.monotonic) -> None:
        """Record the outcome, waiting (with backoff) for a state DB that cannot be written
        now (a full disk is often freed soon): the outcome says why the job failed, which
        the agent cannot know once this process is gone."""
        deadline, delay, said = clock() + FINISH_PATIENCE, 0.5, False
        while True:
            try:
                self.lifecycle.finish(execution, outcome)
                return
            except StoreUnavailable as err:
                if clock() + delay > deadline:
                    raise
                if not said:
                    logging.error("could not record how the job ended (%s); retrying", err.message)
                    said = True
                time.sleep(delay)
                delay = min(delay * 2, 10.0)


def _tee(log: Path) -> None:
    """Copy everything this process writes to stdout and stderr into `log` as well."""
    log.parent.mkdir(parents=True, exist_ok=True)
    copy = log.open("ab", buffering=0)
    read, write = os.pipe()
    out = os.dup(1)
    os.dup2(write, 1)
    os.dup2(write, 2)
    os.close(write)

    def pump() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGALRM})
        while chunk := os.read(read, 65536):
            os.write(out, chunk)
            copy.write(chunk)

    threading.Thread(target=pump, daemon=True).start()


def _start_kernel(name: str, cwd: str):
    from . import kernels

    try:
        return kernels.start(name, cwd)
    except Exception:
        # papermill meets the same error when it starts one, which records it on the job.
        logging.exception("could not start kernel %s", name)
        return None


def _load_tracking(worker: Worker) -> None:
    # The OS hands a process signal to any thread that does not block it; cancel and
    # timeout must reach the main thread, where papermill waits on the kernel.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGALRM})
    worker.lifecycle.runs.tracking.client  # noqa: B018


def standby() -> int:
    from . import kernels

    # The pipe to the agent carries only the protocol; anything else printed goes to
    # the log, so a stray print cannot be mistaken for `ready`.
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    idle_log = os.dup(2)
    worker = Worker.from_env()
    config = worker.lifecycle.config
    # Connections opened before a job arrives.
    worker.lifecycle.runs.tracking.client  # noqa: B018
    worker.records.executions(limit=1)
    baseline = dict(os.environ)
    for _ in range(MAX_JOBS):
        kernel = kernels.start(POOL_KERNEL, config.root_dir)
        try:
            kernels.wait_ready(kernel)
            protocol.write("ready\n")
            protocol.flush()
            execution_id = sys.stdin.readline().strip()
            if not execution_id:
                return 0  # the pool was let go
            log = worker.lifecycle.paths(worker.records.get(execution_id)).log
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("ab") as out:
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
            if worker.run(execution_id, kernel) == "cancelled":
                # The agent stopped the job and waits for this process group to end:
                # exiting now ends that wait, and a fresh worker takes this one's place.
                return 0
        finally:
            kernels.shutdown(kernel)
            # Back to the state before the job: its variables and log are its own.
            os.environ.clear()
            os.environ.update(baseline)
            os.dup2(idle_log, 1)
            os.dup2(idle_log, 2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
