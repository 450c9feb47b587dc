"""Reading the prediction log the serving processes write, with duckdb.

The layout (a contract with `serving`): one folder per deployment and model version,
`<home>/deployments/<name>/predictions/version=<v>/*.parquet`, one row per input row,
with `__request_id`, `__row`, `__at` (naive UTC), `__version`, `__latency_ms`,
`__shadow`, the model's input columns and `__prediction` (or `__prediction.<output>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pandas as pd

PREDICTION = "__prediction"
# A window is sampled down to this many rows: drift tests need no more.
MAX_ROWS = 100_000
SAMPLE_SEED = 42
# The baseline window: the first hour a version served, and at least min_rows rows.
BASELINE_SECONDS = 3600


def deployment_dir(home: Path, name: str) -> Path:
    return home / "deployments" / name


def version_glob(home: Path, name: str, version: str) -> str | None:
    """The glob of the version's log files, or None while it has logged nothing."""
    folder = deployment_dir(home, name) / "predictions" / f"version={version}"
    if not any(folder.glob("*.parquet")):
        return None
    return str(folder / "*.parquet")


def input_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if not c.startswith("__")]


def prediction_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if is_prediction(c)]


def is_prediction(column: str) -> bool:
    return column == PREDICTION or column.startswith(PREDICTION + ".")


@dataclass
class Window:
    start: datetime
    end: datetime
    rows: int  # all rows in the window, before sampling
    frame: pd.DataFrame

    def describe(self, seconds: int) -> dict:
        return describe(self.start, self.end, seconds, self.rows)


def window(glob: str | None, seconds: int, *, shadow: bool, now: datetime | None = None):
    """The rows logged in the last `seconds` (sampled down to MAX_ROWS). `shadow=False`
    keeps only the answers callers received; a shadow version's rows are all shadow."""
    start, end = bounds(seconds, now)
    if glob is None:
        return Window(start, end, 0, pd.DataFrame())
    logged = windowed(glob, start, end, shadow=shadow)
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT count(*) FROM {logged}").fetchone()[0]
        frame = con.execute(
            f"SELECT * FROM {logged} USING SAMPLE reservoir({MAX_ROWS} ROWS) "
            f"REPEATABLE ({SAMPLE_SEED})"
        ).df()
    return Window(start, end, int(rows), frame)


def baseline(glob: str | None, min_rows: int, *, shadow: bool) -> tuple[pd.DataFrame, bool]:
    """The version's first logged rows: its first BASELINE_SECONDS, or its first
    `min_rows` rows if that hour had fewer. Complete once rows were logged after it
    (only then may it be cached: a young version's baseline still grows)."""
    if glob is None:
        return pd.DataFrame(), False
    where = "" if shadow else "WHERE NOT __shadow"
    query = f"""
        WITH logged AS (SELECT * FROM {scan(glob)} {where}),
        ranked AS (
            SELECT *, row_number() OVER (ORDER BY __at, __request_id, __row) AS __rank,
                   min(__at) OVER () AS __first
            FROM logged
        ),
        chosen AS (
            SELECT * FROM ranked
            WHERE __rank <= $min_rows OR __at < __first + to_seconds($seconds)
        )
        SELECT * EXCLUDE (__rank, __first),
               (SELECT count(*) FROM logged) > (SELECT count(*) FROM chosen) AS __more
        FROM chosen ORDER BY __at LIMIT {MAX_ROWS}
    """
    with duckdb.connect() as con:
        frame = con.execute(query, {"min_rows": min_rows, "seconds": BASELINE_SECONDS}).df()
    if frame.empty:
        return frame, False
    complete = bool(frame.pop("__more").iloc[0])
    return frame, complete


def bounds(seconds: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `seconds` up to `now`, as naive UTC like the log's `__at`."""
    end = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    return end - timedelta(seconds=seconds), end


def describe(start: datetime, end: datetime, seconds: int, rows: int) -> dict:
    return {"seconds": seconds, "start": _iso(start), "end": _iso(end), "rows": rows}


def windowed(glob: str, start: datetime, end: datetime, *, shadow: bool) -> str:
    """A subquery of the rows logged in [start, end] (naive UTC)."""
    where = f"__at >= {_literal(start)} AND __at <= {_literal(end)}"
    if not shadow:
        where += " AND NOT __shadow"
    return f"(SELECT * FROM {scan(glob)} WHERE {where})"


def _literal(moment: datetime) -> str:
    # Our own datetimes, formatted: nothing from a request reaches the SQL text.
    return f"TIMESTAMP '{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def scan(glob: str) -> str:
    # The version is in each row already: no hive column from the folder name. Files
    # written by different releases of the server may differ in columns: union by name.
    quoted = glob.replace("'", "''")
    return f"read_parquet('{quoted}', union_by_name = true, hive_partitioning = false)"


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=timezone.utc).isoformat()
