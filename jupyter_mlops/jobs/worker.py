"""The processes that run job executions.

`python -m jupyter_mlops.jobs.worker EXECUTION_ID` runs one execution and exits
(status 0 when the notebook ran to the end).

`python -m jupyter_mlops.jobs.worker --standby` is a warm-pool worker: it imports
everything once, then for each job starts a fresh kernel ahead of time, says `ready`
on stdout, waits for one execution id on stdin and runs it on that kernel. A kernel
serves one job only, so no state leaks from one job to the next; the worker process
only saves the imports and start-up. It exits when its stdin closes (the agent let
the pool go) or after MAX_JOBS jobs, and the agent starts another.
"""

from __future__ import annotations

import logging
import os
import sys

from ..services import Services

POOL_KERNEL = "python3"
MAX_JOBS = 50  # then the worker exits and a fresh one takes its place


def main(argv: list[str]) -> int:
    if argv == ["--standby"]:
        return standby()
    (execution_id,) = argv
    _log_to_stderr()
    from .execute import execute

    return 0 if execute(Services.from_env(), execution_id) == "succeeded" else 1


def standby() -> int:
    from jupyter_client import KernelManager

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
        kernel = KernelManager(kernel_name=POOL_KERNEL)
        kernel.start_kernel(cwd=str(services.config.root_dir))
        try:
            client = kernel.blocking_client()
            client.start_channels()
            client.wait_for_ready(timeout=60)
            client.stop_channels()
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
            if kernel.has_kernel:
                kernel.shutdown_kernel(now=True)
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
