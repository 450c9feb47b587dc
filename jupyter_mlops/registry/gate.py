"""A registered model's gate: what a version must show on a holdout set before the gated
alias (`champion` by default) may point at it.

The gate is kept on the registered model (tag `mlops.gate`, JSON); an evaluation runs
MLflow's default evaluator (`mlflow.models.evaluate`) over the holdout for the candidate
and the version the alias points at now, in one evaluation run (a child run per version),
and keeps the verdict on the candidate version (tags `mlops.gate.verdict`,
`mlops.gate.result`). `Registry.set_alias` reads both: moving the gated alias to a
version without a passing verdict of the current gate is refused unless forced with a
reason, which is recorded on the version. Evaluating is `evaluation.Gates`'s.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from ..config import MLOpsConfig

TAG_GATE = "mlops.gate"  # on the registered model: the gate, JSON
TAG_VERDICT = "mlops.gate.verdict"  # on a version: pass | fail
TAG_RESULT = "mlops.gate.result"  # on a version: the verdict per metric, JSON
TAG_RUN = "mlops.gate.run_id"
TAG_FORCED_BY = "mlops.gate.forced_by"
TAG_FORCED_REASON = "mlops.gate.forced_reason"
TAG_FORCED_AT = "mlops.gate.forced_at"
EXPERIMENT = "mlops-gates"
DEFAULT_ALIAS = "champion"
LATENCY = "latency_p99_ms"
LATENCY_ROWS = 200  # rows predicted one at a time to measure the p99
MAX_LATENCY_ROWS = 5000
MAX_REASON = 1000
KINDS = ("classifier", "regressor")
BOUNDS = ("min", "max", "not_worse_than_champion_by")
# What MLflow's default evaluator computes, per model type (and the latency measured here).
METRICS = {
    "classifier": {
        "accuracy_score",
        "precision_score",
        "recall_score",
        "f1_score",
        "roc_auc",
        "precision_recall_auc",
        "log_loss",
        "true_negatives",
        "false_positives",
        "false_negatives",
        "true_positives",
        "example_count",
    },
    "regressor": {
        "mean_absolute_error",
        "mean_squared_error",
        "root_mean_squared_error",
        "sum_on_target",
        "mean_on_target",
        "r2_score",
        "max_error",
        "mean_absolute_percentage_error",
        "example_count",
    },
}
KNOWN = METRICS["classifier"] | METRICS["regressor"] | {LATENCY}
_FIELDS = {"dataset", "label", "alias", "model_type", "metrics", "latency_rows"}
_DATASET_FIELDS = {"feature_service", "entities", "timestamp_field"}
_ALIAS = re.compile(r"^[A-Za-z_][\w-]{0,254}$")


class GateRefused(Conflict):
    """The gated alias may not point at this version (yet): it failed, or was not evaluated
    against the current gate. `failing` names each metric (or why none was judged)."""

    code = "gate_refused"

    def __init__(self, message: str, failing: list[dict]):
        super().__init__(message, field="version")
        self.failing = failing

    def to_dict(self) -> dict:
        return {**super().to_dict(), "failing": self.failing}


def lower_is_better(metric: str) -> bool:
    return (
        metric == LATENCY
        or "error" in metric
        or "loss" in metric
        or metric.startswith(("false_", "latency"))
    )


# The spec -----------------------------------------------------------------------------


def check_spec(spec: Any, config: MLOpsConfig) -> dict:
    """The gate, normalized; InvalidInput naming the first bad field."""
    if not isinstance(spec, dict):
        raise InvalidInput("a gate is an object with dataset, label and metrics", field="gate")
    unknown = sorted(set(spec) - _FIELDS)
    if unknown:
        raise InvalidInput(
            f"unknown gate field {unknown[0]!r} (known: {', '.join(sorted(_FIELDS))})",
            field=unknown[0],
        )
    out: dict[str, Any] = {"dataset": _check_dataset(spec.get("dataset"), config)}
    label = spec.get("label")
    if not isinstance(label, str) or not label.strip():
        raise InvalidInput("label must name the holdout's target column", field="label")
    out["label"] = label
    alias = spec.get("alias", DEFAULT_ALIAS)
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise InvalidInput(f"invalid alias {alias!r}", field="alias")
    out["alias"] = alias
    kind = spec.get("model_type")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"model_type must be one of {', '.join(KINDS)}", field="model_type")
    out["model_type"] = kind
    rows = spec.get("latency_rows", LATENCY_ROWS)
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= MAX_LATENCY_ROWS:
        raise InvalidInput(
            f"latency_rows must be an integer from 1 to {MAX_LATENCY_ROWS}", field="latency_rows"
        )
    out["latency_rows"] = rows
    metrics = spec.get("metrics")
    if not isinstance(metrics, dict) or not metrics:
        raise InvalidInput(
            "metrics must name at least one metric, e.g. {roc_auc: {min: 0.8}}", field="metrics"
        )
    allowed = METRICS[kind] | {LATENCY} if kind else KNOWN
    out["metrics"] = {}
    for name, bounds in metrics.items():
        where = f"metrics.{name}"
        if name not in allowed:
            raise InvalidInput(
                f"unknown metric {name!r} (known: {', '.join(sorted(allowed))})", field=where
            )
        if not isinstance(bounds, dict) or not bounds:
            raise InvalidInput(f"{name} needs at least one of {', '.join(BOUNDS)}", field=where)
        checked = {}
        for key, value in bounds.items():
            if key not in BOUNDS:
                raise InvalidInput(
                    f"unknown bound {key!r} (known: {', '.join(BOUNDS)})", field=f"{where}.{key}"
                )
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidInput(f"{key} must be a number", field=f"{where}.{key}")
            if not math.isfinite(value) or (key == "not_worse_than_champion_by" and value < 0):
                raise InvalidInput(
                    f"{key} must be a finite number{' >= 0' if key.startswith('not') else ''}",
                    field=f"{where}.{key}",
                )
            checked[key] = float(value)
        if "min" in checked and "max" in checked and checked["min"] > checked["max"]:
            raise InvalidInput(f"{name}: min is above max", field=f"{where}.min")
        out["metrics"][name] = checked
    return out


def _check_dataset(dataset: Any, config: MLOpsConfig) -> str | dict:
    if isinstance(dataset, str) and dataset.strip():
        check_file(dataset, config, "dataset")
        return dataset
    if isinstance(dataset, dict):
        unknown = sorted(set(dataset) - _DATASET_FIELDS)
        if unknown:
            raise InvalidInput(f"unknown dataset field {unknown[0]!r}", field="dataset")
        service = dataset.get("feature_service")
        if not isinstance(service, str) or not service.strip():
            raise InvalidInput(
                "feature_service must name a feature service", field="dataset.feature_service"
            )
        entities = dataset.get("entities")
        if not isinstance(entities, str) or not entities.strip():
            raise InvalidInput(
                "entities must be a parquet or CSV file of entity keys, timestamps and labels",
                field="dataset.entities",
            )
        check_file(entities, config, "dataset.entities")
        out = {"feature_service": service, "entities": entities}
        if "timestamp_field" in dataset:
            if not isinstance(dataset["timestamp_field"], str):
                raise InvalidInput("must be a column name", field="dataset.timestamp_field")
            out["timestamp_field"] = dataset["timestamp_field"]
        return out
    raise InvalidInput(
        "dataset must be a holdout parquet or CSV file inside the server root, or "
        "{feature_service, entities}",
        field="dataset",
    )


def check_file(path: str, config: MLOpsConfig, field: str) -> Path:
    resolved = config.under_root(path, field)
    if resolved.suffix.lower() not in (".parquet", ".csv"):
        raise InvalidInput(f"{path!r} is not a .parquet or .csv file", field=field)
    if not resolved.is_file():
        raise InvalidInput(f"no file {path!r} under the server root", field=field)
    return resolved


def fingerprint(gate: dict) -> str:
    return hashlib.sha256(json.dumps(gate, sort_keys=True).encode()).hexdigest()[:12]


def stored(tags: dict) -> dict | None:
    """The gate kept in a registered model's tags, or None."""
    text = tags.get(TAG_GATE)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def verdict(name: str, version: str, version_tags: dict) -> dict | None:
    """The verdict kept on a version's tags (None: not evaluated)."""
    try:
        result = json.loads(version_tags.get(TAG_RESULT) or "null")
    except ValueError:
        return None
    return {"name": name, "version": version, **result} if isinstance(result, dict) else None


