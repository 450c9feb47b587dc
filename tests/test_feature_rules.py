"""Data rules at ingestion, on a real store under a temp home: each rule kind refused or
passed over the whole batch, a refused batch leaves nothing behind, a warning writes and
is recorded, bad rules are refused before anything is stored, and the results reach
every door (the view detail, REST, the CLI)."""

import json
import os

import cli_helpers as cli
import numpy as np
import pandas as pd
import pytest
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import HOME_ENV, ROOT_DIR_ENV, resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.features import (
    Entity,
    FeatureView,
    Field,
    Float64,
    Int64,
    Rules,
    RulesBroken,
    String,
    UnixTimestamp,
    registry,
)
from jupyter_mlops.services import Services

DRIVER = Entity("driver", join_keys=["driver_id"])


def view(rate=None, city=None, trips=None, seen=None, **options):
    return FeatureView(
        "driver_stats",
        entities=[DRIVER],
        schema=[
            Field("rate", Float64, rules=rate),
            Field("city", String, rules=city),
            Field("trips", Int64, rules=trips),
            Field("seen", UnixTimestamp, rules=seen),
        ],
        **options,
    )


def batch(n=100, *, start=0, day="2026-01-01", rate=None, city=None, trips=None):
    return pd.DataFrame(
        {
            "driver_id": np.arange(start, start + n),
            "event_timestamp": pd.to_datetime([day] * n),
            "rate": np.linspace(0.0, 1.0, n) if rate is None else rate,
            "city": ["a"] * n if city is None else city,
            "trips": np.arange(n) % 5 if trips is None else trips,
            "seen": pd.to_datetime([day] * n),
        }
    )


@pytest.fixture
def services(tmp_path):
    services = Services(resolve(root_dir=tmp_path, environ={}))
    yield services
    services.close()


@pytest.fixture
def store(services):
    return services.features


def visible(store):
    """Everything a reader can see of the view: files, batches, rows, stats, results."""
    page = store.view("driver_stats")
    return {
        "files": store.offline.files("driver_stats"),
        "freshness": page["freshness"],
        "stats": page["stats"],
        "quality": page["quality"]["batches"],
        "leftovers": sorted(p.name for p in store.offline.view_dir("driver_stats").glob(".*")),
    }


def test_two_percent_nulls_against_one_percent_is_refused_whole(store):
    store.apply([DRIVER, view(rate=Rules(min=0, max_null=0.01))])
    store.ingest("driver_stats", batch())
    before = visible(store)

    rate = np.linspace(0.0, 1.0, 100)
    rate[[10, 20]] = np.nan
    with pytest.raises(RulesBroken) as refused:
        store.ingest("driver_stats", batch(start=100, rate=rate))
    message = str(refused.value)
    assert "column 'rate' max_null 0.01: 2 of 100 rows null (0.02)" in message
    assert "driver_id=110" in message and "driver_id=120" in message
    assert "nothing was written" in message
    assert refused.value.field == "columns.rate"
    assert isinstance(refused.value, InvalidInput)  # a 400 at the REST door
    assert visible(store) == before


@pytest.mark.parametrize(
    "rules, column, bad, good, failing",
    [
        ({"rate": Rules(min=0)}, "rate", [-1.0, 0.5, -2.0], [0.0, 0.5, 1.0], 2),
        ({"rate": Rules(max=1)}, "rate", [0.0, 1.5, 1.0], [0.0, 0.5, 1.0], 1),
        ({"city": Rules(allowed=["a", "b"])}, "city", ["a", "z", "b"], ["a", "b", None], 1),
        ({"rate": Rules(max_null=0.4)}, "rate", [None, None, 1.0], [None, 0.5, 1.0], 2),
        (
            {"rate": Rules(min=0, max=1, max_out_of_range=0.34)},
            "rate",
            [-1.0, 2.0, 0.5],
            [-1.0, 0.5, 0.5],
            2,
        ),
        (
            {"seen": Rules(min="2026-01-01")},
            "seen",
            pd.to_datetime(["2025-12-31", "2026-01-02", "2026-01-03"]),
            pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]),
            1,
        ),
    ],
)
def test_each_column_rule_refuses_a_breaking_batch_and_passes_a_good_one(
    store, rules, column, bad, good, failing
):
    ((field, given),) = rules.items()
    store.apply([DRIVER, view(**{field: given})])
    frame = batch(3)
    with pytest.raises(RulesBroken, match=f"column '{column}'.* {failing} of 3 rows"):
        store.ingest("driver_stats", frame.assign(**{column: bad}))
    assert store.offline.files("driver_stats") == []
    done = store.ingest("driver_stats", frame.assign(**{column: good}))
    assert done["rows"] == 3 and done["warnings"] == []
    (checked,) = store.quality("driver_stats")["batches"]
    assert all(r["passed"] for r in checked["results"])


def test_a_key_twice_at_one_event_time_is_refused_by_a_unique_rule(store):
    store.apply([DRIVER, view(rules=Rules(unique=True))])
    frame = batch(4).assign(driver_id=[1, 2, 2, 3])
    with pytest.raises(RulesBroken, match=r"'driver_id, event_timestamp' unique: 2 of 4 rows"):
        store.ingest("driver_stats", frame)
    # The same key at another event time is another row.
    frame["event_timestamp"] = pd.to_datetime(
        ["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-01"]
    )
    assert store.ingest("driver_stats", frame)["rows"] == 4


