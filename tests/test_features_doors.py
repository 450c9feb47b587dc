"""The feature store through its doors: REST routes, `%mlops features` and
`jupyter mlops features`, each over a real store."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from IPython.core.error import UsageError
from magic_helpers import mlops_shell
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import HOME_ENV, ROOT_DIR_ENV
from jupyter_mlops.features import Entity, FeatureService, FeatureView, Field, Float64, Int64
from jupyter_mlops.features.charts import histogram_figure
from jupyter_mlops.kernel.display import Code
from jupyter_mlops.kernel.features import FeatureBrowser
from jupyter_mlops.services import Services, default

JUPYTER = str(Path(sys.executable).parent / "jupyter")

DRIVER = Entity(name="driver", join_keys=["driver_id"], description="a driver")


def driver_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "driver_id": [1, 2, 1, 2],
            "event_timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-03", "2024-01-02"]
            ),
            "conv_rate": [0.1, 0.2, 0.3, 0.4],
            "trips": [10, 20, 30, 40],
        }
    )


def driver_view(*fields: Field) -> FeatureView:
    return FeatureView(
        name="driver_stats",
        entities=[DRIVER],
        schema=[Field("conv_rate", Float64, "share of accepted rides"), *fields],
        ttl=timedelta(days=2),
        description="Hourly driver statistics",
        owner="rides-team",
        tags={"team": "rides"},
    )


def define(services: Services) -> None:
    """driver_stats in two versions (the second adds `trips`), a second view, a service."""
    store = services.features
    store.apply([DRIVER, driver_view()])
    store.apply([driver_view(Field("trips", Int64))])
    store.ingest("driver_stats", driver_frame())
    customer = Entity(name="customer", join_keys=["customer_id"])
    orders = FeatureView(
        name="customer_orders",
        entities=[customer],
        schema=[Field("orders", Int64)],
        owner="shop",
    )
    store.apply([customer, orders])
    store.ingest(
        "customer_orders",
        pd.DataFrame(
            {
                "customer_id": [5],
                "event_timestamp": pd.to_datetime(["2024-01-02"]),
                "orders": [3],
            }
        ),
    )
    store.apply([FeatureService(name="ranker", features=["driver_stats:conv_rate"])])


# REST --------------------------------------------------------------------------------------


@pytest.fixture
def services(jp_serverapp):
    services = jp_serverapp.web_app.settings["jupyter_mlops"].services
    define(services)
    return services


@pytest.fixture
def fetch_json(jp_fetch):
    async def fetch(*parts, method="GET", body=None, params=None):
        kwargs = {"method": method, "params": params}
        if body is not None:
            kwargs["body"] = json.dumps(body)
        response = await jp_fetch("mlops", "api", "features", *parts, **kwargs)
        return json.loads(response.body)

    return fetch


async def expect_error(fetch_json, code, *parts, **kwargs):
    with pytest.raises(HTTPClientError) as caught:
        await fetch_json(*parts, **kwargs)
    assert caught.value.code == code
    body = json.loads(caught.value.response.body)
    assert "Traceback" not in body["message"]
    return body


async def test_rest_lists_searches_and_shows_views(services, fetch_json):
    listed = (await fetch_json("views"))["views"]
    assert [v["name"] for v in listed] == ["customer_orders", "driver_stats"]
    driver = listed[1]
    assert driver["version"] == 2 and driver["rows"] == 4
    assert driver["features"] == ["conv_rate", "trips"]
    assert driver["last_event"] == "2024-01-03T00:00:00"

    for query in ("rides", "TRIPS", "hourly"):
        found = (await fetch_json("views", params={"q": query}))["views"]
        assert [v["name"] for v in found] == ["driver_stats"], query
    assert (await fetch_json("views", params={"q": "nothing-like-it"}))["views"] == []

    view = await fetch_json("views", "driver_stats")
    assert view["version"] == 2 and view["owner"] == "rides-team"
    assert [v["version"] for v in view["versions"]] == [2, 1]
    assert [f["name"] for f in view["versions"][1]["schema"]] == ["conv_rate"]
    conv_rate = view["stats"]["features"]["conv_rate"]
    assert conv_rate["count"] == 4 and conv_rate["mean"] == pytest.approx(0.25)
    assert sum(conv_rate["histogram"]["counts"]) == 4
    # The page's histogram comes with the answer, drawn from the same bins.
    assert conv_rate["figure"] == histogram_figure("conv_rate", conv_rate["histogram"])
    assert conv_rate["figure"]["data"][0]["y"] == conv_rate["histogram"]["counts"]
    assert view["freshness"]["rows"] == 4 and view["freshness"]["batches"] == 1
    assert view["freshness"]["materialized"] is None

    first = await fetch_json("views", "driver_stats", params={"version": "1"})
    assert first["version"] == 1 and [f["name"] for f in first["schema"]] == ["conv_rate"]

    sample = await fetch_json("views", "driver_stats", "sample", params={"limit": "2"})
    assert sample["columns"] == ["driver_id", "event_timestamp", "conv_rate", "trips"]
    assert sample["rows"] == [
        [1, "2024-01-03T00:00:00", 0.3, 30],
        [2, "2024-01-02T00:00:00", 0.4, 40],
    ]

    services_listed = (await fetch_json("services"))["services"]
    assert [(s["name"], s["features"]) for s in services_listed] == [
        ("ranker", ["driver_stats:conv_rate"])
    ]
    entities = (await fetch_json("entities"))["entities"]
    assert [(e["name"], e["join_keys"]) for e in entities] == [
        ("customer", ["customer_id"]),
        ("driver", ["driver_id"]),
    ]


async def test_rest_snippets_and_usage(services, fetch_json):
    code = (await fetch_json("snippets", "driver_stats"))["code"]
    assert "'driver_stats:trips'" in code and "'driver_id': [...]" in code
    compile(code, "snippet", "exec")
    assert "    'ranker',\n" in (await fetch_json("snippets", "ranker"))["code"]

    assert await fetch_json("views", "driver_stats", "usage") == {"runs": [], "models": []}
    services.tracking.client  # noqa: B018 - the store exists before plain mlflow touches it
    mlflow.set_tracking_uri(services.config.tracking_uri)
    entity_df = pd.DataFrame(
        {"driver_id": [1], "event_timestamp": pd.to_datetime(["2024-01-03 12:00"])}
    )
    with mlflow.start_run(run_name="trained") as run:
        services.features.get_historical_features(entity_df, ["driver_stats:conv_rate"])
    usage = await fetch_json("views", "driver_stats", "usage")
    assert [(r["run_id"], r["run_name"]) for r in usage["runs"]] == [(run.info.run_id, "trained")]
    assert (await fetch_json("views", "customer_orders", "usage"))["runs"] == []


async def test_rest_materializes_and_looks_up_online(services, fetch_json):
    done = await fetch_json(
        "materialize",
        method="POST",
        body={"start": "2024-01-01", "end": "2024-01-31", "views": ["driver_stats"]},
    )
    assert done == {"materialized": [{"view": "driver_stats", "version": 2, "rows": 2}]}
    view = await fetch_json("views", "driver_stats")
    assert view["freshness"]["materialized"]["rows"] == 2

    found = await fetch_json(
        "online",
        method="POST",
        body={
            "entity_rows": [{"driver_id": 1}, {"driver_id": 99}],
            "features": ["driver_stats:conv_rate", "driver_stats:trips"],
        },
    )
    assert found == {
        "features": {"driver_id": [1, 99], "conv_rate": [0.3, None], "trips": [30, None]}
    }
    by_service = await fetch_json(
        "online", method="POST", body={"entity_rows": [{"driver_id": 2}], "features": "ranker"}
    )
    assert by_service == {"features": {"driver_id": [2], "conv_rate": [0.4]}}

    # Not materialized yet: every value is null, not an error.
    orders = await fetch_json(
        "online",
        method="POST",
        body={"entity_rows": [{"customer_id": 5}], "features": ["customer_orders"]},
    )
    assert orders == {"features": {"customer_id": [5], "orders": [None]}}
    everything = await fetch_json(
        "materialize", method="POST", body={"start": "2024-01-01", "end": "2024-01-31"}
    )
    assert [m["view"] for m in everything["materialized"]] == ["customer_orders", "driver_stats"]


async def test_rest_bad_requests_name_the_field(services, fetch_json):
    cases = [
        ("online", {"entity_rows": [{"driver_id": 1}], "features": []}, "features"),
        ("online", {"entity_rows": [], "features": "ranker"}, "entity_rows"),
        ("online", {"features": "ranker"}, "entity_rows"),
        (
            "online",
            {"entity_rows": [{"driver_id": [1]}], "features": "x"},
            "entity_rows.0.driver_id",
        ),
        # Valid by the schema, refused by the service: the same answer's shape.
        ("online", {"entity_rows": [{"id": 1}], "features": ["driver_stats"]}, "entity_rows"),
        ("online", {"entity_rows": [{"driver_id": 1}], "features": ["driver_stats:x"]}, "features"),
        ("materialize", {"start": "2024-01-01"}, "end"),
        ("materialize", {"start": "2024-01-01", "end": "2024-02-01", "extra": 1}, "extra"),
        ("materialize", {"start": "yesterday-ish", "end": "2024-02-01"}, "start"),
        ("materialize", {"start": "2024-02-01", "end": "2024-01-01"}, "start"),
    ]
    for route, body, field in cases:
        error = await expect_error(fetch_json, 400, route, method="POST", body=body)
        assert (error["code"], error["field"]) == ("invalid_input", field), (body, error)

    error = await expect_error(fetch_json, 400, "views", "driver_stats", params={"version": "x"})
    assert error["field"] == "version"
    # Past SQLite's INTEGER: was an OverflowError, a 500.
    big = str(2**64)
    error = await expect_error(fetch_json, 400, "views", "driver_stats", params={"version": big})
    assert error["field"] == "version" and "out of range" in error["message"]
    error = await expect_error(
        fetch_json, 400, "views", "driver_stats", "sample", params={"limit": "0"}
    )
    assert error["field"] == "limit"


async def test_rest_unknown_names_are_404(services, fetch_json):
    for parts in (
        ("views", "nope"),
        ("views", "nope", "sample"),
        ("views", "nope", "usage"),
        ("snippets", "nope"),
    ):
        error = await expect_error(fetch_json, 404, *parts)
        assert error["code"] == "not_found" and "'nope'" in error["message"], parts
    error = await expect_error(fetch_json, 404, "views", "driver_stats", params={"version": "9"})
    assert "version 9" in error["message"]
    error = await expect_error(
        fetch_json,
        404,
        "online",
        method="POST",
        body={"entity_rows": [{"driver_id": 1}], "features": "no_such_service"},
    )
    assert "'no_such_service'" in error["message"]


# Magics --------------------------------------------------------------------------------------


@pytest.fixture
def shell(tmp_path, monkeypatch):
    with mlops_shell(monkeypatch, tmp_path / ".mlops", tmp_path) as shell:
        define(default())
        yield shell


def test_magic_browses_searches_and_selects_views(shell):
    browser = shell.run_line_magic("mlops", "features")
    assert isinstance(browser, FeatureBrowser)
    assert [name for _, name in browser.listing.options] == ["customer_orders", "driver_stats"]
    assert browser.selected == "customer_orders" and "orders" in browser.detail.value

    browser.listing.value = "driver_stats"
    html = browser.detail.value
    assert "driver_stats v2" in html and "Hourly driver statistics" in html
    assert "share of accepted rides" in html and "mean 0.25" in html  # schema with its stats
    assert "v2, v1" in html and "rides-team" in html
    assert "2024-01-03 00:00:00 UTC" in html  # the last event
    newest, older = html.index("2024-01-03T00:00:00"), html.index("2024-01-02T00:00:00")
    assert newest < older  # rows newest first

    browser.search.value = "shop"
    assert [name for _, name in browser.listing.options] == ["customer_orders"]
    assert browser.selected == "customer_orders"
    browser.search.value = "nothing-like-it"
    assert browser.selected is None and "No feature view matches" in browser.detail.value
    assert browser.snippet_button.disabled

    opened = shell.run_line_magic("mlops", "features driver_stats")
    assert opened.selected == "driver_stats" and "driver_stats v2" in opened.detail.value
    searched = shell.run_line_magic("mlops", "features --query rides")
    assert [name for _, name in searched.listing.options] == ["driver_stats"]

    with pytest.raises(UsageError, match="%mlops features: no feature view 'nope'"):
        shell.run_line_magic("mlops", "features nope")
    with pytest.raises(UsageError, match="snippet NAME"):
        shell.run_line_magic("mlops", "features driver_stats ranker")


def test_magic_puts_a_snippet_in_the_next_cell(shell):
    shown = shell.run_line_magic("mlops", "features snippet ranker")
    assert isinstance(shown, Code)
    assert shell.rl_next_input == shown.code == default().features.snippet("ranker")
    assert shown._repr_markdown_().startswith("```python\nimport pandas as pd\n")
    assert shell.display_formatter.format(shown)[0]["text/plain"] == shown.code

    with pytest.raises(UsageError, match="%mlops features: no feature view 'nope'"):
        shell.run_line_magic("mlops", "features snippet nope")

    browser = shell.run_line_magic("mlops", "features driver_stats")
    shell.rl_next_input = None
    browser.snippet_button.click()
    assert "'driver_stats:conv_rate'" in shell.rl_next_input


def test_the_snippet_runs_in_the_kernel(shell):
    """The code the magic writes is a working start: fill in the entity rows and run it."""
    code = shell.run_line_magic("mlops", "features snippet driver_stats").code
    filled = code.replace("'driver_id': [...]", "'driver_id': [1, 2]").replace(
        "pd.to_datetime([...])", "pd.to_datetime(['2024-01-03', '2024-01-02'])"
    )
    result = shell.run_cell(filled)
    assert result.success, result.error_in_exec
    training = shell.user_ns["training_df"]
    assert training["conv_rate"].tolist() == [0.3, 0.4]
    assert training["trips"].tolist() == [30, 40]


# CLI ------------------------------------------------------------------------------------------

DEFINITIONS = """
from datetime import timedelta

