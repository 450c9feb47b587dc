"""The agent's duty that runs searches: each tick, for each running search, it records
how finished trials ended, reports running trials' intermediate values to the pruner
(a trial it prunes is recorded PRUNED at once and its execution cancelled, its worker
and kernel gone by the scheduler's step of the same tick), and asks Optuna for new
trials while fewer than `parallel` run. A search ends once none of its executions runs.

Everything it needs to carry on is in the study (trials, their executions as user
attributes) and the state DB (executions), so a search resumes after the agent restarts:
a trial asked for but never queued (the agent died between) is queued then.
"""

from __future__ import annotations

import logging
import time

from ..errors import Conflict
from ..jobs.records import ACTIVE, ExecutionStatus
from ..jobs.service import Jobs
from ..tracking.service import Tracking
from . import space, studies
from .service import SEARCH_TAG, TRIAL_TAG, Tuning

log = logging.getLogger(__name__)


class SearchDriver:
    name = "tuning"

    def __init__(self, tuning: Tuning, jobs: Jobs, tracking: Tracking, clock=time.time):
        self.tuning = tuning
        self.jobs = jobs
        self.tracking = tracking
        self.clock = clock

    def reconcile(self) -> None:
        """Nothing to repair: each tick starts from the studies and the executions."""

    def tick(self) -> None:
        for search_id in self.tuning.active():
            try:
                self.advance(search_id)
            except Exception:  # one search's trouble must not stop the others
                log.exception("search %s: step failed", search_id)

    def close(self) -> None:
        """Nothing held."""

    def advance(self, search_id: str) -> None:
        import optuna

        study = self.tuning.open(search_id)
        started = len(study.get_trials(deepcopy=False))
        attrs = study.user_attrs
        search = attrs["search"]
        # Set once the study is read: the sampler's seed moves on with the trials asked for.
        study.sampler = studies.sampler(search, started)
        study.pruner = studies.pruner(search)
        running = 0
        for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            if self._follow(study, trial, attrs):
                running += 1
        status = attrs["status"]
        deadline = search.get("timeout") and attrs["created_at"] + search["timeout"]
        asking = status == "running" and not (deadline and self.clock() >= deadline)
        while asking and running < search["parallel"] and started < search["trials"]:
            trial = study.ask(self._distributions(study, attrs))
            self._queue(study, trial._trial_id, trial.number, trial.params, attrs)
            running, started = running + 1, started + 1
        if running == 0 and (started >= search["trials"] or not asking):
            if not self._stopping(study):
                self._finish(study, attrs)

    # Trials -----------------------------------------------------------------------------

    def _distributions(self, study, attrs) -> dict:
        declared = self.jobs.parameters(attrs["spec"]["notebook"])["parameters"]
        return space.distributions(attrs["search"]["space"], {p["name"]: p for p in declared})

    def _queue(self, study, trial_id: int, number: int, values: dict, attrs: dict) -> None:
        execution = self.jobs.queue(
            attrs["spec"],
            values,
            tags={SEARCH_TAG: study.study_name, TRIAL_TAG: str(number)},
            parent_run_id=attrs["parent_run_id"],
        )
        study._storage.set_trial_user_attr(trial_id, "execution_id", execution["id"])

    def _follow(self, study, trial, attrs) -> bool:
        """Move a running trial on; True while its execution is still active."""
        import optuna

        execution_id = trial.user_attrs.get("execution_id")
        if execution_id is None:  # asked for, never queued: the agent stopped in between
            self._queue(study, trial._trial_id, trial.number, trial.params, attrs)
            return True
        execution = self.jobs.execution(execution_id)
        run_id = execution["mlflow_run_id"]
        if run_id and "run_id" not in trial.user_attrs:
            study._storage.set_trial_user_attr(trial._trial_id, "run_id", run_id)
        metric = attrs["search"]["metric"]
        if execution["status"] in ACTIVE:
            if execution["status"] == ExecutionStatus.RUNNING and run_id:
                return not self._report(study, trial, run_id, metric, execution_id)
            return True
        states = optuna.trial.TrialState
        if execution["status"] == ExecutionStatus.SUCCEEDED and run_id:
            value = self.tracking.get_run(run_id).data.metrics.get(metric)
            if value is not None:
                study.tell(trial.number, value)
                return False
            log.warning("trial %s of %s logged no %s", trial.number, study.study_name, metric)
        pruned = trial.user_attrs.get("pruned")
        study.tell(trial.number, state=states.PRUNED if pruned else states.FAIL)
        return False

    def _report(self, study, trial, run_id: str, metric: str, execution_id: str) -> bool:
        """Intermediate values (the metric by step) to the pruner; True when it prunes the
        trial: its execution is cancelled and the trial recorded PRUNED now, so that its
        place goes to a new trial in this tick rather than once the cancel has landed."""
        import optuna

        # Marked pruned but still running: an agent stopped between the mark and the tell.
        if not trial.user_attrs.get("pruned"):
            points = self.tracking.metric_history(run_id, metric)["points"]
            reported = set(trial.intermediate_values)
            live = optuna.trial.Trial(study, trial._trial_id)
            for point in points:
                if point["step"] not in reported and point["value"] is not None:
                    live.report(point["value"], point["step"])
                    reported.add(point["step"])
            if not (points and live.should_prune()):
                return False
            study._storage.set_trial_user_attr(trial._trial_id, "pruned", True)
        try:
            self.jobs.cancel(execution_id)
        except Conflict:  # it ended meanwhile: recorded as it ended, next tick
            return False
        study.tell(trial.number, state=optuna.trial.TrialState.PRUNED)
        return True

    def _stopping(self, study) -> bool:
        """Whether a pruned trial's execution is still being stopped: a search ends once
        nothing of it runs."""
        import optuna

        pruned = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,))
        return any(
            self.jobs.execution(trial.user_attrs["execution_id"])["status"] in ACTIVE
            for trial in pruned
            if "execution_id" in trial.user_attrs
        )

    def _finish(self, study, attrs) -> None:
        status = "cancelled" if attrs["status"] == "cancelling" else "finished"
        study.set_user_attr("status", status)
        complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
        if not complete:
            return
        best = study.best_trial
        metric = attrs["search"]["metric"]
        self.tracking.log_summary(
            attrs["parent_run_id"],
            {f"best_{metric}": best.value},
            {
                "mlops.search.best_trial": str(best.number),
                "mlops.search.best_params": _json(best.params),
                **(
                    {"mlops.search.best_run": best.user_attrs["run_id"]}
                    if "run_id" in best.user_attrs
                    else {}
                ),
            },
        )


def _json(value) -> str:
    import json

    return json.dumps(value, sort_keys=True)
