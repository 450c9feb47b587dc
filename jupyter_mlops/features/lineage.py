"""Where a training set came from, recorded on the run that used it.

`get_historical_features` returns the record in the frame's `attrs` and, when a run
is active in the process (a `%%track` cell, `mlflow.start_run`, a job's run through
MLFLOW_RUN_ID), logs it there: a tag listing `view@version`s, which the Features
panel searches to show which runs and models used a view, the record as JSON, and a
sample of the frame, which monitoring takes as the reference of the models trained on
it (a run that builds several sets keeps the last one's sample).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ATTR = "jupyter_mlops.lineage"
TAG = "mlops.features"
ARTIFACT = "features/training_set.json"
SAMPLE_DIR, SAMPLE_FILE = "features", "training_sample.parquet"
SAMPLE_ARTIFACT = f"{SAMPLE_DIR}/{SAMPLE_FILE}"
# Enough for drift tests on each feature; small enough to log with every training set.
SAMPLE_ROWS, SAMPLE_SEED = 10_000, 0

logger = logging.getLogger(__name__)


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


def log(client, run_id: str, lineage: dict, frame: pd.DataFrame | None = None) -> None:
    """Add the views to the run's tag (a run may build several sets), keep the record
    and, given the training frame, a sample of it."""
    run = client.get_run(run_id)
    listed = [v for v in run.data.tags.get(TAG, "").split(",") if v]
    for view, version in lineage["views"].items():
        if f"{view}@{version}" not in listed:
            listed.append(f"{view}@{version}")
    client.set_tag(run_id, TAG, ",".join(listed))
    client.log_text(run_id, json.dumps(lineage, indent=2), ARTIFACT)
    if frame is not None:
        log_sample(client, run_id, frame)


def log_sample(client, run_id: str, frame: pd.DataFrame) -> None:
    # A fixed seed: the same training set gives the same reference, run after run.
    if len(frame) > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=SAMPLE_SEED)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / SAMPLE_FILE
        try:
            frame.reset_index(drop=True).to_parquet(path, index=False)
        except (TypeError, ValueError, ImportError) as err:
            # An entity frame's own column that parquet cannot hold (mixed objects):
            # the training set is still returned; monitoring falls back to a baseline.
            logger.warning("training sample of run %s not logged: %s", run_id, err)
            return
        client.log_artifact(run_id, str(path), SAMPLE_DIR)


def uses(tag_value: str, view: str) -> bool:
    return any(item.split("@")[0] == view for item in tag_value.split(","))
