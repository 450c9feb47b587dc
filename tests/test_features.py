"""The feature store's domain core on real parquet, duckdb and SQLite under a temp home."""

from datetime import timedelta

import mlflow
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput, NotFound
from jupyter_mlops.features import (
    Bool,
    Entity,
    FeatureService,
    FeatureView,
    Field,
    Float64,
    Int64,
    String,
    charts,
    join_index,
    lineage,
)
from jupyter_mlops.services import Services
from jupyter_mlops.tracking import lineage as tracking_lineage

DRIVER = Entity("driver", join_keys=["driver_id"])


def ts(*values):
    return pd.to_datetime(list(values))


@pytest.fixture
def services(tmp_path):
    services = Services(resolve(root_dir=tmp_path, environ={}))
    yield services
    services.close()


@pytest.fixture
def store(services):
    return services.features


def stats_view(**overrides):
    spec = {
        "name": "driver_stats",
        "entities": [DRIVER],
        "schema": [Field("rate", Float64), Field("trips", Int64)],
        "created_timestamp_column": "created",
        "ttl": timedelta(days=2),
        "owner": "ana",
        "tags": {"team": "rides"},
    }
    return FeatureView(**{**spec, **overrides})


def rows(driver_id, event, rate, trips=1, created=None):
    events = ts(*event)
    return pd.DataFrame(
        {
            "driver_id": driver_id,
            "event_timestamp": events,
            "created": events if created is None else ts(*created),
            "rate": rate,
            "trips": trips,
        }
    )


def lookup(store, drivers, times, features=("driver_stats:rate",)):
    entity_df = pd.DataFrame({"driver_id": drivers, "event_timestamp": ts(*times)})
    return store.get_historical_features(entity_df, list(features))


def test_point_in_time_values_never_come_from_the_future_and_expire_with_the_ttl(store):
    store.apply([DRIVER, stats_view()])
    store.ingest(
        "driver_stats",
        rows(
            [1, 1, 2], ["2026-01-01 00:00", "2026-01-02 00:00", "2026-01-01 12:00"], [0.1, 0.2, 0.3]
        ),
    )
    out = lookup(
        store,
        [1, 1, 2, 1, 1, 3],
        [
            "2026-01-02 00:00",  # the exact event time: that row counts
            "2026-01-01 23:59",  # the day-2 row is still in the future
            "2026-01-01 11:00",  # before any row of driver 2
            "2026-01-04 00:00",  # exactly the TTL after the latest row: still valid
            "2026-01-04 00:01",  # past the TTL
            "2026-01-02 00:00",  # no history at all
        ],
    )
    assert out["rate"].tolist()[:2] == [0.2, 0.1]
    assert np.isnan(out["rate"].tolist()[2])
    assert out["rate"].tolist()[3] == 0.2
    assert np.isnan(out["rate"].tolist()[4]) and np.isnan(out["rate"].tolist()[5])


def test_ties_are_broken_by_created_time_then_by_ingestion_order(store):
    store.apply([DRIVER, stats_view()])
    event = ["2026-01-01 00:00"]
    store.ingest("driver_stats", rows([1], event, [0.1], created=["2026-01-01 00:00"]))
    # Late-arriving correction: same event time, created later -> wins.
    store.ingest("driver_stats", rows([1], event, [0.2], created=["2026-01-03 00:00"]))
    # Arrives last but was created earlier -> loses.
    store.ingest("driver_stats", rows([1], event, [0.3], created=["2026-01-02 00:00"]))
    # Same event and created time as the winner, in a later batch -> the later batch wins.
    store.ingest("driver_stats", rows([2, 2], event * 2, [0.5, 0.6]))
    store.ingest("driver_stats", rows([2], event, [0.7]))
    first = lookup(store, [1, 2], ["2026-01-01 06:00"] * 2)
    again = lookup(store, [1, 2], ["2026-01-01 06:00"] * 2)
    assert first["rate"].tolist() == [0.2, 0.7] == again["rate"].tolist()


def test_a_late_batch_with_older_events_is_seen_by_lookups_after_those_events(store):
    store.apply([DRIVER, stats_view()])
    store.ingest("driver_stats", rows([1], ["2026-01-05 00:00"], [0.5]))
    store.ingest("driver_stats", rows([1], ["2026-01-03 00:00"], [0.3]))  # arrives late
    out = lookup(store, [1, 1], ["2026-01-04 00:00", "2026-01-06 00:00"])
    assert out["rate"].tolist() == [0.3, 0.5]


