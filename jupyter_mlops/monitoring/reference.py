"""The reference a deployed version's traffic is compared with, first found of:

1. "dataset": what was named at deployment or since (`spec.monitor.reference`): a parquet
   or CSV file inside the server root, or a run's artifact (`runs:/<run id>/<path>`);
2. "training_set": the training data the run the version was registered from logged: the
   sample `get_historical_features` keeps, or the frame `tracking.log_input` (and
   `%%track --log-input`) logged as the run's dataset input;
3. "baseline_window": the version's own first logged predictions, only when the user
   chose it (`monitor.reference = "baseline"`): against its own traffic, drift is found
   only where the stream moved after that first hour;
4. "none": nothing to compare with. The report says so, never "no drift", and how to set
   one. (The model's input example is a few rows: too few to judge anything by.)

References are kept per deployment and version in the process: a file or an
artifact is read once, not at every request.
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..config import MLOpsConfig
from ..errors import InvalidInput, NotFound
from ..serving.spec import BASELINE_REFERENCE as BASELINE
from ..serving.spec import REFERENCE as FIELD
from ..serving.spec import RUN_ARTIFACT
from . import logs

if TYPE_CHECKING:
    from ..registry.service import Registry
    from ..tracking.training_sets import TrainingSetRuns

CACHED = 32
SET_ONE = (
    "no reference: set one with `jupyter mlops reference {name} PATH|runs:/RUN/PATH|baseline` "
    "(or `%mlops reference`, or the drift view), or log the training frame on the model's "
    "run with `%%track --log-input X` / `tracking.log_input(X)`"
)


@dataclass(frozen=True)
class Reference:
    source: str  # "dataset" | "training_set" | "baseline_window" | "none"
    frame: pd.DataFrame
    detail: str | None = None  # the file or artifact, the run, what the baseline is

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
        named = ((deployment["spec"] or {}).get("monitor") or {}).get("reference")
        key = (deployment["name"], deployment["model_name"], version, named)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        found, final = self._load(deployment, version, named, glob, min_rows)
        if final:
            with self._lock:
                self._cache[key] = found
                while len(self._cache) > CACHED:
                    self._cache.popitem(last=False)
        return found

    def _load(self, deployment, version, named, glob, min_rows) -> tuple[Reference, bool]:
        if named == BASELINE:
            frame, complete = logs.baseline(glob, min_rows, shadow=False)
            seconds = logs.BASELINE_SECONDS
            detail = f"first {seconds}s (at least {min_rows} rows) of version {version}"
            return Reference("baseline_window", frame, detail), complete
        if named:
            return Reference("dataset", self._dataset(named), named), True
        sample = self._training_sample(deployment["model_name"], version)
        if sample is not None:
            return sample, True
        # Not cached: a reference set, or a run's input logged, later is found at once.
        return Reference("none", pd.DataFrame(), SET_ONE.format(name=deployment["name"])), False

    def _dataset(self, named: str) -> pd.DataFrame:
        artifact = RUN_ARTIFACT.fullmatch(named)
        if artifact is None:
            resolved = self.config.under_root(named, FIELD)
            if not resolved.is_file():
                raise InvalidInput(f"no file {named!r} for the reference", field=FIELD)
            return _read(resolved, named)
        client = self.training_sets.tracking.client
        from mlflow.exceptions import MlflowException

        with tempfile.TemporaryDirectory() as folder:
            try:
                path = client.download_artifacts(artifact["run"], artifact["path"], folder)
            except (MlflowException, OSError):
                said = f"no artifact {named!r} for the reference"
                raise InvalidInput(said, field=FIELD) from None
            return _read(Path(path), named)

    def _training_sample(self, model: str, version: str) -> Reference | None:
        try:
            run_id = self.registry.version_run_id(model, version)
        except NotFound:  # the version was deleted since it was deployed
            return None
        frame = None if run_id is None else self.training_sets.sample(run_id)
        if frame is None:
            return None  # no training data logged on that run: the next source
        return Reference("training_set", frame, f"run {run_id}")


def said(found: dict) -> str:
    """One line for what `Monitoring.reference` found, as the CLI and the magic print it."""
    if found["source"] == "none":
        return found["detail"]
    return f"compared with the {found['source']} {found['detail']} ({found['rows']} rows)"


def _read(path: Path, named: str) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".csv", ".txt"):
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise InvalidInput(f"cannot read the reference {named!r}: {err}", field=FIELD) from None
