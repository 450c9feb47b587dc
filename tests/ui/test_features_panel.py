"""The Features section lists and searches feature views and services; a view opens in
the main area with its schema, freshness, versions, a Plotly histogram per number,
newest rows and the runs that used it; the training-set snippet goes into the open
notebook's cell, or onto the clipboard when no notebook is open."""

from datetime import datetime, timedelta

import mlflow
import nbformat
import numpy as np
import pandas as pd
import pytest
from pictures import picture
from playwright.sync_api import expect

from jupyter_mlops.config import resolve
from jupyter_mlops.features import (
    Entity,
    FeatureService,
    FeatureView,
    Field,
    Float64,
    Int64,
    String,
)
from jupyter_mlops.services import Services
from jupyter_mlops.tracking.lineage import FEATURES as LINEAGE_TAG

VIEW = "ui_driver_stats"
OTHER_VIEW = "ui_weather"
SERVICE = "ui_pricing"
NOTEBOOK = "ui_features.ipynb"
ROWS = 50
START = datetime(2026, 11, 1)


def _driver_view(schema: list[Field], driver: Entity) -> FeatureView:
    return FeatureView(
        name=VIEW,
        entities=[driver],
        schema=schema,
        ttl=timedelta(days=2),
        description="Hourly driver statistics",
        owner="pricing-team@example.com",
        tags={"team": "pricing"},
    )


@pytest.fixture(scope="module")
def feature_store(mlflow_lab):
    """Two views in the Lab's own feature store (the driver view in two versions, the
    second ingested), a service over both, and a tracked run whose training set read
    the driver view. Returns that run's id."""
    services = Services(resolve(root_dir=mlflow_lab.root, environ={}))
    try:
        store = services.features
        driver = Entity(name="ui_driver", join_keys=["driver_id"])
        city = Entity(name="ui_city", join_keys=["city"], dtype=String)
        conv_rate = Field("conv_rate", Float64, "Share of offers accepted")
        trips = Field("trips", Int64, "Trips in the hour")
        store.apply([driver, city, _driver_view([conv_rate, trips], driver)])
        # A new field: version 2, which the ingested rows and the stats belong to.
        store.apply([driver, _driver_view([conv_rate, trips, Field("home_city", String)], driver)])
        store.apply(
            [
                FeatureView(
                    name=OTHER_VIEW,
                    entities=[city],
                    schema=[Field("temperature", Float64)],
                    owner="data-eng",
                ),
                FeatureService(name=SERVICE, features=[f"{VIEW}:conv_rate", OTHER_VIEW]),
            ]
        )
        rng = np.random.default_rng(0)
        store.ingest(
            VIEW,
            pd.DataFrame(
                {
                    "driver_id": np.arange(ROWS) % 5 + 1,
                    "event_timestamp": [START + timedelta(hours=i) for i in range(ROWS)],
                    "conv_rate": rng.random(ROWS),
                    "trips": rng.integers(0, 12, ROWS),
                    "home_city": rng.choice(["Lyon", "Oslo", "Pune"], ROWS),
                }
            ),
        )
        store.ingest(
            OTHER_VIEW,
            pd.DataFrame(
                {
                    "city": ["Lyon", "Oslo"],
                    "event_timestamp": [START, START],
                    "temperature": [11.5, 2.0],
                }
            ),
        )
    finally:
        services.close()

    # What `get_historical_features` leaves on a tracked run: the lineage tag that the
    # view's "Used by" searches. An experiment of its own keeps Default to the Runs tests.
    client = mlflow.MlflowClient(tracking_uri=mlflow_lab.tracking_uri)
    experiment_id = client.create_experiment(
        "ui-features", artifact_location=(mlflow_lab.root / ".mlops" / "ui-features").as_uri()
    )
    run = client.create_run(
        experiment_id, run_name="ui-train-on-features", tags={LINEAGE_TAG: f"{VIEW}@2"}
    )
    client.set_terminated(run.info.run_id)

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("")]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, mlflow_lab.root / NOTEBOOK)
    return run.info.run_id


