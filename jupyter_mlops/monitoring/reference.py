"""The reference a deployed version's traffic is compared with, first found of:

1. "dataset": a parquet or CSV file named at deployment (`spec.monitor.reference`),
   inside the server root;
2. "training_set": the sample of the training frame that `get_historical_features`
   logged on the run the version was registered from (`features/training_sample.parquet`);
3. "baseline_window": the version's own first logged predictions (see `logs.baseline`).

References are kept per deployment and version in the process: a file or an
artifact is read once, not at every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..config import MLOpsConfig
from ..errors import InvalidInput, NotFound
from . import logs

if TYPE_CHECKING:
    from ..registry.service import Registry
    from ..tracking.training_sets import TrainingSetRuns

CACHED = 32


@dataclass(frozen=True)
class Reference:
    source: str  # "dataset" | "training_set" | "baseline_window"
    frame: pd.DataFrame
    detail: str | None = None  # the file, the run, or what the baseline is

    def describe(self) -> dict:
        return {"source": self.source, "rows": int(len(self.frame)), "detail": self.detail}


class References:
    def __init__(self, config: MLOpsConfig, registry: Registry, training_sets: TrainingSetRuns):
        self.config = config
        self.registry = registry
        self.training_sets = training_sets
        self._cache: OrderedDict[tuple, Reference] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, deployment: dict, version: str, glob: str | None, min_rows: int) -> Reference:
        path = ((deployment["spec"] or {}).get("monitor") or {}).get("reference")
        key = (deployment["name"], deployment["model_name"], version, path)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        found, final = self._load(deployment["model_name"], version, path, glob, min_rows)
        if final:
            with self._lock:
                self._cache[key] = found
                while len(self._cache) > CACHED:
                    self._cache.popitem(last=False)
        return found

    def _load(self, model: str, version: str, path, glob, min_rows) -> tuple[Reference, bool]:
        if path:
            return Reference("dataset", self._dataset(path), str(path)), True
        sample = self._training_sample(model, version)
        if sample is not None:
            return sample, True
        frame, complete = logs.baseline(glob, min_rows, shadow=False)
        detail = f"first {logs.BASELINE_SECONDS}s (at least {min_rows} rows) of version {version}"
        return Reference("baseline_window", frame, detail), complete

    def _dataset(self, path: str) -> pd.DataFrame:
        resolved = self.config.under_root(path, "monitor.reference")
        if not resolved.is_file():
            raise InvalidInput(
                f"no file {str(path)!r} for the reference", field="monitor.reference"
            )
        try:
            if resolved.suffix.lower() in (".csv", ".txt"):
                return pd.read_csv(resolved)
            return pd.read_parquet(resolved)
        except (OSError, ValueError) as err:
            raise InvalidInput(
                f"cannot read the reference {str(path)!r}: {err}", field="monitor.reference"
            ) from None

    def _training_sample(self, model: str, version: str) -> Reference | None:
        try:
            run_id = self.registry.version_run_id(model, version)
        except NotFound:  # the version was deleted since it was deployed
            return None
        frame = None if run_id is None else self.training_sets.sample(run_id)
        if frame is None:
            return None  # no training sample on that run: the next source
        return Reference("training_set", frame, f"run {run_id}")
