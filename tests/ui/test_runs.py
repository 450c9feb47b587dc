"""The Runs section lists runs logged with plain mlflow, and compares two of them."""

import time

import pytest
from pictures import picture
from playwright.sync_api import expect

LEARNING_RATES = ["0.1", "0.01", "0.001"]


@pytest.fixture(scope="module")
def logged_runs(mlflow_lab) -> dict[str, str]:
    """Three finished runs in the Default experiment, which the section shows first:
    the same epochs, different lr, and a loss curve over five steps. The first is
    logged through jupyter_mlops' Python API, the others with plain MLflow.
    Returns run name -> run id."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=mlflow_lab.tracking_uri)
    experiment = client.get_experiment_by_name("Default")
    ids = {"ui-lr-0.1": _log_with_the_python_api(mlflow_lab, "ui-lr-0.1")}
    now = int(time.time() * 1000)
    for i, lr in enumerate(LEARNING_RATES):
        if i == 0:
            continue
        name = f"ui-lr-{lr}"
        run = client.create_run(experiment.experiment_id, run_name=name)
        run_id = run.info.run_id
        client.log_param(run_id, "lr", lr)
        client.log_param(run_id, "epochs", "5")
        for step in range(5):
            client.log_metric(run_id, "loss", 1 / (step + 1) + i / 10, now + step, step)
        client.log_metric(run_id, "acc", 0.8 - i / 10)
        client.set_terminated(run_id)
        ids[name] = run_id
    return ids


def _log_with_the_python_api(lab, name: str) -> str:
    import os

    import mlflow

    from jupyter_mlops import tracking

    tracking_default = tracking.default

    home = lab.root / ".mlops"
    saved = os.environ.get("JUPYTER_MLOPS_HOME")
    os.environ["JUPYTER_MLOPS_HOME"] = str(home)
    tracking_default.cache_clear()
    try:
        with tracking.run(experiment="Default", name=name) as run:
            mlflow.log_param("lr", "0.1")
            mlflow.log_param("epochs", "5")
            for step in range(5):
                tracking.log_metrics({"loss": 1 / (step + 1)}, step=step)
            tracking.log_metrics({"acc": 0.8})
        return run.info.run_id
    finally:
        tracking_default.cache_clear()
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
        if saved is None:
            os.environ.pop("JUPYTER_MLOPS_HOME", None)
        else:
            os.environ["JUPYTER_MLOPS_HOME"] = saved


def test_runs_are_listed_and_two_compare(page, open_sidebar, mlflow_lab, logged_runs):
    ids = logged_runs
    runs = open_sidebar(mlflow_lab).locator("#jp-mlops-section-runs")
    rows = runs.locator(".jp-mlops-run-row")
    for name, run_id in ids.items():
        row = runs.locator(f'.jp-mlops-run-row[data-run-id="{run_id}"]')
        expect(row.locator(".jp-mlops-run-name")).to_have_text(name)
        expect(row.locator('.jp-mlops-dot[data-status="FINISHED"]')).to_have_count(1)
    expect(rows).to_have_count(3)
    # Each row shows its first two metrics by name: acc, then loss.
    expect(rows.first.locator(".jp-mlops-run-metric")).to_have_count(2)

    compare = runs.locator(".jp-mlops-compare-button")
    expect(compare).to_be_disabled()
    for name in ("ui-lr-0.1", "ui-lr-0.01"):
        runs.locator(f'.jp-mlops-run-row[data-run-id="{ids[name]}"] .jp-mlops-run-check').check()
    expect(compare).to_be_enabled()
    compare.click()

    view = page.locator('.jp-mlops-view[id^="jp-mlops-compare-"]')
    expect(view).to_be_visible()
    # Both server-built figures went through the Plotly mime renderer.
    expect(view.locator(".js-plotly-plot")).to_have_count(2, timeout=30_000)
    picture(page, "compare")
    # Parallel coordinates label no line: its first axis names the runs.
    parallel = view.locator(".js-plotly-plot").nth(1)
    axis = parallel.evaluate("el => el.data[0].dimensions[0]")
    assert axis["label"] == "run"
    assert sorted(axis["ticktext"]) == ["ui-lr-0.01", "ui-lr-0.1"]
    lr = view.locator('.jp-mlops-diff tr[data-kind="param"][data-key="lr"]')
    epochs = view.locator('.jp-mlops-diff tr[data-kind="param"][data-key="epochs"]')
    expect(lr).to_have_class("jp-mlops-diff-differs")
    expect(lr).to_contain_text("0.1")
    expect(lr).to_contain_text("0.01")
    expect(epochs).not_to_have_class("jp-mlops-diff-differs")
    assert page.errors == []


def test_a_bad_filter_shows_the_server_message(page, open_sidebar, mlflow_lab, logged_runs):
    runs = open_sidebar(mlflow_lab).locator("#jp-mlops-section-runs")
    box = runs.locator(".jp-mlops-filter-input")
    box.fill("metrics.acc >> 1")
    box.press("Enter")
    # MLflow's own parser message, shown under the box.
    expect(runs.locator(".jp-mlops-filter .jp-mlops-error")).to_contain_text(">>")

    box.fill("params.lr = '0.01'")
    box.press("Enter")
    expect(runs.locator(".jp-mlops-filter .jp-mlops-error")).to_have_count(0)
    expect(runs.locator(".jp-mlops-run-row")).to_have_count(1)
    expect(runs.locator(".jp-mlops-run-name")).to_have_text("ui-lr-0.01")


def test_an_experiment_made_elsewhere_appears_without_a_reload(
    page, open_sidebar, mlflow_lab, logged_runs
):
    """Created by another process (a notebook, a job, the CLI): the picker, open and
    untouched, offers it within a few polls, and the runs shown stay where they were."""
    import mlflow

    section = open_sidebar(mlflow_lab).locator("#jp-mlops-section-runs")
    picker = section.locator(".jp-mlops-experiment-picker select")
    expect(section.locator(".jp-mlops-run-row").first).to_be_visible()
    shown = picker.input_value()
    made = mlflow.MlflowClient(tracking_uri=mlflow_lab.tracking_uri).create_experiment(
        "ui-made-elsewhere",
        artifact_location=(mlflow_lab.root / ".mlops" / "ui-made-elsewhere").as_uri(),
    )
    expect(picker.locator(f'option[value="{made}"]')).to_have_count(1, timeout=15_000)
    assert picker.input_value() == shown
    assert page.errors == []
