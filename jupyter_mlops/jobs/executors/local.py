"""The local executor: each execution in a worker process of its own process group on
this host, a warm pool of workers ready for the next jobs.

Jobs on the pool's kernel that need no GPU go to a warm standby worker when one is
ready; the others, and any job when none is, to a worker started for them.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from typing import TYPE_CHECKING

from ...runtime import gpus, processes
from ..paths import ExecutionPaths
from ..worker import EXECUTION_ENV, POOL_KERNEL
from .base import Executor, ExecutorFeatures, Handle

if TYPE_CHECKING:
    from ...config import MLOpsConfig
    from ..records import Execution

WORKER = [sys.executable, "-m", "jupyter_mlops.jobs.worker"]


class LocalExecutor(Executor):
    name = "local"
    features = ExecutorFeatures(gpus=True, cancel=True, live_log=True)

    def __init__(self, config: MLOpsConfig):
        super().__init__(config)
        self.host = os.uname().nodename
        self._children: dict[int, subprocess.Popen] = {}
        self._pool: list[subprocess.Popen] = []  # warm workers, busy or ready
        self._ready: set[int] = set()

    def start(self, execution: Execution) -> Handle:
        gpu_ids = execution.gpu_ids or []
        process = self._take_standby(execution) if not gpu_ids else None
        if process is None:
            paths = ExecutionPaths.of(self.config, execution)
            env = {
                **self._env(gpu_ids),
                EXECUTION_ENV: execution.id,
                "MLFLOW_RUN_ID": execution.mlflow_run_id,
            }
            process = processes.start(
                [
                    *WORKER,
                    execution.id,
                    f"--kernel={execution.spec['kernel']}",
                    f"--cwd={paths.notebook.parent}",
                ],
                env=env,
                log=paths.log,
                cwd=self.config.root_dir,
            )
            self._children[process.pid] = process
        self.tick()
        return Handle(self.host, process.pid, processes.start_time(process.pid) or "")

    def tick(self) -> None:
        """Start warm workers until the pool has its size; cheap when it has."""
        for process in self._pool:
            if process.poll() is not None:  # exited (recycled, cancelled): reaped here
                _close_pipes(process)
        self._pool = [p for p in self._pool if p.returncode is None]
        self._ready &= {p.pid for p in self._pool}
        while len(self._pool) < self.config.job_pool_size:
            self._pool.append(
                processes.start(
                    [*WORKER, "--standby"],
                    env=self._env([]),
                    log=ExecutionPaths.pool_log(self.config),
                    cwd=self.config.root_dir,
                    pipes=True,
                )
            )

    def close(self) -> None:
        """Let the pool go: stdin closes, each worker ends after its current job."""
        for process in self._pool:
            process.stdin.close()
        for process in self._pool:
            if process.pid not in self._ready and not _says_ready(process):
                continue  # busy: it finishes its job, then sees stdin closed and exits
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                processes.stop_group(process.pid)
            _close_pipes(process)
        self._pool = []

    def ready(self) -> int:
        """How many warm workers wait, their kernel started, for a job."""
        for process in self._pool:
            if process.pid not in self._ready and _says_ready(process):
                self._ready.add(process.pid)
        return sum(1 for p in self._pool if p.pid in self._ready and p.poll() is None)

    def _take_standby(self, execution: Execution) -> subprocess.Popen | None:
        if execution.spec["kernel"] != POOL_KERNEL or not self.ready():
            return None
        for process in self._pool:
            if process.pid in self._ready and process.poll() is None:
                self._ready.discard(process.pid)
                process.stdin.write(f"{execution.id}\n".encode())
                process.stdin.flush()
                return process
        return None

    def _env(self, gpu_ids: list[str]) -> dict[str, str]:
        # Exactly the GPUs it was given; none at all when it asked for none.
        return {**os.environ, **self.config.env(), **gpus.visible(gpu_ids)}

    def alive(self, handle: Handle) -> bool:
        if handle.host != self.host:
            return True  # not ours to judge: another host's agent watches it
        child = self._children.get(handle.pid)
        if child is not None and child.poll() is not None:  # reaped: no zombie left
            del self._children[handle.pid]
            _close_pipes(child)
            return False
        return processes.alive(handle.pid, handle.started)

    def stop(self, handle: Handle) -> None:
        if handle.host == self.host and processes.alive(handle.pid, handle.started):
            processes.stop_group(handle.pid)
        self.alive(handle)  # reap


def _close_pipes(process: subprocess.Popen) -> None:
    for pipe in (process.stdin, process.stdout):
        if pipe is not None and not pipe.closed:
            pipe.close()


def _says_ready(process: subprocess.Popen) -> bool:
    """Whether a standby worker has printed `ready`, without waiting for it."""
    if process.poll() is not None:
        return False
    readable, _, _ = select.select([process.stdout], [], [], 0)
    return bool(readable) and process.stdout.readline().strip() == b"ready"
