"""`jupyter mlops lineage KIND ID`: what a run, job execution, model version, deployment
or feature view came from and led to, as lines of edges (or the graph as JSON)."""

from __future__ import annotations

import argparse
import json

from ..services import Services


def add_parsers(verbs) -> None:
    parser = verbs.add_parser("lineage", help="what a run, job, model, deployment or view led to")
    parser.add_argument(
        "kind", choices=["run", "execution", "model_version", "deployment", "feature_view"]
    )
    parser.add_argument("id", help="run id, execution id, NAME/VERSION, NAME, or VIEW[@VERSION]")
    parser.add_argument("--json", action="store_true", help="print the graph as JSON")


def lineage(services: Services, args: argparse.Namespace) -> int:
    graph = services.lineage.graph(args.kind, args.id)
    if args.json:
        print(json.dumps(graph, indent=2))
        return 0
    labels = {node["id"]: f"{node['kind']} {node['label']}" for node in graph["nodes"]}
    for edge in graph["edges"]:
        print(f"{labels[edge['source']]} --{edge['label']}--> {labels[edge['target']]}")
    if not graph["edges"]:
        print(f"{labels[graph['start']]}: no lineage recorded")
    if graph["truncated"]:
        print("(more than one view holds: cut)")
    return 0


VERBS = {"lineage": lineage}
READS = {"lineage"}
