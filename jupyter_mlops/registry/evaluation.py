"""Evaluating a version against its model's gate (see `gate.py`): MLflow's default
evaluator (`mlflow.models.evaluate`) on the holdout, for the candidate and the version the
gated alias points at now, in one evaluation run with a child run per version; the
latency measured by predicting rows one at a time; the verdict kept on the candidate."""

from __future__ import annotations

import json
import math
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, NotFound
from ..tracking.client import load_mlflow, local_path, mlflow_errors
from .gate import (
    EXPERIMENT,
    LATENCY,
    TAG_GATE,
    TAG_RESULT,
    TAG_RUN,
    TAG_VERDICT,
    check_file,
    check_spec,
    fingerprint,
    judge,
    refusal,
    stored,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..config import MLOpsConfig
    from .service import Registry

_EVALUATE = threading.Lock()  # MLflow's fluent runs read a process-wide tracking URI


class Gates:
    """Set, show and evaluate gates. `historical(entity_frame, service, timestamp_field)`
    builds a holdout from a feature service (None: only file holdouts)."""

    def __init__(
        self,
        config: MLOpsConfig,
        registry: Registry,
        historical: Callable[..., pd.DataFrame] | None = None,
    ):
        self.config = config
        self.registry = registry
        self.historical = historical

    def set(self, name: str, spec: Any) -> dict:
        gate = check_spec(spec, self.config)
        self.registry.set_model_tag(name, TAG_GATE, json.dumps(gate, sort_keys=True))
        return {"name": name, "gate": gate}

    def get(self, name: str) -> dict:
        return {"name": name, "gate": stored(self.registry.model_tags(name))}

    def passed(self, name: str, version: str) -> bool:
        """Whether `version` passed the model's current gate (False without one)."""
        gate = self.get(name)["gate"]
        if gate is None:
            return False
        tags = self.registry.version_tags(name, version)
        return refusal(gate, str(version), tags) is None

    def delete(self, name: str) -> None:
        self.registry.delete_model_tag(name, TAG_GATE)

    def evaluate(self, name: str, version: str) -> dict:
        """Evaluate `version` (and the gated alias's version) on the holdout; the verdict,
        also kept on the version's tags."""
        gate = self.get(name)["gate"]
        if gate is None:
            raise NotFound(f"model {name!r} has no gate: set one first", field="name")
        version = self.registry.version_of(name, version=str(version), field="version")
        aliases = self.registry.aliases(name)
        champion = aliases.get(gate["alias"])
        if champion == version:
            champion = None  # compared with itself: only the bounds judge it
        frame = self._holdout(gate)
        label = gate["label"]
        if label not in frame.columns:
            raise InvalidInput(f"the holdout has no column {label!r}", field="label")
        if frame[label].isna().any() or len(frame) < 2:
            raise InvalidInput(
                "the holdout needs at least 2 rows and a label in every row", field="dataset"
            )
        kind = gate["model_type"] or _infer_kind(frame[label])
        values: dict[str, dict] = {}
        tracking = self.registry.tracking
        experiment_id = tracking.experiment_id(EXPERIMENT)
        link = {
            "mlops.gate.model": name,
            "mlops.gate.candidate": version,
            "mlops.gate.champion": champion or "",
            "mlops.gate.alias": gate["alias"],
        }
        parent = self._start_run(experiment_id, f"gate {name} v{version}", link)
        try:
            for role, which in (("candidate", version), ("champion", champion)):
                if which is None:
                    continue
                values[role] = self._evaluate_one(
                    name, which, frame, gate, kind, experiment_id, parent, role
                )
            judged = judge(gate, values["candidate"], values.get("champion"))
            verdict = "pass" if all(m["passed"] for m in judged) else "fail"
            summary = {
                f"{role}.{metric}": value
                for role, found in values.items()
                for metric, value in found.items()
                if metric in gate["metrics"]
            }
            self._end_run(parent, summary, {"mlops.gate.verdict": verdict})
        except Exception:
            self._end_run(parent, {}, {}, status="FAILED")
            raise
        result = {
            "verdict": verdict,
            "alias": gate["alias"],
            "candidate": version,
            "champion": champion,
            "model_type": kind,
            "run_id": parent,
            "gate": fingerprint(gate),
            "evaluated_at": time.time(),
            "rows": int(len(frame)),
            "metrics": judged,
        }
        self.registry.set_version_tags(
            name,
            version,
            {TAG_VERDICT: verdict, TAG_RESULT: json.dumps(result), TAG_RUN: parent},
        )
        return {"name": name, "version": version, **result}

    def _holdout(self, gate: dict) -> pd.DataFrame:
        import pandas as pd

        dataset = gate["dataset"]
        if isinstance(dataset, str):
            return _read(check_file(dataset, self.config, "dataset"))
        if self.historical is None:
            raise InvalidInput("feature service holdouts need the feature store", field="dataset")
        entities = _read(check_file(dataset["entities"], self.config, "dataset.entities"))
        timestamp = dataset.get("timestamp_field", "event_timestamp")
        frame = self.historical(entities, dataset["feature_service"], timestamp)
        return pd.DataFrame(frame)

    def _evaluate_one(self, name, version, frame, gate, kind, experiment_id, parent, role):
        import mlflow
        import numpy as np
        from mlflow.tracking._tracking_service.utils import _use_tracking_uri

        with tempfile.TemporaryDirectory() as tmp:
            model = self._load(name, version, Path(tmp))
            child = self._start_run(
                experiment_id,
                f"{role} v{version}",
                {
                    "mlflow.parentRunId": parent,
                    "mlops.gate.role": role,
                    "mlops.gate.version": version,
                },
            )
            uri = self.registry.tracking.config.tracking_uri
            features = _model_columns(model, frame.drop(columns=[gate["label"]]))
            # What the model takes and the label: a feature service's holdout also
            # carries the entity keys and event time, which a model was not fit on.
            frame = features.assign(**{gate["label"]: frame[gate["label"]].to_numpy()})
            with _EVALUATE, _use_tracking_uri(uri):
                with mlflow.start_run(run_id=child, nested=True):
                    result = mlflow.models.evaluate(
                        model=model,
                        data=frame,
                        targets=gate["label"],
                        model_type=kind,
                        evaluators=["default"],
                        evaluator_config={"default": {"log_model_explainability": False}},
                    )
            metrics = {k: float(v) for k, v in result.metrics.items() if _is_number(v)}
            if LATENCY in gate["metrics"]:
                rows = min(len(features), gate["latency_rows"])
                took = []
                for i in range(rows):
                    one = features.iloc[[i]]
                    start = time.perf_counter()
                    model.predict(one)
                    took.append((time.perf_counter() - start) * 1000)
                metrics[LATENCY] = float(np.percentile(took, 99))
            self._end_run(child, {LATENCY: metrics[LATENCY]} if LATENCY in metrics else {}, {})
        return metrics

    # MLflow, through the registry's client (the registry area's, as this module is) ---

    def _start_run(self, experiment_id: str, run_name: str, tags: dict) -> str:
        client = self.registry.client
        with mlflow_errors():
            return client.create_run(experiment_id, run_name=run_name, tags=tags).info.run_id

    def _end_run(self, run_id: str, metrics: dict, tags: dict, status: str = "FINISHED"):
        load_mlflow()
        from mlflow.entities import Metric, RunTag

        now = int(time.time() * 1000)
        with mlflow_errors():
            self.registry.client.log_batch(
                run_id,
                metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()],
                tags=[RunTag(k, str(v)) for k, v in tags.items()],
            )
            self.registry.client.set_terminated(run_id, status)

    def _load(self, name: str, version: str, workdir: Path):
        """The version as a pyfunc model, its artifacts read through the registry's client
        (not MLflow's process-wide URIs, which a kernel may point elsewhere)."""
        load_mlflow()
        import mlflow.pyfunc
        from mlflow.artifacts import download_artifacts

        client = self.registry.client
        with mlflow_errors(field="version"):
            source = client.get_model_version_download_uri(name, str(version))
            folder = local_path(source)
            if folder is None:
                folder = download_artifacts(
                    artifact_uri=source, dst_path=str(workdir), tracking_uri=client.tracking_uri
                )
            return mlflow.pyfunc.load_model(str(folder))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _infer_kind(label: pd.Series) -> str:
    import pandas as pd

    if pd.api.types.is_float_dtype(label) and label.nunique() > 20:
        return "regressor"
    if pd.api.types.is_numeric_dtype(label) and not pd.api.types.is_bool_dtype(label):
        return "classifier" if label.nunique() <= 20 else "regressor"
    return "classifier"


def _read(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise InvalidInput(f"cannot read {path.name}: {err}", field="dataset") from err


def _model_columns(model, features):
    """`features` cut to the columns the model's signature takes, in its order; as given
    when it names none. A missing one is refused naming it."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return features
    names = schema.input_names()
    missing = [name for name in names if name not in features.columns]
    if missing:
        raise InvalidInput(
            f"the holdout has no column {missing[0]!r}, which the model takes", field="dataset"
        )
    return features[names]
