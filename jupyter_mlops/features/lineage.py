"""Where a training set came from: the record `get_historical_features` keeps in the
frame's `attrs` and, when a run is active in the process (a `%%track` cell,
`mlflow.start_run`, a job's run through MLFLOW_RUN_ID), has tracking log on that run
(see `tracking/training_sets.py`).
"""

from __future__ import annotations

import os
import sys
import time

import pandas as pd

ATTR = "jupyter_mlops.lineage"


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
