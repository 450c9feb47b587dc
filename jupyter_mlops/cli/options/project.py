"""Project and features: `status`, and the query that filters feature views."""

from __future__ import annotations

import argparse


def status(verbs, json_help: str) -> argparse.ArgumentParser:
    parser = verbs.add_parser("status", help="the stores this project uses and the agent state")
    parser.add_argument("--json", action="store_true", help=json_help)
    return parser


def feature_query(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--query", "-q", default="", help="only views mentioning this text")
