"""The agent's job scheduler: cron definitions, the queue, concurrency and GPU slots.

It decides what starts when; the lifecycle owner moves each execution (see
lifecycle.py). It runs only in the agent holding the lease, so two Lab servers on one
home never start the same execution or the same cron tick twice.
"""

from __future__ import annotations

import time

from ..config import MLOpsConfig
from ..runtime.gpus import GpuInventory
from .executors import Executor
from .lifecycle import ExecutionLifecycle
from .records import STARTED, ExecutionStatus, JobRecords
from .spec import next_time

MAX_CATCHUP = 100  # missed cron runs enqueued at once with catchup "all"


class JobScheduler:
    name = "jobs"

    def __init__(
        self,
        config: MLOpsConfig,
        lifecycle: ExecutionLifecycle,
        gpus: GpuInventory,
        executor: Executor,
        clock=time.time,
    ):
        self.config = config
        self.lifecycle = lifecycle
        self.records: JobRecords = lifecycle.records
        self.gpus = gpus
        self.executor = executor
        self.clock = clock

    def reconcile(self) -> None:
        self.lifecycle.reconcile(self.executor)

    def tick(self) -> None:
        now = self.clock()
        # MLflow's store exists before any (warm) worker opens it.
        self.lifecycle.runs.tracking.client  # noqa: B018
        self.executor.tick()
        self._enqueue_due(now)
        for execution in self.records.executions(statuses=(ExecutionStatus.RUNNING,), limit=None):
            if execution.host:  # handed to the executor (not a `jupyter mlops run`)
                self.lifecycle.watch(execution, self.executor, now)
        self._start_queued(now)

    def close(self) -> None:
        self.executor.close()

    def _enqueue_due(self, now: float) -> None:
        for definition in self.records.due_definitions(now):
            schedule = definition.spec["schedule"]
            missed = [definition.next_run_at]
            following = next_time(schedule, definition.next_run_at)
            while following <= now and len(missed) < MAX_CATCHUP:
                missed.append(following)
                following = next_time(schedule, following)
            while following <= now:  # beyond the cap: skip ahead without enqueuing
                following = next_time(schedule, following)
            if not self.records.advance_schedule(definition.id, definition.next_run_at, following):
                continue  # another agent advanced it first
            runs = {"all": len(missed), "latest": 1, "none": 0}[definition.catchup]
            if definition.catchup == "none" and now - missed[-1] < 60:
                runs = 1  # the current tick itself is due, not missed
            for _ in range(runs):
                self.records.insert(definition.spec, definition_id=definition.id)

    def _start_queued(self, now: float) -> None:
        started = self.records.executions(statuses=STARTED, limit=None)
        capacity = self.config.max_concurrent_jobs - len(started)
        busy = {gpu for execution in started for gpu in (execution.gpu_ids or [])}
        queued = self.records.executions(statuses=(ExecutionStatus.QUEUED,), limit=None)
        for execution in sorted(queued, key=lambda e: e.queued_at):
            if capacity <= 0:
                return
            if execution.not_before > now:
                continue
            resources = execution.spec["resources"]
            gpu_ids = self.gpus.allocate(busy, resources["gpus"], resources.get("gpu_type"))
            if gpu_ids is None:
                continue  # waits for GPUs; smaller jobs behind it may still start
            if self.lifecycle.start(execution, gpu_ids, self.executor):
                busy.update(gpu_ids)
                capacity -= 1
