"""A deployment's retraining-trigger firings, as the doors show them and the watcher reads
them (one row of `deployment_triggers` per firing; `triggers.py` writes them)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..errors import InvalidInput
from ..serving import store as deployment_store
from ..store.tables import deployment_triggers

if TYPE_CHECKING:
    from ..services import Services

IN_PROGRESS = ("retraining", "registered", "canary")
STATUSES = (*IN_PROGRESS, "promoted", "rolled_back", "failed")


def firings(services: Services, name: str, limit: int = 100) -> dict:
    """The deployment's trigger and its firings, newest first."""
    deployment = deployment_store.get(services.store, name)
    if not 1 <= limit <= 10_000:
        raise InvalidInput("limit must be between 1 and 10000", field="limit")
    return {
        "deployment": name,
        "trigger": deployment["spec"].get("trigger"),
        "firings": [_view(row) for row in rows(services, name, limit=limit)],
    }


def _view(row: dict) -> dict:
    return {
        "id": row["id"],
        "status": row["status"],
        "fired_at": _iso(row["fired_at"]),
        "reason": row["reason"],
        "window": {"start": row["window_start"], "end": row["window_end"]},
        "execution_id": row["execution_id"],
        "model_version": row["model_version"],
        "message": row["message"],
        "updated_at": _iso(row["updated_at"]),
    }


def rows(services: Services, name: str | None = None, *, statuses=None, limit=None):
    query = select(deployment_triggers).order_by(deployment_triggers.c.fired_at.desc())
    if name is not None:
        query = query.where(deployment_triggers.c.deployment == name)
    if statuses:
        query = query.where(deployment_triggers.c.status.in_(statuses))
    if limit is not None:
        query = query.limit(limit)
    with services.store.begin() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()