def test_result_keeps_the_entity_frames_rows_index_and_columns(store):
    store.apply([DRIVER, stats_view()])
    store.ingest("driver_stats", rows([1, 2], ["2026-01-01", "2026-01-01"], [0.1, 0.2], [3, 4]))
    entity_df = pd.DataFrame(
        {
            "driver_id": [2, 9, 1, 2],
            "event_timestamp": ts("2026-01-02", "2026-01-02", "2026-01-02", "2025-12-31"),
            "label": ["a", "b", "c", "d"],
        },
        index=[40, 10, 30, 20],
    )
    out = store.get_historical_features(entity_df, ["driver_stats"])  # a whole view
    assert list(out.index) == [40, 10, 30, 20] and out["label"].tolist() == ["a", "b", "c", "d"]
    assert out["rate"].fillna(-1).tolist() == [0.2, -1, 0.1, -1]
    assert out["trips"].fillna(-1).tolist() == [4, -1, 3, -1]
    assert out.attrs[lineage.ATTR]["views"] == {"driver_stats": 1}


def test_two_views_and_a_feature_service(store):
    city = FeatureView("driver_city", entities=["driver"], schema=[Field("city", String)], ttl=None)
    service = FeatureService("pricing", ["driver_stats:rate", "driver_city:city"])
    store.apply([DRIVER, stats_view(), city, service])
    store.ingest("driver_stats", rows([1], ["2026-01-01"], [0.1]))
    store.ingest(
        "driver_city",
        pd.DataFrame({"driver_id": [1], "event_timestamp": ts("2020-01-01"), "city": ["Porto"]}),
    )
    entity_df = pd.DataFrame({"driver_id": [1], "event_timestamp": ts("2026-01-02")})
    out = store.get_historical_features(entity_df, "pricing", full_feature_names=True)
    assert out["driver_stats__rate"].tolist() == [0.1]
    assert out["driver_city__city"].tolist() == ["Porto"]  # no TTL: never expires


def reference(feature_rows: list[dict], entity_rows: list[dict], ttl: pd.Timedelta | None):
    """Brute force: for each entity row, the winning feature row by the documented rules."""
    values = []
    for entity in entity_rows:
        candidates = [
            r
            for r in feature_rows
            if r["driver_id"] == entity["driver_id"]
            and r["event_timestamp"] <= entity["event_timestamp"]
            and (ttl is None or r["event_timestamp"] >= entity["event_timestamp"] - ttl)
        ]
        best = max(
            candidates,
            key=lambda r: (r["event_timestamp"], r["created"], r["order"]),
            default=None,
        )
        values.append(None if best is None else best["rate"])
    return values


HOURS = st.integers(min_value=0, max_value=72)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(
        st.lists(
            st.tuples(st.integers(0, 3), HOURS, st.integers(0, 3)),  # driver, event h, created h
            min_size=1,
            max_size=8,
        ),
        min_size=1,
        max_size=3,
    ),
    entities=st.lists(st.tuples(st.integers(0, 4), HOURS), min_size=1, max_size=12),
    ttl_hours=st.one_of(st.none(), st.integers(1, 30)),
)
@pytest.mark.parametrize("ranked_times", [False, True], ids=["time-offsets", "time-ranks"])
def test_the_join_agrees_with_a_brute_force_reference(
    tmp_path_factory, monkeypatch, ranked_times, batches, entities, ttl_hours
):
    if ranked_times:  # the join index's fallback when keys x time span overflow 62 bits
        monkeypatch.setattr(join_index, "MAX_CODE", 1)
    root = tmp_path_factory.mktemp("pit")
    services = Services(resolve(root_dir=root, environ={}))
    store = services.features
    ttl = None if ttl_hours is None else timedelta(hours=ttl_hours)
    store.apply([DRIVER, stats_view(ttl=ttl)])
    start = pd.Timestamp("2026-01-01")
    feature_rows, order = [], 0
    for batch in batches:
        frame = []
        for driver, event, created in batch:
            order += 1
            row = {
                "driver_id": driver,
                "event_timestamp": start + pd.Timedelta(hours=event),
                "created": start + pd.Timedelta(hours=event + created),
                "rate": float(order),
                "trips": order,
                "order": order,
            }
            feature_rows.append(row)
            frame.append(row)
        store.ingest("driver_stats", pd.DataFrame(frame).drop(columns="order"))
        # After every batch: the join index must follow what was ingested.
        entity_rows = [
            {"driver_id": d, "event_timestamp": start + pd.Timedelta(hours=h)} for d, h in entities
        ]
        out = store.get_historical_features(pd.DataFrame(entity_rows), ["driver_stats:rate"])
        expected = reference(feature_rows, entity_rows, None if ttl is None else pd.Timedelta(ttl))
        got = [None if np.isnan(v) else v for v in out["rate"].tolist()]
        assert got == expected
    services.close()


