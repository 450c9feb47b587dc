"""The lineage graph around one thing: feature views@version → training set → job
execution → run → model version → alias → deployment, and the retraining firings that
lead from a deployment back to a new execution; a search's trials, and the scoring runs
of a model version with the outputs they wrote (jobs.py). Built by walking each node's
neighbours from what the stores already record (run tags, model versions, deployment
rows, job rows, firings, outputs), breadth first and bounded, so one view answers what
MLflow shows one hop at a time."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import InvalidInput, NotFound
from ..scoring.outputs import Outputs
from ..serving import records as deployment_records
from ..tracking import lineage
from ..tracking.client import mlflow_errors
from .jobs import JobWalks

if TYPE_CHECKING:
    from ..jobs.records import JobRecords
    from ..retraining.firings import Firings
    from ..store import StateStore
    from ..tracking.service import Tracking
    from ..tracking.training_sets import TrainingSetRuns

# Left to right, as the loop runs; a firing closes it back to an execution.
KINDS = (
    "feature_view",
    "training_set",
    "search",
    "execution",
    "run",
    "model_version",
    "alias",
    "scoring",
    "output",
    "deployment",
    "firing",
)
MAX_NODES = 80  # a view that trained hundreds of runs is cut here, and says so
MAX_FIRINGS = 20
_KEYS = {
    "run": re.compile(r"[0-9a-f]{32}"),
    "execution": re.compile(r"[0-9a-f]{8,32}"),
    "model_version": re.compile(r"[^/]{1,256}/[1-9]\d*"),
    "deployment": re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}"),
    "feature_view": re.compile(r"[A-Za-z_][\w.-]{0,127}(@[1-9]\d*)?"),
    "output": re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/[1-9]\d*"),
}


@dataclass
class Graph:
    nodes: dict[str, dict] = field(default_factory=dict)
    edges: list[dict] = field(default_factory=list)
    truncated: bool = False

    def node(self, kind: str, key: str, label: str, **ref) -> str:
        node_id = f"{kind}:{key}"
        if node_id not in self.nodes:
            self.nodes[node_id] = {"id": node_id, "kind": kind, "label": label, "ref": ref}
        return node_id

    def edge(self, source: str, target: str, label: str) -> None:
        edge = {"source": source, "target": target, "label": label}
        if edge not in self.edges:
            self.edges.append(edge)

    def view(self, start: str) -> dict:
        known = [e for e in self.edges if e["source"] in self.nodes and e["target"] in self.nodes]
        return {
            "start": start,
            "nodes": list(self.nodes.values()),
            "edges": known,
            "truncated": self.truncated,
        }


class LineageGraphs(JobWalks):
    def __init__(
        self,
        tracking: Tracking,
        state: StateStore,
        jobs: JobRecords,
        firings: Firings,
        training_sets: TrainingSetRuns,
    ):
        self.tracking = tracking
        self.state = state
        self.jobs = jobs
        self.firings = firings
        self.training_sets = training_sets

    def graph(self, kind: str, key: str) -> dict:
        """The graph around one node: `kind` one of KINDS' walkable ones (run, execution,
        model_version as NAME/VERSION, deployment, feature_view as NAME or NAME@VERSION,
        output as NAME/VERSION). A run is shown as what its tags say it is: a scoring
        run, a search's parent run, or a run."""
        pattern = _KEYS.get(kind)
        if pattern is None:
            said = f"kind must be one of {', '.join(_KEYS)}, not {kind!r}"
            raise InvalidInput(said, field="kind")
        if not isinstance(key, str) or not pattern.fullmatch(key):
            raise InvalidInput(f"{key!r} is not a {kind.replace('_', ' ')}", field="id")
        graph = Graph()
        start = self._start(graph, kind, key)
        todo, seen = deque([start]), {start}
        while todo:
            node_id = todo.popleft()
            for found in self._expand(graph, graph.nodes[node_id]):
                if found in seen:
                    continue
                if len(seen) >= MAX_NODES:
                    graph.truncated = True
                    graph.nodes.pop(found, None)
                    continue
                seen.add(found)
                todo.append(found)
        return graph.view(start)

    # The start node, checked to exist ---------------------------------------------

    def _start(self, graph: Graph, kind: str, key: str) -> str:
        client = self.tracking.client
        if kind == "run":
            with mlflow_errors("id"):
                run = client.get_run(key)
            return self._tagged_run_node(graph, key, run.data.tags, run.info.run_name)
        if kind == "execution":
            execution = self.jobs.get(key)
            return self._execution_node(graph, execution.id, execution.spec.get("notebook"))
        if kind == "model_version":
            name, version = key.rsplit("/", 1)
            with mlflow_errors("id"):
                client.get_model_version(name, version)
            return self._version_node(graph, name, version)
        if kind == "deployment":
            deployment_records.get(self.state, key)  # NotFound when there is none
            return graph.node("deployment", key, key, name=key)
        if kind == "output":
            name, version = key.rsplit("/", 1)
            Outputs(self.tracking.config.home).version(name, int(version))  # or NotFound
            return self._output_node(graph, key)
        name, _, version = key.partition("@")
        views = self._views(name)
        if not views:
            raise NotFound(f"no feature view named {name!r}")
        version = version or str(max(views))
        if int(version) not in views:
            raise NotFound(f"feature view {name!r} has no version {version}")
        return graph.node("feature_view", f"{name}@{version}", f"{name}@{version}", name=name)

    # Neighbours ---------------------------------------------------------------------

    def _expand(self, graph: Graph, node: dict) -> list[str]:
        expand = getattr(self, f"_from_{node['kind']}", None)
        try:
            return expand(graph, node) if expand else []
        except NotFound:
            # Named by another record but deleted since (a model version, a run): shown,
            # so the chain is not silently shorter, and not followed.
            node["label"] += " (not found)"
            return []

    def _from_run(self, graph: Graph, node: dict) -> list[str]:
        client = self.tracking.client
        run_id = node["ref"]["run_id"]
        with mlflow_errors():
            tags = client.get_run(run_id).data.tags
            versions = client.search_model_versions(f"run_id = '{run_id}'")
        found = []
        views = [v for v in tags.get(lineage.FEATURES, "").split(",") if v]
        if views:
            training = graph.node("training_set", run_id, "training set", run_id=run_id)
            graph.edge(training, node["id"], "trained")
            found.append(training)
            for view in views:
                name = view.partition("@")[0]
                view_id = graph.node("feature_view", view, view, name=name)
                graph.edge(view_id, training, "joined into")
                found.append(view_id)
        if tags.get(lineage.JOB_ID):
            execution = self._execution_node(graph, tags[lineage.JOB_ID], None)
            graph.edge(execution, node["id"], "ran as")
            found.append(execution)
        for version in versions:
            version_id = self._version_node(graph, version.name, str(version.version))
            graph.edge(node["id"], version_id, "registered as")
            found.append(version_id)
        return found + self._trial_of(graph, node, tags)

    def _from_training_set(self, graph: Graph, node: dict) -> list[str]:
        return []  # its views and its run are added with the run

    def _from_execution(self, graph: Graph, node: dict) -> list[str]:
        try:
            execution = self.jobs.get(node["ref"]["execution_id"])
        except NotFound:  # its row was deleted; the run's tag still names it
            return []
        node["label"] = execution.spec.get("notebook") or node["label"]
        if not execution.mlflow_run_id:
            return []
        tags = execution.spec.get("tags", {})
        run_id = self._tagged_run_node(graph, execution.mlflow_run_id, tags, None)
        graph.edge(node["id"], run_id, "ran as")
        return [run_id]

    def _from_model_version(self, graph: Graph, node: dict) -> list[str]:
        client = self.tracking.client
        name, version = node["ref"]["name"], node["ref"]["version"]
        with mlflow_errors():
            found_version = client.get_model_version(name, version)
            aliases = client.get_registered_model(name).aliases
        found = []
        if found_version.run_id:
            run_id = self._run_node(graph, found_version.run_id, None)
            graph.edge(run_id, node["id"], "registered as")
            found.append(run_id)
        for alias, aliased in aliases.items():
            if str(aliased) == version:
                alias_id = graph.node("alias", f"{name}@{alias}", f"@{alias}", name=name)
                graph.edge(node["id"], alias_id, "alias")
                found.append(alias_id)
        for row in deployment_records.rows(self.state):
            serving = row["model_name"] == name and str(row["model_version"]) == version
            candidate = row["candidate"] or {}
            trying = (
                candidate.get("model_name") == name
                and str(candidate.get("model_version")) == version
            )
            if serving or trying:
                deployment = graph.node("deployment", row["name"], row["name"], name=row["name"])
                uri = (row["spec"] or {}).get("model_uri", "")
                via = f"alias:{name}@{uri.rsplit('@', 1)[1]}" if "@" in uri else node["id"]
                source = via if via in graph.nodes else node["id"]
                graph.edge(source, deployment, "serves" if serving else "rolling out")
                found.append(deployment)
        return found + self._scored_by(graph, node)

    def _from_alias(self, graph: Graph, node: dict) -> list[str]:
        return []  # added with the version it points to

    def _from_deployment(self, graph: Graph, node: dict) -> list[str]:
        try:
            row = deployment_records.get(self.state, node["ref"]["name"])
        except NotFound:
            return []
        candidate = row["candidate"] or {}
        found = []
        for name, version in (
            (row["model_name"], row["model_version"]),
            (candidate.get("model_name"), candidate.get("model_version")),
        ):
            if name and version:
                found.append(self._version_node(graph, name, str(version)))
        for firing in self.firings.rows(row["name"], limit=MAX_FIRINGS):
            firing_id = graph.node(
                "firing",
                firing["id"],
                f"retrain: {firing['status']}",
                deployment=row["name"],
                reason=firing["reason"],
            )
            graph.edge(node["id"], firing_id, "fired")
            found.append(firing_id)
            if firing["execution_id"]:
                execution = self._execution_node(graph, firing["execution_id"], None)
                graph.edge(firing_id, execution, "retrained with")
                found.append(execution)
        return found

    def _from_firing(self, graph: Graph, node: dict) -> list[str]:
        return []  # added with its deployment, with the execution it started

    def _from_feature_view(self, graph: Graph, node: dict) -> list[str]:
        view = node["id"].split(":", 1)[1]
        found = []
        scorings = self._scoring_runs(node["ref"]["name"])
        for run in self.training_sets.usage(node["ref"]["name"])["runs"]:
            if view not in run["views"].split(","):
                continue
            if run["run_id"] in scorings:  # read to score, not to train
                scoring = graph.node(
                    "scoring", run["run_id"], run["run_name"], run_id=run["run_id"]
                )
                graph.edge(node["id"], scoring, "joined into")
                found.append(scoring)
                continue
            run_id = self._run_node(graph, run["run_id"], run["run_name"])
            training = graph.node(
                "training_set", run["run_id"], "training set", run_id=run["run_id"]
            )
            graph.edge(node["id"], training, "joined into")
            graph.edge(training, run_id, "trained")
            found.append(run_id)
        return found

    # Node makers ----------------------------------------------------------------------

    def _run_node(self, graph: Graph, run_id: str, name: str | None) -> str:
        return graph.node("run", run_id, name or run_id[:8], run_id=run_id)

    def _execution_node(self, graph: Graph, execution_id: str, notebook: str | None) -> str:
        label = notebook or f"job {execution_id[:8]}"
        return graph.node("execution", execution_id, label, execution_id=execution_id)

    def _version_node(self, graph: Graph, name: str, version: str) -> str:
        return graph.node(
            "model_version", f"{name}/{version}", f"{name} v{version}", name=name, version=version
        )

    def _views(self, name: str) -> set[int]:
        from ..features import registry

        return {int(row["version"]) for row in registry.versions(self.state, "view", name)}
