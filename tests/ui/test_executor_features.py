"""The Jobs UI offers only what the server's executor can do, as `GET status` reports it:
the built-in `local` executor (GPUs, cancel, live log) shows the GPU fields, a cancel
button and the log of a running execution; the test package's `recording` executor
(none of them) shows none of those, though a queued execution can still be cancelled
(the server ends it without the executor) and a finished one's log still opens.

Each executor gets a Lab of its own with two declared GPUs (so the GPU fields have a
reason to show) and one job at a time (so a second one stays queued)."""

import json
import os
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

PLUGINS = Path(__file__).parents[1] / "plugins"
NOTEBOOK = "slow_job.ipynb"
FEATURES = {
    "local": {"gpus": True, "cancel": True, "live_log": True, "environments": False},
    "recording": {"gpus": False, "cancel": False, "live_log": False, "environments": False},
}
STATUS_TEXT = {
    "local": "local — GPUs, cancel, live log",
    "recording": "recording — no GPUs, cancel or live log",
}


@pytest.fixture(scope="module", params=["local", "recording"])
def executor_lab(request, start_lab):
    """A Lab whose agent runs jobs on the executor named by the parameter."""
    args = ["--MLOpsApp.job_pool_size=0", "--MLOpsApp.max_concurrent_jobs=1"]
    extra_env = {"JUPYTER_MLOPS_GPUS": "0,1"}
    if request.param == "recording":
        # As a server names a class outright (`c.MLOpsApp.executor_class`); the Lab and
        # the workers it starts import it from the tests' plugins folder.
        args.append("--MLOpsApp.executor_class=recording_executor.RecordingExecutor")
        extra_env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PLUGINS), os.environ.get("PYTHONPATH")])
        )
    with start_lab(f"{request.param}-executor-lab", args=args, extra_env=extra_env) as server:
        nb = nbformat.v4.new_notebook()
        parameters = nbformat.v4.new_code_cell("delay = 0.0  # seconds to sleep")
        parameters.metadata["tags"] = ["parameters"]
        nb.cells = [parameters, nbformat.v4.new_code_cell("import time\ntime.sleep(delay)")]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, server.root / NOTEBOOK)
        server.executor = request.param
        yield server


def post(lab, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{lab.url}/mlops/api/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def show_status(open_sidebar, lab):
    """Open the sidebar and wait for the status (and so the executor's features)."""
    sidebar = open_sidebar(lab)
    executor = sidebar.locator('[data-mlops-field="executor"]')
    expect(executor).to_have_text(STATUS_TEXT[lab.executor], timeout=30_000)
    return sidebar


def test_the_status_lists_what_the_executor_supports(page, open_sidebar, executor_lab):
    status = executor_lab.api("mlops/api/status")["executor"]
    assert status == {"name": executor_lab.executor, "features": FEATURES[executor_lab.executor]}
    show_status(open_sidebar, executor_lab)
    assert page.errors == []


def test_the_job_form_shows_gpu_fields_only_for_an_executor_with_gpus(
    page, open_sidebar, executor_lab
):
    assert len(executor_lab.api("mlops/api/jobs/gpus")["gpus"]) == 2
    show_status(open_sidebar, executor_lab)
    page.locator('.jp-SideBar [data-id="filebrowser"]').click()
    # The notebook was written after the server started: show the current listing.
    page.locator(".jp-FileBrowser [data-command='filebrowser:refresh']").click()
    item = page.locator('.jp-DirListing-item[data-file-type="notebook"]', has_text=NOTEBOOK)
    item.click(button="right")
    page.locator(".lm-Menu-item", has_text="Create Training Job").click()
    form = page.locator("#jp-mlops-job-form")
    # Loaded: its parameters (and GPU inventory) have arrived.
    expect(form.locator('.jp-mlops-job-param[data-param="delay"]')).to_be_visible()
    gpus = form.locator('[data-field="resources.gpus"]')
    if FEATURES[executor_lab.executor]["gpus"]:
        expect(gpus.locator('input[type="number"]')).to_have_attribute("max", "2")
    else:
        expect(gpus).to_have_count(0)
    # Neither installs pip requirements per job (executor ray does: test_ray_jobs.py).
    expect(form.locator('[data-field="requirements"]')).to_have_count(0)
    assert page.errors == []


def test_a_running_execution_offers_cancel_and_its_log_only_where_they_work(
    page, open_sidebar, executor_lab
):
    features = FEATURES[executor_lab.executor]
    slow = {"notebook": NOTEBOOK, "parameters": {"delay": 120}}
    running_id = post(executor_lab, "jobs", slow)["execution"]["id"]
    # One job at a time on this Lab: the second waits in the queue.
    queued_id = post(executor_lab, "jobs", slow)["execution"]["id"]

    jobs = show_status(open_sidebar, executor_lab).locator("#jp-mlops-section-jobs")
    running = jobs.locator(f'.jp-mlops-job-row[data-execution-id="{running_id}"]')
    expect(running).to_have_attribute("data-status", "running", timeout=60_000)
    expect(running.locator(".jp-mlops-job-cancel")).to_have_count(int(features["cancel"]))
    expect(running.locator(".jp-mlops-job-log")).to_have_count(int(features["live_log"]))
    expect(running.locator(".jp-mlops-job-rerun")).to_have_count(1)

    # Whatever the executor, a queued execution can be cancelled from its row.
    queued = jobs.locator(f'.jp-mlops-job-row[data-execution-id="{queued_id}"]')
    expect(queued).to_have_attribute("data-status", "queued")
    expect(queued.locator(".jp-mlops-job-log")).to_have_count(int(features["live_log"]))
    queued.locator(".jp-mlops-job-cancel").click()
    expect(queued).to_have_attribute("data-status", "cancelled")
    assert executor_lab.api(f"mlops/api/jobs/executions/{queued_id}")["status"] == "cancelled"

    # The running one is stopped through the API (the agent stops it with the
    # executor's `stop`); once finished its log is offered everywhere.
    post(executor_lab, f"jobs/executions/{running_id}/cancel", {})
    expect(running).to_have_attribute("data-status", "cancelled", timeout=60_000)
    expect(running.locator(".jp-mlops-job-cancel")).to_have_count(0)
    running.locator(".jp-mlops-job-log").click()
    log = page.locator(f"#jp-mlops-job-log-{running_id}")
    expect(log.locator(".jp-mlops-job-log-status")).to_have_attribute("data-status", "cancelled")
    assert page.errors == []
