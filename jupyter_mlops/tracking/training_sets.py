"""Training sets on the runs that used them: which feature views and versions (a tag the
Features panel searches), the record as JSON, and a sample of the frame, which
monitoring takes as the reference of the models trained on it (a run that builds
several sets keeps the last one's sample)."""

from __future__ import annotations

import json
import logging
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from ..errors import InvalidInput
from . import lineage
from .client import local_path, mlflow_errors
from .service import Tracking

# Enough for drift tests on each feature; small enough to log with every training set.
SAMPLE_ROWS, SAMPLE_SEED = 10_000, 0
MAX_USAGE = 200  # runs listed as users of one view

log = logging.getLogger(__name__)


class TrainingSetRuns:
    def __init__(self, tracking: Tracking):
        self.tracking = tracking

    def record(self, run_id: str, record: dict, frame: pd.DataFrame | None = None) -> None:
        """Add the record's views to the run's tag, keep the record and, given the
        training frame, a sample of it."""
        client = self.tracking.client
        with mlflow_errors():
            run = client.get_run(run_id)
            listed = [v for v in run.data.tags.get(lineage.FEATURES, "").split(",") if v]
            for view, version in record["views"].items():
                if f"{view}@{version}" not in listed:
                    listed.append(f"{view}@{version}")
            client.set_tag(run_id, lineage.FEATURES, ",".join(listed))
            client.log_text(run_id, json.dumps(record, indent=2), lineage.TRAINING_SET)
            if frame is not None:
                self._log_sample(run_id, frame)

    def log_input(self, run_id: str, frame, name: str = "training") -> None:
        """Log `frame`, the data a model was trained on, as the run's dataset input
        (MLflow's inputs, context "training": its schema, profile and digest), and a
        sample of it, which monitoring takes as the reference of the models registered
        from the run, as it takes a feature-store training set's."""
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInput(
                f"the training input must be a pandas DataFrame, not {type(frame).__name__}",
                field="input",
            )
        if frame.empty:
            raise InvalidInput("the training input has no rows", field="input")
        import mlflow.data
        from mlflow.entities import DatasetInput, InputTag

        client = self.tracking.client
        with mlflow_errors():
            source = f"{client.get_run(run_id).info.artifact_uri}/{lineage.SAMPLE}"
            with warnings.catch_warnings():
                # A file URI fits two of MLflow's source classes, which are one: MLflow
                # says so in a warning the user can do nothing about.
                warnings.filterwarnings("ignore", "The specified dataset source can be")
                dataset = mlflow.data.from_pandas(frame, source=source, name=name)
            context = InputTag(key="mlflow.data.context", value="training")
            client.log_inputs(run_id, [DatasetInput(dataset._to_mlflow_entity(), [context])])
            self._log_sample(run_id, frame)

    def _log_sample(self, run_id: str, frame: pd.DataFrame) -> None:
        # A fixed seed: the same training set gives the same reference, run after run.
        if len(frame) > SAMPLE_ROWS:
            frame = frame.sample(SAMPLE_ROWS, random_state=SAMPLE_SEED)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / lineage.SAMPLE_FILE
            try:
                frame.reset_index(drop=True).to_parquet(path, index=False)
            except (TypeError, ValueError, ImportError) as err:
                # An entity frame's own column that parquet cannot hold (mixed objects):
                # the training set is still returned; monitoring falls back to a baseline.
                log.warning("training sample of run %s not logged: %s", run_id, err)
                return
            self.tracking.client.log_artifact(run_id, str(path), lineage.SAMPLE_DIR)

    def sample(self, run_id: str) -> pd.DataFrame | None:
        """The training sample a run logged; None when it logged none."""
        client = self.tracking.client  # MLflow is imported once this is built
        from mlflow.exceptions import MlflowException

        try:
            artifacts = local_path(client.get_run(run_id).info.artifact_uri)
            if artifacts is not None:  # read in place: no download, no progress bar
                return pd.read_parquet(artifacts / lineage.SAMPLE)
            with tempfile.TemporaryDirectory() as folder:
                return pd.read_parquet(client.download_artifacts(run_id, lineage.SAMPLE, folder))
        except (MlflowException, OSError):
            return None

    def usage(self, view: str) -> dict:
        """The runs whose training sets came from `view`, and the models registered from them."""
        client = self.tracking.client
        with mlflow_errors():
            experiments = [e.experiment_id for e in client.search_experiments()]
            runs = []
            if experiments:
                # LIKE narrows the search in MLflow's store; `uses` then matches exact names.
                found = client.search_runs(
                    experiments,
                    f"tags.`{lineage.FEATURES}` LIKE '%{view}@%'",
                    max_results=MAX_USAGE,
                )
                runs = [r for r in found if uses(r.data.tags.get(lineage.FEATURES, ""), view)]
            run_ids = {r.info.run_id for r in runs}
            models = []
            if run_ids:
                models = [
                    {"name": v.name, "version": str(v.version), "run_id": v.run_id}
                    for v in client.search_model_versions(max_results=1000)
                    if v.run_id in run_ids
                ]
        return {
            "runs": [
                {
                    "run_id": r.info.run_id,
                    "run_name": r.info.run_name,
                    "experiment_id": r.info.experiment_id,
                    "views": r.data.tags.get(lineage.FEATURES, ""),
                }
                for r in runs
            ],
            "models": models,
        }


def uses(tag_value: str, view: str) -> bool:
    return any(item.split("@")[0] == view for item in tag_value.split(","))
