"""What a job's run records: every parameter (the notebook's defaults too), a snapshot
that is the notebook as the job ran it (parameters injected as papermill injects them),
and a git state that leaves the MLOps home out (the job writes there while it runs).
A real kernel through the scheduler, a real git repo."""

import subprocess

import mlflow
import nbformat
from jobs_helpers import drive, finished, job_scheduler, notebook
from magic_helpers import GIT

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services
from jupyter_mlops.tracking import lineage


def test_a_job_run_s_snapshot_is_its_notebook_with_the_parameters_injected(tmp_path):
    defaults = "lr = 0.1\nepochs = 1\nnote = 'baseline'"
    path = notebook(tmp_path / "train.ipynb", defaults, "print(lr * epochs)")
    subprocess.run([*GIT, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "add", "train.ipynb"], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=tmp_path, check=True)
    services = Services(resolve(root_dir=tmp_path, job_pool_size=0, environ={}))
    try:
        body = {"notebook": "train.ipynb", "parameters": {"lr": 0.5, "epochs": 3}}
        queued = services.jobs.submit(body)["execution"]["id"]
        done = drive(job_scheduler(services), lambda: finished(services.jobs, queued))
        assert done["status"] == "succeeded", done["error"]
        run = services.tracking.client.get_run(done["mlflow_run_id"])
        # The defaults too, so runs compare on every parameter; which were set, tagged.
        assert run.data.params == {"lr": "0.5", "epochs": "3", "note": "baseline"}
        assert run.data.tags[lineage.PARAMS_OVERRIDDEN] == "epochs,lr"
        assert run.data.tags[lineage.SNAPSHOT] == "input/train.ipynb"
        assert run.data.tags[lineage.SNAPSHOT_FROM] == "job input"
        got = mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id,
            artifact_path="input/train.ipynb",
            dst_path=str(tmp_path / "got"),
            tracking_uri=services.config.tracking_uri,
        )
        cells = nbformat.read(got, as_version=4).cells
        injected = [c for c in cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected and "lr = 0.5" in injected[0].source and "epochs = 3" in injected[0].source
        assert not any(cell.get("outputs") for cell in cells)  # as it goes in, not out
        # The run page links it.
        detail = services.tracking.run(run.info.run_id)
        assert detail["notebook"]["snapshot_path"].endswith("input/train.ipynb")
        # The job wrote its home (.mlops/) inside the repository: not "dirty" for that.
        assert services.jobs.execution(queued)["inputs"]["git_dirty"] is False
        path.write_text(path.read_text() + " ")
        again = services.jobs.submit(body)["execution"]["id"]
        drive(job_scheduler(services), lambda: finished(services.jobs, again))
        assert services.jobs.execution(again)["inputs"]["git_dirty"] is True
    finally:
        for worker in services.agent_workers():
            worker.close()
        services.close()