def test_a_drift_bound_compares_with_the_views_statistics_so_far(store):
    store.apply([DRIVER, view(rate=Rules(max_psi=0.25))])
    first = store.ingest("driver_stats", batch())  # no reference yet: passes
    assert first["warnings"] == []
    store.ingest("driver_stats", batch(start=100))  # the same distribution
    with pytest.raises(RulesBroken, match=r"column 'rate' max_psi 0.25: PSI \d"):
        store.ingest("driver_stats", batch(start=200, rate=np.full(100, 0.99)))
    results = store.quality("driver_stats")["batches"]
    assert [r["results"][0]["observed"] for r in results][-1] is None
    assert results[0]["results"][0]["observed"] < 0.25

    # A new version compares with the previous version's statistics.
    store.apply([view(rate=Rules(max_psi=0.25), description="v2")])
    with pytest.raises(RulesBroken, match="max_psi"):
        store.ingest("driver_stats", batch(start=300, rate=np.full(100, 0.01)))


def test_a_warning_writes_the_batch_and_is_recorded_with_it(store):
    store.apply([DRIVER, view(city=Rules(allowed=["a", "b"], severity="warn"))])
    done = store.ingest("driver_stats", batch(10, city=["a"] * 8 + ["z", "y"]))
    assert done["rows"] == 10
    assert done["warnings"] == [
        "column 'city' allowed ['a', 'b']: 2 of 10 rows out of range (0.2),"
        " e.g. driver_id=8 event_timestamp=2026-01-01T00:00:00"
        " | driver_id=9 event_timestamp=2026-01-01T00:00:00"
    ]
    assert len(store.offline.files("driver_stats")) == 1
    quality = store.view("driver_stats")["quality"]
    (warning,) = quality["warnings"]
    assert (warning["rule"], warning["column"], warning["failing_rows"]) == ("allowed", "city", 2)
    assert warning["severity"] == "warn" and warning["message"] == done["warnings"][0]
    (checked,) = quality["batches"]
    assert checked["rows"] == 10 and checked["results"][0]["passed"] is False


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: view(rate=Rules(max_null=1.5)), "schema.rate.rules.max_null"),
        (lambda: view(rate=Rules(min=2, max=1)), "schema.rate.rules.min"),
        (lambda: view(rate=Rules(min="low")), "schema.rate.rules.min"),
        (lambda: view(rate=Rules(min=float("nan"))), "schema.rate.rules.min"),
        (lambda: view(rate=Rules(severity="fatal")), "schema.rate.rules.severity"),
        (lambda: view(rate=Rules()), "schema.rate.rules"),
        (lambda: view(rate=Rules(max_out_of_range=0.1)), "schema.rate.rules.max_out_of_range"),
        (lambda: view(rate=Rules(max_psi=-1)), "schema.rate.rules.max_psi"),
        (lambda: view(rate=Rules(unique=True)), "schema.rate.rules.unique"),
        (lambda: view(rate={"minimum": 0}), "schema.rate.rules.minimum"),
        (lambda: view(rate="min=0"), "schema.rate.rules"),
        (lambda: view(city=Rules(min=0)), "schema.city.rules.min"),
        (lambda: view(city=Rules(allowed="ab")), "schema.city.rules.allowed"),
        (lambda: view(city=Rules(allowed=[1, 2])), "schema.city.rules.allowed"),
        (lambda: view(trips=Rules(allowed=[])), "schema.trips.rules.allowed"),
        (lambda: view(seen=Rules(max_psi=0.2)), "schema.seen.rules.max_psi"),
        (lambda: view(seen=Rules(min="not a time")), "schema.seen.rules.min"),
        (lambda: view(rules={"nope": Rules(min=0)}), "rules.nope"),
        (lambda: view(rules=Rules(min=0)), "rules.min"),
        (lambda: view(rules={"driver_id": Rules(unique=True)}), "rules.driver_id.unique"),
    ],
)
def test_bad_rules_are_refused_naming_the_field_before_anything_is_stored(store, make, field):
    with pytest.raises(InvalidInput) as refused:
        store.apply([DRIVER, make()])
    assert refused.value.field == field, refused.value
    assert registry.latest_all(store.state, "view") == []
    assert registry.latest_all(store.state, "entity") == []


def test_rules_are_stored_with_the_views_version(store):
    store.apply([DRIVER, view(rate=Rules(min=0))])
    store.apply([view(rate=[Rules(min=0), Rules(max_null=0.1, severity="warn")])])
    first, second = store.view("driver_stats", 1), store.view("driver_stats", 2)
    assert first["schema"][0]["rules"] == [{"min": 0, "severity": "error"}]
    assert [r["rule"] for r in second["quality"]["rules"]] == ["max_null", "min"]
    assert "rules" not in second["schema"][1]  # a field without rules keeps its spec
    # A rule on a join key, from the view.
    store.apply([view(rules={"driver_id": Rules(min=0)})])
    assert store.view("driver_stats")["rules"] == [
        {"column": "driver_id", "min": 0, "severity": "error"}
    ]
    with pytest.raises(RulesBroken, match="column 'driver_id' min 0: 1 of 3 rows below"):
        store.ingest("driver_stats", batch(3, start=-1))


