"""The scoring job: what the scoring notebook's one cell calls (see notebook.py). It runs
in the job's kernel, whose environment names the project (the config) and the job's
MLflow run (MLFLOW_RUN_ID), and records the scoring in that run: the model version,
the input's hash, row counts and duration, the input and the output as datasets.

With a feature service, the input is a file of entity rows: each batch of them is joined
to the service's features as of each row's time (the kernel's feature store, on the
project the environment names) before it is scored, and the run records the service,
its version and the views it joined."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..config import resolve
from .batch import file_hash, score
from .outputs import Outputs


def run(
    model_uri: str,
    input_path: str,
    output: str,
    batch_rows: int,
    keys=None,
    *,
    feature_service: str = "",
    timestamp_field: str = "",
) -> dict:
    """Score `input_path` with `model_uri` into the next version of `output`; with
    `feature_service`, `input_path` holds entity rows joined to its features first."""
    import mlflow

    config = resolve()
    # Checked again here: the job row could have been written by anyone with the state DB.
    source = config.under_root(input_path, "input.entities" if feature_service else "input")
    joiner = Joiner(config, feature_service, timestamp_field) if feature_service else None
    outputs = Outputs(config.home)
    staging = outputs.staging(output)
    started = time.monotonic()
    model = mlflow.pyfunc.load_model(model_uri)
    loaded = time.monotonic() - started
    try:
        digest = file_hash(source)
        scored = score(model, source, staging, batch_rows, keys or None, joiner)
        record = {
            "model": model_uri,
            "input": str(source.relative_to(config.root_dir)),
            "input_sha256": digest,
            **(joiner.described() if joiner else {}),
            "rows": scored.rows,
            "parts": scored.parts,
            "keys": scored.keys,
            "predictions": scored.predictions,
            "seconds": round(scored.seconds, 3),
            "run_id": _run_id(),
            "finished_at": time.time(),
        }
        version = outputs.publish(staging, record)
    except BaseException:
        outputs.discard(staging)
        raise
    where = outputs.folder(output) / str(version)
    _log(mlflow, record, source, f"{output}/{version}", where, loaded)
    joined = f" joined to {feature_service}" if feature_service else ""
    print(
        f"scored {scored.rows:,} rows of {record['input']}{joined} with {model_uri} in "
        f"{scored.seconds:.1f} s: {output} version {version} ({where})"
    )
    return {**record, "output": output, "version": version, "path": str(where)}


class Joiner:
    """A batch of entity rows with the feature service's features, as of each row's time
    (`get_historical_features`, the one point-in-time join), and what it joined."""

    def __init__(self, config, service: str, timestamp_field: str):
        from ..features import registry as definitions
        from ..store import StateStore

        state = StateStore(config.state_url)
        try:  # the service as it is now: a scheduled job joins tonight's version
            self.version = definitions.get(state, "service", service)["version"]
        finally:
            state.dispose()
        self.service = service
        self.timestamp_field = timestamp_field or "event_timestamp"
        self.views: dict[str, int] = {}

    def __call__(self, frame):
        from .. import features
        from ..features import lineage

        # Not each batch as the run's training set: the run records the views once.
        joined = features.get_historical_features(
            frame, self.service, timestamp_field=self.timestamp_field, record=False
        )
        self.views.update(joined.attrs.get(lineage.ATTR, {}).get("views", {}))
        return joined

    def described(self) -> dict:
        return {
            "feature_service": self.service,
            "feature_service_version": self.version,
            "timestamp_field": self.timestamp_field,
            "feature_views": dict(self.views),
        }


def _run_id() -> str | None:
    return os.environ.get("MLFLOW_RUN_ID") or None


def _log(mlflow, record: dict, source: Path, named: str, where: Path, loaded: float) -> None:
    """Into the job's run (resumed by id): what scored what, and how fast."""
    if not _run_id():
        return
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    from ..tracking import lineage

    with mlflow.start_run(run_id=_run_id()):
        mlflow.log_metrics(
            {
                "rows": record["rows"],
                "seconds": record["seconds"],
                "rows_per_second": record["rows"] / max(record["seconds"], 1e-9),
                "model_load_seconds": loaded,
            }
        )
        tags = {
            "mlops.scoring.model": record["model"],
            "mlops.scoring.input_sha256": record["input_sha256"],
            "mlops.scoring.output": named,
        }
        if "feature_service" in record:
            views = ",".join(f"{v}@{n}" for v, n in sorted(record["feature_views"].items()))
            tags.update(
                {
                    "mlops.scoring.feature_service": record["feature_service"],
                    "mlops.scoring.feature_service_version": str(record["feature_service_version"]),
                    "mlops.scoring.entities_sha256": record["input_sha256"],
                    lineage.FEATURES: views,  # as a training run's: the views it read
                }
            )
        mlflow.set_tags(tags)
        scored = MetaDataset(  # the rows scored: the file, or the entity frame
            resolve_dataset_source(str(source)),
            name=source.name,
            digest=record["input_sha256"][:16],
        )
        mlflow.log_input(scored, context="scoring")
        result = MetaDataset(resolve_dataset_source(str(where)), name=named)
        mlflow.log_input(result, context="predictions")