def test_composite_string_keys_and_nullable_features(store):
    route = Entity("route", join_keys=["origin", "destination"], dtype=String)
    view = FeatureView(
        "route_stats",
        entities=[route],
        schema=[Field("trips", Int64), Field("busy", Bool), Field("note", String)],
        ttl=None,
    )
    store.apply([route, view])
    store.ingest(
        "route_stats",
        pd.DataFrame(
            {
                "origin": ["LIS", "LIS", "OPO", "LIS"],
                "destination": ["OPO", "FAO", "LIS", "OPO"],
                "event_timestamp": ts("2026-01-01", "2026-01-01", "2026-01-01", "2026-01-03"),
                "trips": pd.array([5, None, 7, 9], dtype="Int64"),
                "busy": pd.array([True, None, False, False], dtype="boolean"),
                "note": ["a", None, "c", "d"],
            }
        ),
    )
    entity_df = pd.DataFrame(
        {
            "origin": ["LIS", "LIS", "OPO", "FAO", "LIS"],
            "destination": ["OPO", "FAO", "LIS", "LIS", "OPO"],
            "event_timestamp": ts(
                "2026-01-02", "2026-01-02", "2026-01-02", "2026-01-02", "2026-01-03"
            ),
        }
    )
    out = store.get_historical_features(entity_df, ["route_stats"])
    assert out["trips"].dtype == "Int64" and out["busy"].dtype == "boolean"
    assert out["trips"].tolist() == [5, pd.NA, 7, pd.NA, 9]
    assert out["busy"].tolist() == [True, pd.NA, False, pd.NA, False]
    assert [None if pd.isna(v) else v for v in out["note"]] == ["a", None, "c", None, "d"]


def test_bad_batches_name_the_column_and_write_nothing(store, services):
    store.apply([DRIVER, stats_view()])
    good = rows([1, 2], ["2026-01-01", "2026-01-02"], [0.1, 0.2])
    store.ingest("driver_stats", good)
    files = store.offline.files("driver_stats")
    cases = [
        (good.drop(columns=["trips"]), "no column 'trips'"),
        (good.assign(rate=["fast", 0.3]), "column 'rate' 1 of 2 rows are not float64"),
        (good.assign(trips=[1.5, 2]), "column 'trips' 1 of 2 rows are not int64"),
        (good.assign(driver_id=[1, None]), "'driver_id' is the join key and is null in 1 rows"),
        (good.assign(event_timestamp=[None, "2026-01-01"]), "event timestamp and is null in 1"),
    ]
    for frame, message in cases:
        with pytest.raises(InvalidInput, match=message):
            store.ingest("driver_stats", frame)
    assert store.offline.files("driver_stats") == files
    assert store.view("driver_stats")["freshness"]["batches"] == 1


def test_definitions_are_checked_before_anything_is_stored(store):
    with pytest.raises(NotFound, match="no entity 'rider'"):
        store.apply([stats_view(entities=["rider"])])
    with pytest.raises(InvalidInput, match="has no feature 'speed'"):
        store.apply([DRIVER, stats_view(), FeatureService("svc", ["driver_stats:speed"])])
    with pytest.raises(InvalidInput, match="name"):
        store.apply([Entity("drop table", join_keys=["id"])])
    with pytest.raises(InvalidInput, match="type"):
        store.apply([DRIVER, stats_view(schema=[Field("rate", "decimal")])])
    assert store.views() == [] and store.entities() == []


