"""Point-in-time correct training sets: one duckdb query of ASOF joins over the views'
parquet files.

For each entity row and view: the view's row of the same key with the latest event
time at or before the entity row's, and within the view's TTL (else NULLs); never a
row from the future. Rows of one key and event time are told apart by created
timestamp, then by ingestion order; that ordering costs a wider join key, so it is
used only for views that hold such ties. Entity rows without history keep their place
with NULL features: the result has the entity frame's rows, in its order.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from ..errors import InvalidInput
from .definitions import UnixTimestamp
from .offline import SEQ, OfflineStore, convert, ident

ROW, TS = "__row", "__ts"
DUCKDB_TYPES = {
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float32": "FLOAT",
    "float64": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class ViewRequest:
    view: dict  # the resolved view: its spec, join_keys, key_dtypes, version, duplicates
    features: list[str]


def get_historical_features(
    con: duckdb.DuckDBPyConnection,
    offline: OfflineStore,
    entity_df: pd.DataFrame,
    requests: list[ViewRequest],
    *,
    timestamp_field: str = "event_timestamp",
    full_feature_names: bool = False,
) -> pd.DataFrame:
    entities = _entities(entity_df, requests, timestamp_field)
    names = _output_names(requests, full_feature_names, entity_df.columns)
    if len(entities) == 0:
        return entity_df.assign(**{name: [] for name, _ in names.values()})
    low, high = entities[TS].min(), entities[TS].max()
    con.register("__entities", entities)
    try:
        joins, columns = [], [f"e.{ROW}"]
        for index, request in enumerate(requests):
            alias = f"v{index}"
            source = _view_source(con, offline, request, low, high)
            view = request.view
            if source is None:  # nothing ingested: every value is NULL
                columns += [
                    f"NULL::{DUCKDB_TYPES[_dtype(view, f)]} AS {ident(names[(view['name'], f)][0])}"
                    for f in request.features
                ]
                continue
            keys = " AND ".join(f"e.{ident(k)} = {alias}.{ident(k)}" for k in view["join_keys"])
            joins.append(f"ASOF LEFT JOIN {source} {alias} ON {keys} AND {_after(view, alias)}")
            ttl = view.get("ttl_seconds")
            for feature in request.features:
                value = f"{alias}.{ident(feature)}"
                if ttl is not None:
                    value = (
                        f"CASE WHEN {alias}.__ets >= e.{TS} - to_microseconds("
                        f"{int(ttl * 1_000_000)}) THEN {value} END"
                    )
                columns.append(f"{value} AS {ident(names[(view['name'], feature)][0])}")
        query = f"SELECT {', '.join(columns)} FROM __entities e {' '.join(joins)}"
        found = con.sql(query).df()
    finally:
        con.unregister("__entities")
    # The join returns rows in its own order: each value goes back to its entity row's
    # place, one scatter per column (a DataFrame take would copy every column twice).
    rows = found[ROW].to_numpy()
    columns = {}
    for name, _ in sorted(names.values(), key=lambda n: n[1]):
        values = found[name].to_numpy()
        columns[name] = np.empty_like(values)
        columns[name][rows] = values
    return entity_df.assign(**columns)


def _view_source(con, offline: OfflineStore, request: ViewRequest, low, high) -> str | None:
    view = request.view
    ttl = view.get("ttl_seconds")
    earliest = None if ttl is None else low - pd.Timedelta(seconds=ttl)
    scan = offline.scan(view["name"], since=earliest, until=high)
    if scan is None:
        return None
    ts = ident(view["timestamp_field"])
    keys = ", ".join(ident(k) for k in view["join_keys"])
    present = offline.columns(con, scan)
    features = ", ".join(
        ident(f) if f in present else f"NULL::{DUCKDB_TYPES[_dtype(view, f)]} AS {ident(f)}"
        for f in request.features
    )
    order = ""
    if view["duplicates"]:
        created = view.get("created_timestamp_column")
        tiebreak = f"coalesce({ident(created)}, '-infinity'::TIMESTAMP)" if created else "NULL"
        order = f", {{'t': {ts}, 'c': {tiebreak}, 's': {SEQ}}} AS __ord"
    # Files of dates outside the entity rows' range (less the TTL) are skipped; a row
    # filter on the event time would cost more than the rows it saves the join.
    return f"(SELECT {keys}, {ts} AS __ets{order}, {features} FROM {scan})"


def _after(view: dict, alias: str) -> str:
    """The ASOF inequality: the view's row is at or before the entity row."""
    if not view["duplicates"]:
        return f"e.{TS} >= {alias}.__ets"
    created = "'infinity'::TIMESTAMP" if view.get("created_timestamp_column") else "NULL"
    return f"{{'t': e.{TS}, 'c': {created}, 's': 9223372036854775807}} >= {alias}.__ord"


def _entities(entity_df: pd.DataFrame, requests: list[ViewRequest], ts: str) -> pd.DataFrame:
    """The entity frame's join keys and timestamp, typed for the join, with row numbers."""
    if ts not in entity_df.columns:
        raise InvalidInput(
            f"the entity frame has no {ts!r} column: give each row the time to look up"
            " features at (or name the column with timestamp_field=)",
            field="entity_df",
        )
    columns = {}
    for request in requests:
        for key, dtype in request.view["key_dtypes"].items():
            if key in columns:
                continue
            if key not in entity_df.columns:
                raise InvalidInput(
                    f"the entity frame has no {key!r} column, the join key of feature view"
                    f" {request.view['name']!r}",
                    field="entity_df",
                )
            columns[key] = _typed(entity_df[key], dtype, key)
    stamps = _typed(entity_df[ts], UnixTimestamp, ts)
    if stamps.isna().any():
        raise InvalidInput(
            f"the entity frame's {ts!r} is null in {int(stamps.isna().sum())} rows",
            field="entity_df",
        )
    frame = pd.DataFrame({k: v.to_numpy() for k, v in columns.items()})
    frame[TS] = stamps.to_numpy()
    frame[ROW] = np.arange(len(entity_df), dtype=np.int64)
    return frame


def _typed(series: pd.Series, dtype: str, column: str) -> pd.Series:
    converted, bad = convert(series, dtype)
    if bad:
        raise InvalidInput(
            f"the entity frame's {column!r} has {bad} rows that are not {dtype}",
            field="entity_df",
        )
    return converted


def _output_names(
    requests: list[ViewRequest], full: bool, existing
) -> dict[tuple[str, str], tuple[str, int]]:
    names: dict[tuple[str, str], tuple[str, int]] = {}
    seen: dict[str, str] = {}
    for request in requests:
        view = request.view["name"]
        for feature in request.features:
            name = f"{view}__{feature}" if full else feature
            if name in seen or name in existing:
                raise InvalidInput(
                    f"two columns would be named {name!r} ({seen.get(name, 'the entity frame')}"
                    f" and {view}); pass full_feature_names=True",
                    field="features",
                )
            seen[name] = view
            names[(view, feature)] = (name, len(names))
    return names


def _dtype(view: dict, feature: str) -> str:
    return next(f["dtype"] for f in view["schema"] if f["name"] == feature)
