"""Feature writes are all-or-nothing, and joins never answer from files that changed.

Real faults on real files: an offline file another process truncated, a value the
statistics cannot bin, a file replaced behind the join index's back.
"""

import os
from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import Conflict
from jupyter_mlops.features import Entity, FeatureView, Field, Float64, Int64
from jupyter_mlops.services import Services

DRIVER = Entity("driver", join_keys=["driver_id"])
VIEW = FeatureView(
    "driver_stats",
    entities=[DRIVER],
    schema=[Field("rate", Float64), Field("trips", Int64)],
    ttl=timedelta(days=90),
)


@pytest.fixture
def services(tmp_path):
    services = Services(resolve(root_dir=tmp_path, environ={}))
    yield services
    services.close()


@pytest.fixture
def store(services):
    services.features.apply([DRIVER, VIEW])
    return services.features


def batch(drivers, day, rate):
    return pd.DataFrame(
        {
            "driver_id": drivers,
            "event_timestamp": pd.to_datetime([day] * len(drivers)),
            "rate": rate,
            "trips": 1,
        }
    )


def rates(store, drivers, day="2026-02-01"):
    entity_df = pd.DataFrame(
        {"driver_id": drivers, "event_timestamp": pd.to_datetime([day] * len(drivers))}
    )
    return list(store.get_historical_features(entity_df, ["driver_stats:rate"])["rate"])


def visible(store):
    """Everything a reader can see of the view: files, batches, rows, stats."""
    page = store.view("driver_stats")
    return {
        "files": store.offline.files("driver_stats"),
        "batches": page["freshness"]["batches"],
        "rows": page["freshness"]["rows"],
        "stats": page["stats"],
        "versions": [v["version"] for v in page["versions"]],
        "leftovers": sorted(p.name for p in store.offline.view_dir("driver_stats").glob(".*")),
    }


def test_an_ingest_whose_statistics_fail_leaves_nothing_and_a_retry_lands_once(store):
    store.ingest("driver_stats", batch([1, 2], "2026-01-01", [0.1, 0.2]))
    before = visible(store)
    # Another writer (or a full disk) left an older batch's file truncated: the statistics
    # over all of the view's rows cannot be computed, so the new batch must not land.
    (damaged,) = before["files"]
    intact = damaged.read_bytes()
    damaged.write_bytes(intact[: len(intact) // 2])

    with pytest.raises(Conflict, match=f"cannot read {damaged.parent.name}/{damaged.name}"):
        store.ingest("driver_stats", batch([3], "2026-01-05", [0.3]))
    assert visible(store) == before

    damaged.write_bytes(intact)
    store.ingest("driver_stats", batch([3], "2026-01-05", [0.3]))
    after = visible(store)
    assert after["batches"] == 2 and after["rows"] == 3 and after["stats"]["rows"] == 3
    assert len(after["files"]) == 2 and after["leftovers"] == []
    assert rates(store, [1, 2, 3]) == [0.1, 0.2, 0.3]
    assert store.sample("driver_stats", limit=10)["rows"].__len__() == 3


def test_infinite_values_are_ingested_and_left_out_of_the_histogram(store):
    # Binning min..max with max = inf failed (NaN cast to a bin number) after the batch
    # was already committed.
    store.ingest("driver_stats", batch([1, 2, 3], "2026-01-01", [0.5, 1.5, float("inf")]))
    stats = store.view("driver_stats")["stats"]["features"]["rate"]
    assert stats["count"] == 3 and stats["max"] is None
    assert sum(stats["histogram"]["counts"]) == 2
    assert stats["histogram"]["edges"][0] == 0.5 and stats["histogram"]["edges"][-1] == 1.5


def test_a_join_never_answers_from_an_index_older_than_its_files(store, services):
    store.ingest("driver_stats", batch([1, 2], "2026-01-01", [0.1, 0.2]))
    assert rates(store, [1, 2]) == [0.1, 0.2]  # builds and caches the join index
    (path,) = store.offline.files("driver_stats")

    # The file replaced by one with other values (a restore, a hand fix): same batches.
    table = pq.read_table(path)
    changed = table.set_column(table.schema.get_field_index("rate"), "rate", pa.array([0.7, 0.8]))
    staged = path.with_name(".replacement")
    pq.write_table(changed, staged)
    os.replace(staged, path)
    assert rates(store, [1, 2]) == [0.7, 0.8]  # this process's cached index
    other = Services(resolve(root_dir=services.config.root_dir, environ={}))
    try:
        assert rates(other.features, [1, 2]) == [0.7, 0.8]  # the index cached on disk

        # The file corrupted in place: a clear error naming it, never the last answer.
        data = path.read_bytes()
        path.write_bytes(data[:-200] + b"\0" * 200)
        for reader in (store, other.features):
            with pytest.raises(Conflict, match=f"cannot read {path.parent.name}/{path.name}"):
                rates(reader, [1, 2])
    finally:
        other.close()
