"""Starting and ending runs from a kernel, with the source captured on the run.

These use MLflow's fluent run stack, so `mlflow.log_*` calls in the user's code land
in the run that `%%track` or `start_run` opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
from mlflow import ActiveRun
from mlflow.entities import RunTag

from ..errors import InvalidInput
from . import capture, executed, lineage
from .client import mlflow_errors
from .service import Tracking


def start_run(
    tracking: Tracking,
    *,
    experiment: str | None = None,
    name: str | None = None,
    notebook: Path | None = None,
    cell: str | None = None,
    tags: dict | None = None,
    shell: Any = None,
) -> ActiveRun:
    """Start a run (nested under the active one, if any) and record its source."""
    mlflow.set_tracking_uri(tracking.config.tracking_uri)
    mlflow.set_registry_uri(tracking.config.tracking_uri)
    experiment_id = tracking.experiment_id(experiment) if experiment else None
    parent = mlflow.active_run()
    if parent is not None:
        if experiment_id not in (None, parent.info.experiment_id):
            raise InvalidInput(
                f"a nested run stays in its parent's experiment; end run {parent.info.run_id} "
                "first to log into another one",
                field="experiment",
            )
        experiment_id = parent.info.experiment_id
    active = mlflow.start_run(
        experiment_id=experiment_id, run_name=name, nested=parent is not None, tags=tags
    )
    record_source(tracking, active.info.run_id, notebook, cell, shell)
    return active


def end_run(tracking: Tracking, status: str = "FINISHED") -> str:
    """Flush the run's metrics, then end it. Returns its id."""
    active = mlflow.active_run()
    if active is None:
        raise InvalidInput("no active run to end")
    run_id = active.info.run_id
    try:
        tracking.close_logger(run_id)
    finally:
        mlflow.end_run(status)
    return run_id


@contextmanager
def tracked(tracking: Tracking, *, autolog: bool = False, **start) -> Iterator[ActiveRun]:
    """A run around a block: FAILED if the block raises, metrics flushed either way."""
    active = start_run(tracking, **start)
    if autolog:
        # Scoped to the block: autologging stays off for cells that did not ask for it.
        mlflow.autolog(silent=True)
    status = "FAILED"
    try:
        yield active
        status = "FINISHED"
    except Exception as err:
        hint = error_hint(err)
        if hint is not None:
            # Shown under the traceback, which stays whole (what `add_note` does, 3.10 too).
            err.__notes__ = [*getattr(err, "__notes__", []), hint]
        raise
    finally:
        if autolog:
            mlflow.autolog(disable=True, silent=True)
        end_run(tracking, status)


def experiment_name(tracking: Tracking, experiment_id: str) -> str:
    """The experiment's name, for the line a run is shown with; its id where the store
    cannot say (the line is no reason to fail a run)."""
    from mlflow.exceptions import MlflowException

    try:
        return tracking.client.get_experiment(experiment_id).name
    except MlflowException:
        return experiment_id


# MLflow 3's sklearn flavor saves with skops, which refuses to load (and so, MLflow checking
# its own file, to log) a model holding types it cannot vouch for, such as every tree.
_UNTRUSTED = re.compile(r"Untrusted types found in the file: \[([^\]]*)\]")


def error_hint(err: BaseException) -> str | None:
    """One line naming the fix of an error raised in a tracked block, for the errors a
    user often meets there whose fix MLflow's own message buries; None for the others."""
    found = _UNTRUSTED.search(str(err))
    if found is None:
        return None
    types = [name.strip().strip("'\"") for name in found.group(1).split(",") if name.strip()]
    return (
        "hint: MLflow saves sklearn models with skops, which loads only the types it can "
        f"check; if you trust this model, pass skops_trusted_types={types!r} to "
        "mlflow.sklearn.log_model (README: Runs and models)"
    )


def record_source(
    tracking: Tracking,
    run_id: str,
    notebook: Path | None,
    cell: str | None,
    shell: Any = None,
) -> None:
    """Tag the run with where it came from and log its snapshot: with an IPython `shell`,
    the cells it executed with their results (what ran; see `executed.py`), the saved
    file beside it under `notebook/saved/`; without one, the saved file."""
    config = tracking.config
    client = tracking.client
    kernel = capture.kernel_name()
    tags = capture.source_tags(notebook, config.root_dir, config.home, kernel)
    ran = None if shell is None else executed.executed_notebook(shell, kernel)
    with mlflow_errors():
        if ran is not None:
            snapshot = f"notebook/{notebook.name if notebook else 'session.ipynb'}"
            client.log_dict(run_id, ran, snapshot)
            tags[lineage.SNAPSHOT] = snapshot
            tags[lineage.SNAPSHOT_FROM] = executed.SOURCE
            if notebook is not None:
                client.log_artifact(run_id, str(notebook), "notebook/saved")
        elif notebook is not None:
            client.log_artifact(run_id, str(notebook), "notebook")
            tags[lineage.SNAPSHOT] = f"notebook/{notebook.name}"
            tags[lineage.SNAPSHOT_FROM] = "saved file"
        if cell is not None:
            client.log_text(run_id, cell, "notebook/cell.py")
        client.log_text(run_id, capture.requirements(), "environment/requirements.txt")
        client.log_batch(run_id, tags=[RunTag(key, value) for key, value in tags.items()])