def test_a_changed_definition_is_a_new_version_and_old_ones_stay_readable(store):
    assert [a["changed"] for a in store.apply([DRIVER, stats_view()])] == [True, True]
    assert [a["changed"] for a in store.apply([DRIVER, stats_view()])] == [False, False]
    store.ingest("driver_stats", rows([1], ["2026-01-01"], [0.1]))
    widened = stats_view(
        schema=[Field("rate", Float64), Field("trips", Int64), Field("tip", Float64)]
    )
    store.apply([widened])
    # The new version has stats of its own at once; its new field is in no file yet.
    assert store.views()[0]["rows"] == 1
    assert store.view("driver_stats")["stats"]["features"]["tip"]["nulls"] == 1
    assert np.isnan(lookup(store, [1], ["2026-01-02"], ["driver_stats:tip"])["tip"][0])
    widened = stats_view(
        schema=[Field("rate", Float64), Field("trips", Int64), Field("tip", Float64)]
    )
    assert store.apply([widened])[0] == {
        "kind": "view",
        "name": "driver_stats",
        "version": 2,
        "changed": False,
    }
    store.ingest("driver_stats", rows([2], ["2026-01-01"], [0.2]).assign(tip=[1.5]))
    detail = store.view("driver_stats")
    assert detail["version"] == 2 and [v["version"] for v in detail["versions"]] == [2, 1]
    assert [f["name"] for f in store.view("driver_stats", version=1)["schema"]] == ["rate", "trips"]
    out = lookup(store, [1, 2], ["2026-01-02", "2026-01-02"], ["driver_stats:tip"])
    assert np.isnan(out["tip"].tolist()[0]) and out["tip"].tolist()[1] == 1.5  # older file: NULL


def test_stats_are_kept_with_the_version(store):
    store.apply([DRIVER, stats_view()])
    frame = rows([1, 2, 3, 4], ["2026-01-01"] * 4, [0.0, 1.0, None, 3.0], [1, 1, 2, 2])
    store.ingest("driver_stats", frame)
    stats = store.view("driver_stats")["stats"]
    rate = stats["features"]["rate"]
    assert stats["rows"] == 4 and stats["last_event"] == "2026-01-01T00:00:00"
    assert (rate["count"], rate["nulls"], rate["min"], rate["max"]) == (3, 1, 0.0, 3.0)
    assert rate["mean"] == pytest.approx(4 / 3)
    assert sum(rate["histogram"]["counts"]) == 3 and len(rate["histogram"]["edges"]) == 21
    assert stats["features"]["trips"]["distinct"] == 2
    assert "figure" not in rate  # the numbers alone unless the page asks for figures


def test_a_histogram_figure_draws_the_server_s_bins(store):
    store.apply([DRIVER, stats_view()])
    frame = rows([1, 2, 3, 4], ["2026-01-01"] * 4, [0.0, 1.0, None, 3.0], [2, 2, 2, 2])
    store.ingest("driver_stats", frame)
    features = store.view("driver_stats", figures=True)["stats"]["features"]
    rate = features["rate"]
    histogram, figure = rate["histogram"], rate["figure"]
    assert figure == charts.histogram_figure("rate", histogram)  # the one builder
    (bar,) = figure["data"]
    edges = histogram["edges"]
    assert bar["type"] == "bar" and bar["y"] == histogram["counts"]
    # One bar per bin, centred on it and as wide as it.
    bins = list(zip(edges, edges[1:], strict=False))
    assert bar["x"] == pytest.approx([(a + b) / 2 for a, b in bins])
    assert bar["width"] == pytest.approx([b - a for a, b in bins])
    assert bar["text"][0] == f"[{edges[0]:.4g}, {edges[1]:.4g}]"
    assert bar["hovertemplate"] == "%{text}<br>rows: %{y}<extra></extra>"
    layout = figure["layout"]
    assert layout["height"] == charts.HEIGHT and layout["showlegend"] is False
    assert layout["xaxis"]["title"]["text"] == "rate" and "layout" not in layout["template"]
    # A single value is one bin of no width: Plotly picks the width.
    (single,) = features["trips"]["figure"]["data"]
    assert single["y"] == [4] and "width" not in single
    assert charts.histogram_figure("x", None) is None
    assert charts.with_figures(None) is None


