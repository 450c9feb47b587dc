"""The processes that run job executions.

`python -m jupyter_mlops.jobs.worker EXECUTION_ID --kernel=NAME --cwd=DIR` runs one
execution and exits (status 0 when the notebook ran to the end). It starts the job's
kernel first thing, so the kernel boots on another core while this process imports
papermill; the agent has opened the MLflow run already.

`python -m jupyter_mlops.jobs.worker --standby` is a warm-pool worker: it imports
everything once, then for each job starts a fresh kernel ahead of time, says `ready`
on stdout, waits for one execution id on stdin and runs it on that kernel. A kernel
serves one job only, so no state leaks from one job to the next; the worker process
only saves the imports and start-up. It exits when its stdin closes (the agent let
the pool go) or after MAX_JOBS jobs, and the agent starts another.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

# jsonschema (under nbformat) builds some 35 Earley parsers at import for the `iri`
# format, which no notebook schema uses: most of a second of every worker's start
# (python-jsonschema/jsonschema#1428). Without the module, jsonschema skips that format.
sys.modules.setdefault("rfc3987_syntax", None)

POOL_KERNEL = "python3"
MAX_JOBS = 50  # then the worker exits and a fresh one takes its place


def main(argv: list[str]) -> int:
    if argv == ["--standby"]:
        return standby()
    parser = argparse.ArgumentParser(prog="jupyter_mlops.jobs.worker")
    parser.add_argument("execution_id")
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--cwd", required=True)
    args = parser.parse_args(argv)
    _log_to_stderr()
    kernel = _start_kernel(args.kernel, args.cwd)
    from ..services import Services

    services = Services.from_env()
    # MLflow (a second to import, and its store to open) is needed only to close the
    # run, once the notebook has run: it loads meanwhile rather than after.
    threading.Thread(target=_load_tracking, args=(services,), daemon=True).start()
    from .execute import execute

    status = execute(services, args.execution_id, kernel=kernel)
    return 0 if status == "succeeded" else 1


def _start_kernel(name: str, cwd: str):
    from . import kernels

    try:
        return kernels.start(name, cwd)
    except Exception:
        # papermill meets the same error inside execute, which records it on the job.
        logging.exception("could not start kernel %s", name)
        return None


def _load_tracking(services) -> None:
    # The OS hands a process signal to any thread that does not block it; cancel and
    # timeout must reach the main thread, where papermill waits on the kernel.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGALRM})
    services.tracking.client  # noqa: B018


def standby() -> int:
    from ..services import Services
    from . import kernels
    from .execute import EXECUTION_ENV, execute

    # The pipe to the agent carries only the protocol; anything else printed goes to
    # the log, so a stray print cannot be mistaken for `ready`.
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    idle_log = os.dup(2)
    _log_to_stderr()
    services = Services.from_env()
    services.tracking.client  # noqa: B018 - connections opened before a job arrives
    services.store  # noqa: B018
    baseline = dict(os.environ)
    for _ in range(MAX_JOBS):
        kernel = kernels.start(POOL_KERNEL, services.config.root_dir)
        try:
            kernels.wait_ready(kernel)
            protocol.write("ready\n")
            protocol.flush()
            execution_id = sys.stdin.readline().strip()
            if not execution_id:
                return 0  # the pool was let go
            log = services.config.home / "jobs" / execution_id / "log.txt"
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("ab") as out:
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
            os.environ[EXECUTION_ENV] = execution_id
            execute(services, execution_id, kernel=kernel)
        finally:
            kernels.shutdown(kernel)
            # Back to the state before the job: its variables and log are its own.
            os.environ.clear()
            os.environ.update(baseline)
            os.dup2(idle_log, 1)
            os.dup2(idle_log, 2)
    return 0


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
