"""Job definitions and executions in the state DB."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select
from sqlalchemy import update as sql_update

from ..errors import NotFound
from ..store import StateStore
from ..store.tables import job_definitions, job_executions

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def create_execution(
    state: StateStore,
    spec: dict,
    *,
    definition_id: str | None = None,
    attempt: int = 1,
    retry_of: str | None = None,
    rerun_of: str | None = None,
    not_before: float = 0.0,
    **fields,
) -> dict:
    row = {
        "id": new_id(),
        "definition_id": definition_id,
        "spec": spec,
        "status": "queued",
        "attempt": attempt,
        "retry_of": retry_of,
        "rerun_of": rerun_of,
        "gpus": spec["resources"]["gpus"],
        "queued_at": time.time(),
        "not_before": not_before,
        "cancel_requested": False,
        "cells_done": 0,
        "cells_total": 0,
        **fields,
    }
    with state.begin() as conn:
        conn.execute(job_executions.insert().values(**row))
    return get(state, row["id"])


def get(state: StateStore, execution_id: str) -> dict:
    with state.begin() as conn:
        row = conn.execute(
            select(job_executions).where(job_executions.c.id == execution_id)
        ).one_or_none()
    if row is None:
        raise NotFound(f"no job execution {execution_id!r}")
    return dict(row._mapping)


def update(state: StateStore, execution_id: str, **fields) -> None:
    with state.begin() as conn:
        conn.execute(
            sql_update(job_executions).where(job_executions.c.id == execution_id).values(**fields)
        )


def claim(state: StateStore, execution_id: str, expected: str, **fields) -> bool:
    """Move an execution out of status `expected`; False if someone else moved it first."""
    with state.begin() as conn:
        result = conn.execute(
            sql_update(job_executions)
            .where(job_executions.c.id == execution_id, job_executions.c.status == expected)
            .values(**fields)
        )
    return result.rowcount == 1


def executions(
    state: StateStore, *, statuses: tuple[str, ...] | None = None, limit: int | None = 200
) -> list[dict]:
    query = select(job_executions).order_by(job_executions.c.queued_at.desc())
    if statuses:
        query = query.where(job_executions.c.status.in_(statuses))
    if limit is not None:
        query = query.limit(limit)
    with state.begin() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def create_definition(state: StateStore, spec: dict, next_run_at: float | None) -> dict:
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
    with state.begin() as conn:
        conn.execute(job_definitions.insert().values(**row))
    return row


def definitions(state: StateStore) -> list[dict]:
    with state.begin() as conn:
        rows = conn.execute(select(job_definitions).order_by(job_definitions.c.created_at.desc()))
        return [dict(row._mapping) for row in rows]


def due_definitions(state: StateStore, now: float) -> list[dict]:
    with state.begin() as conn:
        rows = conn.execute(
            select(job_definitions).where(
                job_definitions.c.enabled.is_(True),
                job_definitions.c.next_run_at.is_not(None),
                job_definitions.c.next_run_at <= now,
            )
        )
        return [dict(row._mapping) for row in rows]


def advance_schedule(state: StateStore, definition_id: str, seen: float, following: float) -> bool:
    """Move a definition's next run from `seen` to `following`, once: whoever does it
    enqueues the run, so a tick cannot start a scheduled run twice."""
    with state.begin() as conn:
        result = conn.execute(
            sql_update(job_definitions)
            .where(job_definitions.c.id == definition_id, job_definitions.c.next_run_at == seen)
            .values(next_run_at=following)
        )
    return result.rowcount == 1


def retried(state: StateStore, execution_id: str) -> bool:
    with state.begin() as conn:
        found = conn.execute(
            select(job_executions.c.id).where(job_executions.c.retry_of == execution_id)
        ).first()
    return found is not None
