"""A job on a Ray cluster, followed in Lab: a Lab whose executor is "ray" (a throwaway local
head, stopped at the end) runs a notebook submitted from the job form; while the notebook
waits for a file the test writes, its row says running with the cells done so far, and its
log view shows what the notebook printed, copied from Ray's log as it grows. Once the file
is there the row ends succeeded, every cell done."""

import nbformat
import pytest
from playwright.sync_api import expect
from ray_helpers import start_head

NOTEBOOK = "ray_steps.ipynb"
STATUS_TEXT = "ray — GPUs, cancel, live log, per-job pip requirements"
# The job waits for `release` here; bounded, so a job the teardown could not stop still
# ends (stop_jobs stops one left waiting by a failed test).
WAIT = """import pathlib, time
print('step 2: waiting for the release file', flush=True)
deadline = time.monotonic() + 300
while not pathlib.Path(release).exists():
    assert time.monotonic() < deadline, 'never released'
    time.sleep(0.2)
print('step 2: released', flush=True)"""


@pytest.fixture(scope="module")
def ray_head():
    head = start_head(gpus=1, cpus=2)
    yield head
    head.stop()  # its unfinished jobs too; never `ray stop`


@pytest.fixture(scope="module")
def ray_lab(start_lab, ray_head, tmp_path_factory):
    """A Lab whose agent submits each execution as a Ray job to `ray_head` (no warm pool:
    the cluster runs the worker). The notebook is alone in the Lab's root, the folder Ray
    ships with the job; the release file is outside it, on this machine's disk, which
    the local head's job sees too."""
    args = [
        "--MLOpsApp.executor=ray",
        f"--MLOpsApp.ray_address={ray_head.jobs_api}",
        "--MLOpsApp.job_pool_size=0",
    ]
    with start_lab("ray-lab", args=args) as server:
        nb = nbformat.v4.new_notebook()
        parameters = nbformat.v4.new_code_cell("release = ''  # the file that lets the job end")
        parameters.metadata["tags"] = ["parameters"]
        nb.cells = [
            parameters,
            nbformat.v4.new_code_cell("print('step 1: data loaded', flush=True)"),
            nbformat.v4.new_code_cell(WAIT),
            nbformat.v4.new_code_cell("print('step 3: trained', flush=True)"),
        ]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, server.root / NOTEBOOK)
        server.release = tmp_path_factory.mktemp("ray-release") / "release"
        yield server


def open_job_form(page, open_sidebar, lab):
    """The sidebar (its executor line once the status has come), then the form from the
    notebook's context menu in the file browser."""
    sidebar = open_sidebar(lab)
    expect(sidebar.locator('[data-mlops-field="executor"]')).to_have_text(
        STATUS_TEXT, timeout=30_000
    )
    page.locator('.jp-SideBar [data-id="filebrowser"]').click()
    # The notebook was written after the server started: show the current listing.
    page.locator(".jp-FileBrowser [data-command='filebrowser:refresh']").click()
    item = page.locator('.jp-DirListing-item[data-file-type="notebook"]', has_text=NOTEBOOK)
    expect(item).to_be_visible()
    item.click(button="right")
    page.locator(".lm-Menu-item", has_text="Create Training Job").click()
    form = page.locator("#jp-mlops-job-form")
    expect(form.locator('.jp-mlops-job-param[data-param="release"]')).to_be_visible()
    return form


def test_a_ray_job_shows_its_progress_and_log_while_it_runs(page, open_sidebar, ray_lab):
    form = open_job_form(page, open_sidebar, ray_lab)
    # Ray installs pip requirements per job: the form offers them (left empty here).
    expect(form.locator('[data-field="requirements"]')).to_have_count(1)
    form.locator('.jp-mlops-job-param[data-param="release"] input').fill(str(ray_lab.release))
    form.locator(".jp-mlops-job-submit").click()
    expect(form.locator(".jp-mlops-job-form-done")).to_contain_text("Queued execution")

    jobs = page.locator("#jp-mlops-section-jobs")
    row = jobs.locator(".jp-mlops-job-row").first
    expect(row).to_be_visible()
    execution_id = row.get_attribute("data-execution-id")
    assert execution_id
    expect(row.locator(".jp-mlops-job-notebook")).to_have_text(NOTEBOOK)

    # Ray starts the worker (the notebook's folder shipped, a kernel started); the job
    # then holds in its third cell of four, after papermill's injected parameters: 3 of 5.
    expect(row).to_have_attribute("data-status", "running", timeout=180_000)
    progress = row.locator(".jp-mlops-job-progress")
    expect(progress).to_have_attribute("aria-valuenow", "3", timeout=120_000)
    expect(progress).to_have_attribute("aria-valuemax", "5")
    expect(progress).to_contain_text("cell 3 of 5")
    running = ray_lab.api(f"mlops/api/jobs/executions/{execution_id}")
    assert running["status"] == "running" and running["host"] == "ray"
    assert running["progress"] == {"done": 3, "total": 5}

    # The live log: what the notebook printed so far, from Ray's log, while it runs.
    row.locator(".jp-mlops-job-log").click()
    log = page.locator(f"#jp-mlops-job-log-{execution_id}")
    expect(log).to_be_visible()
    text = log.locator(".jp-mlops-job-log-text")
    expect(text).to_contain_text("step 1: data loaded", timeout=60_000)
    expect(text).to_contain_text("step 2: waiting for the release file", timeout=60_000)
    expect(text).not_to_contain_text("step 2: released")
    status = log.locator(".jp-mlops-job-log-status")
    expect(status).to_have_attribute("data-status", "running")
    expect(status).to_contain_text("following the log")
    assert ray_lab.api(f"mlops/api/jobs/executions/{execution_id}")["status"] == "running"

    # Released: the job runs its last cells and ends; the log follows to the end.
    ray_lab.release.write_text("go")
    expect(row).to_have_attribute("data-status", "succeeded", timeout=120_000)
    expect(progress).to_have_attribute("aria-valuenow", "5")
    expect(progress).to_contain_text("cell 5 of 5")
    expect(status).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(text).to_contain_text("step 3: trained", timeout=30_000)
    ended = ray_lab.api(f"mlops/api/jobs/executions/{execution_id}")
    assert ended["status"] == "succeeded", ended["error"]
    assert ended["mlflow_run_id"]
    assert page.errors == []
