"""Job definitions and executions in the state DB, as typed records.

An execution's status moves only through `JobRecords.claim`, a guarded update from the
status the caller saw to the next one; `lifecycle.ExecutionLifecycle` is the one caller.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, fields

from sqlalchemy import select
from sqlalchemy import update as sql_update

from ..enums import StrEnum
from ..errors import NotFound
from ..store import StateStore
from ..store.tables import job_definitions, job_executions


class ExecutionStatus(StrEnum):
    QUEUED = "queued"
    STARTING = "starting"  # claimed by an agent: its run opened, its worker starting
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (ExecutionStatus.QUEUED, ExecutionStatus.STARTING, ExecutionStatus.RUNNING)
# Holding a worker (and its GPUs and a place under max_concurrent_jobs).
STARTED = (ExecutionStatus.STARTING, ExecutionStatus.RUNNING)
FINISHED = (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED)


@dataclass(frozen=True)
class Execution:
    id: str
    definition_id: str | None
    spec: dict
    status: ExecutionStatus
    attempt: int
    retry_of: str | None
    rerun_of: str | None
    gpus: int
    gpu_ids: list[str] | None
    host: str | None
    pid: int | None
    pid_started: str | None
    queued_at: float
    not_before: float
    started_at: float | None
    finished_at: float | None
    cancel_requested: bool
    mlflow_run_id: str | None
    output_path: str | None  # root-relative
    cells_done: int
    cells_total: int
    error: dict | None  # {kind, ename, evalue, cell?, cell_index?}
    inputs: dict | None  # what a reproduction compares

    @classmethod
    def from_row(cls, row) -> Execution:
        values = dict(row._mapping)
        values["status"] = ExecutionStatus(values["status"])
        return cls(**values)

    def view(self) -> dict:
        """The execution as every door shows it (schema `execution`)."""
        view = asdict(self)
        del view["pid_started"]  # with the pid, only the agent's business
        view["progress"] = {"done": self.cells_done, "total": self.cells_total}
        return view


@dataclass(frozen=True)
class Definition:
    id: str
    name: str
    spec: dict
    cron: str | None
    timezone: str
    catchup: str
    next_run_at: float | None
    enabled: bool
    created_at: float

    @classmethod
    def from_row(cls, row) -> Definition:
        return cls(**dict(row._mapping))

    def view(self) -> dict:
        return asdict(self)


_EXECUTION_COLUMNS = {field.name for field in fields(Execution)}


def new_id() -> str:
    return uuid.uuid4().hex[:16]


class JobRecords:
    def __init__(self, state: StateStore):
        self.state = state

    # Executions -------------------------------------------------------------------------

    def new_execution(
        self,
        spec: dict,
        *,
        status: ExecutionStatus = ExecutionStatus.QUEUED,
        definition_id: str | None = None,
        attempt: int = 1,
        retry_of: str | None = None,
        rerun_of: str | None = None,
        not_before: float = 0.0,
        **more,
    ) -> dict:
        """The row of an execution not stored yet (see `insert`, or `claim`'s follow-up)."""
        row = {
            "id": new_id(),
            "definition_id": definition_id,
            "spec": spec,
            "status": status,
            "attempt": attempt,
            "retry_of": retry_of,
            "rerun_of": rerun_of,
            "gpus": spec["resources"]["gpus"],
            "queued_at": time.time(),
            "not_before": not_before,
            "cancel_requested": False,
            "cells_done": 0,
            "cells_total": 0,
            **more,
        }
        unknown = set(row) - _EXECUTION_COLUMNS
        if unknown:
            raise TypeError(f"not execution columns: {sorted(unknown)}")
        return row

    def insert(self, spec: dict, **options) -> Execution:
        row = self.new_execution(spec, **options)
        with self.state.begin() as conn:
            conn.execute(job_executions.insert().values(**row))
        return self.get(row["id"])

    def get(self, execution_id: str) -> Execution:
        with self.state.begin() as conn:
            row = conn.execute(
                select(job_executions).where(job_executions.c.id == execution_id)
            ).one_or_none()
        if row is None:
            raise NotFound(f"no job execution {execution_id!r}")
        return Execution.from_row(row)

    def update(self, execution_id: str, **values) -> None:
        """Facts about an execution (progress, its run, its process); never its status."""
        if "status" in values:
            raise ValueError("a status moves only by claim()")
        with self.state.begin() as conn:
            conn.execute(
                sql_update(job_executions)
                .where(job_executions.c.id == execution_id)
                .values(**values)
            )

    def claim(
        self,
        execution_id: str,
        expected: ExecutionStatus | tuple[ExecutionStatus, ...],
        status: ExecutionStatus,
        *,
        follow_up: dict | None = None,
        **values,
    ) -> bool:
        """Move an execution from `expected` to `status`; False if another process moved
        it first. `follow_up`, a `new_execution` row (the next attempt), is stored in
        the same transaction, and only when the move happens."""
        expected = (expected,) if isinstance(expected, ExecutionStatus) else expected
        with self.state.begin() as conn:
            moved = conn.execute(
                sql_update(job_executions)
                .where(job_executions.c.id == execution_id, job_executions.c.status.in_(expected))
                .values(status=status, **values)
            ).rowcount
            if moved == 1 and follow_up is not None:
                conn.execute(job_executions.insert().values(**follow_up))
        return moved == 1

    def executions(
        self, *, statuses: tuple[str, ...] | None = None, limit: int | None = 200
    ) -> list[Execution]:
        query = select(job_executions).order_by(job_executions.c.queued_at.desc())
        if statuses:
            query = query.where(job_executions.c.status.in_(statuses))
        if limit is not None:
            query = query.limit(limit)
        with self.state.begin() as conn:
            return [Execution.from_row(row) for row in conn.execute(query)]

    def retry_of(self, execution_id: str) -> Execution | None:
        """The next attempt of an execution, if one was queued."""
        with self.state.begin() as conn:
            row = conn.execute(
                select(job_executions).where(job_executions.c.retry_of == execution_id)
            ).first()
        return None if row is None else Execution.from_row(row)

    # Definitions ------------------------------------------------------------------------

    def insert_definition(self, spec: dict, next_run_at: float | None) -> Definition:
        schedule = spec.get("schedule") or {}
        row = {
            "id": new_id(),
            "name": spec["name"],
            "spec": spec,
            "cron": schedule.get("cron"),
            "timezone": schedule.get("timezone", "UTC"),
            "catchup": schedule.get("catchup", "latest"),
            "next_run_at": next_run_at,
            "enabled": True,
            "created_at": time.time(),
        }
        with self.state.begin() as conn:
            conn.execute(job_definitions.insert().values(**row))
        return Definition(**row)

    def definitions(self) -> list[Definition]:
        """Newest first."""
        query = select(job_definitions).order_by(job_definitions.c.created_at.desc())
        with self.state.begin() as conn:
            return [Definition.from_row(row) for row in conn.execute(query)]

    def due_definitions(self, now: float) -> list[Definition]:
        query = select(job_definitions).where(
            job_definitions.c.enabled.is_(True),
            job_definitions.c.next_run_at.is_not(None),
            job_definitions.c.next_run_at <= now,
        )
        with self.state.begin() as conn:
            return [Definition.from_row(row) for row in conn.execute(query)]

    def advance_schedule(self, definition_id: str, seen: float, following: float) -> bool:
        """Move a definition's next run from `seen` to `following`, once: whoever does it
        enqueues the run, so a tick cannot start a scheduled run twice."""
        with self.state.begin() as conn:
            result = conn.execute(
                sql_update(job_definitions)
                .where(job_definitions.c.id == definition_id, job_definitions.c.next_run_at == seen)
                .values(next_run_at=following)
            )
        return result.rowcount == 1


class FailureKind(StrEnum):
    """How an execution failed. Every kind goes to the retry policy."""

    NOTEBOOK = "notebook_error"  # a cell raised
    DEAD_KERNEL = "dead_kernel"
    TIMEOUT = "timeout"
    LOST_WORKER = "lost_worker"  # its process ended without a word (killed, host reboot)
    START = "failed_start"  # the run, the worker or the kernel could not start
    ERROR = "error"  # anything else papermill raised


@dataclass(frozen=True)
class Outcome:
    """How an execution ended, as its worker or the agent saw it."""

    status: ExecutionStatus
    error: dict | None = None

    @classmethod
    def succeeded(cls) -> Outcome:
        return cls(ExecutionStatus.SUCCEEDED)

    @classmethod
    def cancelled(cls) -> Outcome:
        error = {"kind": "cancelled", "ename": "Cancelled", "evalue": "cancelled by request"}
        return cls(ExecutionStatus.CANCELLED, error)

    @classmethod
    def failed(cls, kind: FailureKind, ename: str, evalue: str, **where) -> Outcome:
        error = {"kind": kind, "ename": ename, "evalue": evalue[:ERROR_CHARS], **where}
        return cls(ExecutionStatus.FAILED, error)


ERROR_CHARS = 2000
