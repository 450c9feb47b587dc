"""The run page charts every metric's whole history, against step or time."""

import time

import pytest
from pictures import picture
from playwright.sync_api import expect

EXPERIMENT = "ui-run-page"
STEPS = 20


@pytest.fixture(scope="module")
def curve_run(mlflow_lab) -> str:
    """A finished run with two metrics logged at 20 steps, a second apart."""
    import mlflow
    from mlflow.entities import Metric

    client = mlflow.MlflowClient(tracking_uri=mlflow_lab.tracking_uri)
    location = mlflow_lab.root / ".mlops" / EXPERIMENT
    experiment_id = client.create_experiment(EXPERIMENT, artifact_location=location.as_uri())
    run_id = client.create_run(experiment_id, run_name="curves").info.run_id
    start = int(time.time() * 1000) - STEPS * 1000
    client.log_batch(
        run_id,
        metrics=[
            metric
            for step in range(STEPS)
            for metric in (
                Metric("loss", 1 / (step + 1), start + step * 1000, step),
                Metric("acc", step / STEPS, start + step * 1000, step),
            )
        ],
    )
    client.set_terminated(run_id)
    return run_id


def _drawn(chart) -> dict:
    return chart.evaluate(
        "el => ({n: el.data.length, x: el.data[0].x, y: el.data[0].y,"
        " title: el.layout.title.text, axis: el.layout.xaxis.type})"
    )


def test_each_metric_is_charted_with_every_step(page, open_sidebar, mlflow_lab, curve_run):
    runs = open_sidebar(mlflow_lab).locator("#jp-mlops-section-runs")
    runs.locator(".jp-mlops-experiment-picker select").select_option(label=EXPERIMENT)
    runs.locator(f'.jp-mlops-run-row[data-run-id="{curve_run}"] .jp-mlops-run-name').click()
    view = page.locator(f"#jp-mlops-run-{curve_run}")
    charts = view.locator(".jp-mlops-metric-chart.js-plotly-plot")
    expect(charts).to_have_count(2, timeout=30_000)
    picture(page, "run-page")

    for key in ("acc", "loss"):
        chart = view.locator(f'[data-metric="{key}"] .jp-mlops-metric-chart.js-plotly-plot')
        drawn = _drawn(chart)
        assert drawn["n"] == 1 and drawn["title"] == key
        assert drawn["x"] == list(range(STEPS))
        assert len(drawn["y"]) == STEPS
    loss = view.locator('[data-metric="loss"] .jp-mlops-metric-chart.js-plotly-plot')
    assert _drawn(loss)["y"][0] == 1 and _drawn(loss)["y"][-1] == pytest.approx(1 / STEPS)

    # Time on the x axis: the same 20 points, at their timestamps.
    view.locator('.jp-mlops-metric-axis-button[data-axis="time"]').click()
    expect(view.locator('.jp-mlops-metric-axis-button[data-axis="time"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(view.locator('.jp-mlops-metric-chart.js-plotly-plot[data-axis="time"]')).to_have_count(2)
    acc = view.locator('[data-metric="acc"] .jp-mlops-metric-chart.js-plotly-plot')
    drawn = _drawn(acc)
    assert drawn["axis"] == "date"
    assert len(drawn["x"]) == STEPS and all(isinstance(x, str) for x in drawn["x"])
    assert drawn["x"] == sorted(drawn["x"])
    assert page.errors == []
