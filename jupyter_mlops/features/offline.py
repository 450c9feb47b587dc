"""The offline store: each view's rows as parquet files under the home, partitioned by
the date of their event time, written and read by duckdb.

A batch is validated in full before a byte is written, then written to a staging
folder and moved into place, so a bad batch leaves the store as it was. Every row
carries `__seq` (batch number << 32 | row in batch): among rows of one key and event
time, the later-ingested wins when no created timestamp tells them apart.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..errors import InvalidInput
from .definitions import Bool, Float32, Float64, Int32, Int64, String, UnixTimestamp

SEQ = "__seq"
PARTITION = "date"


def sql_string(value: str) -> str:
    """A SQL string literal (for the paths duckdb's table functions take)."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class OfflineStore:
    def __init__(self, root: Path):
        self.root = root

    def view_dir(self, view: str) -> Path:
        return self.root / view

    def files(self, view: str, since=None, until=None) -> list[Path]:
        """The view's files, only those of dates that can hold events in [since, until]."""
        low = "" if since is None else f"{PARTITION}={pd.Timestamp(since):%Y-%m-%d}"
        high = "~" if until is None else f"{PARTITION}={pd.Timestamp(until):%Y-%m-%d}"
        return sorted(
            f
            for f in self.view_dir(view).glob(f"{PARTITION}=*/*.parquet")
            if low <= f.parent.name <= high
        )

    def scan(self, view: str, since=None, until=None) -> str | None:
        """A FROM clause over the view's files; None when there are none."""
        files = self.files(view, since, until)
        if not files:
            return None
        listing = ", ".join(sql_string(str(f)) for f in files)
        # Columns added by a later version read as NULL in files written before it.
        return f"read_parquet([{listing}], union_by_name=true, hive_partitioning=false)"

    @staticmethod
    def columns(con: duckdb.DuckDBPyConnection, scan: str) -> set[str]:
        """The columns the files hold: a field added by a later version may be in none."""
        return set(con.sql(f"SELECT * FROM {scan} LIMIT 0").columns)

    def write(
        self, con: duckdb.DuckDBPyConnection, view: dict, rows: pd.DataFrame, batch: int
    ) -> dict:
        """Write a validated batch; return its row count and event-time range."""
        ts = view["timestamp_field"]
        rows = rows.assign(**{SEQ: (np.int64(batch) << 32) + np.arange(len(rows), dtype="int64")})
        staging = self.view_dir(view["name"]) / f".staging-{uuid.uuid4().hex}"
        staging.parent.mkdir(parents=True, exist_ok=True)
        con.register("__batch", rows)
        try:
            con.execute(
                f"COPY (SELECT *, strftime({ident(ts)}, '%Y-%m-%d') AS {PARTITION} FROM __batch)"
                f" TO {sql_string(str(staging))} (FORMAT parquet, PARTITION_BY ({PARTITION}),"
                f" FILENAME_PATTERN 'b{batch}_{{i}}')"
            )
            for part in sorted(staging.iterdir()):
                target = self.view_dir(view["name"]) / part.name
                target.mkdir(exist_ok=True)
                for file in part.iterdir():
                    file.rename(target / file.name)
        finally:
            con.unregister("__batch")
            shutil.rmtree(staging, ignore_errors=True)
        return {
            "rows": len(rows),
            "min_event": _epoch(rows[ts].min()),
            "max_event": _epoch(rows[ts].max()),
        }


def validate(frame: pd.DataFrame, view: dict) -> pd.DataFrame:
    """The batch with exactly the view's columns, typed as its schema says; or an error
    that names each wrong column and how many rows are wrong."""
    keys, ts = view["join_keys"], view["timestamp_field"]
    created = view.get("created_timestamp_column")
    wanted = dict(view["key_dtypes"])
    wanted[ts] = UnixTimestamp
    if created:
        wanted[created] = UnixTimestamp
    wanted.update({f["name"]: f["dtype"] for f in view["schema"]})
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"feature view {view['name']!r}: the data has no column "
            + ", ".join(repr(c) for c in missing),
            field=f"columns.{missing[0]}",
        )
    problems, columns = [], {}
    for column, dtype in wanted.items():
        series = frame[column]
        converted, bad = convert(series, dtype)
        if bad:
            problems.append((column, f"{bad} of {len(series)} rows are not {dtype}"))
            continue
        if column in (*keys, ts) and converted.isna().any():
            nulls = int(converted.isna().sum())
            role = "join key" if column in keys else "event timestamp"
            problems.append((column, f"is the {role} and is null in {nulls} rows"))
            continue
        columns[column] = converted
    if problems:
        raise InvalidInput(
            f"feature view {view['name']!r}: "
            + "; ".join(f"column {c!r} {why}" for c, why in problems),
            field=f"columns.{problems[0][0]}",
        )
    return pd.DataFrame(columns)


def convert(series: pd.Series, dtype: str) -> tuple[pd.Series, int]:
    """The column as `dtype`, and how many non-null values could not be converted."""
    present = series.notna()
    if dtype == UnixTimestamp:
        if ptypes.is_datetime64_any_dtype(series):
            converted = series
        elif ptypes.is_numeric_dtype(series) or ptypes.is_bool_dtype(series):
            return series, int(present.sum())
        else:
            converted = pd.to_datetime(series, errors="coerce", utc=True, format="mixed")
        if getattr(converted.dt, "tz", None) is not None:  # stored as naive UTC
            converted = converted.dt.tz_convert("UTC").dt.tz_localize(None)
        return converted.astype("datetime64[us]"), int((converted.isna() & present).sum())
    if dtype in (Int32, Int64, Float32, Float64):
        if ptypes.is_bool_dtype(series):
            return series, int(present.sum())
        numbers = (
            series if ptypes.is_numeric_dtype(series) else pd.to_numeric(series, errors="coerce")
        )
        bad = numbers.isna() & present
        if dtype in (Int32, Int64):
            bad |= numbers.notna() & (numbers != np.floor(numbers.fillna(0)))
            target = "Int32" if dtype == Int32 else "Int64"  # nullable: a key may be checked
        else:
            target = dtype
        if bad.any():
            return series, int(bad.sum())
        return numbers.astype(target), 0
    if dtype == String:
        if ptypes.is_string_dtype(series) or series.dtype == object:
            bad = present & ~series.map(lambda v: isinstance(v, str))
            return series.astype("string"), int(bad.sum()) if bad.any() else 0
        return series, int(present.sum())
    if dtype == Bool:
        if ptypes.is_bool_dtype(series):
            return series.astype("boolean"), 0
        bad = present & ~series.map(lambda v: isinstance(v, bool | np.bool_))
        if bad.any():
            return series, int(bad.sum())
        return series.astype("boolean"), 0
    raise AssertionError(dtype)


def _epoch(value) -> float | None:
    return None if pd.isna(value) else pd.Timestamp(value).timestamp()
