"""Where a training set came from, recorded on the run that used it.

`get_historical_features` returns the record in the frame's `attrs` and, when a run
is active in the process (a `%%track` cell, `mlflow.start_run`, a job's run through
MLFLOW_RUN_ID), logs it there: a tag listing `view@version`s, which the Features
panel searches to show which runs and models used a view, and the record as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pandas as pd

ATTR = "jupyter_mlops.lineage"
TAG = "mlops.features"
ARTIFACT = "features/training_set.json"


def record(requests, entity_times, features: list[str]) -> dict:
    # The ends only: converting every entity time again would cost more than the join's
    # bookkeeping (the frame was validated already).
    ends = [] if len(entity_times) == 0 else [entity_times.min(), entity_times.max()]
    return {
        "views": {r.view["name"]: r.view["version"] for r in requests},
        "features": features,
        "entity_rows": int(len(entity_times)),
        "time_range": [pd.Timestamp(t).isoformat() for t in ends] or [None, None],
        "created_at": time.time(),
    }


def current_run_id() -> str | None:
    # Only a process that imported mlflow can have an active run; don't import it here.
    mlflow = sys.modules.get("mlflow")
    active = mlflow.active_run() if mlflow is not None else None
    return active.info.run_id if active is not None else os.environ.get("MLFLOW_RUN_ID")


def log(client, run_id: str, lineage: dict) -> None:
    """Add the views to the run's tag (a run may build several sets) and keep the record."""
    run = client.get_run(run_id)
    listed = [v for v in run.data.tags.get(TAG, "").split(",") if v]
    for view, version in lineage["views"].items():
        if f"{view}@{version}" not in listed:
            listed.append(f"{view}@{version}")
    client.set_tag(run_id, TAG, ",".join(listed))
    client.log_text(run_id, json.dumps(lineage, indent=2), ARTIFACT)


def uses(tag_value: str, view: str) -> bool:
    return any(item.split("@")[0] == view for item in tag_value.split(","))
