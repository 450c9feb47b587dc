"""The MLflow side of notebook jobs: each execution is one run, opened before its
notebook runs (so the kernel starts with MLFLOW_RUN_ID) and closed at its end; a sweep's
executions are nested under a parent run. Every call maps MLflow's errors to domain
errors, as the rest of tracking does."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import InvalidInput, NotFound
from . import capture, lineage
from .client import mlflow_errors
from .service import Tracking

PARAM_CHARS = 6000  # MLflow's limit on a param value
LOG_ARTIFACT = "log/log.txt"
MAX_LOG_KEPT = 8 * 1024 * 1024  # the end of a longer log is kept: where a job failed


def _tail(log: Path) -> str:
    size = log.stat().st_size
    with log.open("rb") as text:
        if size > MAX_LOG_KEPT:
            text.seek(size - MAX_LOG_KEPT)
        kept = text.read().decode(errors="replace")
    if size > MAX_LOG_KEPT:
        return f"[the first {size - MAX_LOG_KEPT} bytes of the log were left out]\n" + kept
    return kept


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

    def describe(
        self,
        run_id: str,
        notebook: Path,
        kernel: str,
        parameters: dict,
        injected: dict,
        overridden: Iterable[str] = (),
    ) -> None:
        """What the run ran: every parameter (`overridden` names those the execution set,
        the others being the notebook's defaults), lineage tags, input notebook
        (`injected`: with its parameters, as nbformat JSON) and packages."""
        from mlflow.entities import Param, RunTag

        config = self.tracking.config
        tags = capture.source_tags(notebook, config.root_dir, config.home, kernel)
        tags[lineage.PARAMS_OVERRIDDEN] = ",".join(sorted(overridden))
        client = self.tracking.client
        with mlflow_errors():
            client.log_batch(
                run_id,
                params=[Param(k, str(v)[:PARAM_CHARS]) for k, v in parameters.items()],
                tags=[RunTag(k, v) for k, v in tags.items()],
            )
            # The notebook as the job runs it: the parameters injected as papermill does,
            # the run's snapshot (what "Open notebook snapshot" opens).
            snapshot = f"input/{notebook.name}"
            client.log_dict(run_id, injected, snapshot)
            client.set_tag(run_id, lineage.SNAPSHOT, snapshot)
            client.set_tag(run_id, lineage.SNAPSHOT_FROM, "job input")
            client.log_text(run_id, capture.requirements(), "environment/requirements.txt")

    def close(
        self, run_id: str, status: str, output: Path | None, log: Path | None = None
    ) -> str | None:
        """End the run as `status` (MLflow's: FINISHED, FAILED, KILLED), with the output
        notebook as it stands (cells up to a failing one) and the job's log so far (so
        both outlive the disk of the machine that ran it: a cluster's, a colleague's).
        Returns the feature versions its training sets came from (tag `mlops.features`)."""
        client = self.tracking.client
        with mlflow_errors():
            if output is not None and output.exists():  # papermill writes it as cells run
                client.log_artifact(run_id, str(output), "output")
            if log is not None and log.exists():
                client.log_text(run_id, _tail(log), LOG_ARTIFACT)
            client.set_terminated(run_id, status)
            return client.get_run(run_id).data.tags.get(lineage.FEATURES)

    def create_parent(self, experiment: str, name: str, tags: dict[str, str]) -> str:
        """A run that only groups others (a sweep's): ended at once, it holds no work."""
        run_id = self.create(experiment, name, tags)
        with mlflow_errors():
            self.tracking.client.set_terminated(run_id)
        return run_id

    def log_text(self, run_id: str) -> str | None:
        """The job log kept with the run at its end; None when it has none."""
        try:
            found = self.tracking.artifact_content(run_id, LOG_ARTIFACT)
        except (NotFound, InvalidInput):  # ended before logs were kept, or its run is gone
            return None
        return found["content"] if found["format"] == "text" else None

    def metrics(self, run_id: str) -> dict[str, float]:
        return dict(self.tracking.get_run(run_id).data.metrics)
