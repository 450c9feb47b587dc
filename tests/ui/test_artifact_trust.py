"""A notebook logged as a run artifact cannot run script in the viewer's Lab: whoever
logs to a shared MLflow store can mark its cells trusted and give them HTML outputs
with `<script>` and `onerror=`; opened from the run page, Lab shows them sanitized."""

import json

import pytest
from playwright.sync_api import expect

# Each would set a window global (and the onerror the title) if Lab trusted the cell.
HTML = (
    "<p class='mlops-planted'>planted output</p>"
    "<img class='mlops-planted-img' src='mlops-missing-image.png' "
    "onerror=\"document.title='pwned'; window.mlopsOnerror = 1\">"
    "<script>window.mlopsScript = 1</script>"
)
JAVASCRIPT = "window.mlopsJavascript = 1"
RAN = "[window.mlopsOnerror, window.mlopsScript, window.mlopsJavascript]"


def _planted() -> dict:
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "id": "5c0ffee1",
        "metadata": {"trusted": True},
        "outputs": [
            {"output_type": "display_data", "data": {"text/html": HTML}, "metadata": {}},
            {
                "output_type": "display_data",
                "data": {"application/javascript": JAVASCRIPT, "text/plain": "js"},
                "metadata": {},
            },
        ],
        "source": "show()",
    }
    return {
        "cells": [cell],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def planted_run(mlflow_lab, tmp_path_factory):
    """A run in an experiment of its own whose notebook snapshot has a trusted cell with
    script in its outputs."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=mlflow_lab.tracking_uri)
    location = mlflow_lab.root / ".mlops" / "ui-trust"
    experiment_id = client.create_experiment("ui-trust", artifact_location=location.as_uri())
    run_id = client.create_run(experiment_id, run_name="ui-planted").info.run_id
    files = tmp_path_factory.mktemp("planted")
    (files / "planted.ipynb").write_text(json.dumps(_planted()))
    client.log_artifact(run_id, str(files / "planted.ipynb"), "notebook")
    client.set_tag(run_id, "mlops.source.snapshot", "notebook/planted.ipynb")
    client.set_terminated(run_id)
    return run_id


def test_a_planted_script_does_not_run_when_the_snapshot_opens(
    page, open_sidebar, mlflow_lab, planted_run
):
    runs = open_sidebar(mlflow_lab).locator("#jp-mlops-section-runs")
    runs.locator(".jp-mlops-experiment-picker select").select_option(label="ui-trust")
    runs.locator(f'.jp-mlops-run-row[data-run-id="{planted_run}"] .jp-mlops-run-name').click()
    view = page.locator(f"#jp-mlops-run-{planted_run}")
    view.locator(".jp-mlops-open-snapshot").click()

    panel = page.locator(".jp-NotebookPanel.jp-mlops-read-only")
    expect(panel).to_be_visible(timeout=30_000)
    # The HTML output is shown (sanitized), so it was rendered: a script in it would
    # have run by now, trusted.
    expect(panel.locator(".mlops-planted")).to_have_text("planted output", timeout=30_000)
    # The image's load has failed (or the image is gone): an onerror kept would have run.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-NotebookPanel img')].every(img => img.complete)",
        timeout=30_000,
    )
    assert page.evaluate(RAN) == [None, None, None]
    assert "pwned" not in page.title()
    assert page.evaluate("document.querySelector('.mlops-planted-img')?.onerror ?? null") is None
