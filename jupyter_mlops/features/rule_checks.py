"""Evaluating a feature view's data rules (declared in rules.py) over a batch, and
showing their results: `enforce` refuses a batch an error-severity rule breaks, before
anything is written; `quality` is what the view page draws."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidInput
from .rules import EXAMPLES, NUMBERS, PSI_EPSILON, Bool, declared


class RulesBroken(InvalidInput):
    """A batch that breaks error-severity rules; nothing of it was written."""

    code = "rules_broken"

    def __init__(self, view: str, broken: list[dict]):
        said = "; ".join(describe(result) for result in broken)
        super().__init__(
            f"feature view {view!r} refused the batch, nothing was written:"
            f" {len(broken)} rule{'s' if len(broken) != 1 else ''} broken: {said}",
            field=f"columns.{broken[0]['column']}",
        )
        self.results = broken


# Evaluating --------------------------------------------------------------------------------


def evaluate(view: dict, rows: pd.DataFrame, reference: Callable[[], dict | None]) -> list[dict]:
    """Each declared rule over the whole batch (`rows`, validated and typed): {rule,
    column, severity, bound, observed, passed, failing_rows, examples}. `reference()`
    gives the statistics a drift rule compares with (called only when one exists)."""
    keys = [*view["join_keys"], view["timestamp_field"]]
    stats: list[dict | None] = []

    def drift_reference() -> dict | None:
        if not stats:
            stats.append(reference())
        return stats[0]

    results = []
    for rule in declared(view):
        kind, column = rule["rule"], rule["column"]
        if kind == "unique":
            failing = rows.duplicated(subset=rule["keys"], keep=False)
            observed: Any = int(rows.duplicated(subset=rule["keys"]).sum())
            passed = observed == 0
        elif kind == "max_psi":
            observed = _psi(rows[column], view, column, drift_reference())
            failing = None
            passed = observed is None or observed <= rule["bound"]
        else:
            series = rows[column]
            failing = _failing(kind, series, rule)
            observed = _observed(kind, series, failing)
            passed = _passed(kind, observed, rule["bound"], int(failing.sum()))
        count = 0 if failing is None else int(failing.sum())
        results.append(
            {
                "rule": kind,
                "column": column,
                "severity": rule["severity"],
                "bound": rule["bound"],
                "observed": observed,
                "passed": bool(passed),
                "failing_rows": count,
                "rows": len(rows),
                "examples": [] if passed or not count else _examples(rows, failing, keys),
            }
        )
    return results


def enforce(view: dict, rows: pd.DataFrame, reference: Callable[[], dict | None]) -> list[dict]:
    """`evaluate`, refusing the batch (RulesBroken) when an error-severity rule fails."""
    results = evaluate(view, rows, reference)
    broken = [r for r in results if not r["passed"] and r["severity"] == "error"]
    if broken:
        raise RulesBroken(view["name"], broken)
    return results


def warnings(results: list[dict]) -> list[str]:
    """What the warn-severity rules that failed say, one line each."""
    return [describe(r) for r in results if not r["passed"]]


def describe(result: dict) -> str:
    """`column 'rate' max_null 0.01: 2 of 100 rows (0.02), e.g. driver_id=3 ...`."""
    kind, bound, observed = result["rule"], result["bound"], result["observed"]
    said = f"column {result['column']!r} {kind}"
    said += "" if kind == "unique" else f" {_short(bound)}"
    if kind == "max_psi":
        said += f": PSI {_short(observed)}"
    elif kind == "unique":
        said += f": {result['failing_rows']} of {result['rows']} rows share a key and event time"
    elif kind in ("min", "max"):
        side = "below" if kind == "min" else "above"
        said += f": {result['failing_rows']} of {result['rows']} rows {side}"
        said += f" (observed {_short(observed)})"
    elif kind == "max_null":
        said += f": {result['failing_rows']} of {result['rows']} rows null ({_short(observed)})"
    else:
        said += (
            f": {result['failing_rows']} of {result['rows']} rows out of range ({_short(observed)})"
        )
    if result["examples"]:
        said += ", e.g. " + " | ".join(
            " ".join(f"{k}={v}" for k, v in example.items()) for example in result["examples"]
        )
    return said


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(map(repr, value)) + "]"
    return str(value)


def _in_range(series: pd.Series, rule: dict) -> pd.Series:
    """Whether each non-null value is inside the rule's min/max/allowed."""
    ranged = rule.get("range", rule)
    inside = pd.Series(True, index=series.index)
    values = series
    if "min" in ranged or "max" in ranged:
        values = series.astype("float64") if series.dtype.kind not in "Mm" else series
    if "min" in ranged:
        inside &= (values >= _typed(ranged["min"])).fillna(True).astype(bool)
    if "max" in ranged:
        inside &= (values <= _typed(ranged["max"])).fillna(True).astype(bool)
    if "allowed" in ranged:
        inside &= series.isin(ranged["allowed"]).astype(bool) | series.isna()
    return inside


