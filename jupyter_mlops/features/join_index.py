"""A view's join index: all its offline rows in one Arrow file, sorted by join key, event
time, created time and ingestion order, which turns a point-in-time join into a binary
search.

Each row gets a 64-bit position code, `run * span + time`, where `run` numbers the
distinct keys in sorted order and `time` is the event time's offset from the earliest
(or, when keys x time span would not fit 62 bits, the event time's rank among the
view's distinct times). Codes rise with the sort order, so for an entity row the last
index row whose code is at or below the entity's own (same run, its time) is the
latest row of that key at or before that time, and among rows of one key and event
time the one with the latest created time, then the last ingested. That is the ASOF
join, for a million entity rows in one `np.searchsorted` over the codes.

The index is built once per view version, set of ingested batches and state of the
files it reads (its file name says which: see `fingerprint`), by duckdb from the view's
parquet files, and read memory-mapped: the offline store stays the date-partitioned
parquet files, this is a cache beside them.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from .offline import SEQ, ident

CODE, ETS = "__code", "__ets"
# Codes stay below 2**62, so adding an offset inside a run never overflows int64.
MAX_CODE = 1 << 62
INDEX_DIR = "_join_index"


@dataclass(frozen=True)
class JoinIndex:
    table: pa.Table  # CODE, ETS (int64 microseconds) and the view's fields, sorted
    keys: pd.Index  # the distinct join keys, in run order
    origin: int  # microseconds: time 1 in a run is this event time
    span: int  # codes per run
    times: np.ndarray | None  # distinct event times when times are ranks, else None

    def positions(self, keys: pd.Index, stamps: np.ndarray) -> np.ndarray:
        """For each (key, time): the index row of the latest event at or before it, or -1."""
        runs = self.keys.get_indexer(keys)
        if self.times is None:
            offsets = np.clip(stamps - self.origin + 1, 0, self.span - 1)
        else:
            offsets = _sorted_search(self.times, stamps)  # distinct times at or before
        wanted = runs.astype(np.int64) * self.span + offsets
        codes = self.table.column(CODE).to_numpy()
        found = _sorted_search(codes, wanted) - 1
        hit = (runs >= 0) & (found >= 0)
        hit[hit] = codes[found[hit]] // self.span == runs[hit]
        return np.where(hit, found, -1)

    def event_times(self, positions: np.ndarray) -> np.ndarray:
        return self.table.column(ETS).to_numpy()[positions]

    def take(self, field: str, positions: np.ndarray):
        """The field's values at `positions` (a numpy or pandas array); -1 reads as null."""
        column = self.table.column(field)
        if pa.types.is_floating(column.type) and column.null_count == 0:
            values = column.to_numpy()[positions]
            values[positions < 0] = np.nan
            return values
        indices = pa.array(positions, mask=positions < 0)
        return column.take(indices).to_pandas(types_mapper=_NULLABLE.get).array


