"""Run artifacts open through the read-only `mlops-artifacts` drive: the notebook
snapshot (kept under the hidden `.mlops/` folder, which Jupyter's contents API does
not serve) opens read-only without a kernel, and nothing is written to the artifacts."""

import base64
import json

import pytest
from playwright.sync_api import expect

SOURCE = 'print("trained on the snapshot")'
CELL = "x = 1  # the tracked cell"
# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


# jupyterlab_widgets' notebook hook reads `session.kernel` of every notebook once its
# session context is ready, and throws for one opened without a kernel (as any notebook
# set to "No Kernel"; jupyter-widgets/ipywidgets#3970). That one error is not ours.
WIDGETS_NO_KERNEL = "Cannot read properties of null (reading 'kernel')"


def _errors(page) -> list[str]:
    return [error for error in page.errors if error != WIDGETS_NO_KERNEL]


def _notebook() -> dict:
    # With a kernelspec, so a kernel would start if the drive's documents let one.
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "a1b2c3d4",
                "metadata": {},
                "outputs": [],
                "source": SOURCE,
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def snapshot_run(mlflow_lab, tmp_path_factory):
    """A finished run in an experiment of its own (the Default one is test_runs'),
    with artifacts under the hidden home, as `%%track` leaves them: the notebook
    snapshot and the cell, plus a plot. Returns (run id, its artifact folder)."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=mlflow_lab.tracking_uri)
    location = mlflow_lab.root / ".mlops" / "ui-artifacts"
    experiment_id = client.create_experiment("ui-artifacts", artifact_location=location.as_uri())
    run = client.create_run(experiment_id, run_name="ui-snapshot")
    run_id = run.info.run_id
    files = tmp_path_factory.mktemp("artifacts")
    (files / "train.ipynb").write_text(json.dumps(_notebook(), indent=1))
    (files / "cell.py").write_text(CELL + "\n")
    (files / "curve.png").write_bytes(PNG)
    client.log_artifact(run_id, str(files / "train.ipynb"), "notebook")
    client.log_artifact(run_id, str(files / "cell.py"), "notebook")
    client.log_artifact(run_id, str(files / "curve.png"), "plots")
    client.set_tag(run_id, "mlops.source.snapshot", "notebook/train.ipynb")
    client.set_terminated(run_id)
    folder = location / run_id / "artifacts"
    assert (folder / "notebook" / "train.ipynb").is_file()
    return run_id, folder


def _tree(folder):
    """Every file under the folder with its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _open_run_view(page, open_sidebar, lab, run_id):
    runs = open_sidebar(lab).locator("#jp-mlops-section-runs")
    runs.locator(".jp-mlops-experiment-picker select").select_option(label="ui-artifacts")
    runs.locator(f'.jp-mlops-run-row[data-run-id="{run_id}"] .jp-mlops-run-name').click()
    view = page.locator(f"#jp-mlops-run-{run_id}")
    expect(view.locator(".jp-mlops-run-view")).to_be_visible()
    return view


def test_the_snapshot_opens_read_only_without_a_kernel(
    page, open_sidebar, mlflow_lab, snapshot_run
):
    run_id, folder = snapshot_run
    before = _tree(folder)
    # The snapshot is under the hidden home: the contents API refuses it.
    rel = (folder / "notebook" / "train.ipynb").relative_to(mlflow_lab.root)
    with pytest.raises(Exception, match="404"):
        mlflow_lab.api(f"api/contents/{rel}")

    view = _open_run_view(page, open_sidebar, mlflow_lab, run_id)
    button = view.locator(".jp-mlops-open-snapshot")
    expect(button).to_be_enabled()
    button.click()

    panel = page.locator(".jp-NotebookPanel.jp-mlops-read-only")
    expect(panel).to_be_visible(timeout=30_000)
    cell = panel.locator(".jp-Cell").first
    expect(cell.locator(".cm-content")).to_have_text(SOURCE)
    expect(page.locator(".lm-TabBar-tab.jp-mod-current")).to_contain_text("train.ipynb")
    # Read-only all the way: the document says so, each cell editor refuses input.
    expect(panel.locator(".jp-ToolbarLabelComponent")).to_contain_text("read-only")
    expect(cell.locator(".cm-editor.jp-mod-readOnly")).to_have_count(1)
    cell.locator(".cm-content").click()
    page.keyboard.type("EDITED")
    page.keyboard.press("Escape")
    expect(cell.locator(".cm-content")).to_have_text(SOURCE)
    # An explicit save writes nothing to MLflow's artifacts either.
    panel.locator(".jp-Notebook").click()
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1000)
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)

    # No kernel, no session.
    page.wait_for_timeout(1000)
    assert mlflow_lab.api("api/sessions") == []
    assert mlflow_lab.api("api/kernels") == []
    # Nothing written under the run's artifacts: no .ipynb_checkpoints, same bytes.
    assert _tree(folder) == before
    assert not list(folder.rglob(".ipynb_checkpoints"))
    assert _errors(page) == []


def test_artifact_files_open_from_the_tree(page, open_sidebar, mlflow_lab, snapshot_run):
    run_id, folder = snapshot_run
    before = _tree(folder)
    view = _open_run_view(page, open_sidebar, mlflow_lab, run_id)
    tree = view.locator(".jp-mlops-artifacts").first

    tree.locator('.jp-mlops-artifact[data-path="notebook"] > .jp-mlops-artifact-dir').click()
    tree.locator('.jp-mlops-artifact[data-path="notebook/cell.py"] .jp-mlops-artifact-file').click()
    editor = page.locator(".jp-mlops-read-only:has(.jp-FileEditor)")
    expect(editor).to_be_visible(timeout=30_000)
    expect(editor.locator(".cm-content")).to_have_text(CELL)
    expect(editor.locator(".cm-editor.jp-mod-readOnly")).to_have_count(1)

    # Back to the run view's tab.
    page.locator(".lm-TabBar-tab", has_text="Run ui-snapshot").click()
    tree.locator('.jp-mlops-artifact[data-path="plots"] > .jp-mlops-artifact-dir').click()
    tree.locator('.jp-mlops-artifact[data-path="plots/curve.png"] .jp-mlops-artifact-file').click()
    image = page.locator(".jp-ImageViewer img")
    expect(image).to_be_visible(timeout=30_000)
    assert image.get_attribute("src").startswith("data:image/png;base64,")

    assert mlflow_lab.api("api/kernels") == []
    assert _tree(folder) == before
    assert page.errors == []
