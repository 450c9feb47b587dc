"""The online store: each view's latest values by key, in one SQLite file under the home.

A key lookup is a primary-key read of a WITHOUT ROWID table: microseconds, in any
process, with no server. A view's table is rebuilt when its version changes (its
columns may have), so values always have the shape of the version that wrote them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pandas as pd

from .offline import ident

META = "online_views"
SQLITE_TYPES = {
    "int32": "INTEGER",
    "int64": "INTEGER",
    "float32": "REAL",
    "float64": "REAL",
    "string": "TEXT",
    "bool": "INTEGER",
    "timestamp": "TEXT",
}


class OnlineStore:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {META} (view TEXT PRIMARY KEY, version INTEGER,"
                " columns TEXT)"
            )
            self._local.db = db
        return db

    def write(self, view: dict, rows: pd.DataFrame) -> int:
        """Upsert each key's values unless the store holds a later event for it."""
        db, table = self._db(), _table(view["name"])
        keys = view["join_keys"]
        features = [f["name"] for f in view["schema"]]
        columns = [*keys, *features, "__ets"]
        db.execute("BEGIN IMMEDIATE")
        try:
            held = db.execute(
                f"SELECT version FROM {META} WHERE view = ?", [view["name"]]
            ).fetchone()
            if held is None or held[0] != view["version"]:
                self._create(db, view, table)
            placeholders = ", ".join("?" for _ in columns)
            updates = ", ".join(f"{ident(c)} = excluded.{ident(c)}" for c in [*features, "__ets"])
            db.executemany(
                f"INSERT INTO {table} ({', '.join(ident(c) for c in columns)})"
                f" VALUES ({placeholders}) ON CONFLICT ({', '.join(ident(k) for k in keys)})"
                f" DO UPDATE SET {updates} WHERE excluded.__ets >= {table}.__ets",
                _records(rows, view, columns),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(rows)

    def read(self, view: dict, features: list[str], keys: list[tuple]) -> list[tuple | None]:
        """Each key's feature values (and event time), or None for a key never written."""
        db = self._db()
        held = db.execute(f"SELECT version FROM {META} WHERE view = ?", [view["name"]]).fetchone()
        if held is None:
            return [None] * len(keys)
        selected = ", ".join(ident(f) for f in [*features, "__ets"])
        where = " AND ".join(f"{ident(k)} = ?" for k in view["join_keys"])
        query = f"SELECT {selected} FROM {_table(view['name'])} WHERE {where}"
        found = [db.execute(query, key).fetchone() for key in keys]
        flags = [i for i, f in enumerate(features) if _dtype(view, f) == "bool"]
        if flags:  # SQLite keeps booleans as 0/1
            found = [None if row is None else _with_bools(row, flags) for row in found]
        return found

    def _create(self, db: sqlite3.Connection, view: dict, table: str) -> None:
        keys = view["join_keys"]
        columns = [f"{ident(k)} {SQLITE_TYPES[view['key_dtypes'][k]]} NOT NULL" for k in keys]
        columns += [f"{ident(f['name'])} {SQLITE_TYPES[f['dtype']]}" for f in view["schema"]]
        db.execute(f"DROP TABLE IF EXISTS {table}")
        db.execute(
            f"CREATE TABLE {table} ({', '.join(columns)}, __ets INTEGER NOT NULL,"
            f" PRIMARY KEY ({', '.join(ident(k) for k in keys)})) WITHOUT ROWID"
        )
        db.execute(
            f"INSERT OR REPLACE INTO {META} VALUES (?, ?, ?)",
            [view["name"], view["version"], json.dumps(view["schema"])],
        )


def _dtype(view: dict, feature: str) -> str:
    return next(f["dtype"] for f in view["schema"] if f["name"] == feature)


def _with_bools(row: tuple, flags: list[int]) -> tuple:
    return tuple(bool(v) if i in flags and v is not None else v for i, v in enumerate(row))


def _table(view: str) -> str:
    return ident(f"view__{view}")


def _records(rows: pd.DataFrame, view: dict, columns: list[str]):
    """Rows as SQLite values: event time in epoch microseconds, timestamps as ISO text."""
    out = {}
    dtypes = {f["name"]: f["dtype"] for f in view["schema"]} | view["key_dtypes"]
    for column in columns:
        series = rows[column]
        if column == "__ets":
            out[column] = series.astype("datetime64[us]").astype("int64").tolist()
        elif dtypes[column] == "timestamp":
            out[column] = [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in series]
        else:
            out[column] = series.astype(object).where(series.notna(), None).tolist()
    return zip(*(out[c] for c in columns), strict=True)
