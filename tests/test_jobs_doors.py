"""Jobs through the REST routes, the magics and the CLI (real kernels)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from jobs_helpers import drive, finished, job_scheduler, notebook
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import GPUS_ENV, HOME_ENV, ROOT_DIR_ENV
from jupyter_mlops.kernel.progress import JobProgress
from jupyter_mlops.services import default

JUPYTER = str(Path(sys.executable).parent / "jupyter")


@pytest.fixture
def project(tmp_path):
    notebook(tmp_path / "nb" / "train.ipynb", "epochs = 2", "print('trained', epochs)")
    notebook(tmp_path / "nb" / "broken.ipynb", "epochs = 2", "1 / 0")
    return tmp_path


async def test_rest_submit_list_cancel_and_log(jp_fetch, jp_root_dir, jp_serverapp):
    notebook(jp_root_dir / "train.ipynb", "epochs = 2", "print('trained', epochs)")
    form = json.loads(
        (
            await jp_fetch("mlops", "api", "jobs", "parameters", params={"notebook": "train.ipynb"})
        ).body
    )
    assert form["parameters"][0]["name"] == "epochs" and form["kernel"] == "python3"

    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            "mlops",
            "api",
            "jobs",
            method="POST",
            body=json.dumps({"notebook": "train.ipynb", "parameters": {"epoch": 1}}),
        )
    assert caught.value.code == 400
    assert json.loads(caught.value.response.body)["field"] == "parameters.epoch"

    created = await jp_fetch(
        "mlops",
        "api",
        "jobs",
        method="POST",
        body=json.dumps({"notebook": "train.ipynb", "parameters": {"epochs": "3"}}),
    )
    assert created.code == 201
    execution = json.loads(created.body)["execution"]
    services = jp_serverapp.web_app.settings["jupyter_mlops"].services
    scheduler = job_scheduler(services)
    done = drive(scheduler, lambda: finished(services.jobs, execution["id"]))
    scheduler.close()
    assert done["status"] == "succeeded", (
        done["error"],
        services.jobs.logs(done["id"])["text"][-3000:],
    )

    listed = json.loads((await jp_fetch("mlops", "api", "jobs", "executions")).body)
    assert [e["id"] for e in listed["executions"]] == [execution["id"]]
    log = json.loads(
        (await jp_fetch("mlops", "api", "jobs", "executions", execution["id"], "log")).body
    )
    assert "trained 3" in log["text"] and log["next"] == len(log["text"].encode())
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            "mlops",
            "api",
            "jobs",
            "executions",
            execution["id"],
            "cancel",
            method="POST",
            body="{}",
        )
    assert caught.value.code == 409
    rerun = await jp_fetch(
        "mlops", "api", "jobs", "executions", execution["id"], "rerun", method="POST", body="{}"
    )
    assert rerun.code == 201
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops", "api", "jobs", "executions", "nope")
    assert caught.value.code == 404
    gpus = json.loads((await jp_fetch("mlops", "api", "jobs", "gpus")).body)
    assert isinstance(gpus["gpus"], list)


def test_magic_submits_and_follows_a_job(project, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(project / ".mlops"))
    monkeypatch.setenv(ROOT_DIR_ENV, str(project))
    monkeypatch.setenv(GPUS_ENV, "none")
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    try:
        progress = shell.run_line_magic("mlops", "job submit nb/train.ipynb -p epochs 4")
        assert isinstance(progress, JobProgress)
        jobs = default().jobs
        scheduler = job_scheduler(default())
        done = drive(scheduler, lambda: finished(jobs, progress.execution_id))
        assert done["status"] == "succeeded", (done["error"], jobs.logs(done["id"])["text"][-3000:])
        # The widget follows on its own thread; it sees the end within a poll or two.
        assert drive(scheduler, lambda: progress.status == "succeeded", timeout=10)
        scheduler.close()
        assert progress.bar.value == progress.bar.max
        table = shell.run_line_magic("mlops", "jobs")
        assert progress.execution_id in table._repr_html_()
        with pytest.raises(UsageError, match="%mlops job: unknown parameter 'epoch'"):
            shell.run_line_magic("mlops", "job submit nb/train.ipynb -p epoch 4")
        with pytest.raises(UsageError, match="this machine has 0"):
            shell.run_line_magic("mlops", "job submit nb/train.ipynb --gpus 1")
    finally:
        shell.run_line_magic("unload_ext", "jupyter_mlops")
        InteractiveShell.clear_instance()


def mlops(project, *args):
    return subprocess.run(
        [JUPYTER, "mlops", "--home", str(project / ".mlops"), *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=project,
    )


def test_cli_run_exit_codes_for_ci(project):
    ok = mlops(project, "run", "nb/train.ipynb", "-p", "epochs", "5")
    assert ok.returncode == 0, ok.stderr
    assert "status: succeeded" in ok.stdout
    output = next(line for line in ok.stdout.splitlines() if line.startswith("output notebook:"))
    assert Path(output.split(": ", 1)[1]).is_file()

    broken = mlops(project, "run", "nb/broken.ipynb", "--max-attempts", "2", "--backoff", "0")
    assert broken.returncode == 1
    assert "ZeroDivisionError" in broken.stderr

    bad = mlops(project, "run", "nb/train.ipynb", "-p", "epochs", "many")
    assert bad.returncode == 1 and "parameter 'epochs' must be of type int" in bad.stderr
    assert mlops(project, "run").returncode == 2

    listed = mlops(project, "jobs", "list")
    # The broken notebook ran twice, as CI asked: two attempts, both failed.
    assert listed.stdout.count("succeeded") == 1 and listed.stdout.count("failed") == 2
