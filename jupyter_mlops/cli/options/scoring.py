"""Batch scoring: `score` and the scoring request body it builds."""

from __future__ import annotations

import argparse

from ...errors import InvalidInput
from .bodies import given as _given


def score(verbs) -> argparse.ArgumentParser:
    """`score MODEL INPUT --output NAME` or `score MODEL --feature-service NAME --entities
    PATH --output NAME`: a scoring job (queued, or scheduled)."""
    parser = verbs.add_parser("score", help="score a dataset with a model, as a job")
    parser.add_argument("model", help="models:/NAME@ALIAS, models:/NAME/VERSION, ...")
    parser.add_argument(
        "input", nargs="?", help="parquet or CSV file (or folder of parts) in the project"
    )
    parser.add_argument(
        "--feature-service", help="instead of INPUT: join the entity rows to this service"
    )
    parser.add_argument("--entities", help="with --feature-service: entity rows file (CSV/parquet)")
    parser.add_argument(
        "--timestamp-field", help="with --feature-service: the entities' time column"
    )
    parser.add_argument("--output", "-o", required=True, help="output name (batch/NAME/N/)")
    parser.add_argument("--batch-rows", type=int, help="rows scored at a time (100000)")
    parser.add_argument("--keys", help="input columns kept beside the predictions, a,b,c")
    parser.add_argument("--experiment", help="MLflow experiment (default: scoring)")
    parser.add_argument("--timeout", type=float, help="seconds the job may run")
    parser.add_argument("--max-attempts", type=int, help="run a failed job again, up to N")
    parser.add_argument("--backoff", type=float, help="seconds before the first retry (30)")
    parser.add_argument("--cron", help="score on this schedule (5-field cron) instead of now")
    parser.add_argument("--timezone", default="UTC", help="time zone of the cron schedule")
    return parser


def score_request(args: argparse.Namespace) -> dict:
    """The scoring request body of the options `score` declared, as parsed."""
    body: dict = {"model": args.model, "input": _score_input(args), "output": args.output}
    optional = {
        "batch_rows": args.batch_rows,
        "experiment": args.experiment,
        "timeout": args.timeout,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    if args.keys:
        body["keys"] = [key.strip() for key in args.keys.split(",") if key.strip()]
    retry = {"max_attempts": args.max_attempts, "backoff_seconds": args.backoff}
    if any(value is not None for value in retry.values()):
        body["retry"] = {key: value for key, value in retry.items() if value is not None}
    if args.cron:
        body["schedule"] = {"cron": args.cron, "timezone": args.timezone}
    return body


def _score_input(args: argparse.Namespace) -> str | dict:
    """INPUT, or the feature service and entity file the options name (the request's
    `input` either way: the service checks what they name)."""
    joined = _given(
        {
            "feature_service": args.feature_service,
            "entities": args.entities,
            "timestamp_field": args.timestamp_field,
        }
    )
    if joined and args.input:
        raise InvalidInput("INPUT or --feature-service with --entities, not both", field="input")
    if joined:
        return joined
    if not args.input:
        raise InvalidInput("name INPUT, or --feature-service and --entities", field="input")
    return args.input
