"""The Ray executor: each execution is one Ray job, submitted through the Ray Jobs API to
the cluster at `ray_address` (its dashboard, http://HOST:8265).

The job's entrypoint is the same worker the local executor starts (`jobs/worker.py`,
`--on-ray`): it runs the notebook with papermill in the Ray job's working directory (a
copy of the notebook's folder that Ray ships with the job), records progress and the
outcome in the state DB, and logs the output notebook to the execution's MLflow run, so
neither needs the user's disk. Ray reserves the job's GPUs, CPUs and memory and sets
CUDA_VISIBLE_DEVICES; the submission id is derived from the execution id, so a submit
retried after a lost answer can never run an execution twice.

The agent follows each job it started or adopted: Ray's log is copied into the
execution's log as it grows (the panel follows that file), and a job Ray no longer runs
is over. `ray` is imported here only: the base install does not need it.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import InvalidInput
from ...runtime.gpus import Gpu, GpuInventory
from ..paths import ExecutionPaths
from ..worker import EXECUTION_ENV
from .base import Executor, ExecutorFeatures, Handle

try:
    from ray.job_submission import JobStatus, JobSubmissionClient
except ImportError as missing:  # refused where the configuration is read (executors.load)
    raise ImportError(
        'executor "ray" needs Ray: pip install "jupyter_mlops[ray]"', name=missing.name
    ) from missing

if TYPE_CHECKING:
    from ...config import MLOpsConfig
    from ..records import Execution

log = logging.getLogger(__name__)

HOST = "ray"  # what an execution's `host` says: the cluster runs it, not a machine of ours
SUBMISSION_PREFIX = "mlops-"
# What Ray's working_dir must not carry: the home (stores, other jobs' outputs) and
# what Lab and git keep beside notebooks.
EXCLUDES = [".mlops", ".mlops-team", ".git", ".ipynb_checkpoints", "__pycache__", "node_modules"]
# Ray refuses a working_dir past its own limit (500 MiB) only after zipping it; ours is
# checked before, and says which folder.
MAX_WORKING_DIR = 100 * 1024 * 1024
ENDED = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED}


def submission_id(execution_id: str) -> str:
    return SUBMISSION_PREFIX + execution_id


class RayExecutor(Executor):
    name = "ray"
    features = ExecutorFeatures(gpus=True, cancel=True, live_log=True, environments=True)

    def __init__(self, config: MLOpsConfig, client: JobSubmissionClient | None = None):
        super().__init__(config)
        if client is None:
            self.check(config)
        self._client = client
        # Jobs whose log this agent copies: submission id -> bytes copied so far.
        self._following: dict[str, int] = {}

    @classmethod
    def check(cls, config: MLOpsConfig) -> None:
        if not config.ray_address:
            raise InvalidInput(
                'executor "ray" needs the cluster\'s address: c.MLOpsApp.ray_address or '
                "JUPYTER_MLOPS_RAY_ADDRESS (its dashboard, http://HOST:8265)",
                field="ray_address",
            )

    @classmethod
    def inventory(cls, config: MLOpsConfig) -> GpuInventory:
        return ClusterGpus(config.ray_address or "")

    @property
    def client(self) -> JobSubmissionClient:
        # Built on first use: the constructor asks the cluster for its version, and a
        # server must start (and say what is wrong) while the cluster is down.
        if self._client is None:
            self._client = JobSubmissionClient(self.config.ray_address)
        return self._client

    # Executor ----------------------------------------------------------------------------

    def start(self, execution: Execution) -> Handle:
        resources = execution.spec["resources"]
        sid = submission_id(execution.id)
        try:
            self.client.submit_job(
                entrypoint=_entrypoint(execution),
                submission_id=sid,
                runtime_env=self._runtime_env(execution),
                entrypoint_num_gpus=resources.get("gpus", 0),
                entrypoint_num_cpus=resources.get("cpus", 1),
                entrypoint_memory=int(resources.get("memory_gb", 0) * 1024**3),
                metadata={"execution": execution.id, "name": execution.spec["name"]},
            )
        except RuntimeError as err:
            # Submitted already (an answer lost on the way back): it runs once, as is.
            if "already exists" not in str(err):
                raise
        self._following.setdefault(sid, 0)
        return Handle(HOST, None, sid)

    def _runtime_env(self, execution: Execution) -> dict:
        folder = ExecutionPaths.of(self.config, execution).notebook.parent
        _check_size(folder)
        runtime_env = {
            "working_dir": str(folder),
            "excludes": EXCLUDES,
            "env_vars": {
                **self.config.env(),
                EXECUTION_ENV: execution.id,
                "MLFLOW_RUN_ID": execution.mlflow_run_id or "",
            },
        }
        if execution.spec.get("requirements"):
            # Installed by Ray in a virtualenv over the cluster's packages, for this job
            # only (and kept for the next job naming the same ones).
            runtime_env["pip"] = execution.spec["requirements"]
        return runtime_env

    def alive(self, handle: Handle) -> bool:
        if handle.host != HOST:
            return True  # started by another executor: not ours to judge
        sid = handle.started
        try:
            status = self.client.get_job_status(sid)
        except RuntimeError as err:
            if "does not exist" in str(err) or "404" in str(err):
                self._following.pop(sid, None)
                return False  # the cluster lost it (restarted, or the job was deleted)
            log.warning("could not ask Ray about job %s: %s", sid, err)
            return True  # the cluster did not answer: judged at the next step
        except (ConnectionError, OSError) as err:
            log.warning("could not ask Ray about job %s: %s", sid, err)
            return True
        self._following.setdefault(sid, 0)  # adopted after an agent restart
        if status in ENDED:
            self._copy_log(sid)
            self._following.pop(sid, None)
            return False
        return True

    def stop(self, handle: Handle) -> None:
        if handle.host != HOST:
            return
        try:
            # Ray sends SIGTERM (the worker records `cancelled`), then SIGKILL.
            self.client.stop_job(handle.started)
        except RuntimeError as err:
            log.warning("could not stop Ray job %s: %s", handle.started, err)

    def tick(self) -> None:
        """Copy the new part of each followed job's log into its execution's log, and
        stop following the jobs Ray has ended. (The worker records the end a moment
        before its Ray job exits, so `alive` is not asked again about such a job: left
        here, each step would fetch the logs of every job ever run.)"""
        for sid in list(self._following):
            try:
                ended = self.client.get_job_status(sid) in ENDED
                self._copy_log(sid)
            except (RuntimeError, ConnectionError, OSError) as err:
                log.warning("could not copy the log of Ray job %s: %s", sid, err)
                continue
            if ended:
                self._following.pop(sid, None)

    def close(self) -> None:
        self._following.clear()

    # Helpers ---------------------------------------------------------------------------

    def _copy_log(self, sid: str) -> None:
        text = self.client.get_job_logs(sid).encode()
        copied = self._following.get(sid, 0)
        if len(text) <= copied:
            return
        paths = ExecutionPaths(self.config, sid.removeprefix(SUBMISSION_PREFIX), "")
        paths.log.parent.mkdir(parents=True, exist_ok=True)
        with paths.log.open("ab") as out:
            out.write(text[copied:])
        self._following[sid] = len(text)


def _entrypoint(execution: Execution) -> str:
    # Ray takes a command line, run by a shell: every part is quoted. `python` is the
    # cluster's (on the PATH `ray start` ran with), not this host's interpreter.
    return shlex.join(
        [
            "python",
            "-m",
            "jupyter_mlops.jobs.worker",
            execution.id,
            f"--kernel={execution.spec['kernel']}",
            "--on-ray",
        ]
    )


def _check_size(folder: Path) -> None:
    total = 0
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in EXCLUDES]
        for name in files:
            try:
                total += (Path(parent) / name).lstat().st_size
            except OSError:
                continue
            if total > MAX_WORKING_DIR:
                raise InvalidInput(
                    f"the notebook's folder {str(folder)!r} holds more than "
                    f"{MAX_WORKING_DIR // 2**20} MiB, which Ray would ship with the job: "
                    "move the notebook into a folder of its own",
                    field="notebook",
                )


class ClusterGpus(GpuInventory):
    """The cluster's GPUs, as many slots as it has (Ray picks the devices): what the job
    form offers and what a job may ask for. Asked again after a while, as nodes come
    and go; while the cluster does not answer, the last answer stands."""

    TTL = 30.0

    def __init__(self, address: str):
        super().__init__(None)
        self.address = address.rstrip("/")
        self._known: tuple[float, list[Gpu]] | None = None

    @property
    def gpus(self) -> list[Gpu]:  # type: ignore[override]  # not cached for good
        now = time.monotonic()
        if self._known is None or now - self._known[0] > self.TTL:
            try:
                total = _cluster_gpus(self.address)
            except (OSError, ValueError, KeyError) as err:
                log.warning("could not read the Ray cluster's resources: %s", err)
                return self._known[1] if self._known else []
            self._known = (now, [Gpu(str(i), "Ray cluster GPU") for i in range(total)])
        return self._known[1]


def _cluster_gpus(address: str) -> int:
    # The dashboard's cluster status (what `ray status` prints): GPUs [in use, total].
    with urllib.request.urlopen(f"{address}/api/cluster_status", timeout=10) as answer:
        usage = json.load(answer)["data"]["clusterStatus"]["loadMetricsReport"]["usage"]
    if "CPU" not in usage:  # a head just started has not reported its node yet
        raise ValueError("the cluster has not reported its resources yet")
    return int(usage.get("GPU", [0, 0])[1])
