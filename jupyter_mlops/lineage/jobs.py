"""The lineage of jobs that are not training: batch scoring runs (the model version that
scored, the input, the output version written) and hyperparameter searches (the parent
run and its trials' runs). The walks `LineageGraphs` adds for them, from what the
scoring job and the search driver record: run tags, the runs' dataset inputs, each
output version's `_scoring.json`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..scoring.outputs import Outputs
from ..scoring.service import KIND_TAG
from ..tracking import lineage
from ..tracking.client import mlflow_errors
from ..tuning.service import SEARCH_TAG, TRIAL_TAG

if TYPE_CHECKING:
    from .graph import Graph

MAX_SCORINGS = 20  # of one model version, newest first
MAX_TRIALS = 10  # of one search, best first
PARENT = "mlflow.parentRunId"
# What the scoring job (scoring/job.py) tags its run with.
SCORED_MODEL = "mlops.scoring.model"
SCORED_INPUT = "mlops.scoring.input_sha256"
SCORED_OUTPUT = "mlops.scoring.output"
SEARCH_METRIC = lineage.SEARCH_METRIC
BEST_RUN = "mlops.search.best_run"
INPUT_CONTEXT = "scoring"  # the dataset context of a scoring run's input


def run_kind(tags: dict[str, str]) -> str:
    """What a run is in the graph: a scoring run, a search (its parent run), or a run."""
    if tags.get(KIND_TAG) == "score":
        return "scoring"
    if SEARCH_TAG in tags and TRIAL_TAG not in tags:
        return "search"
    return "run"


class JobWalks:
    """Mixed into `LineageGraphs`: its `_from_<kind>` for scoring runs, outputs and
    searches, and the scoring runs a model version leads to."""

    def _tagged_run_node(self, graph: Graph, run_id: str, tags: dict, name: str | None) -> str:
        kind = run_kind(tags)
        if TRIAL_TAG in tags:
            name = f"trial {tags[TRIAL_TAG]}"
        return graph.node(kind, run_id, name or run_id[:8], run_id=run_id)

    def _output_node(self, graph: Graph, named: str) -> str | None:
        name, _, version = named.rpartition("/")
        if not name or not version.isdigit():
            return None
        return graph.node("output", named, f"{name} v{version}", name=name, version=version)

    # Scoring ----------------------------------------------------------------------------

    def _from_scoring(self, graph: Graph, node: dict) -> list[str]:
        run_id = node["ref"]["run_id"]
        with mlflow_errors():
            run = self.tracking.client.get_run(run_id)
        tags, found = run.data.tags, []
        source = _scored_input(run)
        node["label"] = source or run.info.run_name or node["label"]
        if source:
            node["ref"]["input"] = source
        if tags.get(SCORED_INPUT):
            node["ref"]["input_sha256"] = tags[SCORED_INPUT]
        model = tags.get(SCORED_MODEL, "")
        node["ref"]["model"] = model
        name, _, version = model.removeprefix("models:/").rpartition("/")
        # models:/NAME/VERSION as the job pinned it; a scheduled run's alias URI does not
        # say which version scored (the alias may have moved since): not guessed.
        if model.startswith("models:/") and name and version.isdigit():
            version_id = self._version_node(graph, name, version)
            graph.edge(version_id, node["id"], "scored")
            found.append(version_id)
        if output := self._output_node(graph, tags.get(SCORED_OUTPUT, "")):
            graph.edge(node["id"], output, "wrote")
            found.append(output)
        if tags.get(lineage.JOB_ID):
            execution = self._execution_node(graph, tags[lineage.JOB_ID], None)
            graph.edge(execution, node["id"], "ran as")
            found.append(execution)
        # Entity rows joined to a feature service's views before scoring: the views read.
        for view in [v for v in tags.get(lineage.FEATURES, "").split(",") if v]:
            view_id = graph.node("feature_view", view, view, name=view.partition("@")[0])
            graph.edge(view_id, node["id"], "joined into")
            found.append(view_id)
        return found

    def _scoring_runs(self, view: str) -> set[str]:
        """The ids of the scoring runs that joined `view`'s features (tagged as training
        runs are, so that the view's users include them)."""
        client = self.tracking.client
        with mlflow_errors():
            experiments = [e.experiment_id for e in client.search_experiments()]
            if not experiments:
                return set()
            runs = client.search_runs(
                experiments,
                f"tags.`{KIND_TAG}` = 'score' and tags.`{lineage.FEATURES}` LIKE '%{view}@%'",
                max_results=1000,
            )
        return {run.info.run_id for run in runs}

    def _scored_by(self, graph: Graph, node: dict) -> list[str]:
        """The scoring runs that scored a model version (pinned to it), newest first."""
        uri = f"models:/{node['ref']['name']}/{node['ref']['version']}"
        quote = '"' if "'" in uri else "'"
        if quote in uri:
            return []  # a name the filter cannot quote
        client = self.tracking.client
        with mlflow_errors():
            experiments = [e.experiment_id for e in client.search_experiments()]
            if not experiments:
                return []
            runs = client.search_runs(
                experiments,
                f"tags.`{KIND_TAG}` = 'score' and tags.`{SCORED_MODEL}` = {quote}{uri}{quote}",
                max_results=MAX_SCORINGS + 1,
                order_by=["attributes.start_time DESC"],
            )
        if len(runs) > MAX_SCORINGS:
            graph.truncated = True
        found = []
        for run in runs[:MAX_SCORINGS]:
            label = _scored_input(run) or run.info.run_name
            scoring = graph.node("scoring", run.info.run_id, label, run_id=run.info.run_id)
            graph.edge(node["id"], scoring, "scored")
            found.append(scoring)
        return found

    def _from_output(self, graph: Graph, node: dict) -> list[str]:
        name, version = node["ref"]["name"], int(node["ref"]["version"])
        outputs = Outputs(self.tracking.config.home)
        outputs.version(name, version)  # NotFound: deleted since
        record = next((v for v in outputs.versions(name) if v["version"] == version), {})
        if not record.get("run_id"):
            return []  # scored outside a job: no run recorded it
        scoring = graph.node(
            "scoring", record["run_id"], record.get("input") or "scoring", run_id=record["run_id"]
        )
        graph.edge(scoring, node["id"], "wrote")
        return [scoring]

    # Searches ---------------------------------------------------------------------------

    def _trial_of(self, graph: Graph, node: dict, tags: dict) -> list[str]:
        """A trial's run leads back to its search's parent run."""
        if TRIAL_TAG not in tags or not tags.get(PARENT):
            return []
        node["label"] = f"trial {tags[TRIAL_TAG]}"
        search = graph.node(
            "search", tags[PARENT], tags.get(SEARCH_TAG, "search"), run_id=tags[PARENT]
        )
        graph.edge(search, node["id"], "trial")
        return [search]

    def _from_search(self, graph: Graph, node: dict) -> list[str]:
        """Its trials' runs: the best few (nearest the best value the search recorded)
        when there are more than one view shows."""
        client = self.tracking.client
        run_id = node["ref"]["run_id"]
        with mlflow_errors():
            parent = client.get_run(run_id)
            trials = client.search_runs(
                [parent.info.experiment_id],
                f"tags.`{PARENT}` = '{run_id}'",
                max_results=1000,
            )
        tags = parent.data.tags
        node["label"] = tags.get(SEARCH_TAG) or parent.info.run_name or node["label"]
        if SEARCH_TAG in tags:
            node["ref"]["search_id"] = tags[SEARCH_TAG]
        trials = [t for t in trials if TRIAL_TAG in t.data.tags]
        metric = tags.get(SEARCH_METRIC)
        best = parent.data.metrics.get(f"best_{metric}")

        def rank(trial) -> tuple:
            value = trial.data.metrics.get(metric)
            number = int(trial.data.tags[TRIAL_TAG])
            if trial.info.run_id == tags.get(BEST_RUN):
                return (0, 0.0, number)
            if best is None or value is None:
                return (1 if value is not None else 2, 0.0, number)
            return (1, abs(value - best), number)

        trials.sort(key=rank)
        if len(trials) > MAX_TRIALS:
            graph.truncated = True
            node["label"] += f" ({MAX_TRIALS} of {len(trials)} trials)"
        found = []
        for trial in trials[:MAX_TRIALS]:
            trial_id = self._tagged_run_node(
                graph, trial.info.run_id, trial.data.tags, trial.info.run_name
            )
            graph.edge(node["id"], trial_id, "trial")
            found.append(trial_id)
        return found


def _scored_input(run) -> str | None:
    """The name of the file a scoring run read (its dataset input in context scoring)."""
    for dataset_input in run.inputs.dataset_inputs if run.inputs else []:
        contexts = {t.value for t in dataset_input.tags if t.key == "mlflow.data.context"}
        if INPUT_CONTEXT in contexts:
            return dataset_input.dataset.name
    return None
