"""`jupyter mlops lineage KIND ID`: what a run, job execution, model version, deployment,
feature view or batch output came from and led to, as lines of edges (or the graph as
JSON)."""

from __future__ import annotations

import argparse
import json

from ..services import Services


def add_parser(verbs) -> argparse.ArgumentParser:
    """`lineage KIND ID`, shared with `%mlops lineage`; each door adds what it shows."""
    parser = verbs.add_parser("lineage", help="what a run, job, model, deployment or view led to")
    parser.add_argument(
        "kind",
        choices=["run", "execution", "model_version", "deployment", "feature_view", "output"],
    )
    parser.add_argument(
        "id", help="run id, execution id, NAME/VERSION, NAME, VIEW[@VERSION], or OUTPUT/VERSION"
    )
    return parser


def add_parsers(verbs) -> None:
    add_parser(verbs).add_argument("--json", action="store_true", help="print the graph as JSON")


def lineage(services: Services, args: argparse.Namespace) -> int:
    graph = services.lineage.graph(args.kind, args.id)
    if args.json:
        print(json.dumps(graph, indent=2))
        return 0
    from ..lineage.figure import edge_lines

    print("\n".join(edge_lines(graph)))
    if graph["truncated"]:
        print("(more than one view holds: cut)")
    return 0


VERBS = {"lineage": lineage}
READS = {"lineage"}
