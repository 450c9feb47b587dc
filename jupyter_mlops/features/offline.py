"""The offline store: each view's rows as parquet files under the home, partitioned by
the date of their event time, written and read by duckdb.

A batch is validated in full before a byte is written, then written to a staging
folder and moved into place only inside the state-DB transaction that records it
(service.py), so a bad batch, or one whose statistics fail, leaves the store as it
was. Every row
carries `__seq` (batch number << 32 | row in batch): among rows of one key and event
time, the later-ingested wins when no created timestamp tells them apart.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..errors import Conflict, InvalidInput
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
        return scan_of(self.files(view, since, until))

    @staticmethod
    def columns(con: duckdb.DuckDBPyConnection, scan: str) -> set[str]:
        """The columns the files hold: a field added by a later version may be in none."""
        return set(con.sql(f"SELECT * FROM {scan} LIMIT 0").columns)

    def stage(
        self, con: duckdb.DuckDBPyConnection, view: dict, rows: pd.DataFrame, batch: int
    ) -> Staged:
        """Write a validated batch beside the view's files, where no reader looks (a
        dot-folder): `publish()` moves it in, `discard()` removes what was not."""
        ts = view["timestamp_field"]
        rows = rows.assign(**{SEQ: (np.int64(batch) << 32) + np.arange(len(rows), dtype="int64")})
        staging = self.view_dir(view["name"]) / f".staging-{uuid.uuid4().hex}"
        staging.parent.mkdir(parents=True, exist_ok=True)
        staged = Staged(
            self.view_dir(view["name"]),
            staging,
            {
                "rows": len(rows),
                "min_event": _epoch(rows[ts].min()),
                "max_event": _epoch(rows[ts].max()),
            },
        )
        con.register("__batch", rows)
        try:
            # A name of its own per batch: two ingests that drew the same number must not
            # replace each other's file.
            con.execute(
                f"COPY (SELECT *, strftime({ident(ts)}, '%Y-%m-%d') AS {PARTITION} FROM __batch)"
                f" TO {sql_string(str(staging))} (FORMAT parquet, PARTITION_BY ({PARTITION}),"
                f" FILENAME_PATTERN 'b{batch}_{staging.name[9:17]}_{{i}}')"
            )
        except BaseException:
            staged.discard()
            raise
        finally:
            con.unregister("__batch")
        return staged


@dataclass
class Staged:
    """A batch written but not yet in the store."""

    view_dir: Path
    folder: Path
    written: dict  # rows, min_event, max_event
    moved: list[Path] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return sorted(self.folder.glob(f"{PARTITION}=*/*.parquet"))

    def publish(self) -> None:
        for file in self.files:
            target = self.view_dir / file.parent.name / file.name
            target.parent.mkdir(exist_ok=True)
            file.rename(target)
            self.moved.append(target)

    def withdraw(self) -> None:
        """Take published files out again (the transaction recording them failed)."""
        for file in self.moved:
            file.unlink(missing_ok=True)
        self.moved.clear()

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def scan_of(files: Sequence[Path]) -> str | None:
    """A FROM clause over these parquet files; None when there are none."""
    if not files:
        return None
    listing = ", ".join(sql_string(str(f)) for f in files)
    # Columns added by a later version read as NULL in files written before it.
    return f"read_parquet([{listing}], union_by_name=true, hive_partitioning=false)"


def unreadable(view: str, files: Sequence[Path], root: Path, error: Exception) -> Conflict:
    """The error for a read of the view's files that failed: it names the first file
    whose parquet footer cannot be read (truncated, overwritten), relative to the view."""
    import pyarrow.parquet as pq

    for file in files:
        try:
            pq.read_metadata(file)
        except (OSError, ValueError) as err:
            name = file.relative_to(root) if file.is_relative_to(root) else file.name
            reason = type(err).__name__ if isinstance(err, OSError) else "not a parquet file"
            return Conflict(
                f"feature view {view!r}: cannot read {name} in its offline store ({reason});"
                " restore the file or remove it and ingest its rows again",
                field="view",
            )
    return Conflict(
        f"feature view {view!r}: its offline files cannot be read"
        f" ({type(error).__name__}); restore them or ingest the rows again",
        field="view",
    )


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


def latest_rows(view: dict, scan: str, low: pd.Timestamp, high: pd.Timestamp) -> str:
    """Each key's latest row with event time in [low, high] (what materialize loads)."""
    keys = ", ".join(ident(k) for k in view["join_keys"])
    ts = ident(view["timestamp_field"])
    created = view.get("created_timestamp_column")
    order = (
        f"{ts} DESC" + (f", {ident(created)} DESC NULLS LAST" if created else "") + f", {SEQ} DESC"
    )
    features = ", ".join(ident(f["name"]) for f in view["schema"])
    return (
        f"SELECT {keys}, {features}, {ts} AS __ets FROM {scan}"
        f" WHERE {ts} BETWEEN '{low.isoformat()}'::TIMESTAMP AND '{high.isoformat()}'::TIMESTAMP"
        f" QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1"
    )


def timestamp(value: Any, field: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InvalidInput(f"{field} {value!r} is not a date or time", field=field) from None
    if stamp is pd.NaT:
        raise InvalidInput(f"{field} is required", field=field)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
