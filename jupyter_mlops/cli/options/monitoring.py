"""Monitoring: drift and its reference, posted labels and retraining triggers, each a
verb on one deployment."""

from __future__ import annotations

import argparse

from ...errors import InvalidInput
from .deployments import REFERENCE_FORMS, deployment_verb


def window(parser: argparse.ArgumentParser) -> None:
    """Which of a deployment's logged requests a report reads."""
    parser.add_argument("--window", type=int, default=3600, help="seconds back (default 3600)")
    parser.add_argument("--version", help="model version (default: the serving one)")


def drift(verbs) -> argparse.ArgumentParser:
    parser = deployment_verb(verbs, "drift", "drift of a deployment's inputs and predictions")
    window(parser)
    return parser


def reference(verbs) -> argparse.ArgumentParser:
    """`reference NAME [REF | --reset]`: show or set what drift compares traffic with."""
    parser = deployment_verb(
        verbs, "reference", "show or set what a deployment's traffic is compared with for drift"
    )
    parser.add_argument("reference", nargs="?", metavar="REF", help=REFERENCE_FORMS)
    parser.add_argument(
        "--reset",
        action="store_true",
        help="back to the default: the training data its version's run logged",
    )
    return parser


def reference_value(args: argparse.Namespace) -> tuple[bool, str | None]:
    """(whether to set, the value: None to reset) of the options `reference` declared."""
    if args.reset and args.reference:
        raise InvalidInput("give a reference or --reset, not both", field="reference")
    return bool(args.reset or args.reference), args.reference


def labels(verbs) -> argparse.ArgumentParser:
    """`labels NAME ...`; each door adds where the labels come from."""
    return deployment_verb(verbs, "labels", "post ground-truth labels of a deployment")


def triggers(verbs, json_help: str) -> argparse.ArgumentParser:
    parser = deployment_verb(verbs, "triggers", "a deployment's retraining trigger firings")
    parser.add_argument("--json", action="store_true", help=json_help)
    return parser