def refusal(gate: dict, version: str, version_tags: dict) -> GateRefused | None:
    """Why the gated alias may not point at `version` (None: it may)."""
    alias = gate["alias"]
    result = None
    if version_tags.get(TAG_RESULT):
        try:
            result = json.loads(version_tags[TAG_RESULT])
        except ValueError:
            result = None
    if result is None:
        return GateRefused(
            f"version {version} has not been evaluated against the gate of alias {alias!r}: "
            "evaluate it first (or force the move with a reason)",
            [{"metric": None, "reason": "not evaluated"}],
        )
    if result.get("gate") != fingerprint(gate):
        return GateRefused(
            f"version {version} was evaluated against an earlier gate of alias {alias!r}: "
            "evaluate it again (or force the move with a reason)",
            [{"metric": None, "reason": "evaluated against an earlier gate"}],
        )
    failing = [m for m in result.get("metrics", []) if not m.get("passed")]
    if result.get("verdict") == "pass" and not failing:
        return None
    said = "; ".join(f"{m['metric']}: {m.get('reason', 'failed')}" for m in failing)
    return GateRefused(
        f"version {version} failed the gate of alias {alias!r} ({said or 'failed'})", failing
    )


def forced_tags(reason: str | None, who: str | None, refused: GateRefused) -> dict:
    """The tags a forced move leaves on the version: who, why, when, what it overrode."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(
            f"{refused.message}; forcing the move needs a non-empty reason", field="reason"
        )
    if not who:
        import getpass

        try:
            who = getpass.getuser()
        except Exception:  # no user name in this environment (a container's odd uid)
            who = "unknown"
    return {
        TAG_FORCED_BY: who[:250],
        TAG_FORCED_REASON: reason.strip()[:MAX_REASON],
        TAG_FORCED_AT: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def judge(gate: dict, candidate: dict, champion: dict | None) -> list[dict]:
    """Pass or fail per metric of the gate, with both values."""
    judged = []
    for name, bounds in gate["metrics"].items():
        value = candidate.get(name)
        theirs = champion.get(name) if champion else None
        reasons = []
        if value is None or not math.isfinite(value):
            reasons.append("not computed for the candidate")
        else:
            if "min" in bounds and value < bounds["min"]:
                reasons.append(f"{value:.4g} < min {bounds['min']:g}")
            if "max" in bounds and value > bounds["max"]:
                reasons.append(f"{value:.4g} > max {bounds['max']:g}")
            by = bounds.get("not_worse_than_champion_by")
            if by is not None and theirs is not None and math.isfinite(theirs):
                if lower_is_better(name) and value > theirs + by:
                    reasons.append(
                        f"{value:.4g} is worse than the champion's {theirs:.4g} + {by:g}"
                    )
                elif not lower_is_better(name) and value < theirs - by:
                    reasons.append(
                        f"{value:.4g} is worse than the champion's {theirs:.4g} - {by:g}"
                    )
        judged.append(
            {
                "metric": name,
                "candidate": _number(value),
                "champion": _number(theirs),
                "bounds": bounds,
                "passed": not reasons,
                **({"reason": "; ".join(reasons)} if reasons else {}),
            }
        )
    return judged


def _number(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
