"""Monitoring of deployed models, as every door sees it: drift of inputs and predictions
over a recent window, ground-truth labels, and live performance once labels arrive."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import InvalidInput
from ..serving import records
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
        reference = self.references.get(deployment, version, glob, self.thresholds.min_rows)
        features = [
            self._feature(column, reference.frame, current.frame)
            # The model's inputs as logged: a reference also holds keys, times, labels.
            for column in logs.input_columns(current.frame)
        ]
        prediction = self._prediction(reference, current.frame, glob, shadow)
        performance = labels.performance(self.home, name, glob, current.start, current.end, shadow)
        report = {
            "deployment": name,
            "model_name": deployment["model_name"],
            "model_version": version,
            "window": current.describe(seconds),
            "reference": reference.describe(),
            "thresholds": {
                "psi": self.thresholds.psi,
                "p_value": self.thresholds.p_value,
                "min_rows": self.thresholds.min_rows,
            },
            "features": features,
            "prediction": prediction,
            "drifted": [f["name"] for f in [*features, prediction or {}] if f.get("drifted")],
            "performance": performance if performance["labelled"] else None,
        }
        if glob is None:
            report["note"] = f"version {version} of {name!r} has logged no predictions"
        report = _json_safe(report)
        return charts.with_figures(report) if figures else report

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

    def _feature(self, column: str, reference: pd.DataFrame, current: pd.DataFrame) -> dict:
        if column not in reference.columns:
            return drift._empty(column, None, "not in the reference")
        kind = drift.kind_of(reference[column])
        values = current[column] if column in current.columns else pd.Series(dtype=object)
        return drift.column_report(column, reference[column], values, self.thresholds, kind)

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
