"""Model gates: `gate` and the gate it describes, a verdict's lines as both doors print
them, and `--force` past a gate."""

from __future__ import annotations

import argparse

from ...config import MLOpsConfig
from ...errors import InvalidInput
from .bodies import given as _given

GATE_METRIC_FORM = "NAME:BOUND=VALUE[,BOUND=VALUE] (bounds: min, max, not_worse_than_champion_by)"


def gate(verbs) -> argparse.ArgumentParser:
    """`gate NAME [set options] [--evaluate VERSION]`: show, set or evaluate a gate."""
    parser = verbs.add_parser(
        "gate",
        help="show or set a registered model's gate, or evaluate a version against it",
    )
    parser.add_argument("name", help="registered model name")
    parser.add_argument("--dataset", help="holdout parquet or CSV file inside the project root")
    parser.add_argument("--feature-service", help="build the holdout from this feature service")
    parser.add_argument("--entities", help="with --feature-service: entity rows file (CSV/parquet)")
    parser.add_argument("--label", help="the holdout's target column")
    parser.add_argument("--alias", help="the alias the gate guards (default champion)")
    parser.add_argument("--model-type", choices=("classifier", "regressor"))
    parser.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="SPEC",
        help=f"a metric and its bounds, {GATE_METRIC_FORM}; repeat for more, e.g. "
        "roc_auc:min=0.8,not_worse_than_champion_by=0.01 latency_p99_ms:max=50",
    )
    parser.add_argument("--latency-rows", type=int, help="rows timed one at a time (200)")
    parser.add_argument("--spec", metavar="JSON", help="the whole gate as JSON")
    parser.add_argument("--file", metavar="PATH", help="the whole gate from a YAML or JSON file")
    parser.add_argument(
        "--evaluate", metavar="VERSION", help="evaluate this version against the gate"
    )
    return parser


def gate_request(args: argparse.Namespace, config: MLOpsConfig) -> dict | None:
    """The gate the options `gate` declared describe; None when they set nothing."""
    import json

    pieces = {
        "dataset": args.dataset,
        "label": args.label,
        "alias": args.alias,
        "model_type": args.model_type,
        "latency_rows": args.latency_rows,
    }
    given = _given(pieces)
    if args.feature_service or args.entities:
        if args.dataset:
            raise InvalidInput("--dataset or --feature-service, not both", field="dataset")
        given["dataset"] = _given(
            {"feature_service": args.feature_service, "entities": args.entities}
        )
    spec: dict = {}
    if args.spec or args.file:
        if args.spec and args.file:
            raise InvalidInput("--spec or --file, not both", field="spec")
        if args.file:
            import yaml

            path = config.under_root(args.file, "file")
            try:
                spec = yaml.safe_load(path.read_text())
            except (OSError, yaml.YAMLError) as err:
                raise InvalidInput(f"cannot read {args.file}: {err}", field="file") from err
        else:
            try:
                spec = json.loads(args.spec)
            except ValueError as err:
                raise InvalidInput(f"--spec is not JSON: {err}", field="spec") from err
        if not isinstance(spec, dict):
            raise InvalidInput("the gate must be an object", field="spec")
    if args.metric:
        spec["metrics"] = {**(spec.get("metrics") or {}), **_gate_metrics(args.metric)}
    spec.update(given)
    return spec or None


def _gate_metrics(texts: list[str]) -> dict:
    metrics: dict = {}
    for text in texts:
        name, _, bounds = text.partition(":")
        if not name.strip() or not bounds.strip():
            raise InvalidInput(f"--metric {text!r}: use {GATE_METRIC_FORM}", field="metrics")
        found = metrics.setdefault(name.strip(), {})
        for bound in bounds.split(","):
            key, equals, value = bound.partition("=")
            try:
                found[key.strip()] = float(value)
            except ValueError:
                equals = ""
            if not equals:
                raise InvalidInput(
                    f"--metric {text!r}: {bound!r} is not BOUND=NUMBER",
                    field=f"metrics.{name.strip()}",
                )
    return metrics


def gate_lines(found: dict) -> list[str]:
    """A verdict, one line per metric, as both doors print it."""
    lines = [
        f"{found['name']} version {found['version']}: {found['verdict'].upper()} "
        f"(against {found['alias']} = "
        f"{'version ' + found['champion'] if found['champion'] else 'none'}; "
        f"{found['rows']} rows; run {found['run_id']})"
    ]
    for metric in found["metrics"]:
        champion = metric["champion"]
        lines.append(
            f"  {'pass' if metric['passed'] else 'FAIL'}  {metric['metric']}: "
            f"{_figure(metric['candidate'])}"
            + (f" (champion {_figure(champion)})" if champion is not None else "")
            + (f": {metric['reason']}" if not metric["passed"] else "")
        )
    return lines


def _figure(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def forced_move(parser: argparse.ArgumentParser) -> None:
    """`--force --reason TEXT`: move a gated alias past its gate (recorded)."""
    parser.add_argument(
        "--force",
        action="store_true",
        help="move a gated alias to a version that failed or was not evaluated",
    )
    parser.add_argument("--reason", help="why (required with --force; recorded on the version)")
