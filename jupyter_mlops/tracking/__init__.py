"""Runs and metrics from Python: `from jupyter_mlops import tracking`.

    with tracking.run(experiment="churn"):
        for step in range(epochs):
            tracking.log_metrics({"loss": loss, "acc": acc}, step=step)

The same verbs as `%%track`, `%mlops run|runs`, the REST API and the panel, bound to
the project's stores (see `default`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from ..errors import InvalidInput
from . import lineage
from .service import Tracking


@cache
def default() -> Tracking:
    """This process's tracking, on the stores its environment names (the server exports
    them to the kernels it starts), as MLflow's fluent API finds its store. The kernel
    door's services use this one too, so `%%track`, `%mlops run` and this API share
    runs and metric loggers."""
    from ..config import resolve

    return Tracking(resolve())


_tracking = default


def run(experiment: str | None = None, name: str | None = None, autolog: bool = False):
    """A context manager: an MLflow run, FAILED if the block raises, metrics flushed."""
    from .runs import tracked

    return tracked(_tracking(), experiment=experiment, name=name, autolog=autolog, shell=_shell())


def start_run(experiment: str | None = None, name: str | None = None):
    from .runs import start_run as start

    return start(_tracking(), experiment=experiment, name=name, shell=_shell())


def end_run(status: str = "FINISHED") -> str:
    from .runs import end_run as end

    return end(_tracking(), status)


def log_metrics(metrics: Mapping[str, float], step: int = 0, *, run_id: str | None = None) -> None:
    """Queue metric points for the run (default: the active one); written in batches
    by a background thread, flushed when the run ends and at interpreter exit."""
    _tracking().metric_logger(run_id or _active_run_id()).log_metrics(metrics, step)


def log_metric(key: str, value: float, step: int = 0, *, run_id: str | None = None) -> None:
    _tracking().metric_logger(run_id or _active_run_id()).log(key, value, step)


def report(
    step: int, value: float, metric: str | None = None, *, run_id: str | None = None
) -> None:
    """An intermediate value: in a search's trial, `value` of the search's metric at
    `step` in the trial's run, written now so that the agent hands it to the pruner at
    its next step (and stops the trial if it is pruned). Elsewhere, or to log another
    metric, `metric` names it. The run is the active one, else the job's (MLFLOW_RUN_ID)."""
    tracking = _tracking()
    run_id = run_id or _active_run_id(os.environ.get("MLFLOW_RUN_ID"))
    metric = metric or _search_metric(tracking, run_id)
    if not metric:
        raise InvalidInput(
            f"run {run_id} is no search's trial: name the metric, report(step, value, metric=)",
            field="metric",
        )
    tracking.metric_logger(run_id).log(metric, value, step)
    tracking.flush(run_id)


def log_input(frame, name: str = "training", *, run_id: str | None = None) -> None:
    """Log the DataFrame a model is trained on as the run's training input (default: the
    active run): MLflow's dataset input, and a sample that drift monitoring of the
    models registered from the run compares their traffic with."""
    from .training_sets import TrainingSetRuns

    TrainingSetRuns(_tracking()).log_input(run_id or _active_run_id(), frame, name)


def flush() -> None:
    """Block until every queued metric point is written."""
    _tracking().flush()


def runs(
    experiment: str | None = None,
    filter: str | None = None,
    order_by: str | None = None,
    max_results: int = 100,
) -> list[dict]:
    tracking = _tracking()
    experiment_id = tracking.experiment_id(experiment or "Default", create=False)
    page = tracking.runs(experiment_id, filter=filter, order_by=order_by, max_results=max_results)
    return page["runs"]


def compare(run_ids: list[str]) -> dict:
    from .compare import compare as build

    return build(_tracking(), run_ids)


def _shell():
    """IPython's shell when this runs in one (a kernel): its history is the snapshot."""
    import sys

    if "IPython" not in sys.modules:  # a script: importing IPython would cost a second
        return None
    from IPython import get_ipython

    return get_ipython()


def _active_run_id(otherwise: str | None = None) -> str:
    import mlflow

    active = mlflow.active_run()
    if active is None and otherwise:
        return otherwise
    if active is None:
        raise InvalidInput(
            "no active run: start one with %%track, %mlops run start, "
            "tracking.run() or mlflow.start_run(), or pass run_id="
        )
    return active.info.run_id


def _search_metric(tracking: Tracking, run_id: str) -> str | None:
    """The metric of the search whose trial `run_id` is (its parent run names it), or None."""
    if run_id not in _search_metrics:
        tags = tracking.get_run(run_id).data.tags
        parent = tags.get("mlflow.parentRunId")
        _search_metrics[run_id] = (
            tracking.get_run(parent).data.tags.get(lineage.SEARCH_METRIC)
            if lineage.SEARCH in tags and parent
            else None
        )
    return _search_metrics[run_id]


_search_metrics: dict[str, str | None] = {}  # a run's search never changes

__all__ = [
    "Tracking",
    "compare",
    "default",
    "end_run",
    "flush",
    "log_input",
    "log_metric",
    "log_metrics",
    "report",
    "run",
    "runs",
    "start_run",
]
