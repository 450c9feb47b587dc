"""Searches: submitted (checked whole, then a study and a parent run made), listed, shown
with Optuna's figures, cancelled. The agent's `SearchDriver` (driver.py) runs them."""

from __future__ import annotations

import json
import time
import uuid
from functools import cached_property

from ..config import MLOpsConfig
from ..errors import Conflict, InvalidInput, NotFound
from ..jobs.service import Jobs
from ..tracking import lineage
from ..tracking.service import Tracking
from . import space, studies

SEARCH_TAG = lineage.SEARCH
TRIAL_TAG = lineage.SEARCH_TRIAL
METRIC_TAG = lineage.SEARCH_METRIC  # on the parent run


class Tuning:
    def __init__(self, config: MLOpsConfig, jobs: Jobs, tracking: Tracking):
        self.config = config
        self.jobs = jobs
        self.tracking = tracking

    @cached_property
    def storage(self):
        return studies.storage(self.config)

    def submit(self, body: dict) -> dict:
        """A job spec with `search`: checked whole before anything is stored."""
        if not isinstance(body, dict) or not isinstance(body.get("search"), dict):
            raise InvalidInput("a search needs a search object", field="search")
        job = {key: value for key, value in body.items() if key != "search"}
        for key in ("schedule", "sweep"):
            if key in job:
                raise InvalidInput(f"a search takes no {key}", field=key)
        resolved = self.jobs.check(job)
        declared = {p["name"]: p for p in self.jobs.parameters(resolved["notebook"])["parameters"]}
        search = space.validate(body["search"], declared)
        space.distributions(search["space"], declared)  # Optuna's own checks, before storing
        if search["sampler"] == "grid":
            size = 1
            for dimension in search["space"].values():
                size *= len(dimension["choices"])
            search["trials"] = min(search["trials"], size)
        search_id = f"s-{uuid.uuid4().hex[:12]}"
        parent = self.jobs.create_parent_run(
            resolved["experiment"],
            f"{resolved['name']}-search",
            {SEARCH_TAG: search_id, METRIC_TAG: search["metric"]},
        )
        import optuna

        study = optuna.create_study(
            storage=self.storage, study_name=search_id, direction=search["direction"]
        )
        for key, value in {
            "spec": resolved,
            "search": search,
            "parent_run_id": parent,
            "created_at": time.time(),
            "status": "running",
        }.items():
            study.set_user_attr(key, value)
        return {"search": self.search(search_id)}

    def open(self, search_id: str):
        import optuna

        try:
            return optuna.load_study(study_name=search_id, storage=self.storage)
        except KeyError:
            raise NotFound(f"no search {search_id!r}") from None

    def active(self) -> list[str]:
        import optuna

        return [
            summary.study_name
            for summary in optuna.get_all_study_summaries(self.storage, include_best_trial=False)
            if summary.user_attrs.get("status") == "running"
        ]

    def searches(self) -> list[dict]:
        import optuna

        summaries = optuna.get_all_study_summaries(self.storage, include_best_trial=False)
        found = [self.search(s.study_name) for s in summaries]
        return sorted(found, key=lambda s: s["created_at"], reverse=True)

    def search(self, search_id: str, *, figures: bool = False) -> dict:
        """What the Jobs section shows of a search, its trials, and Optuna's figures."""
        study = self.open(search_id)
        attrs = study.user_attrs
        trials = study.get_trials(deepcopy=False)
        states = [t.state.name.lower() for t in trials]
        complete = [t for t in trials if t.state.name == "COMPLETE"]
        best = None
        if complete:
            best = (min if attrs["search"]["direction"] == "minimize" else max)(
                complete, key=lambda t: t.value
            )
        view = {
            "id": search_id,
            "notebook": attrs["spec"]["notebook"],
            "experiment": attrs["spec"]["experiment"],
            "parent_run_id": attrs["parent_run_id"],
            "created_at": attrs["created_at"],
            "status": attrs["status"],
            "search": attrs["search"],
            "counts": {
                state: states.count(state) for state in ("complete", "running", "pruned", "fail")
            },
            "best": None
            if best is None
            else {
                "trial": best.number,
                "value": best.value,
                "params": best.params,
                "run_id": best.user_attrs.get("run_id"),
            },
            "trials": [
                {
                    "number": t.number,
                    "state": t.state.name.lower(),
                    "params": t.params,
                    "value": t.value,
                    "execution_id": t.user_attrs.get("execution_id"),
                    "run_id": t.user_attrs.get("run_id"),
                }
                for t in trials
            ],
        }
        if figures:
            view["figures"] = _figures(study)
        return view

    def cancel(self, search_id: str) -> dict:
        """No new trial; the running ones are cancelled (the driver records them)."""
        study = self.open(search_id)
        if study.user_attrs["status"] != "running":
            raise Conflict(f"search {search_id} is {study.user_attrs['status']}")
        study.set_user_attr("status", "cancelling")
        for trial in study.get_trials(deepcopy=False):
            execution_id = trial.user_attrs.get("execution_id")
            if trial.state.name == "RUNNING" and execution_id:
                self.jobs.cancel(execution_id)
        return self.search(search_id)


def _figures(study) -> dict:
    """Optuna's optimization history, parameter importances and parallel coordinates, as
    Plotly JSON; a figure Optuna cannot draw yet (too few trials) is left out."""
    import plotly.io
    from optuna import visualization

    made = {}
    for name, draw in (
        ("history", visualization.plot_optimization_history),
        ("importances", visualization.plot_param_importances),
        ("parallel", visualization.plot_parallel_coordinate),
    ):
        try:
            made[name] = json.loads(plotly.io.to_json(draw(study)))
        except (ValueError, RuntimeError):
            continue
    return made