def test_views_are_searched_opened_and_their_snippet_inserted(
    page, open_sidebar, mlflow_lab, feature_store
):
    run_id = feature_store
    sidebar = open_sidebar(mlflow_lab)
    # Give the Features section the sidebar's height, as a user browsing features would.
    for title in ("Runs", "Models", "Deployments", "Jobs"):
        header = sidebar.locator(".lm-AccordionPanel-title", has_text=title)
        header.click()
        expect(header).to_have_attribute("aria-expanded", "false")
    section = sidebar.locator("#jp-mlops-section-features")
    row = section.locator(f'.jp-mlops-feature-row[data-view="{VIEW}"]')
    other = section.locator(f'.jp-mlops-feature-row[data-view="{OTHER_VIEW}"]')
    expect(row).to_have_count(1)
    expect(other).to_have_count(1)
    expect(row.locator(".jp-mlops-feature-owner")).to_have_text("pricing-team@example.com")
    expect(row.locator(".jp-mlops-feature-count")).to_have_attribute("data-count", "3")
    # The latest event ingested, as freshness.
    expect(row.locator(".jp-mlops-feature-freshness")).to_contain_text("event ")

    # The server searches names, owners, tags and feature names.
    search = section.locator(".jp-mlops-filter-input")
    search.fill("temperature")
    expect(row).to_have_count(0)
    expect(other).to_have_count(1)
    search.fill("pricing")
    expect(row).to_have_count(1)
    expect(other).to_have_count(0)
    search.fill("no-such-feature")
    expect(section.locator(".jp-mlops-feature-no-match")).to_be_visible()
    search.fill("")
    expect(other).to_have_count(1)

    # No notebook is open yet: a service's snippet goes to the clipboard, and says so.
    service = section.locator(f'.jp-mlops-feature-service[data-service="{SERVICE}"]')
    expect(service.locator(".jp-mlops-feature-ref")).to_have_count(2)
    service.locator(".jp-mlops-snippet-button").click()
    expect(service.locator(".jp-mlops-snippet-status")).to_have_attribute(
        "data-target", "clipboard"
    )

    row.locator(".jp-mlops-feature-row-name").click()
    view = page.locator(f"#jp-mlops-feature-view-{VIEW}")
    expect(view).to_be_visible()
    body = view.locator(".jp-mlops-feature-view")
    expect(body).to_have_attribute("data-version", "2")
    schema = view.locator(".jp-mlops-feature-schema")
    for name, dtype in [("conv_rate", "float64"), ("trips", "int64"), ("home_city", "string")]:
        expect(schema.locator(f'tr[data-feature="{name}"]')).to_have_attribute("data-dtype", dtype)
    expect(view.locator('[data-mlops-field="owner"]')).to_have_text("pricing-team@example.com")
    expect(view.locator('.jp-mlops-feature-tag[data-key="team"]')).to_have_text("team=pricing")
    expect(view.locator('[data-mlops-field="ttl"]')).to_have_text("2 days")
    picture(page, "feature-view")
    # The store reads naive event times as UTC.
    last_event = pd.Timestamp(START + timedelta(hours=ROWS - 1), tz="UTC").timestamp()
    expect(view.locator('[data-mlops-field="last_event"]')).to_have_attribute(
        "data-epoch", str(int(last_event))
    )

    # Numbers get a histogram drawn by the Plotly mime renderer; strings their top values.
    conv_rate = view.locator('.jp-mlops-feature-stat[data-feature="conv_rate"]')
    histogram = conv_rate.locator(".jp-mlops-feature-histogram.js-plotly-plot")
    expect(histogram).to_have_count(1, timeout=30_000)
    expect(histogram.locator(".plot-container svg.main-svg").first).to_be_visible()
    # One bar per bin (the server's 20 bins), drawn as SVG paths.
    expect(histogram.locator(".bars .point")).to_have_count(20)
    # The figure is the server's (features/charts.py), drawn as the REST answer holds it.
    served = mlflow_lab.api(f"mlops/api/features/views/{VIEW}")
    served = served["stats"]["features"]["conv_rate"]["figure"]
    drawn = histogram.evaluate(TRACES)
    assert drawn == [trace_of(t) for t in served["data"]]
    assert drawn[0]["y"] == served["data"][0]["y"] and len(drawn[0]["width"]) == 20
    expect(conv_rate.locator('[data-stat="count"]')).to_have_text(str(ROWS))
    expect(view.locator(".jp-mlops-feature-histogram")).to_have_count(2)
    home_city = view.locator('.jp-mlops-feature-stat[data-feature="home_city"]')
    expect(home_city.locator(".jp-mlops-feature-top tr")).to_have_count(3)

    expect(view.locator(".jp-mlops-feature-sample tbody tr")).to_have_count(20)
    expect(view.locator(".jp-mlops-feature-versions tbody tr")).to_have_count(2)

    # An older version shows its own schema, without stats (nothing was ingested into it).
    view.locator('.jp-mlops-feature-versions tr[data-version="1"] button').click()
    expect(body).to_have_attribute("data-version", "1")
    expect(schema.locator("tbody tr")).to_have_count(2)
    expect(view.locator(".jp-mlops-feature-old-version")).to_be_visible()
    view.locator(".jp-mlops-feature-old-version button").click()
    expect(body).to_have_attribute("data-version", "2")
    expect(schema.locator("tbody tr")).to_have_count(3)

    # With a notebook open, the view's snippet goes into its (empty) active cell.
    open_notebook(page)
    page.locator(".lm-TabBar-tab", has_text=f"Feature view {VIEW}").click()
    expect(view).to_be_visible()
    view.locator(".jp-mlops-feature-view-header .jp-mlops-snippet-button").click()
    cells = page.locator(".jp-NotebookPanel:visible .jp-Cell")
    expect(cells).to_have_count(1)
    expect(cells.first).to_contain_text("get_historical_features")
    expect(cells.first).to_contain_text(f"{VIEW}:conv_rate")

    # "Used by" lists the tracked run; clicking it opens the run view.
    page.locator(".lm-TabBar-tab", has_text=f"Feature view {VIEW}").click()
    used = view.locator(f'.jp-mlops-feature-usage-run[data-run-id="{run_id}"]')
    expect(used).to_contain_text("ui-train-on-features")
    used.locator("button").click()
    expect(page.locator(f"#jp-mlops-run-{run_id}")).to_be_visible()
    assert page.errors == []