def _typed(bound: Any) -> Any:
    return pd.Timestamp(bound) if isinstance(bound, str) else bound


def _failing(kind: str, series: pd.Series, rule: dict) -> pd.Series:
    if kind == "max_null":
        return series.isna()
    present = series.notna()
    if kind == "min":
        return present & ~_in_range(series, {"min": rule["bound"]})
    if kind == "max":
        return present & ~_in_range(series, {"max": rule["bound"]})
    if kind == "allowed":
        return present & ~_in_range(series, {"allowed": rule["bound"]})
    return present & ~_in_range(series, rule)  # max_out_of_range


def _observed(kind: str, series: pd.Series, failing: pd.Series) -> Any:
    if kind in ("min", "max"):
        present = series.dropna()
        if series.dtype.kind not in "Mm":
            present = present.astype("float64")
        if present.empty:
            return None
        value = present.min() if kind == "min" else present.max()
        return _jsonable(value)
    if kind in ("allowed", "max_out_of_range"):
        present = int(series.notna().sum())
        return float(failing.sum() / present) if present else 0.0
    return float(failing.sum() / len(series)) if len(series) else 0.0  # max_null


def _passed(kind: str, observed: Any, bound: Any, failing: int) -> bool:
    if kind in ("min", "max", "allowed"):
        return failing == 0
    return observed <= bound  # max_null, max_out_of_range


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).isoformat()
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _examples(rows: pd.DataFrame, failing: pd.Series, keys: list[str]) -> list[dict]:
    chosen = rows.loc[failing.to_numpy(), keys].head(EXAMPLES)
    return [
        {key: _jsonable(value) for key, value in zip(keys, row, strict=True)}
        for row in chosen.itertuples(index=False)
    ]


def _psi(series: pd.Series, view: dict, column: str, reference: dict | None) -> float | None:
    """PSI of the batch's values against the view's statistics of the column; None
    without a reference (the view's first batch) or values on either side."""
    stat = ((reference or {}).get("features") or {}).get(column)
    if not stat or not stat.get("count"):
        return None
    dtype = next(f["dtype"] for f in view["schema"] if f["name"] == column)
    if dtype in NUMBERS:
        histogram = stat.get("histogram")
        values = series.dropna().astype("float64").to_numpy()
        values = values[np.isfinite(values)]
        if not histogram or not len(values):
            return None
        edges, counts = histogram["edges"], np.asarray(histogram["counts"], dtype="float64")
        if len(counts) == 1:  # one value: below it, it, above it
            (value,) = edges[:1]
            ref = np.array([0.0, 1.0, 0.0])
            cur = np.array(
                [(values < value).sum(), (values == value).sum(), (values > value).sum()]
            )
        else:
            ref = counts / counts.sum()
            inner = np.asarray(edges[1:-1])
            bins = np.searchsorted(inner, values, side="right")
            cur = np.bincount(bins, minlength=len(counts)).astype("float64")
        return _index(ref, cur / cur.sum())
    labels = series.dropna()
    if not len(labels):
        return None
    labels = labels.map(lambda v: str(v).lower() if dtype == Bool else str(v))
    top = {item["value"]: item["count"] for item in stat.get("top", [])}
    other = max(stat["count"] - sum(top.values()), 0)
    ref = np.array([*top.values(), other], dtype="float64")
    counts = labels.value_counts()
    cur = np.array(
        [counts.get(v, 0) for v in top] + [len(labels) - counts.reindex(list(top)).fillna(0).sum()],
        dtype="float64",
    )
    return _index(ref / ref.sum(), cur / cur.sum())


def _index(reference: np.ndarray, current: np.ndarray) -> float:
    ref = np.clip(reference, PSI_EPSILON, None)
    cur = np.clip(current, PSI_EPSILON, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def reference_stats(versions: list[dict], version: int) -> dict | None:
    """The statistics a drift rule compares a batch with: the version's own (its rows so
    far), else the newest earlier version's that has any. `versions`: newest first."""
    for row in versions:
        if row["version"] <= version and row.get("stats"):
            return row["stats"]
    return None


# Showing ---------------------------------------------------------------------------------


def quality(view: dict, batches: list[dict]) -> dict:
    """What the view's page shows of its rules: those declared in this version, the
    results of its newest checked batches (newest first) and the warnings among them."""
    rules = [
        {k: rule[k] for k in ("rule", "column", "severity", "bound", "range") if k in rule}
        for rule in declared(view)
    ]
    warned = [
        {
            "batch": batch["batch"],
            "ingested_at": batch["ingested_at"],
            **result,
            "message": describe({**result, "rows": batch["rows"]}),
        }
        for batch in batches
        for result in batch["results"]
        if not result["passed"]
    ]
    return {"rules": rules, "batches": batches, "warnings": warned}
