"""A feature view's page shows its data rules per feature, the rules' results over its
batches as a Plotly chart, and the warnings recorded with the batches written."""

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from jupyter_mlops.config import resolve
from jupyter_mlops.features import Entity, FeatureView, Field, Float64, Rules, String
from jupyter_mlops.services import Services

VIEW = "ui_rules_view"
TRACES = "el => el.data.map(t => ({name: t.name, x: t.x, y: t.y}))"


@pytest.fixture(scope="module")
def three_batches(mlflow_lab):
    """A view with rules on two features and three batches ingested, the second with
    a warning (a city outside the allowed ones)."""
    services = Services(resolve(root_dir=mlflow_lab.root, environ={}))
    try:
        store = services.features
        rider = Entity(name="ui_rules_rider", join_keys=["rider_id"])
        view = FeatureView(
            name=VIEW,
            entities=[rider],
            schema=[
                Field("spend", Float64, rules=Rules(min=0, max_null=0.05)),
                Field("city", String, rules=Rules(allowed=["paris", "lyon"], severity="warn")),
            ],
            rules=Rules(unique=True),
        )
        store.apply([rider, view])
        for index, day in enumerate(["2026-11-01", "2026-11-02", "2026-11-03"]):
            cities = ["paris"] * 10 if index != 1 else ["paris"] * 8 + ["nice"] * 2
            store.ingest(
                VIEW,
                pd.DataFrame(
                    {
                        "rider_id": np.arange(10) + 10 * index,
                        "event_timestamp": pd.to_datetime([day] * 10),
                        "spend": np.linspace(1.0, 9.0, 10),
                        "city": cities,
                    }
                ),
            )
    finally:
        services.close()


def test_rule_results_over_three_batches_are_drawn_on_the_view_page(
    page, open_sidebar, mlflow_lab, three_batches
):
    sidebar = open_sidebar(mlflow_lab)
    row = sidebar.locator(f'#jp-mlops-section-features .jp-mlops-feature-row[data-view="{VIEW}"]')
    expect(row).to_have_count(1, timeout=30_000)
    row.locator(".jp-mlops-feature-row-name").click()
    view = page.locator(f"#jp-mlops-feature-view-{VIEW}")
    expect(view).to_be_visible()

    # Rules per feature, in the schema table.
    schema = view.locator(".jp-mlops-feature-schema")
    spend = schema.locator('tr[data-feature="spend"] .jp-mlops-feature-rules li')
    # The page loads after it shows (a loaded machine takes seconds).
    expect(spend).to_have_text(["max_null 0.05", "min 0"], timeout=30_000)
    city = schema.locator('tr[data-feature="city"] li[data-severity="warn"]')
    expect(city).to_contain_text('allowed ["paris", "lyon"]')
    # Every rule, the view's own included, with the newest batch's result.
    table = view.locator(".jp-mlops-feature-rules-table tbody tr")
    expect(table).to_have_count(4)
    expect(view.locator('.jp-mlops-feature-rules-table tr[data-rule="unique"]')).to_have_count(1)

    # The results over the three batches, drawn by the Plotly mime renderer.
    chart = view.locator(".jp-mlops-feature-quality-chart.js-plotly-plot")
    expect(chart).to_have_count(1, timeout=30_000)
    expect(chart.locator(".plot-container svg.main-svg").first).to_be_visible()
    # A marker per rule and batch: 4 rules x 3 batches.
    expect(chart.locator(".scatterlayer .point")).to_have_count(12)
    served = mlflow_lab.api(f"mlops/api/features/views/{VIEW}/quality")
    batches = sorted(b["batch"] for b in served["batches"])
    assert len(batches) == 3
    drawn = chart.evaluate(TRACES)
    assert drawn == [{k: t[k] for k in ("name", "x", "y")} for t in served["figure"]["data"]]
    assert all([int(x) for x in trace["x"]] == batches for trace in drawn)

    # The warning the second batch was written with.
    warning = view.locator(".jp-mlops-feature-warnings li")
    expect(warning).to_have_count(1)
    expect(warning).to_have_attribute("data-batch", str(batches[1]))
    expect(warning).to_contain_text("column 'city' allowed")
    expect(warning).to_contain_text("2 of 10 rows")
    assert page.errors == []
    chart.scroll_into_view_if_needed()  # for the screenshot the fixture takes
