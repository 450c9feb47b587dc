"""Monitoring of deployed models, as every door sees it: drift of inputs and predictions
over a recent window, ground-truth labels, and live performance once labels arrive."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import InvalidInput, NotFound
from ..serving import records, spec
from . import charts, drift, labels, logs
from .reference import References

if TYPE_CHECKING:
    from ..store import StateStore

MAX_WINDOW = 366 * 24 * 3600


class Monitoring:
    def __init__(
        self,
        home: Path,
        state: StateStore,
        references: References,
        thresholds: drift.Thresholds | None = None,
    ):
        self.home = home  # where serving processes log predictions, and labels are kept
        self.state = state  # the deployments: which version serves, its reference
        self.references = references
        self.thresholds = thresholds or drift.Thresholds()

    def drift(
        self,
        name: str,
        window_seconds: int = 3600,
        version: str | None = None,
        *,
        now: datetime | None = None,
        figures: bool = False,
    ) -> dict:
        """Drift of each input column and of the prediction in the last `window_seconds`
        against the version's reference (see `reference.py`).

        The serving version by default, counting only the answers callers got; a version
        named explicitly counts all its rows, so a shadow version can be checked too.
        `figures` adds each column's Plotly figure (`charts.py`): what the page and the
        magic show; the CLI and the trigger watcher need only the numbers.
        """
        seconds = _window(window_seconds)
        deployment, version, shadow, glob = self._logged(name, version)
        current = logs.window(glob, seconds, shadow=shadow, now=now)
        against = self.references.get(deployment, version, glob, self.thresholds.min_rows)
        features = [
            self._feature(column, against, current.frame)
            # The model's inputs as logged: a reference also holds keys, times, labels.
            for column in logs.input_columns(current.frame)
        ]
        prediction = None
        if against.source != "none":
            prediction = self._prediction(against, current.frame, glob, shadow)
        judged = [f for f in [*features, prediction or {}] if f.get("drifted") is not None]
        drifted = [f["name"] for f in judged if f["drifted"]]
        performance = labels.performance(self.home, name, glob, current.start, current.end, shadow)
        report = {
            "deployment": name,
            "model_name": deployment["model_name"],
            "model_version": version,
            "window": current.describe(seconds),
            "reference": against.describe(),
            "thresholds": {"psi": self.thresholds.psi, "min_rows": self.thresholds.min_rows},
            "verdict": _verdict(against, current.frame, judged, drifted),
            "features": features,
            "prediction": prediction,
            "drifted": drifted,
            "performance": performance if performance["labelled"] else None,
        }
        if against.source == "none":
            report["note"] = against.detail
        elif glob is None:
            report["note"] = f"version {version} of {name!r} has logged no predictions"
        report = _json_safe(report)
        return charts.with_figures(report) if figures else report

    def reference(self, name: str) -> dict:
        """What the serving version's traffic is compared with: the value set (None for
        the default) and what it finds (`source`, `rows`, `detail`)."""
        deployment, version, _, glob = self._logged(name, None)
        found = self.references.get(deployment, version, glob, self.thresholds.min_rows)
        named = ((deployment["spec"] or {}).get("monitor") or {}).get("reference")
        return {"deployment": name, "reference": named, **found.describe()}

    def set_reference(self, name: str, value: str | None) -> dict:
        """What the deployment's traffic is compared with from now on: a file in the
        root, a run's artifact (`runs:/<run>/<path>`), `baseline` (its own first hour),
        or None for the default (the training data its version's run logged). Checked
        and read once before it is kept: a reference that cannot be read is refused."""
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InvalidInput("reference must be a non-empty string or null", field="reference")
        value = value.strip() if value else None
        spec.check_reference(self.references.config, value)
        deployment = records.get(self.state, name)
        if value not in (None, spec.BASELINE_REFERENCE):
            probe = {**deployment, "spec": {"monitor": {"reference": value}}}
            self.references.get(probe, str(deployment["model_version"]), None, 0)
        with records.locked(self.state, name) as (conn, row):
            if row is None:
                raise NotFound(f"no deployment named {name!r}")
            kept = dict(row["spec"] or {})
            monitor = {k: v for k, v in (kept.get("monitor") or {}).items() if k != "reference"}
            kept["monitor"] = {**monitor, **({"reference": value} if value else {})}
            records.update(conn, name, spec=kept)
            said = f"drift reference set to {value}" if value else "drift reference reset"
            records.add_event(conn, name, "reference", said)
        return self.reference(name)

    def post_labels(self, name: str, items: list) -> dict:
        """Validate every item, then write them all in one file (or nothing)."""
        records.get(self.state, name)
        table = labels.validate(items)
        labels.write(self.home, name, table)
        return {"deployment": name, "labels": table.num_rows}

    def performance(
        self,
        name: str,
        window_seconds: int = 3600,
        version: str | None = None,
        *,
        now: datetime | None = None,
    ) -> dict:
        seconds = _window(window_seconds)
        _, version, shadow, glob = self._logged(name, version)
        start, end = logs.bounds(seconds, now)
        found = labels.performance(self.home, name, glob, start, end, shadow)
        window = logs.describe(start, end, seconds, found.pop("predictions"))
        return _json_safe({"deployment": name, "model_version": version, "window": window, **found})

    def _logged(self, name: str, version) -> tuple[dict, str, bool, str | None]:
        """(the deployment, the version looked at, whether it is not the serving one,
        the glob of its logged predictions; None when it logged none)."""
        deployment = records.get(self.state, name)
        version, shadow = self._version(deployment, version)
        return deployment, version, shadow, logs.version_glob(self.home, name, version)

    def _version(self, deployment: dict, version) -> tuple[str, bool]:
        if version is None or str(version) == str(deployment["model_version"]):
            return str(deployment["model_version"]), False
        version = str(version).strip()
        if not version.isdigit():
            raise InvalidInput(f"version must be a number, not {version!r}", field="version")
        return version, True

    def _feature(self, column: str, against, current: pd.DataFrame) -> dict:
        frame = against.frame
        if against.source == "none":
            return drift._empty(column, None, "no reference")
        if column not in frame.columns:
            return drift._empty(column, None, "not in the reference")
        kind = drift.kind_of(frame[column])
        values = current[column] if column in current.columns else pd.Series(dtype=object)
        return drift.column_report(column, frame[column], values, self.thresholds, kind)

    def _prediction(self, reference, current: pd.DataFrame, glob, shadow: bool) -> dict | None:
        """The first output against the reference's own predictions when it has them
        (a dataset with `__prediction`, the baseline window), else against the version's
        first logged predictions (a training set has labels, not predictions)."""
        columns = logs.prediction_columns(current)
        if not columns:
            return None
        column, against = columns[0], reference.frame
        source = reference.source
        if column not in against.columns:
            against, _ = logs.baseline(glob, self.thresholds.min_rows, shadow=shadow)
            source = "baseline_window"
        if column not in against.columns:
            return None
        name = column.removeprefix("__")
        report = drift.column_report(name, against[column], current[column], self.thresholds)
        return {**report, "reference": source}


def _verdict(against, current: pd.DataFrame, judged: list, drifted: list) -> str:
    """One word for the whole report, so no door shows green for what was not judged:
    drifted, stable (every column judged, none drifted), no_reference, no_traffic, or
    not_enough_data (too few rows, or no column the reference could judge)."""
    if against.source == "none":
        return "no_reference"
    if drifted:
        return "drifted"
    if current.empty:
        return "no_traffic"
    return "stable" if judged else "not_enough_data"


def _window(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("window must be a number of seconds", field="window")
    if not 1 <= value <= MAX_WINDOW:
        raise InvalidInput(f"window must be between 1 and {MAX_WINDOW} seconds", field="window")
    return int(value)


def _json_safe(value):
    """NaN and infinities (a constant column's KS p-value) as None: valid JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
