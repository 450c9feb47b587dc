"""An executor a package could register (entry point `jupyter_mlops.executors`): each
execution's worker started as a plain child process, every start written down, and no
GPUs, cancel or live log offered. The executor-registry tests install it."""

from __future__ import annotations

import os
import sys

from jupyter_mlops.jobs.executors import Executor, ExecutorFeatures, Handle
from jupyter_mlops.jobs.paths import ExecutionPaths
from jupyter_mlops.runtime import processes

STARTS = "recording-executor.starts"  # under the home: one execution id a line


class RecordingExecutor(Executor):
    name = "recording"
    features = ExecutorFeatures(gpus=False, cancel=False, live_log=False)

    def start(self, execution) -> Handle:
        paths = ExecutionPaths.of(self.config, execution)
        argv = [sys.executable, "-m", "jupyter_mlops.jobs.worker", execution.id]
        argv += [f"--kernel={execution.spec['kernel']}", f"--cwd={paths.notebook.parent}"]
        env = {**os.environ, **self.config.env(), "MLFLOW_RUN_ID": execution.mlflow_run_id}
        process = processes.start(argv, env=env, log=paths.log, cwd=self.config.root_dir)
        with (self.config.home / STARTS).open("a") as starts:
            starts.write(f"{execution.id}\n")
        return Handle(os.uname().nodename, process.pid, processes.start_time(process.pid) or "")

    def alive(self, handle: Handle) -> bool:
        return processes.alive(handle.pid, handle.started)

    def stop(self, handle: Handle) -> None:
        processes.stop_group(handle.pid)