_NULLABLE = {
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def _sorted_search(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """`searchsorted(side="right")`, the needles searched in order: a binary search from
    where the last one ended stays in the cache, unlike a million searches at random."""
    order = np.argsort(needles, kind="stable")
    found = np.empty(len(needles), dtype=np.int64)
    found[order] = np.searchsorted(haystack, needles[order], side="right")
    return found


def fingerprint(files: list[Path]) -> str:
    """A short name for the files as they are now: each one's name, size, inode and
    modification and change times. A cheap stat each, no read: a file rewritten in
    place, replaced by a rename or removed gets another name, so an index is never
    used over files it was not built from."""
    digest = hashlib.blake2b(digest_size=8)
    for file in files:
        try:
            stat = file.stat()
        except FileNotFoundError:  # removed since it was listed: a name no index has
            digest.update(f"{file.parent.name}/{file.name}:gone\n".encode())
            continue
        digest.update(
            f"{file.parent.name}/{file.name}:{stat.st_size}:{stat.st_ino}:"
            f"{stat.st_mtime_ns}:{stat.st_ctime_ns}\n".encode()
        )
    return digest.hexdigest()


def load(con: duckdb.DuckDBPyConnection, folder: Path, view: dict, scan: str, batches: str):
    """The view's index for this set of batches (`batches` names them), built on first use."""
    path = folder / INDEX_DIR / f"v{view['version']}-{batches}.arrow"
    if not path.exists():
        _build(con, path, view, scan)
    table = feather.read_table(path, memory_map=True)
    meta = table.schema.metadata
    keys = table.schema.metadata[b"keys"].decode()
    key_table = feather.read_table(path.with_suffix(".keys.arrow"), memory_map=True)
    columns = [key_table.column(k).to_numpy(zero_copy_only=False) for k in keys.split(",")]
    times_path = path.with_suffix(".times.npy")
    return JoinIndex(
        table=table,
        keys=pd.MultiIndex.from_arrays(columns) if len(columns) > 1 else pd.Index(columns[0]),
        origin=int(meta[b"origin"]),
        span=int(meta[b"span"]),
        times=np.load(times_path, mmap_mode="r") if times_path.exists() else None,
    )


def _build(con: duckdb.DuckDBPyConnection, path: Path, view: dict, scan: str) -> None:
    keys, ts = view["join_keys"], view["timestamp_field"]
    created = view.get("created_timestamp_column")
    present = set(con.sql(f"SELECT * FROM {scan} LIMIT 0").columns)
    # A field added by a later version reads NULL from files written before it.
    fields = [
        ident(name) if name in present else f"NULL::{_SQL[f['dtype']]} AS {ident(name)}"
        for f in view["schema"]
        for name in [f["name"]]
    ]
    tiebreak = f"coalesce({ident(created)}, '-infinity'::TIMESTAMP), " if created else ""
    order = ", ".join(ident(k) for k in keys)
    table = con.sql(
        f"SELECT {order}, epoch_us({ident(ts)}) AS {ETS}, {', '.join(fields)} FROM {scan}"
        f" ORDER BY {order}, {ident(ts)}, {tiebreak}{SEQ}"
    ).to_arrow_table()
    stamps = table.column(ETS).to_numpy()
    changed = np.zeros(len(table), dtype=bool)
    changed[0] = True
    for key in keys:
        column = table.column(key).to_numpy(zero_copy_only=False)
        changed[1:] |= column[1:] != column[:-1]
    runs = np.cumsum(changed) - 1
    distinct = int(runs[-1]) + 1
    origin = int(stamps.min())
    span = int(stamps.max()) - origin + 2
    times = None
    if distinct * span >= MAX_CODE:
        times = np.unique(stamps)
        offsets = np.searchsorted(times, stamps) + 1
        span = len(times) + 1
    else:
        offsets = stamps - origin + 1
    codes = runs * span + offsets
    index = table.drop_columns(keys).append_column(CODE, pa.array(codes))
    index = index.replace_schema_metadata(
        {"keys": ",".join(keys), "origin": str(origin), "span": str(span)}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path.with_suffix(".keys.arrow"), table=table.select(keys).filter(pa.array(changed)))
    if times is not None:
        _write(path.with_suffix(".times.npy"), times=times)
    # The index itself last: its presence says the rest is complete.
    _write(path, table=index)
    for stale in path.parent.iterdir():
        if not stale.name.startswith((f"{path.stem}.", ".")):
            stale.unlink(missing_ok=True)  # a reader that mapped it keeps its pages


def _write(path: Path, *, table: pa.Table | None = None, times: np.ndarray | None = None):
    # Staged under a name of its own, so two processes building at once do not collide.
    staged = path.with_name(f".{uuid.uuid4().hex}.tmp")
    if table is not None:
        # One chunk, uncompressed: read back as zero-copy numpy arrays over the mapped file.
        feather.write_feather(
            table.combine_chunks(), staged, compression="uncompressed", chunksize=max(len(table), 1)
        )
    else:
        with open(staged, "wb") as file:
            np.save(file, times)
    os.replace(staged, path)


_SQL = {
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float32": "FLOAT",
    "float64": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
}
