"""What changed since a client last looked, as tokens a panel polls cheaply (one small
query each) and compares: a new token means reload. So a list updates by itself when a
notebook, a job or the CLI creates an experiment or applies a feature view, whatever
process wrote it, with no event bus that would miss another process's writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from .store.tables import feature_batches, feature_definitions

if TYPE_CHECKING:
    from .store import StateStore
    from .tracking.service import Tracking


class Changes:
    def __init__(self, tracking: Tracking, state: StateStore):
        self.tracking = tracking
        self.state = state

    def tokens(self) -> dict[str, str]:
        return {"experiments": self.experiments(), "features": self.features()}

    def experiments(self) -> str:
        """The most recently changed experiment, deleted ones included (a deletion or a
        rename changes its time too)."""
        from mlflow.entities import ViewType

        from .tracking.client import mlflow_errors

        with mlflow_errors():
            newest = self.tracking.client.search_experiments(
                view_type=ViewType.ALL, max_results=1, order_by=["last_update_time DESC"]
            )
        return f"{newest[0].experiment_id}:{newest[0].last_update_time}" if newest else "none"

    def features(self) -> str:
        """Definitions (a view, entity or service applied) and ingested batches."""
        with self.state.begin() as conn:
            defined, latest = conn.execute(
                select(func.count(), func.max(feature_definitions.c.created_at))
            ).one()
            batch = conn.execute(select(func.max(feature_batches.c.seq))).scalar()
        return f"{defined}:{latest}:{batch}"
