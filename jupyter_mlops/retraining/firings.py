"""A deployment's retraining-trigger firings: one row of `deployment_triggers` per
firing, written with the deployment event that tells it, as the doors show them and the
watcher carries them on."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy import update as sql_update

from ..enums import StrEnum
from ..errors import InvalidInput
from ..serving import records as deployment_records
from ..store import StateStore
from ..store.tables import deployment_triggers

MESSAGE_CHARS = 2000


class FiringStatus(StrEnum):
    RETRAINING = "retraining"  # its job is queued or running
    REGISTERED = "registered"  # the job's model is a new version, aliased challenger
    CANARY = "canary"  # that version rolls out as a canary
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"


IN_PROGRESS = (FiringStatus.RETRAINING, FiringStatus.REGISTERED, FiringStatus.CANARY)


class Firings:
    def __init__(self, state: StateStore, clock: Callable[[], float] = time.time):
        self.state = state
        self.clock = clock

    def view(self, name: str, limit: int = 100) -> dict:
        """The deployment's trigger and its firings, newest first."""
        deployment = deployment_records.get(self.state, name)
        if not 1 <= limit <= 10_000:
            raise InvalidInput("limit must be between 1 and 10000", field="limit")
        return {
            "deployment": name,
            "trigger": deployment["spec"].get("trigger"),
            "firings": [_view(row) for row in self.rows(name, limit=limit)],
        }

    def rows(self, name: str | None = None, *, statuses=None, limit=None) -> list[dict]:
        query = select(deployment_triggers).order_by(deployment_triggers.c.fired_at.desc())
        if name is not None:
            query = query.where(deployment_triggers.c.deployment == name)
        if statuses:
            query = query.where(deployment_triggers.c.status.in_(statuses))
        if limit is not None:
            query = query.limit(limit)
        with self.state.begin() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def fire(self, name: str, reason: str, start: str, end: str, said: str) -> str:
        """A new firing, retraining; its id. `said` is the deployment event's message."""
        firing_id, now = uuid.uuid4().hex[:16], self.clock()
        with self.state.begin() as conn:
            conn.execute(
                deployment_triggers.insert().values(
                    id=firing_id,
                    deployment=name,
                    fired_at=now,
                    reason=reason[:MESSAGE_CHARS],
                    window_start=start,
                    window_end=end,
                    status=FiringStatus.RETRAINING,
                    updated_at=now,
                )
            )
            deployment_records.add_event(conn, name, "trigger_fired", said)
        return firing_id

    def set(self, firing_id: str, *, event: tuple | None = None, **fields) -> None:
        """Update the firing and add its deployment event, in one transaction."""
        if fields.get("message"):
            fields["message"] = fields["message"][:MESSAGE_CHARS]
        with self.state.begin() as conn:
            conn.execute(
                sql_update(deployment_triggers)
                .where(deployment_triggers.c.id == firing_id)
                .values(updated_at=self.clock(), **fields)
            )
            if event is not None:
                deployment_records.add_event(conn, *event)

    def failed(self, name: str, firing_id: str, why: str) -> None:
        self.set(
            firing_id, status=FiringStatus.FAILED, message=why, event=(name, "retrain_failed", why)
        )


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


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()
