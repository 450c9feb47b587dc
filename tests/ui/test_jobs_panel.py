"""A notebook becomes a training job from the file browser: the form is generated from
its parameters cell, refuses a bad value with the server's message, and the execution
runs (the Lab server hosts the agent) with its status and progress live in the Jobs
section, its log and its output notebook a click away."""

import nbformat
import pytest
from pictures import picture
from playwright.sync_api import expect

NOTEBOOK = "train_ui_job.ipynb"
# ipywidgets' Lab extension (@jupyter-widgets/jupyterlab-manager) rejects, unhandled, for
# every notebook opened without a kernel, as the read-only output notebook is.
WIDGETS_WITHOUT_KERNEL = "Cannot read properties of null (reading 'kernel')"


@pytest.fixture(scope="module")
def job_notebook(mlflow_lab) -> str:
    """A notebook with a parameters cell (int, float, str, list) and cells that print.

    Jobs log to the `jobs` experiment, so the Runs tests on this Lab still see only
    their own runs in `Default`."""
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(
        "epochs = 2  # passes over the data\n"
        "lr = 0.1  # learning rate\n"
        "tag = 'demo'\n"
        "layers = [64, 32]\n"
        "delay = 0.0  # seconds to wait before training"
    )
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [
        parameters,
        nbformat.v4.new_code_cell("import time\ntime.sleep(delay)"),
        nbformat.v4.new_code_cell("print(f'training for {epochs} epochs at lr={lr}')"),
        nbformat.v4.new_code_cell("result = epochs * sum(layers)\nprint('result', result)"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, mlflow_lab.root / NOTEBOOK)
    return NOTEBOOK


def open_job_form(page, sidebar_of, lab):
    """Right-click the notebook in the file browser and choose Create Training Job."""
    sidebar_of(lab)
    page.locator('.jp-SideBar [data-id="filebrowser"]').click()
    # The notebook was written after the server started: show the current listing.
    page.locator(".jp-FileBrowser [data-command='filebrowser:refresh']").click()
    item = page.locator('.jp-DirListing-item[data-file-type="notebook"]', has_text=NOTEBOOK)
    expect(item).to_be_visible()
    item.click(button="right")
    page.locator(".lm-Menu-item", has_text="Create Training Job").click()
    form = page.locator("#jp-mlops-job-form")
    expect(form).to_be_visible()
    return form


def test_a_notebook_runs_as_a_job_from_the_file_browser(
    page, open_sidebar, mlflow_lab, job_notebook
):
    form = open_job_form(page, open_sidebar, mlflow_lab)

    # One input per parameter, typed and prefilled with the default, with its help.
    epochs = form.locator('.jp-mlops-job-param[data-param="epochs"]')
    expect(epochs).to_have_attribute("data-type", "int")
    expect(epochs.locator('input[type="number"]')).to_have_value("2")
    expect(epochs.locator(".jp-mlops-job-help")).to_have_text("passes over the data")
    expect(form.locator('.jp-mlops-job-param[data-param="lr"] input')).to_have_value("0.1")
    expect(form.locator('.jp-mlops-job-param[data-param="tag"] input')).to_have_value("demo")
    picture(page, "job-form")
    expect(form.locator('.jp-mlops-job-param[data-param="layers"] textarea')).to_have_value(
        "[64,32]"
    )
    # The notebook's kernel is preselected from the kernel specs.
    expect(form.locator('[data-field="kernel"] select')).to_have_value("python3")
    # This machine has no GPU: no GPU input.
    expect(form.locator('[data-field="resources.gpus"]')).to_have_count(0)

    # A float for an int parameter: the server refuses it, the form says so there.
    epochs.locator("input").fill("2.5")
    form.locator(".jp-mlops-job-submit").click()
    message = epochs.locator(".jp-mlops-job-field-error")
    expect(message).to_contain_text("'epochs' must be of type int")
    # An invalid cron expression is shown at the cron field.
    epochs.locator("input").fill("3")
    form.locator('[data-field="schedule.cron"] input').fill("every day")
    form.locator(".jp-mlops-job-submit").click()
    expect(form.locator('[data-field="schedule.cron"] .jp-mlops-job-field-error')).to_contain_text(
        "invalid cron expression"
    )
    expect(message).to_have_count(0)

    # Run now with epochs = 3.
    form.locator('[data-field="schedule.cron"] input').fill("")
    form.locator(".jp-mlops-job-submit").click()
    expect(form.locator(".jp-mlops-job-form-done")).to_contain_text("Queued execution")
    expect(form.locator(".jp-mlops-job-field-error")).to_have_count(0)

    # The Jobs section opens with the new execution first.
    jobs = page.locator("#jp-mlops-section-jobs")
    expect(jobs).to_be_visible()
    row = jobs.locator(".jp-mlops-job-row").first
    expect(row).to_be_visible()
    execution_id = row.get_attribute("data-execution-id")
    assert execution_id
    expect(row.locator(".jp-mlops-job-notebook")).to_have_text(NOTEBOOK)

    # The agent runs it (papermill and a kernel); the section's poll follows it.
    expect(row).to_have_attribute("data-status", "succeeded", timeout=120_000)
    progress = row.locator(".jp-mlops-job-progress")
    total = progress.get_attribute("aria-valuemax")
    assert total is not None and int(total) >= 3
    expect(progress).to_have_attribute("aria-valuenow", total)
    expect(progress).to_contain_text(f"cell {total} of {total}")
    # Its end is announced wherever the user is, with the log a click away.
    toast = page.locator(".Toastify__toast", has_text=f"Job {NOTEBOOK} succeeded")
    expect(toast).to_be_visible(timeout=15_000)
    expect(toast.locator("button", has_text="Open log")).to_be_visible()

    execution = mlflow_lab.api(f"mlops/api/jobs/executions/{execution_id}")
    assert execution["status"] == "succeeded"
    assert execution["spec"]["parameters"] == {"epochs": 3}
    assert execution["spec"]["notebook"] == NOTEBOOK
    assert execution["mlflow_run_id"]

    # The log view follows the worker's log through the offset route.
    row.locator(".jp-mlops-job-log").click()
    log = page.locator(f"#jp-mlops-job-log-{execution_id}")
    expect(log).to_be_visible()
    expect(log.locator(".jp-mlops-job-log-status")).to_have_attribute("data-status", "succeeded")
    expect(log.locator(".jp-mlops-job-log-text")).to_contain_text("training for 3 epochs")

    # The executed notebook opens read-only from the run's artifacts.
    row.locator(".jp-mlops-job-output").click()
    output = page.locator(".jp-NotebookPanel", has_text="result 288")
    expect(output).to_be_visible(timeout=30_000)
    assert [error for error in page.errors if WIDGETS_WITHOUT_KERNEL not in error] == []


def test_cancel_and_rerun_from_the_section(page, open_sidebar, mlflow_lab, job_notebook):
    """A slow job is cancelled from its row, then re-run: a new execution of the same
    spec, shown at once, which is cancelled in turn."""
    slow = {"notebook": job_notebook, "name": "ui-cancel", "parameters": {"delay": 120}}
    execution_id = mlflow_lab.post("mlops/api/jobs", slow)["execution"]["id"]

    jobs = open_sidebar(mlflow_lab).locator("#jp-mlops-section-jobs")
    row = jobs.locator(f'.jp-mlops-job-row[data-execution-id="{execution_id}"]')
    expect(row).to_be_visible()
    # The `local` executor has a live log: it is offered before the execution ends.
    expect(row.locator(".jp-mlops-job-log")).to_have_count(1)
    # While it runs, its log shows each cell as the kernel reaches it (papermill's cell
    # markers and the outputs as they come), live.
    expect(row).to_have_attribute("data-status", "running", timeout=60_000)
    row.locator(".jp-mlops-job-log").click()
    log = page.locator(f"#jp-mlops-job-log-{execution_id}")
    text = log.locator(".jp-mlops-job-log-text")
    expect(text).to_contain_text("Executing Cell 3", timeout=60_000)
    expect(log.locator(".jp-mlops-job-log-status")).to_have_attribute("data-status", "running")
    assert "training for" not in text.inner_text()  # the cell after the sleep: not yet
    row.locator(".jp-mlops-job-cancel").click()
    expect(row).to_have_attribute("data-status", "cancelled", timeout=60_000)
    toast = page.locator(".Toastify__toast", has_text=f"Job {job_notebook}: cancelled")
    expect(toast).to_be_visible(timeout=15_000)
    assert mlflow_lab.api(f"mlops/api/jobs/executions/{execution_id}")["status"] == "cancelled"
    expect(row.locator(".jp-mlops-job-cancel")).to_have_count(0)

    row.locator(".jp-mlops-job-rerun").click()
    rerun = jobs.locator(".jp-mlops-job-row").first
    expect(rerun).not_to_have_attribute("data-execution-id", execution_id)
    rerun_id = rerun.get_attribute("data-execution-id")
    again = mlflow_lab.api(f"mlops/api/jobs/executions/{rerun_id}")
    assert again["rerun_of"] == execution_id
    assert again["spec"]["parameters"] == {"delay": 120}
    rerun.locator(".jp-mlops-job-cancel").click()
    expect(rerun).to_have_attribute("data-status", "cancelled", timeout=60_000)
    assert page.errors == []
