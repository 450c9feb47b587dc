"""Statistics of a view's features, computed by duckdb over all its rows at ingestion
and kept with the view's version: what the panel's histograms and freshness show."""

from __future__ import annotations

import duckdb

from .definitions import Bool, String, UnixTimestamp
from .offline import ident

BINS = 20
TOP = 10


def compute(con: duckdb.DuckDBPyConnection, scan: str, view: dict) -> dict:
    ts = ident(view["timestamp_field"])
    rows, first, last = con.execute(f"SELECT count(*), min({ts}), max({ts}) FROM {scan}").fetchone()
    features = {}
    present = set(con.sql(f"SELECT * FROM {scan} LIMIT 0").columns)
    for field in view["schema"]:
        name, dtype = field["name"], field["dtype"]
        column = ident(name)
        if name not in present:  # added by a later version than any row
            features[name] = {"dtype": dtype, "count": 0, "nulls": rows, "distinct": 0}
            continue
        if dtype in (String, Bool):
            count, distinct = con.execute(
                f"SELECT count({column}), approx_count_distinct({column}) FROM {scan}"
            ).fetchone()
            top = con.execute(
                f"SELECT {column}::VARCHAR, count(*) AS n FROM {scan} WHERE {column} IS NOT NULL"
                f" GROUP BY 1 ORDER BY n DESC, 1 LIMIT {TOP}"
            ).fetchall()
            stat = {"top": [{"value": v, "count": n} for v, n in top]}
        elif dtype == UnixTimestamp:
            count, distinct, low, high = con.execute(
                f"SELECT count({column}), approx_count_distinct({column}),"
                f" min({column})::VARCHAR, max({column})::VARCHAR FROM {scan}"
            ).fetchone()
            stat = {"min": low, "max": high}
        else:
            # Bins span the finite values only: an infinity or NaN has no bin (and binning
            # up to one made the bin arithmetic NaN).
            finite = f"FILTER (WHERE isfinite({column}::DOUBLE))"
            count, distinct, low, high, mean, std, bin_low, bin_high = con.execute(
                f"SELECT count({column}), approx_count_distinct({column}), min({column}),"
                f" max({column}), avg({column}), stddev_samp({column}),"
                f" min({column}) {finite}, max({column}) {finite} FROM {scan}"
            ).fetchone()
            stat = {
                "min": _number(low),
                "max": _number(high),
                "mean": _number(mean),
                "std": _number(std),
                "histogram": _histogram(con, scan, column, bin_low, bin_high),
            }
        features[name] = {
            "dtype": dtype,
            "count": count,
            "nulls": rows - count,
            "distinct": distinct,
            **stat,
        }
    return {
        "rows": rows,
        "first_event": None if first is None else first.isoformat(),
        "last_event": None if last is None else last.isoformat(),
        "features": features,
    }


def _histogram(con, scan: str, column: str, low, high) -> dict | None:
    """Equal-width bins between min and max: edges (BINS + 1) and counts (BINS)."""
    if low is None or high is None:
        return None
    low, high = float(low), float(high)
    finite = f"isfinite({column}::DOUBLE)"
    if low == high:
        count = con.execute(f"SELECT count(*) FROM {scan} WHERE {finite}").fetchone()[0]
        return {"edges": [low, high], "counts": [count]}
    width = (high - low) / BINS
    counts = [0] * BINS
    for bucket, n in con.execute(
        f"SELECT least(floor(({column} - ?) / ?)::INTEGER, {BINS - 1}), count(*) FROM {scan}"
        f" WHERE {finite} GROUP BY 1",
        [low, width],
    ).fetchall():
        counts[bucket] = n
    return {"edges": [low + i * width for i in range(BINS + 1)], "counts": counts}


def _number(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None
