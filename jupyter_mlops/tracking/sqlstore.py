"""Set-based reads and writes on MLflow's own SQL tables, for the two hot paths.

MLflow stays the system of record: these functions use MLflow's table definitions
(`mlflow.store.tracking.dbmodels`) and write exactly the rows its `log_batch` would.
They exist because MLflow's ORM path costs ~90 us a metric point and ~0.5 ms a run
listed; the panel and training loops need one to two orders of magnitude less.
Stores that are not SQL databases (an MLflow server over HTTP) go through the client.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlflow.store.tracking.dbmodels.models import (
    SqlLatestMetric,
    SqlMetric,
    SqlParam,
    SqlRun,
    SqlTag,
)
from sqlalchemy import Engine, create_engine, event, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from . import lineage

metrics = SqlMetric.__table__
latest_metrics = SqlLatestMetric.__table__
runs = SqlRun.__table__
params = SqlParam.__table__
tags = SqlTag.__table__

# Tags that can be large and that no listing shows.
# Bound parameters per IN list, well under sqlite's and PostgreSQL's limits.
_IDS_PER_QUERY = 1_000
_MAX_FLOAT = 1.7976931348623157e308
_CHUNK = 5_000


def make_engine(uri: str) -> Engine:
    if make_url(uri).get_backend_name() != "sqlite":
        return create_engine(uri, pool_pre_ping=True)
    # The kernel's own mlflow calls, the server and the logger thread share the file.
    engine = create_engine(uri, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _busy_timeout(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    return engine


def write_metrics(
    engine: Engine, run_id: str, points: Sequence[tuple[str, float, int, int]]
) -> None:
    """Insert (key, value, step, timestamp) points and advance `latest_metrics`, as
    MLflow's log_batch does.

    NaN is stored as 0 with is_nan, infinities as the largest float (MLflow's rule);
    a point already present is skipped, so a retried batch writes nothing twice.
    """
    rows = []
    latest: dict[str, dict] = {}
    for key, raw, step, timestamp in points:
        is_nan = math.isnan(raw)
        value = 0.0 if is_nan else max(-_MAX_FLOAT, min(_MAX_FLOAT, raw))
        row = {
            "key": key,
            "value": value,
            "timestamp": timestamp,
            "step": step,
            "is_nan": is_nan,
            "run_uuid": run_id,
        }
        rows.append(row)
        best = latest.get(key)
        if best is None or (row["step"], row["timestamp"], value) > (
            best["step"],
            best["timestamp"],
            best["value"],
        ):
            latest[key] = row

    insert = _insert_for(engine)
    with engine.begin() as conn:
        for start in range(0, len(rows), _CHUNK):
            conn.execute(insert(metrics).on_conflict_do_nothing(), rows[start : start + _CHUNK])
        if latest:
            upsert = insert(latest_metrics)
            newer = tuple_(upsert.excluded.step, upsert.excluded.timestamp, upsert.excluded.value)
            current = tuple_(
                latest_metrics.c.step, latest_metrics.c.timestamp, latest_metrics.c.value
            )
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["key", "run_uuid"],
                    set_={
                        name: upsert.excluded[name]
                        for name in ("value", "timestamp", "step", "is_nan")
                    },
                    where=newer > current,
                ),
                list(latest.values()),
            )


def _insert_for(engine: Engine):
    dialects = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    try:
        return dialects[engine.dialect.name]
    except KeyError:
        raise NotImplementedError(f"no fast metric path for {engine.dialect.name}") from None


def list_runs(engine: Engine, experiment_id: str, offset: int, limit: int | None) -> list[dict]:
    """Active runs of an experiment, newest first (MLflow's default order), with their
    latest metrics, params and tags: a handful of set-based queries per page."""
    query = (
        select(
            runs.c.run_uuid,
            runs.c.name,
            runs.c.experiment_id,
            runs.c.status,
            runs.c.start_time,
            runs.c.end_time,
            runs.c.user_id,
        )
        .where(runs.c.experiment_id == int(experiment_id), runs.c.lifecycle_stage == "active")
        .order_by(runs.c.start_time.desc(), runs.c.run_uuid)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        summaries = {
            row.run_uuid: {
                "run_id": row.run_uuid,
                "run_name": row.name,
                "experiment_id": str(row.experiment_id),
                "status": row.status,
                "start_time": row.start_time,
                "end_time": row.end_time,
                "user_id": row.user_id,
                "metrics": {},
                "params": {},
                "tags": {},
            }
            for row in conn.execute(query)
        }
        ids = list(summaries)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            for key, value, is_nan, run_id in conn.execute(
                select(
                    latest_metrics.c.key,
                    latest_metrics.c.value,
                    latest_metrics.c.is_nan,
                    latest_metrics.c.run_uuid,
                ).where(latest_metrics.c.run_uuid.in_(chunk))
            ):
                # JSON has no NaN: a NaN metric is listed as missing.
                summaries[run_id]["metrics"][key] = None if is_nan else value
            for key, value, run_id in conn.execute(
                select(params.c.key, params.c.value, params.c.run_uuid).where(
                    params.c.run_uuid.in_(chunk)
                )
            ):
                summaries[run_id]["params"][key] = value
            for key, value, run_id in conn.execute(
                select(tags.c.key, tags.c.value, tags.c.run_uuid).where(
                    tags.c.run_uuid.in_(chunk), tags.c.key.not_in(lineage.HEAVY_TAGS)
                )
            ):
                summaries[run_id]["tags"][key] = value
    return list(summaries.values())