def test_a_view_applied_elsewhere_appears_without_a_reload(
    page, open_sidebar, mlflow_lab, feature_store
):
    """Applied by another process (a notebook's kernel, a job, the CLI): the section,
    open and untouched, lists it within a few polls."""
    section = open_sidebar(mlflow_lab).locator("#jp-mlops-section-features")
    expect(section.locator(f'.jp-mlops-feature-row[data-view="{VIEW}"]')).to_have_count(1)
    late = section.locator('.jp-mlops-feature-row[data-view="ui_applied_later"]')
    expect(late).to_have_count(0)
    elsewhere = Services(resolve(root_dir=mlflow_lab.root, environ={}))
    try:
        rider = Entity(name="ui_rider", join_keys=["rider_id"])
        elsewhere.features.apply(
            [
                rider,
                FeatureView(
                    name="ui_applied_later",
                    entities=[rider],
                    schema=[Field("rating", Float64)],
                    ttl=timedelta(days=1),
                ),
            ]
        )
    finally:
        elsewhere.close()
    expect(late).to_have_count(1, timeout=15_000)
    assert page.errors == []


# What Plotly drew from: the traces on the chart's graph div, as plain JSON.
TRACES = "el => el.data.map(t => ({name: t.name, x: t.x, y: t.y, width: t.width ?? null}))"


def trace_of(trace: dict) -> dict:
    return {k: trace.get(k) for k in ("name", "x", "y", "width")}


def open_notebook(page):
    """Open the test notebook from the file browser, as a user would."""
    page.locator('.jp-SideBar [data-id="filebrowser"]').click()
    # The notebook was written after the server started: show the current listing.
    page.locator(".jp-FileBrowser [data-command='filebrowser:refresh']").click()
    item = page.locator('.jp-DirListing-item[data-file-type="notebook"]', has_text=NOTEBOOK)
    item.dblclick()
    expect(page.locator(".jp-NotebookPanel:visible .jp-Cell")).to_have_count(1)
