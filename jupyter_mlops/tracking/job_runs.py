"""The MLflow side of notebook jobs: each execution is one run, opened before its
notebook runs (so the kernel starts with MLFLOW_RUN_ID) and closed at its end; a sweep's
executions are nested under a parent run. Every call maps MLflow's errors to domain
errors, as the rest of tracking does."""

from __future__ import annotations

from pathlib import Path

from . import capture, lineage
from .client import mlflow_errors
from .service import Tracking

PARAM_CHARS = 6000  # MLflow's limit on a param value


class JobRuns:
    def __init__(self, tracking: Tracking):
        self.tracking = tracking

    def create(self, experiment: str, name: str, tags: dict[str, str]) -> str:
        """A new run, RUNNING, with `tags`; its id."""
        experiment_id = self.tracking.experiment_id(experiment)
        with mlflow_errors():
            return self.tracking.client.create_run(
                experiment_id, run_name=name, tags=tags
            ).info.run_id

    def describe(self, run_id: str, notebook: Path, kernel: str, parameters: dict) -> None:
        """What the run ran: its parameters, lineage tags, input notebook and packages."""
        from mlflow.entities import Param, RunTag

        config = self.tracking.config
        tags = capture.source_tags(notebook, config.root_dir, config.home, kernel)
        client = self.tracking.client
        with mlflow_errors():
            client.log_batch(
                run_id,
                params=[Param(k, str(v)[:PARAM_CHARS]) for k, v in parameters.items()],
                tags=[RunTag(k, v) for k, v in tags.items()],
            )
            client.log_artifact(run_id, str(notebook), "input")
            client.log_text(run_id, capture.requirements(), "environment/requirements.txt")

    def close(self, run_id: str, status: str, output: Path | None) -> str | None:
        """End the run as `status` (MLflow's: FINISHED, FAILED, KILLED), with the output
        notebook as it stands (cells up to a failing one). Returns the feature versions
        its training sets came from (tag `mlops.features`), if any."""
        client = self.tracking.client
        with mlflow_errors():
            if output is not None and output.exists():  # papermill writes it as cells run
                client.log_artifact(run_id, str(output), "output")
            client.set_terminated(run_id, status)
            return client.get_run(run_id).data.tags.get(lineage.FEATURES)

    def create_parent(self, experiment: str, name: str, tags: dict[str, str]) -> str:
        """A run that only groups others (a sweep's): ended at once, it holds no work."""
        run_id = self.create(experiment, name, tags)
        with mlflow_errors():
            self.tracking.client.set_terminated(run_id)
        return run_id

    def metrics(self, run_id: str) -> dict[str, float]:
        return dict(self.tracking.get_run(run_id).data.metrics)
