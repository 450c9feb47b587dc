"""The scoring job: what the scoring notebook's one cell calls (see notebook.py). It runs
in the job's kernel, whose environment names the project (the config) and the job's
MLflow run (MLFLOW_RUN_ID), and records the scoring in that run: the model version,
the input's hash, row counts and duration, the input and the output as datasets."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..config import resolve
from .batch import file_hash, score
from .outputs import Outputs


def run(model_uri: str, input_path: str, output: str, batch_rows: int, keys=None) -> dict:
    """Score `input_path` with `model_uri` into the next version of `output`."""
    import mlflow

    config = resolve()
    # Checked again here: the job row could have been written by anyone with the state DB.
    source = config.under_root(input_path, "input")
    outputs = Outputs(config.home)
    staging = outputs.staging(output)
    started = time.monotonic()
    model = mlflow.pyfunc.load_model(model_uri)
    loaded = time.monotonic() - started
    try:
        digest = file_hash(source)
        scored = score(model, source, staging, batch_rows, keys or None)
        record = {
            "model": model_uri,
            "input": str(source.relative_to(config.root_dir)),
            "input_sha256": digest,
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
    print(
        f"scored {scored.rows:,} rows of {record['input']} with {model_uri} in "
        f"{scored.seconds:.1f} s: {output} version {version} ({where})"
    )
    return {**record, "output": output, "version": version, "path": str(where)}


def _run_id() -> str | None:
    return os.environ.get("MLFLOW_RUN_ID") or None


def _log(mlflow, record: dict, source: Path, named: str, where: Path, loaded: float) -> None:
    """Into the job's run (resumed by id): what scored what, and how fast."""
    if not _run_id():
        return
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    with mlflow.start_run(run_id=_run_id()):
        mlflow.log_metrics(
            {
                "rows": record["rows"],
                "seconds": record["seconds"],
                "rows_per_second": record["rows"] / max(record["seconds"], 1e-9),
                "model_load_seconds": loaded,
            }
        )
        mlflow.set_tags(
            {
                "mlops.scoring.model": record["model"],
                "mlops.scoring.input_sha256": record["input_sha256"],
                "mlops.scoring.output": named,
            }
        )
        scored = MetaDataset(
            resolve_dataset_source(str(source)),
            name=source.name,
            digest=record["input_sha256"][:16],
        )
        mlflow.log_input(scored, context="scoring")
        result = MetaDataset(resolve_dataset_source(str(where)), name=named)
        mlflow.log_input(result, context="predictions")
