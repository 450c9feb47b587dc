"""`tracking.report(step, value)` (issue 15): a trial's notebook reports intermediate
values as its search's metric by step in its run, written at once, so the search driver
reads them back by step and hands them to the pruner."""

import pytest
from jobs_helpers import notebook

from jupyter_mlops import tracking
from jupyter_mlops.config import GPUS_ENV, HOME_ENV, ROOT_DIR_ENV, resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.jobs.records import ExecutionStatus
from jupyter_mlops.services import Services
from jupyter_mlops.tuning.driver import SearchDriver


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Services on the stores the kernel-side API finds from its environment."""
    notebook(tmp_path / "train.ipynb", "lr = 0.1", "pass")
    monkeypatch.setenv(HOME_ENV, str(tmp_path / ".mlops"))
    monkeypatch.setenv(ROOT_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(GPUS_ENV, "none")
    services = Services(resolve())
    yield services
    services.close()


def test_report_logs_a_trials_search_metric_by_step_and_elsewhere_a_named_one(project, monkeypatch):
    search = project.tuning.submit(
        {
            "notebook": "train.ipynb",
            "search": {"metric": "val_loss", "space": {"lr": {"low": 0.01, "high": 1.0}}},
        }
    )["search"]
    driver = SearchDriver(project.tuning, project.jobs, project.tracking)
    driver.tick()  # asks for the first trial and queues its execution
    execution_id = project.tuning.search(search["id"])["trials"][0]["execution_id"]
    # The trial's run, as the worker opens it before the notebook runs; MLFLOW_RUN_ID
    # names it in the job's kernel.
    records = project.jobs.records
    run_id = project.job_lifecycle.prepare(records.get(execution_id)).mlflow_run_id
    assert records.claim(execution_id, ExecutionStatus.QUEUED, ExecutionStatus.RUNNING)
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)

    for step, value in enumerate([0.9, 0.5, 0.4]):
        tracking.report(step, value)
        # Written before report returns: what the driver reads by step.
        points = project.tracking.metric_history(run_id, "val_loss")["points"]
        assert (points[-1]["step"], points[-1]["value"]) == (step, value)
    tracking.report(0, 0.25, metric="accuracy")  # another metric, named
    assert project.tracking.metric_history(run_id, "accuracy")["points"][0]["value"] == 0.25

    driver.tick()
    trial = project.tuning.open(search["id"]).trials[0]
    assert trial.intermediate_values == {0: 0.9, 1: 0.5, 2: 0.4}

    # Outside a search, the metric is named, or refused with how to name it.
    client = project.tracking.client
    plain = client.create_run(client.get_experiment_by_name("Default").experiment_id)
    plain = plain.info.run_id
    with pytest.raises(InvalidInput, match=r"no search's trial: name the metric") as refused:
        tracking.report(0, 1.0, run_id=plain)
    assert refused.value.field == "metric"
    tracking.report(2, 1.5, metric="loss", run_id=plain)
    points = project.tracking.metric_history(plain, "loss")["points"]
    assert [(p["step"], p["value"]) for p in points] == [(2, 1.5)]