def test_a_dataframe_source_is_ingested_when_its_view_is_applied_new_or_changed(store):
    frame = rows([1], ["2026-01-01"], [0.1])
    store.apply([DRIVER, stats_view(source=frame)])
    store.apply([DRIVER, stats_view(source=frame)])  # unchanged: not ingested again
    assert store.view("driver_stats")["freshness"]["rows"] == 1


def test_online_values_keep_their_types(store):
    flags = FeatureView(
        "driver_flags", entities=[DRIVER], schema=[Field("active", Bool), Field("city", String)]
    )
    store.apply([DRIVER, flags])
    store.ingest(
        "driver_flags",
        pd.DataFrame(
            {
                "driver_id": [1, 2],
                "event_timestamp": ts("2026-01-01", "2026-01-01"),
                "active": [True, False],
                "city": ["Porto", None],
            }
        ),
    )
    store.materialize("2026-01-01", "2026-01-02")
    assert store.get_online_features([{"driver_id": 1}, {"driver_id": 2}], ["driver_flags"]) == {
        "driver_id": [1, 2],
        "active": [True, False],
        "city": ["Porto", None],
    }


def test_materialize_then_look_up_online(store):
    store.apply([DRIVER, stats_view(), FeatureService("svc", ["driver_stats:rate"])])
    store.ingest(
        "driver_stats",
        rows([1, 1, 2], ["2026-01-01", "2026-01-03", "2026-01-02"], [0.1, 0.3, 0.2]),
    )
    assert store.materialize("2026-01-01", "2026-01-02") == [
        {"view": "driver_stats", "version": 1, "rows": 2}
    ]
    assert store.get_online_features([{"driver_id": 1}, {"driver_id": 7}], "svc") == {
        "driver_id": [1, 7],
        "rate": [0.1, None],
    }
    store.materialize("2026-01-01", "2026-01-31")
    store.materialize("2026-01-01", "2026-01-01")  # an older range never overwrites newer
    online = store.get_online_features(
        [{"driver_id": 1}], ["driver_stats:rate", "driver_stats:trips"]
    )
    assert online == {"driver_id": [1], "rate": [0.3], "trips": [1]}
    with pytest.raises(InvalidInput, match="driver_id"):
        store.get_online_features([{"rider": 1}], "svc")


def test_training_set_lineage_is_logged_on_the_active_run(store, services):
    store.apply([DRIVER, stats_view()])
    store.ingest("driver_stats", rows([1], ["2026-01-01"], [0.1]))
    client = services.tracking.client
    mlflow.set_tracking_uri(services.config.tracking_uri)
    with mlflow.start_run() as run:
        lookup(store, [1], ["2026-01-02"])
    logged = client.get_run(run.info.run_id)
    assert logged.data.tags[tracking_lineage.FEATURES] == "driver_stats@1"
    logged = [a.path for a in client.list_artifacts(run.info.run_id, "features")]
    assert tracking_lineage.TRAINING_SET in logged and tracking_lineage.SAMPLE in logged
    assert [r["run_id"] for r in store.usage("driver_stats")["runs"]] == [run.info.run_id]
    mlflow.set_tracking_uri(None)


def test_reading_sources_stays_inside_the_root(store, tmp_path):
    store.apply([DRIVER, stats_view(source="data/stats.parquet")])
    with pytest.raises(InvalidInput, match="no file"):
        store.ingest("driver_stats")
    with pytest.raises(InvalidInput, match="outside the server root"):
        store.ingest("driver_stats", "../elsewhere.parquet")
    (tmp_path / "data").mkdir()
    rows([1], ["2026-01-01"], [0.1]).to_parquet(tmp_path / "data" / "stats.parquet")
    assert store.ingest("driver_stats")["rows"] == 1


def test_entity_frame_errors_name_what_is_missing(store):
    store.apply([DRIVER, stats_view()])
    with pytest.raises(InvalidInput, match="no 'event_timestamp' column"):
        store.get_historical_features(pd.DataFrame({"driver_id": [1]}), ["driver_stats:rate"])
    with pytest.raises(InvalidInput, match="no 'driver_id' column"):
        store.get_historical_features(
            pd.DataFrame({"event_timestamp": ts("2026-01-01")}), ["driver_stats:rate"]
        )
    with pytest.raises(NotFound, match="no feature view 'nope'"):
        lookup(store, [1], ["2026-01-01"], ["nope:rate"])