import pandas as pd

from jupyter_mlops.features import Entity, FeatureService, FeatureView, Field, Float64

rider = Entity(name="rider", join_keys=["rider_id"])
rider_spend = FeatureView(
    name="rider_spend",
    entities=[rider],
    schema=[Field("spend", Float64)],
    source="data/spend.csv",
    ttl=timedelta(days=30),
)
rider_rating = FeatureView(
    name="rider_rating",
    entities=[rider],
    schema=[Field("rating", Float64)],
    source=pd.DataFrame(
        {"rider_id": [7], "event_timestamp": pd.to_datetime(["2024-03-01"]), "rating": [4.5]}
    ),
)
rider_model = FeatureService(name="rider_model", features=["rider_spend", "rider_rating"])
same_rider = rider  # one definition under two names is applied once
"""


def mlops(project, *args, cwd=None):
    return subprocess.run(
        [JUPYTER, "mlops", "--home", str(project / ".mlops"), "features", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or project,
        env={k: v for k, v in os.environ.items() if k not in (HOME_ENV, ROOT_DIR_ENV)},
    )


def ok(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def failed(result) -> str:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    return line


def test_cli_apply_ingest_list_materialize(tmp_path):
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "definitions.py").write_text(DEFINITIONS)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "spend.csv").write_text(
        "rider_id,event_timestamp,spend\n7,2024-03-01,12.5\n8,2024-03-02,3.0\n"
    )
    pd.DataFrame(
        {"rider_id": [7], "event_timestamp": pd.to_datetime(["2024-03-05"]), "spend": [20.0]}
    ).to_parquet(tmp_path / "data" / "late.parquet")

    assert ok(mlops(tmp_path, "apply", "features/definitions.py")) == [
        "entity rider  v1  changed",
        "view rider_spend  v1  changed",
        "view rider_rating  v1  changed",
        "service rider_model  v1  changed",
    ]
    assert (
        ok(mlops(tmp_path, "apply", "features/definitions.py"))[0] == "entity rider  v1  unchanged"
    )
    assert ok(mlops(tmp_path, "ingest", "rider_spend")) == ["ingested 2 rows into rider_spend v1"]
    # A path given on the command line is relative to where the command runs.
    assert ok(mlops(tmp_path, "ingest", "rider_spend", "late.parquet", cwd=tmp_path / "data")) == [
        "ingested 1 rows into rider_spend v1"
    ]

    rating, spend = ok(mlops(tmp_path, "list"))
    assert rating.startswith("rider_rating  v1  ")
    assert spend == "rider_spend  v1  3 rows  last event 2024-03-05T00:00:00  spend"
    listed = json.loads("\n".join(ok(mlops(tmp_path, "list", "--json", "--query", "spend"))))
    assert [(v["name"], v["rows"]) for v in listed] == [("rider_spend", 3)]

    assert ok(
        mlops(tmp_path, "materialize", "2024-03-01", "2024-03-31", "--view", "rider_spend")
    ) == ["materialized 2 keys of rider_spend v1"]
    online = Services.from_env(home=tmp_path / ".mlops").features.get_online_features(
        [{"rider_id": 7}, {"rider_id": 8}], "rider_model"
    )
    assert online == {"rider_id": [7, 8], "spend": [20.0, 3.0], "rating": [None, None]}


def test_cli_bad_input_exits_1_with_one_line(tmp_path):
    (tmp_path / "empty.py").write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("import pandas\n\nrows = 1 / 0\n")

    assert failed(mlops(tmp_path, "ingest", "nope")) == (
        "jupyter mlops features: no feature view 'nope'"
    )
    assert "no Python file at 'missing.py'" in failed(mlops(tmp_path, "apply", "missing.py"))
    assert "defines no Entity, FeatureView or FeatureService" in failed(
        mlops(tmp_path, "apply", "empty.py")
    )
    assert failed(mlops(tmp_path, "apply", "broken.py")) == (
        "jupyter mlops features: broken.py line 3: ZeroDivisionError: division by zero"
    )
    assert "end 'someday' is not a date or time" in failed(
        mlops(tmp_path, "materialize", "2024-01-01", "someday")
    )
    usage = mlops(tmp_path, "frobnicate")
    assert usage.returncode == 2 and "invalid choice" in usage.stderr
