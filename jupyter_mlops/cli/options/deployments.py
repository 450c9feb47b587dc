"""Deployments: the verbs that name a deployment, `deploy` and the deployment spec
body it builds, and what to do with a deployment's new version."""

from __future__ import annotations

import argparse

from ...errors import InvalidInput
from .bodies import given as _given

# What a deployment's traffic is compared with for drift (`deploy --reference`, and
# `reference` in `monitoring`).
REFERENCE_FORMS = (
    "a parquet or CSV file in the project, runs:/<run id>/<path>, or baseline (its own first "
    "hour of traffic)"
)


def deployment_verb(verbs, verb: str, said: str) -> argparse.ArgumentParser:
    """A verb whose first argument names a deployment."""
    parser = verbs.add_parser(verb, help=said)
    parser.add_argument("name", help="deployment name")
    return parser


def deploy(verbs, wait_help: str) -> argparse.ArgumentParser:
    """`deploy MODEL_URI --name N ...`, named as `deployment_request` reads them."""
    parser = verbs.add_parser("deploy", help="serve a registered model version over HTTP")
    parser.add_argument("model_uri", help="models:/<name>@<alias> or models:/<name>/<version>")
    parser.add_argument("--name", "-n", required=True, help="deployment name")
    parser.add_argument("--port", type=int, help="port (default: a free one)")
    parser.add_argument("--request-timeout", type=float, help="seconds one request may take")
    parser.add_argument("--startup-timeout", type=float, help="seconds to become ready")
    parser.add_argument("--threads", type=int, help="predictions at once per serving process")
    parser.add_argument("--gpus", metavar="IDS", help="GPU ids the serving processes see (0,1)")
    strategies = parser.add_mutually_exclusive_group()
    strategies.add_argument(
        "--canary", type=float, metavar="PERCENT", help="a new version takes PERCENT of requests"
    )
    strategies.add_argument(
        "--shadow", action="store_true", help="a new version gets copies; its answers are dropped"
    )
    strategies.add_argument(
        "--blue-green", action="store_true", help="a new version takes all; the old stands by"
    )
    parser.add_argument(
        "--max-error-rate",
        type=float,
        metavar="RATE",
        help="roll a new version back when more than RATE (0-1) of its requests fail",
    )
    parser.add_argument(
        "--max-p99-ms", type=float, metavar="MS", help="roll a new version back above this p99"
    )
    parser.add_argument(
        "--retrain-job",
        metavar="JOB",
        help="retrain with this job definition (name or id) or notebook on drift or falling "
        "performance, and roll the result out as a canary",
    )
    parser.add_argument(
        "--retrain-on",
        metavar="WHAT",
        help="what fires the retraining: drift, performance, or drift,performance (default drift)",
    )
    parser.add_argument(
        "--retrain-min-accuracy", type=float, metavar="ACC", help="retrain below this accuracy"
    )
    parser.add_argument(
        "--retrain-max-mae", type=float, metavar="MAE", help="retrain above this mean abs. error"
    )
    parser.add_argument(
        "--reference",
        metavar="REF",
        help=f"what its traffic is compared with for drift: {REFERENCE_FORMS} (default: the "
        "training data its version's run logged)",
    )
    parser.add_argument("--wait", action="store_true", help=wait_help)
    return parser


def deployment_request(args: argparse.Namespace) -> dict:
    """The deployment spec body of the options `deploy` declared, as parsed."""
    body: dict = {"name": args.name, "model_uri": args.model_uri}
    if args.canary is not None:
        body["strategy"] = {"type": "canary", "percent": args.canary}
    elif args.shadow:
        body["strategy"] = {"type": "shadow"}
    elif args.blue_green:
        body["strategy"] = {"type": "blue_green"}
    optional = {
        "port": args.port,
        "request_timeout": args.request_timeout,
        "startup_timeout": args.startup_timeout,
    }
    body.update(_given(optional))
    resources = _given({"threads": args.threads, "gpus": _split(args.gpus)})
    if resources:
        body["resources"] = resources
    if args.reference is not None:
        body["monitor"] = {"reference": args.reference}
    budget = _given({"error_rate": args.max_error_rate, "p99_ms": args.max_p99_ms})
    if budget:
        body["budget"] = budget
    limits = _given({"min_accuracy": args.retrain_min_accuracy, "max_mae": args.retrain_max_mae})
    if args.retrain_job:
        body["trigger"] = {"job": args.retrain_job}
        if args.retrain_on:
            body["trigger"]["on"] = _split(args.retrain_on)
        body["trigger"].update(limits)
    elif args.retrain_on or limits:
        raise InvalidInput("the --retrain-* options need --retrain-job", field="trigger.job")
    return body


def decisions(verbs) -> None:
    """`promote NAME` and `rollback NAME`: what to do with a deployment's new version."""
    deployment_verb(verbs, "promote", "the new version of a deployment serves every request")
    deployment_verb(
        verbs, "rollback", "drop the new version of a deployment; the serving one takes all"
    )


def undeploy(verbs, wait_help: str) -> argparse.ArgumentParser:
    parser = deployment_verb(verbs, "undeploy", "stop a deployment's serving processes")
    parser.add_argument("--wait", action="store_true", help=wait_help)
    return parser


def _split(text: str | None) -> list[str] | None:
    """`0, 1` -> ["0", "1"]; None when the option was not given."""
    return [part.strip() for part in text.split(",") if part.strip()] if text else None
