"""`jupyter mlops deploy | deployments | predict | promote | rollback | undeploy`: model
deployments from a terminal or CI. The agent (in Lab, or `jupyter mlops agent`) runs the
processes."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from ..errors import Conflict, InvalidInput
from ..services import Services
from . import options


def add_parsers(verbs) -> None:
    options.deployments.deploy(verbs, wait_help="wait until it serves; exit 1 if it fails")
    options.deployments.decisions(verbs)

    listing = verbs.add_parser("deployments", help="deployments, or one with its events")
    listing.add_argument("name", nargs="?", help="a deployment: show it and its history")
    listing.add_argument("--json", action="store_true", help="print JSON")

    predict = options.deployments.deployment_verb(
        verbs, "predict", "send a scoring request to a deployment"
    )
    payload = predict.add_mutually_exclusive_group(required=True)
    payload.add_argument(
        "--json",
        dest="payload",
        metavar="JSON",
        help='an MLflow scoring payload, e.g. \'{"dataframe_split": {"columns": [...], '
        '"data": [...]}}\'',
    )
    payload.add_argument("--csv", type=Path, metavar="FILE", help="a CSV file with a header")

    options.deployments.undeploy(verbs, wait_help="wait until they have stopped")


def deploy(services: Services, args: argparse.Namespace) -> int:
    from ..serving.deployments import NO_AGENT

    body = options.deployments.deployment_request(args)
    deployments = services.deployments
    if args.wait and not deployments.agent_active():
        raise Conflict(NO_AGENT)  # before anything is recorded: nothing would act on it
    deployment = deployments.deploy(body)
    print(_line(deployment))
    if not args.wait:
        if not deployments.agent_active():
            print(f"note: {NO_AGENT}; the deployment starts when one runs", file=sys.stderr)
        return 0
    deployment = deployments.wait(args.name)
    print(_line(deployment))
    return 0 if deployment["status"] == "ready" else 1


def listing(services: Services, args: argparse.Namespace) -> int:
    deployments = services.deployments
    if args.name is None:
        found = deployments.deployments()
        if args.json:
            print(json.dumps(found, indent=2))
        for deployment in [] if args.json else found:
            print(_line(deployment))
        return 0
    deployment = deployments.get(args.name)
    events = deployments.events(args.name)
    if args.json:
        print(json.dumps({**deployment, "events": events}, indent=2))
        return 0
    print(_line(deployment))
    if deployment["error"]:
        print(f"error: {deployment['error']}")
    for version in deployments.metrics(args.name)["versions"]:
        print(f"  {_figures(version)}")
    for event in reversed(events):
        when = datetime.fromtimestamp(event["at"]).isoformat(sep=" ", timespec="seconds")
        print(f"  {when}  {event['kind']:<13} {event['message']}")
    return 0


def predict(services: Services, args: argparse.Namespace) -> int:
    if args.csv is not None:
        try:
            text = args.csv.read_text()
        except OSError as err:
            raise InvalidInput(f"cannot read {str(args.csv)!r}: {err.strerror}") from None
        answer = services.deployments.predict(args.name, text, content_type="text/csv")
    else:
        try:
            payload = json.loads(args.payload)
        except ValueError as err:
            raise InvalidInput(f"--json is not valid JSON: {err}") from None
        if not isinstance(payload, dict):
            raise InvalidInput("--json must be a JSON object (an MLflow scoring payload)")
        answer = services.deployments.predict(args.name, payload)
    print(json.dumps(answer))
    return 0


def promote(services: Services, args: argparse.Namespace) -> int:
    print(_line(services.deployments.promote(args.name)))
    return 0


def rollback(services: Services, args: argparse.Namespace) -> int:
    print(_line(services.deployments.rollback(args.name)))
    return 0


def undeploy(services: Services, args: argparse.Namespace) -> int:
    deployment = services.deployments.undeploy(args.name)
    if args.wait and deployment["status"] != "stopped":
        deployment = services.deployments.wait(args.name, until=("stopped",), timeout=120)
    print(f"{deployment['name']}: {deployment['status']}")
    return 0 if not args.wait or deployment["status"] == "stopped" else 1


def _figures(version: dict) -> str:
    """One version's share and live figures over the router's last minute."""
    p50, p99 = (version[k] for k in ("p50_ms", "p99_ms"))
    latency = f"p50 {p50:.1f} ms  p99 {p99:.1f} ms" if p99 is not None else "no requests"
    return (
        f"v{version['version']} {version['role']:<9} {version['weight']:5.1f}%  "
        f"{version['rate']:.1f} req/s  errors {version['error_rate']:.1%}  {latency}"
    )


def _line(deployment: dict) -> str:
    where = deployment["endpoint"] or "-"
    rolling = deployment["candidate"]
    then = ""
    if rolling:
        how = f"{rolling['strategy']}, {rolling['status']}"
        then = f"  (new version {rolling['model_version']}: {how})"
    return (
        f"{deployment['name']}  {deployment['status']:<8}  {deployment['model_name']} "
        f"v{deployment['model_version']}  {where}  restarts {deployment['restarts']}{then}"
    )


VERBS = {
    "deploy": deploy,
    "deployments": listing,
    "predict": predict,
    "promote": promote,
    "rollback": rollback,
    "undeploy": undeploy,
}
READS = {"deployments", "predict"}
