"""Paths taken from the state DB or a deployment spec stay where they belong: a job row
written straight into the state DB (anyone who can write it) runs no notebook outside
the root and writes nothing outside the home; a drift reference outside the root is
refused by the deploy that names it. Real state DB, real files, real agent ticks."""

import json
from pathlib import Path

import pytest
from jobs_helpers import drive, finished, job_scheduler, notebook
from sqlalchemy import insert

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.jobs import notebook_run
from jupyter_mlops.jobs.paths import ExecutionPaths
from jupyter_mlops.services import Services
from jupyter_mlops.store.tables import job_executions


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """(root, outside): a notebook in the root, and one beside it that would leave a
    mark if it ran."""
    base = tmp_path_factory.mktemp("paths")
    root, outside = base / "root", base / "outside"
    notebook(root / "ok.ipynb", "x = 1", "print('ok')")
    notebook(outside / "evil.ipynb", "x = 1", f"open({str(outside / 'ran')!r}, 'w')")
    (root / "linked.ipynb").symlink_to(outside / "evil.ipynb")
    (root / "folder").mkdir()
    return root, outside


@pytest.fixture(scope="module")
def services(place):
    root, _ = place
    services = Services(resolve(root_dir=root, job_pool_size=0, environ={}))
    services.tracking.client  # noqa: B018 - the store exists before any worker opens it
    yield services
    services.close()


def plant(services, execution_id: str, **spec) -> str:
    """An execution row as another writer of the state DB could leave it: a valid job's
    spec with `spec` changed, under `execution_id`."""
    valid = services.jobs.submit({"notebook": "ok.ipynb"})["execution"]
    services.jobs.cancel(valid["id"])  # only the planted row is left to run
    row = services.jobs.records.new_execution({**valid["spec"], **spec})
    row["id"] = execution_id
    with services.store.begin() as conn:
        conn.execute(insert(job_executions).values(**row))
    return execution_id


@pytest.mark.parametrize(
    ("execution_id", "spec", "says"),
    [
        ("../../../outside/escape", {}, "is not a plain name"),
        ("0123456789abcdef", {"notebook": "../outside/evil.ipynb"}, "outside the server root"),
        ("0123456789abcde0", {"notebook": "linked.ipynb"}, "outside the server root"),
        ("0123456789abcde1", {"notebook": "folder/.."}, "is not a notebook"),
        ("0123456789abcde2", {"notebook": "ok.ipynb\0.py"}, "NUL"),
    ],
)
def test_a_planted_row_fails_without_running_or_writing(services, place, execution_id, spec, says):
    root, outside = place
    plant(services, execution_id, **spec)
    scheduler = job_scheduler(services)
    try:
        ended = drive(scheduler, lambda: finished(services.jobs, execution_id), timeout=60)
    finally:
        scheduler.close()
    assert ended["status"] == "failed"
    assert ended["error"]["kind"] == "failed_start"
    assert says in ended["error"]["evalue"] and "Traceback" not in ended["error"]["evalue"]
    # Refused before anything: no MLflow run opened, no worker, no output recorded.
    assert (ended["pid"], ended["mlflow_run_id"], ended["output_path"]) == (None, None, None)
    assert sorted(p.name for p in outside.iterdir()) == ["evil.ipynb"]
    assert not (root.parent / "escape").exists()
    if "/" in execution_id:  # nor is a log read from where the row points
        with pytest.raises(InvalidInput, match="is not a plain name"):
            services.jobs.logs(execution_id)


def test_the_worker_checks_again_when_it_runs(services, place):
    """Between the agent's check and the worker's run the row may change: the worker's
    own check refuses it before papermill writes anything."""
    root, outside = place
    execution_id = plant(services, "../../../outside/late")
    execution = services.jobs.records.get(execution_id)
    outcome = notebook_run.run(execution, ExecutionPaths.of(services.config, execution), {})
    assert outcome.status == "failed"
    assert outcome.error["kind"] == "failed_start"
    assert "is not a plain name" in outcome.error["evalue"]
    assert not (outside / "late").exists() and not (root.parent / "late").exists()


def test_a_drift_reference_outside_the_root_is_refused_at_deploy(services, place):
    root, _ = place
    (root.parent / "elsewhere.parquet").write_bytes(b"PAR1")
    for reference, says in (
        ("../elsewhere.parquet", "outside the server root"),
        (str(root.parent / "elsewhere.parquet"), "outside the server root"),
        ("data\0.parquet", "NUL"),
    ):
        body = {"name": "watched", "model_uri": "models:/m/1", "monitor": {"reference": reference}}
        with pytest.raises(InvalidInput, match=says) as caught:
            services.deployments.deploy(body)
        assert caught.value.field == "monitor.reference"
    assert services.deployments.deployments() == []  # nothing written


async def test_rest_deploy_names_the_bad_reference(jp_fetch):
    from tornado.httpclient import HTTPClientError

    body = {"name": "watched", "model_uri": "models:/m/1", "monitor": {"reference": "../x.csv"}}
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops", "api", "deployments", method="POST", body=json.dumps(body))
    assert caught.value.code == 400
    answer = json.loads(caught.value.response.body)
    assert answer["field"] == "monitor.reference"
    assert "outside the server root" in answer["message"]


def test_paths_of_a_valid_execution_are_unchanged(services):
    paths = ExecutionPaths(services.config, "0123456789abcdef", "sub/train.ipynb")
    paths.check()
    assert paths.output == services.config.home / "jobs" / "0123456789abcdef" / "train.ipynb"
    assert paths.log.parent == paths.output.parent
    assert Path(paths.output_relative) == Path(".mlops/jobs/0123456789abcdef/train.ipynb")
