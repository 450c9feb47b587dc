"""Executors come from a registry: the built-in one by name, others from packages that
register one under the entry-point group `jupyter_mlops.executors`; an unknown name is
refused where the configuration is read, naming those there are."""

from pathlib import Path

import pytest
from jobs_helpers import drive, finished, job_scheduler, notebook
from traitlets import TraitError

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.jobs import executors
from jupyter_mlops.server.app import MLOpsApp
from jupyter_mlops.services import Services

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """A package on the path that registers the `recording` executor, as pip installs one."""
    site = tmp_path / "site"
    dist = site / "recording_executor-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: recording-executor\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[jupyter_mlops.executors]\nrecording = recording_executor:RecordingExecutor\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(PLUGINS))


def test_an_unknown_executor_is_refused_with_the_names_there_are(tmp_path, installed):
    assert executors.names() == ["local", "ray", "recording"]
    with pytest.raises(InvalidInput) as caught:
        Services(resolve(root_dir=tmp_path, executor="nosuch", environ={}))
    assert caught.value.field == "executor"
    assert caught.value.message == "unknown executor 'nosuch'; available: local, ray, recording"
    with pytest.raises(TraitError, match="available: local, ray, recording"):
        MLOpsApp(executor="nosuch")
    assert MLOpsApp(executor="recording").executor == "recording"


def test_a_job_runs_on_an_executor_a_package_registered(tmp_path, installed):
    root = tmp_path / "root"
    notebook(root / "train.ipynb", "epochs = 1", "import mlflow\nmlflow.log_metric('e', epochs)")
    services = Services(resolve(root_dir=root, executor="recording", gpus=["0"], environ={}))
    scheduler = job_scheduler(services)
    try:
        assert type(scheduler.executor).__name__ == "RecordingExecutor"
        # What it can do is reported to the doors, so the UI offers only that.
        assert services.project.status()["executor"] == {
            "name": "recording",
            "features": {"gpus": False, "cancel": False, "live_log": False, "environments": False},
        }
        # It gives jobs no GPUs: a job asking for one is refused before anything is stored.
        with pytest.raises(InvalidInput) as caught:
            services.jobs.submit({"notebook": "train.ipynb", "resources": {"gpus": 1}})
        assert caught.value.field == "resources.gpus"
        assert services.jobs.executions() == []

        execution = services.jobs.submit({"notebook": "train.ipynb"})["execution"]
        done = drive(scheduler, lambda: finished(services.jobs, execution["id"]))
        assert done["status"] == "succeeded", services.jobs.logs(done["id"])["text"][-2000:]
        starts = (services.config.home / "recording-executor.starts").read_text().split()
        assert starts == [execution["id"]]
        assert services.tracking.get_run(done["mlflow_run_id"]).data.metrics == {"e": 1.0}
    finally:
        scheduler.close()
        services.close()
