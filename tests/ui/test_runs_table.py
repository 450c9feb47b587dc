"""The Runs section is a table: columns picked from the runs' keys (kept per experiment),
sorted on the server by a click on a header, resized by dragging a header's edge."""

import re
import time

import pytest
from pictures import picture, picture_folder
from playwright.sync_api import expect

EXPERIMENT = "ui-table"
RUNS = 150  # more than the panel's page of 100


@pytest.fixture(scope="module")
def table_runs(mlflow_lab) -> str:
    """150 finished runs, the oldest with the highest `score`: the first page in the
    default order (newest first) lacks the top score. Returns the experiment's id."""
    import mlflow
    from mlflow.entities import Metric, Param

    client = mlflow.MlflowClient(tracking_uri=mlflow_lab.tracking_uri)
    location = mlflow_lab.root / ".mlops" / EXPERIMENT
    experiment_id = client.create_experiment(EXPERIMENT, artifact_location=location.as_uri())
    start = int(time.time() * 1000) - RUNS * 1000
    for i in range(RUNS):
        run = client.create_run(experiment_id, run_name=f"table-{i:03d}", start_time=start + i)
        now = start + i
        client.log_batch(
            run.info.run_id,
            metrics=[
                Metric("a_loss", 1 / (i + 1), now, 0),
                Metric("b_loss", 2 / (i + 1), now, 0),
                Metric("score", float(RUNS - i), now, 0),
            ],
            params=[Param("lr", str(i))],
        )
        client.set_terminated(run.info.run_id, end_time=now + 1500)
    return experiment_id


def _open_table(open_sidebar, lab):
    runs = open_sidebar(lab).locator("#jp-mlops-section-runs")
    runs.locator(".jp-mlops-experiment-picker select").select_option(label=EXPERIMENT)
    expect(runs.locator(".jp-mlops-run-name").first).to_have_text(re.compile(r"table-(\d+|live)"))
    return runs


def test_pick_a_metric_column_and_sort_by_it_on_the_server(
    page, open_sidebar, mlflow_lab, mlflow_client, table_runs
):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    runs = _open_table(open_sidebar, mlflow_lab)
    rows = runs.locator(".jp-mlops-run-row")
    # Default order: newest first; the default columns are the first two metrics.
    expect(rows.first.locator(".jp-mlops-run-name")).to_have_text(f"table-{RUNS - 1:03d}")
    header = runs.locator(".jp-mlops-runs-header")
    expect(header.locator('[data-column="metric:a_loss"]')).to_be_visible()
    expect(header.locator('[data-column="metric:score"]')).to_have_count(0)
    # Only the rows in view are in the DOM.
    assert rows.count() < 60

    runs.locator(".jp-mlops-columns-button").click()
    menu = page.locator(".jp-mlops-columns-menu")
    expect(menu).to_be_visible()
    menu.locator('.jp-mlops-columns-item[data-column="metric:score"] input').check()
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    score = header.locator('.jp-mlops-runs-th[data-column="metric:score"]')
    expect(score).to_have_text("score")
    expect(rows.first.locator('[data-column="metric:score"]')).to_have_text("1")

    score.locator(".jp-mlops-runs-sort").click()
    expect(score).to_have_attribute("aria-sort", "descending")
    # The top score belongs to the oldest run, which no page of the default order
    # loaded before: the server sorted.
    expect(rows.first.locator(".jp-mlops-run-name")).to_have_text("table-000")
    expect(rows.first.locator('[data-column="metric:score"]')).to_have_text(str(RUNS))
    expect(rows.nth(1).locator('[data-column="metric:score"]')).to_have_text(str(RUNS - 1))
    assert any("order_by=metrics.score+DESC" in url for url in requests), requests

    # Live updates keep the order: a new run with the top score comes in first.
    live = mlflow_client.create_run(table_runs, run_name="table-live")
    mlflow_client.log_metric(live.info.run_id, "score", 1000.0)
    mlflow_client.set_terminated(live.info.run_id)
    expect(rows.first.locator(".jp-mlops-run-name")).to_have_text("table-live", timeout=30_000)
    expect(rows.nth(1).locator(".jp-mlops-run-name")).to_have_text("table-000")

    score.locator(".jp-mlops-runs-sort").click()
    expect(score).to_have_attribute("aria-sort", "ascending")
    expect(rows.first.locator(".jp-mlops-run-name")).to_have_text(f"table-{RUNS - 1:03d}")
    expect(rows.first.locator('[data-column="metric:score"]')).to_have_text("1")
    assert any("order_by=metrics.score+ASC" in url for url in requests), requests

    # Selection for compare still works on a sorted table.
    rows.first.locator(".jp-mlops-run-check").check()
    rows.nth(1).locator(".jp-mlops-run-check").check()
    expect(runs.locator(".jp-mlops-compare-button")).to_be_enabled()
    if picture_folder():
        # The README's picture: the Runs section with the sidebar's height and width.
        sidebar = page.locator("#jp-mlops-sidebar")
        for title in ("Features", "Models", "Deployments", "Jobs"):
            sidebar.locator(".lm-AccordionPanel-title", has_text=title).click()
        handle = page.locator(
            "#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)"
        ).first
        box = handle.bounding_box()
        page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + 420, box["y"] + box["height"] / 2)
        page.mouse.up()
        picture(page, "runs-table")
        for title in ("Features", "Models", "Deployments", "Jobs"):
            sidebar.locator(".lm-AccordionPanel-title", has_text=title).click()

    # The picked columns are remembered for this experiment.
    runs = _open_table(open_sidebar, mlflow_lab)
    expect(runs.locator('.jp-mlops-runs-th[data-column="metric:score"]')).to_be_visible()
    assert page.errors == []


def test_a_column_resizes_by_dragging_its_header_edge(page, open_sidebar, mlflow_lab, table_runs):
    runs = _open_table(open_sidebar, mlflow_lab)
    name = runs.locator('.jp-mlops-runs-th[data-column="attr:run_name"]')
    cell = runs.locator('.jp-mlops-run-row [data-column="attr:run_name"]').first

    def width(locator) -> float:
        return locator.evaluate("el => el.getBoundingClientRect().width")

    before = width(name)
    handle = name.locator(".jp-mlops-runs-resize").bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y, steps=3)
    page.mouse.move(x + 60, y, steps=3)
    page.mouse.up()
    expect(name).to_have_attribute("style", re.compile(rf"width: {int(before) + 60}px"))
    assert width(cell) == width(name) == before + 60
    # From the keyboard too: arrow keys on the focused edge.
    name.locator(".jp-mlops-runs-resize").focus()
    page.keyboard.press("ArrowRight")
    expect(name).to_have_attribute("style", re.compile(rf"width: {int(before) + 70}px"))

    # The width is kept for this experiment.
    runs = _open_table(open_sidebar, mlflow_lab)
    name = runs.locator('.jp-mlops-runs-th[data-column="attr:run_name"]')
    expect(name).to_have_attribute("style", re.compile(rf"width: {int(before) + 70}px"))
    assert page.errors == []
