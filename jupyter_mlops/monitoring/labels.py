"""Ground truth that arrives after the prediction, matched to it by request id and row,
and the live performance it gives.

Each post becomes one parquet file under `<home>/deployments/<name>/labels/`, written
whole or not at all. A row labelled twice counts with its latest label.
"""

from __future__ import annotations

import math
import os
import time
import uuid
from numbers import Real
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InvalidInput
from . import logs

MAX_ITEMS = 100_000


def labels_dir(home: Path, name: str) -> Path:
    return logs.deployment_dir(home, name) / "labels"


def validate(items) -> pa.Table:
    """The items as a table, or InvalidInput naming the first bad item and field."""
    if not isinstance(items, list) or not items:
        raise InvalidInput("labels must be a non-empty list", field="labels")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} labels per request", field="labels")
    ids, rows, values, kinds = [], [], [], set()
    for index, item in enumerate(items):
        where = f"labels[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} must be an object", field=where)
        unknown = set(item) - {"request_id", "row", "label"}
        if unknown:
            raise InvalidInput(f"{where} has unknown fields {sorted(unknown)}", field=where)
        request_id, row, label = item.get("request_id"), item.get("row", 0), item.get("label")
        if not isinstance(request_id, str) or not request_id:
            raise InvalidInput(
                f"{where}.request_id must be a non-empty string", field=f"{where}.request_id"
            )
        if isinstance(row, bool) or not isinstance(row, int | np.integer) or row < 0:
            raise InvalidInput(f"{where}.row must be an integer >= 0", field=f"{where}.row")
        kind = _kind(label)
        if kind is None:
            raise InvalidInput(
                f"{where}.label must be a number, a boolean or a string", field=f"{where}.label"
            )
        kinds.add(kind)
        ids.append(request_id)
        rows.append(int(row))
        values.append(label)
    if kinds == {"int", "float"}:
        kinds = {"float"}  # 3 and 3.5 in one post: a regression target
    if len(kinds) > 1:
        raise InvalidInput(
            f"labels mix {' and '.join(sorted(kinds))} values; send one kind per request",
            field="labels",
        )
    kind = kinds.pop()
    arrow_type = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64()}.get(
        kind, pa.string()
    )
    if kind == "float":
        values = [float(v) for v in values]
    return pa.table(
        {
            "request_id": pa.array(ids, pa.string()),
            "row": pa.array(rows, pa.int32()),
            "label": pa.array(values, arrow_type),
            "posted_at": pa.array([time.time()] * len(ids), pa.float64()),
        }
    )


def write(home: Path, name: str, table: pa.Table) -> Path:
    folder = labels_dir(home, name)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = folder / f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"
    # Readers glob *.parquet: a half-written file under another name is never read.
    partial = path.with_suffix(".partial")
    pq.write_table(table, partial)
    partial.replace(path)
    return path


def items_from_frame(frame: pd.DataFrame) -> list[dict]:
    """Rows of a DataFrame (`request_id`, optional `row`, `label`) as label items."""
    missing = [c for c in ("request_id", "label") if c not in frame.columns]
    if missing:
        raise InvalidInput(f"the labels need columns request_id and label; missing {missing}")
    columns = [c for c in ("request_id", "row", "label") if c in frame.columns]
    items = []
    for record in frame[columns].to_dict("records"):
        item = {key: _plain(value) for key, value in record.items()}
        if isinstance(item["request_id"], int | float):
            item["request_id"] = str(item["request_id"])  # ids read back from CSV as numbers
        items.append(item)
    return items


def performance(home: Path, name: str, glob: str | None, start, end, shadow: bool) -> dict:
    """Metrics of the window's predictions that have a label. Integer, boolean and
    string labels are classes (accuracy); float labels are values (MAE, RMSE)."""
    labelled_files = labels_dir(home, name)
    window = {"predictions": 0, "labelled": 0, "coverage": None, "task": None}
    if glob is None:
        return window
    predictions = logs.windowed(glob, start, end, shadow=shadow)
    with duckdb.connect() as con:
        described = con.execute(f"SELECT * FROM {predictions} LIMIT 0").description
        predicted = [c for c in [d[0] for d in described] if logs.is_prediction(c)]
        total = con.execute(f"SELECT count(*) FROM {predictions}").fetchone()[0]
        window["predictions"] = int(total)
        if not predicted or not any(labelled_files.glob("*.parquet")):
            return window
        latest = f"""
            SELECT request_id, "row", label FROM {logs.scan(str(labelled_files / "*.parquet"))}
            QUALIFY row_number() OVER (PARTITION BY request_id, "row" ORDER BY posted_at DESC) = 1
        """
        column = predicted[0].replace('"', '""')  # an output name, quoted as identifier
        pairs = con.execute(
            f"""
            SELECT p."{column}" AS prediction, l.label
            FROM {predictions} AS p JOIN ({latest}) AS l
            ON p.__request_id = l.request_id AND p.__row = l."row"
            """
        ).df()
    window["labelled"] = len(pairs)
    window["coverage"] = len(pairs) / total if total else None
    window["prediction_column"] = predicted[0]
    return {**window, **_metrics(pairs)}


def _metrics(pairs: pd.DataFrame) -> dict:
    if pairs.empty:
        return {"task": None}
    labels, predictions = pairs["label"], pairs["prediction"]
    if pd.api.types.is_float_dtype(labels.dtype):
        errors = pd.to_numeric(predictions, errors="coerce") - labels
        errors = errors[np.isfinite(errors)]
        return {
            "task": "regression",
            "count": int(len(errors)),
            "mae": float(errors.abs().mean()) if len(errors) else None,
            "rmse": float(math.sqrt((errors**2).mean())) if len(errors) else None,
        }
    right = _same(predictions, labels)
    return {"task": "classification", "count": int(len(right)), "accuracy": float(right.mean())}


def _same(predictions: pd.Series, labels: pd.Series) -> pd.Series:
    # 1 == True == 1.0 for numeric classes; strings compare as written.
    left = pd.to_numeric(predictions, errors="coerce")
    right = pd.to_numeric(labels, errors="coerce")
    numeric = left.notna() & right.notna()
    written = predictions.astype(str).str.strip() == labels.astype(str).str.strip()
    return (numeric & (left == right)) | (~numeric & written)


def _kind(label) -> str | None:
    if isinstance(label, bool | np.bool_):
        return "bool"
    if isinstance(label, int | np.integer):
        return "int"
    if isinstance(label, Real) and math.isfinite(label):
        return "float"
    if isinstance(label, str) and label:
        return "string"
    return None


def _plain(value):
    """numpy scalars as Python ones, NaN as a missing value (refused by `validate`)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