def three_batches(store):
    store.apply(
        [
            DRIVER,
            view(
                rate=Rules(min=0, max_null=0.05),
                city=Rules(allowed=["a", "b"], max_out_of_range=0.1, severity="warn"),
            ),
        ]
    )
    store.ingest("driver_stats", batch(20, day="2026-01-01"))
    store.ingest("driver_stats", batch(20, start=20, day="2026-01-02", city=["a"] * 17 + ["z"] * 3))
    store.ingest("driver_stats", batch(20, start=40, day="2026-01-03"))


def test_rule_results_over_three_batches_are_kept_and_drawn(store):
    three_batches(store)
    quality = store.quality("driver_stats", figures=True)
    batches = quality["batches"]
    assert [b["rows"] for b in batches] == [20, 20, 20]
    seqs = [b["batch"] for b in batches]
    assert seqs == sorted(seqs, reverse=True)
    passed = [[r["passed"] for r in b["results"]] for b in batches]
    assert passed == [[True, True, True], [True, True, False], [True, True, True]]
    assert [w["batch"] for w in quality["warnings"]] == [seqs[1]]
    assert quality["warnings"][0]["observed"] == pytest.approx(0.15)
    figure = quality["figure"]
    assert {trace["name"] for trace in figure["data"]} == {
        "rate: max_null",
        "rate: min",
        "city: max_out_of_range",
    }
    assert all(trace["x"] == list(reversed(seqs)) for trace in figure["data"])
    assert store.quality("driver_stats", limit=2)["batches"] == batches[:2]
    with pytest.raises(InvalidInput, match="limit"):
        store.quality("driver_stats", limit=0)


# Doors -------------------------------------------------------------------------------------


@pytest.fixture
def served(jp_serverapp):
    services = jp_serverapp.web_app.settings["jupyter_mlops"].services
    three_batches(services.features)
    return services


async def test_rest_returns_rule_results_with_the_view_and_on_their_own(served, jp_fetch):
    async def get(*parts, **params):
        response = await jp_fetch("mlops", "api", "features", "views", *parts, params=params)
        return json.loads(response.body)

    detail = await get("driver_stats")
    assert [len(b["results"]) for b in detail["quality"]["batches"]] == [3, 3, 3]
    assert detail["quality"]["figure"]["data"]
    assert detail["schema"][0]["rules"] == [{"min": 0, "max_null": 0.05, "severity": "error"}]
    quality = await get("driver_stats", "quality", limit="2")
    assert len(quality["batches"]) == 2 and len(quality["warnings"]) == 1

    for params, field in (
        ({"limit": "many"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"version": "x"}, "version"),
        ({"limit": str(2**64)}, "limit"),
    ):
        with pytest.raises(HTTPClientError) as caught:
            await get("driver_stats", "quality", **params)
        assert caught.value.code == 400, params
        body = json.loads(caught.value.response.body)
        assert body["field"] == field and "Traceback" not in body["message"]
    with pytest.raises(HTTPClientError) as caught:
        await get("nope", "quality")
    assert caught.value.code == 404


def test_cli_shows_rule_results_and_ingest_warnings(tmp_path):
    services = Services(resolve(root_dir=tmp_path, environ={}))
    try:
        three_batches(services.features)
    finally:
        services.close()
    batch(5, start=100, city=["z"] * 5).to_parquet(tmp_path / "late.parquet")
    env = {k: v for k, v in os.environ.items() if k not in (HOME_ENV, ROOT_DIR_ENV)}

    def mlops(*args):
        home = str(tmp_path / ".mlops")
        return cli.mlops("--home", home, "features", *args, cwd=tmp_path, env=env, timeout=120)

    shown = mlops("quality", "driver_stats", "--limit", "3")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "rule  rate: min 0  (error)" in lines
    assert sum(line.startswith("batch ") for line in lines) == 3
    assert any(
        "FAIL city: max_out_of_range 0.1  observed 0.15  (3 rows failing)" in x for x in lines
    )
    assert any(x.startswith("warning (batch ") for x in lines)
    as_json = json.loads(mlops("quality", "driver_stats", "--json").stdout)
    assert len(as_json["batches"]) == 3

    batch(5, start=200, rate=[-1.0, 0.5, 0.5, 0.5, 0.5]).to_parquet(tmp_path / "bad.parquet")
    refused = mlops("ingest", "driver_stats", "bad.parquet")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("jupyter mlops features: feature view 'driver_stats' refused")
    assert "column 'rate' min 0: 1 of 5 rows below (observed -1), e.g. driver_id=200" in line

    ingested = mlops("ingest", "driver_stats", "late.parquet")
    assert ingested.returncode == 0, ingested.stderr
    assert ingested.stdout.splitlines()[1].startswith("warning: column 'city' max_out_of_range")
