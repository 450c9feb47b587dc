"""Point-in-time correct training sets, looked up in each view's join index.

For each entity row and view: the view's row of the same key with the latest event
time at or before the entity row's, and within the view's TTL (else nulls); never a
row from the future. Rows of one key and event time are told apart by created
timestamp, then by ingestion order (the index's sort order, see join_index.py).
Entity rows without history keep their place with null features: the result has
the entity frame's rows, index and order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InvalidInput
from .definitions import UnixTimestamp
from .join_index import JoinIndex
from .offline import convert

# The pandas dtype of a feature with no value at all (a view nothing was ingested into).
EMPTY_DTYPES = {
    "int32": "Int32",
    "int64": "Int64",
    "float32": "float32",
    "float64": "float64",
    "string": "str",
    "bool": "boolean",
    "timestamp": "datetime64[us]",
}


@dataclass(frozen=True)
class ViewRequest:
    view: dict  # the resolved view: its spec, join_keys, key_dtypes, version
    features: list[str]


def get_historical_features(
    entity_df: pd.DataFrame,
    requests: list[ViewRequest],
    indexes: dict[str, JoinIndex | None],
    *,
    timestamp_field: str = "event_timestamp",
    full_feature_names: bool = False,
) -> pd.DataFrame:
    """`indexes`: each requested view's join index, None for a view with no rows."""
    keys, stamps = _entities(entity_df, requests, timestamp_field)
    names = _output_names(requests, full_feature_names, entity_df.columns)
    columns = {}
    for request in requests:
        view, index = request.view, indexes[request.view["name"]]
        if index is None or len(entity_df) == 0:
            for feature in request.features:
                nulls = pd.array([None] * len(entity_df), EMPTY_DTYPES[_dtype(view, feature)])
                columns[names[view["name"], feature]] = nulls
            continue
        join_keys = view["join_keys"]
        if len(join_keys) == 1:
            lookup = pd.Index(keys[join_keys[0]])
        else:
            lookup = pd.MultiIndex.from_arrays([keys[k] for k in join_keys])
        positions = index.positions(lookup, stamps)
        ttl = view.get("ttl_seconds")
        if ttl is not None:
            found = positions >= 0
            fresh = index.event_times(positions[found]) >= stamps[found] - int(ttl * 1_000_000)
            positions[np.flatnonzero(found)[~fresh]] = -1
        for feature in request.features:
            columns[names[view["name"], feature]] = index.take(feature, positions)
    return entity_df.assign(**columns)


def _entities(
    entity_df: pd.DataFrame, requests: list[ViewRequest], ts: str
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The entity frame's join keys, typed as the views' keys, and its timestamps in
    microseconds."""
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
    keys = {k: _plain(v) for k, v in columns.items()}
    return keys, stamps.to_numpy().astype("datetime64[us]").view(np.int64)


def _plain(series: pd.Series) -> np.ndarray:
    # Keys have no nulls (checked): plain numpy values hash and compare fastest.
    if series.dtype.kind in "iu" or isinstance(series.dtype, pd.Int64Dtype | pd.Int32Dtype):
        return series.to_numpy(dtype=np.int64)
    return series.to_numpy(dtype=object) if series.dtype.kind != "b" else series.to_numpy(bool)


def _typed(series: pd.Series, dtype: str, column: str) -> pd.Series:
    converted, bad = convert(series, dtype)
    if bad:
        raise InvalidInput(
            f"the entity frame's {column!r} has {bad} rows that are not {dtype}",
            field="entity_df",
        )
    return converted


def _output_names(requests: list[ViewRequest], full: bool, existing) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
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
            names[(view, feature)] = name
    return names


def _dtype(view: dict, feature: str) -> str:
    return next(f["dtype"] for f in view["schema"] if f["name"] == feature)
