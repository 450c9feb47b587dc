"""What a retraining trigger is: its spec with defaults filled (checked at deploy time,
its job included) and the reasons it fires on a drift or performance report. The
agent's worker that acts on it is `watcher.RetrainingWatcher`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidInput

if TYPE_CHECKING:
    from ..jobs.service import Jobs

DEFAULTS = {
    "on": ["drift"],
    "window_seconds": 3600,
    "check_every": 300,
    "cooldown": 3600,
    "canary_percent": 10,
    "promote_after": 100,
}
# Drifted columns named in a reason; the rest are counted.
SHOWN_COLUMNS = 5


# Spec ---------------------------------------------------------------------------------


def check(trigger: dict | None, *, jobs: Jobs) -> dict | None:
    """The trigger with defaults filled, once its job is known to exist and its
    thresholds fit what it watches. `Deployments.deploy` calls it on every spec."""
    if trigger is None:
        return None
    resolved = {**DEFAULTS, **trigger}
    if "on" not in trigger and _has_limit(trigger):
        resolved["on"] = ["drift", "performance"]  # a limit given is a limit watched
    if "performance" in resolved["on"] and not _has_limit(resolved):
        raise InvalidInput(
            "a trigger on performance needs min_accuracy (classification) or max_mae (regression)",
            field="trigger.min_accuracy",
        )
    jobs.resolve_reference(resolved["job"], field="trigger.job")
    return resolved


def _has_limit(trigger: dict) -> bool:
    return trigger.get("min_accuracy") is not None or trigger.get("max_mae") is not None


# Deciding -----------------------------------------------------------------------------


def reasons(trigger: dict, drift: dict | None, performance: dict | None) -> list[str]:
    """Why the trigger fires on these reports; empty when it does not."""
    found = []
    if drift is not None and "drift" in trigger["on"] and drift["drifted"]:
        columns = {c["name"]: c for c in drift["features"]}
        if drift.get("prediction"):
            columns.setdefault(drift["prediction"]["name"], drift["prediction"])
        said = [_column(columns.get(name), name) for name in drift["drifted"][:SHOWN_COLUMNS]]
        more = len(drift["drifted"]) - SHOWN_COLUMNS
        rows = drift["window"]["rows"]
        found.append(
            f"drift in {', '.join(said)}{f' and {more} more' if more > 0 else ''} "
            f"({rows} rows against the {drift['reference']['source']})"
        )
    if performance and "performance" in trigger["on"] and performance.get("labelled"):
        labelled = performance["labelled"]
        accuracy, mae = performance.get("accuracy"), performance.get("mae")
        limit = trigger.get("min_accuracy")
        if limit is not None and accuracy is not None and accuracy < limit:
            found.append(f"accuracy {accuracy:.3f} < {limit:g} over {labelled} labelled rows")
        limit = trigger.get("max_mae")
        if limit is not None and mae is not None and mae > limit:
            found.append(f"MAE {mae:.4g} > {limit:g} over {labelled} labelled rows")
    return found


def _column(report: dict | None, name: str) -> str:
    if report is None:
        return name
    figures = []
    if report.get("psi") is not None:
        figures.append(f"PSI {report['psi']:.3f}")
    if report.get("p_value") is not None:
        figures.append(f"{report['test']} p={report['p_value']:.2g}")
    return f"{name} ({', '.join(figures)})" if figures else name
