"""Where executions run. The scheduler only calls this interface, so a Ray executor
(one task per job, GPUs as Ray resources) can replace the local one by configuration."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Protocol

from ..config import MLOpsConfig
from . import processes
from .execute import EXECUTION_ENV


@dataclass(frozen=True)
class Handle:
    host: str
    pid: int
    started: str  # with the pid, identifies the process across agent restarts


class Executor(Protocol):
    def start(self, execution: dict, gpu_ids: list[str]) -> Handle: ...

    def alive(self, handle: Handle) -> bool: ...

    def stop(self, handle: Handle) -> None: ...


class LocalExecutor:
    """Each execution in a worker process of its own process group on this host."""

    def __init__(self, config: MLOpsConfig):
        self.config = config
        self.host = os.uname().nodename
        self._children: dict[int, object] = {}

    def start(self, execution: dict, gpu_ids: list[str]) -> Handle:
        env = {
            **os.environ,
            **self.config.env(),
            EXECUTION_ENV: execution["id"],
            # Exactly the GPUs it was given; none at all when it asked for none.
            "CUDA_VISIBLE_DEVICES": ",".join(gpu_ids),
        }
        log = self.config.home / "jobs" / execution["id"] / "log.txt"
        process = processes.start(
            [sys.executable, "-m", "jupyter_mlops.jobs.worker", execution["id"]],
            env=env,
            log=log,
            cwd=self.config.root_dir,
        )
        self._children[process.pid] = process
        started = processes.start_time(process.pid)
        return Handle(self.host, process.pid, started or "")

    def alive(self, handle: Handle) -> bool:
        if handle.host != self.host:
            return True  # not ours to judge: another host's agent watches it
        child = self._children.get(handle.pid)
        if child is not None and child.poll() is not None:  # reaped: no zombie left
            del self._children[handle.pid]
            return False
        return processes.alive(handle.pid, handle.started)

    def stop(self, handle: Handle) -> None:
        if handle.host == self.host and processes.alive(handle.pid, handle.started):
            processes.stop_group(handle.pid)
        self.alive(handle)  # reap


EXECUTORS = {"local": LocalExecutor}
