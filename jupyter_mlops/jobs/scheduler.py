"""The agent's job scheduler: cron, queue, GPU slots, cancel, timeouts, retries.

It runs only in the agent holding the lease, so two Lab servers on one home never
start the same execution or the same cron tick twice.
"""

from __future__ import annotations

import logging
import time

from ..services import Services
from . import gpus as gpu_slots
from . import store
from .executor import EXECUTORS, Handle
from .runs import close_run, open_run
from .spec import next_time

log = logging.getLogger(__name__)

# The worker enforces the job's timeout itself; the scheduler steps in only if the
# worker is stuck past it by this much.
TIMEOUT_GRACE = 30.0
MAX_CATCHUP = 100  # missed cron runs enqueued at once with catchup "all"


class JobScheduler:
    name = "jobs"

    def __init__(self, services: Services, clock=time.time):
        self.services = services
        self.state = services.store
        self.executor = EXECUTORS[services.config.executor](services.config)
        self.clock = clock

    def reconcile(self) -> None:
        """Executions left running by a process that is gone: failed, retried per policy."""
        for execution in store.executions(self.state, statuses=("running",), limit=None):
            if execution["pid"] is None or not self.executor.alive(_handle(execution)):
                self._ended_without_a_word(execution, "the worker process is gone")

    def tick(self) -> None:
        now = self.clock()
        self.services.tracking.client  # noqa: B018 - the store exists before any worker runs
        self.executor.fill_pool()
        self._enqueue_due(now)
        running = store.executions(self.state, statuses=("running",), limit=None)
        for execution in running:
            self._watch(execution, now)
        self._start_queued(now)

    def close(self) -> None:
        self.executor.close()

    # Cron ---------------------------------------------------------------------------

    def _enqueue_due(self, now: float) -> None:
        for definition in store.due_definitions(self.state, now):
            schedule = definition["spec"]["schedule"]
            missed = [definition["next_run_at"]]
            following = next_time(schedule, definition["next_run_at"])
            while following <= now and len(missed) < MAX_CATCHUP:
                missed.append(following)
                following = next_time(schedule, following)
            while following <= now:  # beyond the cap: skip ahead without enqueuing
                following = next_time(schedule, following)
            if not store.advance_schedule(
                self.state, definition["id"], definition["next_run_at"], following
            ):
                continue  # another agent advanced it first
            runs = {"all": len(missed), "latest": 1, "none": 0}[definition["catchup"]]
            if definition["catchup"] == "none" and now - missed[-1] < 60:
                runs = 1  # the current tick itself is due, not missed
            for _ in range(runs):
                store.create_execution(
                    self.state, definition["spec"], definition_id=definition["id"]
                )

    # Running executions ----------------------------------------------------------------

    def _watch(self, execution: dict, now: float) -> None:
        if execution["pid"] is None:
            return
        handle = _handle(execution)
        if not self.executor.alive(handle):
            latest = store.get(self.state, execution["id"])
            if latest["status"] == "running":
                self._ended_without_a_word(latest, "the worker process exited")
            else:
                self._maybe_retry(latest)
            return
        if execution["cancel_requested"]:
            self.executor.stop(handle)
            self._finish_if_running(
                execution["id"], "cancelled", "Cancelled", "cancelled by request"
            )
        elif now > (execution["started_at"] or now) + execution["spec"]["timeout"] + TIMEOUT_GRACE:
            self.executor.stop(handle)
            self._finish_if_running(
                execution["id"], "failed", "Timeout", "the job ran past its timeout"
            )
            self._maybe_retry(store.get(self.state, execution["id"]))

    def _ended_without_a_word(self, execution: dict, why: str) -> None:
        """The worker died without recording how it ended (killed, crashed, host reboot)."""
        status = "cancelled" if execution["cancel_requested"] else "failed"
        self._finish_if_running(execution["id"], status, "WorkerLost", why)
        self._close_run(execution, status)
        self._maybe_retry(store.get(self.state, execution["id"]))

    def _finish_if_running(self, execution_id: str, status: str, ename: str, evalue: str):
        store.claim(
            self.state,
            execution_id,
            "running",
            status=status,
            finished_at=self.clock(),
            error={"ename": ename, "evalue": evalue},
        )

    def _close_run(self, execution: dict, status: str = "failed") -> None:
        if execution["mlflow_run_id"]:
            try:
                close_run(self.services, execution, status)
            except Exception:  # the run may be gone; the execution record says what happened
                log.warning("could not close run %s", execution["mlflow_run_id"])

    def _maybe_retry(self, execution: dict) -> None:
        retry = execution["spec"]["retry"]
        if execution["status"] != "failed" or execution["attempt"] >= retry["max_attempts"]:
            return
        if store.retried(self.state, execution["id"]):
            return
        store.create_execution(
            self.state,
            execution["spec"],
            definition_id=execution["definition_id"],
            attempt=execution["attempt"] + 1,
            retry_of=execution["id"],
            not_before=self.clock() + retry["backoff_seconds"] * 2 ** (execution["attempt"] - 1),
        )

    # Starting ------------------------------------------------------------------------

    def _start_queued(self, now: float) -> None:
        running = store.executions(self.state, statuses=("running",), limit=None)
        capacity = self.services.config.max_concurrent_jobs - len(running)
        busy = {gpu for execution in running for gpu in (execution["gpu_ids"] or [])}
        inventory = self.services.jobs.gpu_inventory
        queued = store.executions(self.state, statuses=("queued",), limit=None)
        for execution in sorted(queued, key=lambda e: e["queued_at"]):
            if capacity <= 0:
                return
            if execution["not_before"] > now:
                continue
            resources = execution["spec"]["resources"]
            gpu_ids = gpu_slots.allocate(
                inventory, busy, resources["gpus"], resources.get("gpu_type")
            )
            if gpu_ids is None:
                continue  # waits for GPUs; smaller jobs behind it may still start
            if not store.claim(
                self.state,
                execution["id"],
                "queued",
                status="running",
                started_at=now,
                gpu_ids=gpu_ids,
            ):
                continue
            try:
                execution = open_run(self.services, {**execution, "gpu_ids": gpu_ids})
                handle = self.executor.start(execution, gpu_ids)
            except Exception as err:  # MLflow's store or the OS refused: it never ran
                log.exception("could not start job execution %s", execution["id"])
                self._finish_if_running(execution["id"], "failed", "StartFailed", str(err)[:2000])
                self._close_run(store.get(self.state, execution["id"]))
                continue
            store.update(
                self.state,
                execution["id"],
                host=handle.host,
                pid=handle.pid,
                pid_started=handle.started,
            )
            busy.update(gpu_ids)
            capacity -= 1


def _handle(execution: dict) -> Handle:
    return Handle(execution["host"] or "", execution["pid"], execution["pid_started"] or "")
